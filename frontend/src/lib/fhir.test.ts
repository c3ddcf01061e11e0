import { conceptText, quantityText, rangeText, resourceCard, statusText, valueText } from "./fhir";

describe("concepts and values", () => {
  it("prefers text, then display, then code", () => {
    expect(conceptText({ text: "Flu shot", coding: [{ display: "Influenza" }] })).toBe("Flu shot");
    expect(conceptText({ coding: [{ code: "140" }, { display: "Influenza" }] })).toBe("Influenza");
    expect(conceptText({ coding: [{ code: "140" }] })).toBe("140");
    expect(conceptText(undefined)).toBeUndefined();
  });
  it("writes quantities and ranges", () => {
    expect(quantityText({ value: 16.5, unit: "g/dL" })).toBe("16.5 g/dL");
    expect(quantityText({ value: 5, comparator: "<", code: "mg" })).toBe("<5 mg");
    expect(rangeText({ low: { value: 13.5, unit: "g/dL" }, high: { value: 17.5, unit: "g/dL" } })).toBe("13.5–17.5 g/dL");
    expect(rangeText({ high: { value: 200, unit: "mg/dL" } })).toBe("at most 200 mg/dL");
  });
  it("rounds quantities for their unit and writes UCUM units as people do", () => {
    expect(quantityText({ value: 39.2, code: "Cel", system: "http://unitsofmeasure.org" })).toBe("39.2 °C");
    expect(quantityText({ value: 6.181808595798641, unit: "%" })).toBe("6.2%");
    expect(quantityText({ value: 120, code: "mm[Hg]" })).toBe("120 mmHg");
    expect(quantityText({ value: 7.04, unit: "10*3/uL" })).toBe("7.04 ×10³/µL");
    expect(quantityText({ value: 3, code: "{score}" })).toBe("3");
    expect(rangeText({ low: { value: 4, unit: "%" }, high: { value: 5.6, unit: "%" } })).toBe("4–5.6%");
    expect(rangeText({ low: { value: 36.1, code: "Cel" }, high: { value: 37.2, code: "Cel" } })).toBe("36.1–37.2 °C");
  });
  it("reads component observations such as blood pressure", () => {
    const bp = {
      component: [
        { code: { text: "Systolic" }, valueQuantity: { value: 120, unit: "mmHg" } },
        { code: { text: "Diastolic" }, valueQuantity: { value: 80, unit: "mmHg" } },
      ],
    };
    expect(valueText(bp)).toBe("Systolic: 120 mmHg; Diastolic: 80 mmHg");
  });
});

describe("resource cards", () => {
  it("shows an observation's result, range and flag", () => {
    const card = resourceCard({
      resourceType: "Observation",
      code: { coding: [{ system: "http://loinc.org", code: "718-7", display: "Hemoglobin" }] },
      valueQuantity: { value: 19.1, unit: "g/dL" },
      referenceRange: [{ low: { value: 13.5, unit: "g/dL" }, high: { value: 17.5, unit: "g/dL" } }],
      interpretation: [{ coding: [{ code: "H", display: "High" }] }],
      effectiveDateTime: "2024-03-12",
      status: "final",
    });
    expect(card.title).toBe("Hemoglobin");
    expect(card.facts).toEqual([
      { label: "Result", value: "19.1 g/dL" },
      { label: "Normal range", value: "13.5–17.5 g/dL" },
      { label: "Flag", value: "High" },
      { label: "When", value: "12 Mar 2024" },
      { label: "Status", value: "Final" },
    ]);
    expect(card.codes).toEqual([{ system: "http://loinc.org", code: "718-7", display: "Hemoglobin" }]);
  });
  it("names a patient and a medication", () => {
    expect(resourceCard({ resourceType: "Patient", name: [{ given: ["Grace", "Harper"], family: "Kowalski" }] }).title).toBe("Grace Harper Kowalski");
    const med = resourceCard({
      resourceType: "MedicationRequest",
      medicationCodeableConcept: { text: "Amoxicillin 250 MG" },
      status: "active",
      authoredOn: "2023-02-01",
    });
    expect(med.title).toBe("Amoxicillin 250 MG");
    expect(med.facts).toContainEqual({ label: "Prescribed", value: "1 Feb 2023" });
  });
  it("falls back to the type name for unknown resources", () => {
    expect(resourceCard({ resourceType: "Basic" }).title).toBe("Basic");
  });
});

describe("statuses", () => {
  it("are words, with codes they do not know passed through", () => {
    expect(statusText("finished")).toBe("Completed");
    expect(statusText("entered-in-error")).toBe("Entered in error");
    expect(statusText("something-new")).toBe("something-new");
    expect(statusText(null)).toBeUndefined();
    const condition = resourceCard({ resourceType: "Condition", code: { text: "Asthma" }, clinicalStatus: { coding: [{ code: "resolved" }] } });
    expect(condition.facts).toContainEqual({ label: "Clinical status", value: "Resolved" });
  });
});
