import { COVID, DOSES, HEPB, MMR, PNEUMO } from "./recommendations.fixture";
import { datesText, doneElsewhere, doseText, dosesFor, groupHeading, statusText } from "./recommendations";

describe("recommendations in words", () => {
  it("writes dates as people say them, by where the recommendation stands", () => {
    expect(datesText(HEPB)).toBe("Due since 8 Dec 2025 · overdue since 6 Jan 2026");
    expect(datesText(PNEUMO)).toBe("Due since 6 Jan 2026");
    expect(datesText({ ...PNEUMO, recommended: null })).toBe("From 8 Dec 2025");
    expect(datesText({ ...PNEUMO, past_due: "2026-03-01" })).toBe("Due since 6 Jan 2026 · overdue after 1 Mar 2026");
    expect(datesText(COVID)).toBe("From 1 Mar 2026 · due 1 Apr 2026");
    expect(datesText({ ...COVID, immunization: { ...COVID.immunization!, latest: "2027-01-01" } })).toBe(
      "From 1 Mar 2026 · due 1 Apr 2026 · no later than 1 Jan 2027",
    );
    expect(datesText(MMR)).toBe("");
  });

  it("names statuses and groups plainly", () => {
    expect(groupHeading("aged-out")).toBe("Past the age for it");
    expect(groupHeading("dismissed")).toBe("Set aside");
    expect(groupHeading("something-new")).toBe("something-new");
    expect(statusText({ ...MMR, immunization: { ...MMR.immunization!, series_status: "immune" } })).toBe("Immune");
    expect(statusText(MMR)).toBe("Done");
  });

  it("matches doses on the vaccine group and says how each was judged", () => {
    expect(dosesFor(HEPB, DOSES).map((d) => d.immunization)).toEqual(["Immunization/hb0", "Immunization/hb1"]);
    expect(doseText(DOSES[0]!)).toBe("Not valid — Age: Too Young");
    expect(doseText({ ...DOSES[0]!, reasons: ["Age: Too Young", "Interval: Too Soon"] })).toBe("Not valid — Age: Too Young; Interval: Too Soon");
    expect(doseText(DOSES[1]!)).toBe("Valid");
  });

  it("builds the Immunization a done-elsewhere records, as the manual form would", () => {
    expect(doneElsewhere(HEPB.immunization!, "2026-01-15")).toEqual({
      resourceType: "Immunization",
      status: "completed",
      vaccineCode: { text: "HepB", coding: [{ system: "http://hl7.org/fhir/sid/cvx", code: "45", display: "HepB" }] },
      occurrenceDateTime: "2026-01-15",
    });
  });
});
