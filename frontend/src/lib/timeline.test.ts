import type { TimelineItem } from "../api/types";
import { groupByDay, resultFlag, resultText, timelineRows, typesFor } from "./timeline";

const item = (id: string, date: string | null): TimelineItem =>
  ({ resource_type: "Observation", id, source_id: "s", date, status: null, display: id }) as TimelineItem;

describe("timeline grouping", () => {
  it("puts items of one day under one heading, keeping order", () => {
    const groups = groupByDay([item("a", "2025-12-23T12:00:00"), item("b", "2025-12-23T08:00:00"), item("c", "2025-11-02"), item("d", null)]);
    expect(groups.map((g) => [g.label, g.items.map((i) => i.id)])).toEqual([
      ["23 Dec 2025", ["a", "b"]],
      ["2 Nov 2025", ["c"]],
      ["No date", ["d"]],
    ]);
  });
  it("maps categories to FHIR types", () => {
    expect(typesFor(["medications", "visits"])).toEqual(["MedicationRequest", "MedicationStatement", "Encounter"]);
    expect(typesFor([])).toEqual([]);
  });
});

type Value = NonNullable<TimelineItem["values"]>[number];
const v = (code: string, value: number, unit: string, over: Partial<Value> = {}): Value => ({
  system: "http://loinc.org",
  code,
  name: code,
  value,
  unit,
  ucum: unit,
  flag: null,
  ...over,
});
const rec = (id: string, type: string, date: string, encounter?: string): TimelineItem =>
  ({ resource_type: type, id, source_id: "s", date, status: null, display: id, ...(encounter ? { encounter } : {}) }) as TimelineItem;

describe("result text", () => {
  it("writes blood pressure as one reading", () => {
    expect(resultText([v("8462-4", 79.6, "mm[Hg]"), v("8480-6", 121.2, "mm[Hg]")])).toBe("121/80 mmHg");
  });
  it("rounds a single value for its unit without naming it", () => {
    expect(resultText([v("4548-4", 6.181808595798641, "%")])).toBe("6.2%");
    expect(resultText([v("8310-5", 39.2, "Cel")])).toBe("39.2 °C");
  });
  it("names each of several values", () => {
    expect(resultText([v("a", 1, "mg/dL", { name: "A" }), v("b", 2.5, "g/dL", { name: "B" })])).toBe("A 1 mg/dL, B 2.5 g/dL");
    expect(resultText(undefined)).toBe("");
  });
  it("finds the out-of-range flag", () => {
    expect(resultFlag([v("a", 1, "x", { flag: "normal" }), v("b", 2, "x", { flag: "low" })])).toBe("low");
    expect(resultFlag([v("a", 1, "x", { flag: "normal" })])).toBeNull();
  });
});

describe("timeline rows", () => {
  it("gathers a day's records under their visit and leaves the rest on their own", () => {
    const rows = timelineRows([
      rec("o1", "Observation", "2025-03-04T10:00:00", "e1"),
      rec("x", "Condition", "2025-03-04T09:30:00"),
      rec("e1", "Encounter", "2025-03-04T09:00:00"),
      rec("o2", "Observation", "2025-03-03T10:00:00", "e1"),
    ]);
    expect(
      rows.map((r) => (r.kind === "day" ? r.label : r.kind === "visit" ? `visit ${r.visit.id}: ${r.items.map((i) => i.id)}` : r.item.id)),
    ).toEqual([
      "4 Mar 2025",
      "visit e1: o1",
      "x",
      "3 Mar 2025",
      // Its visit is listed on another day: the record stands alone.
      "o2",
    ]);
  });
});
