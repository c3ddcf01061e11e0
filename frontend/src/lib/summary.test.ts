import type { LabTest, SummaryVisit } from "../api/types";
import { visitLine, vitalRows } from "./summary";

const test = (code: string, value: number, unit: string, date: string, flag: "high" | "low" | "normal" | null = "normal"): LabTest => ({
  system: "http://loinc.org",
  code,
  name: `LOINC ${code}`,
  count: 3,
  last_date: date,
  latest: { id: `o-${code}`, value, unit, flag },
  panel: null,
});

describe("vital rows", () => {
  it("writes systolic and diastolic as one blood pressure, flagged if either is", () => {
    const rows = vitalRows([
      test("8480-6", 141.4, "mm[Hg]", "2025-03-04T10:00:00Z", "high"),
      test("8462-4", 82, "mm[Hg]", "2025-03-04T10:00:00Z"),
      test("8310-5", 36.849999, "Cel", "2025-03-04T10:00:00Z"),
    ]);
    expect(rows.map((r) => [r.label, r.text, r.flag])).toEqual([
      ["Blood pressure", "141/82 mmHg", "high"],
      [expect.any(String), "36.8 °C", null],
    ]);
    expect(rows[0]).toMatchObject({ code: "http://loinc.org|8480-6", pair: "8462-4", id: "o-8480-6" });
    expect(rows[0]!.exact).toBe("141.4 mmHg / 82 mmHg");
  });
  it("keeps a lone systolic as its own row", () => {
    const rows = vitalRows([test("8480-6", 120, "mm[Hg]", "2025-01-01")]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBe("120 mmHg");
    expect(rows[0]!.pair).toBeUndefined();
  });
});

describe("visit line", () => {
  const visit = (over: Partial<SummaryVisit>): SummaryVisit => ({
    resource_type: "Encounter",
    id: "e",
    source_id: "s",
    date: "2025-01-01",
    status: "finished",
    display: null,
    end: null,
    class: null,
    reason: null,
    place: null,
    clinician: null,
    ...over,
  });
  it("says what, why, where and who", () => {
    expect(
      visitLine(visit({ display: "General examination", class: "Outpatient", reason: "Cough", place: "Main St Clinic", clinician: "Dr. Lee" })),
    ).toBe("General examination (outpatient) · Cough · Main St Clinic · Dr. Lee");
    expect(visitLine(visit({ class: "Emergency" }))).toBe("Emergency");
    expect(visitLine(visit({}))).toBe("Visit");
  });
});
