import { FORMS, fieldForPath, formFor } from "./manual";

const parse = (type: string, v: Record<string, string>) => formFor(type)!.schema.safeParse(v);

describe("record forms", () => {
  it("builds a Condition with a status coding and an optional SNOMED code", () => {
    const f = formFor("Condition")!;
    expect(f.build({ name: " Asthma ", status: "active", onset: "2019-04-02", abatement: "", code: "195967001" })).toEqual({
      resourceType: "Condition",
      code: { text: "Asthma", coding: [{ system: "http://snomed.info/sct", code: "195967001", display: "Asthma" }] },
      clinicalStatus: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }] },
      onsetDateTime: "2019-04-02",
    });
    expect(f.build({ name: "Asthma", status: "resolved", onset: "", abatement: "", code: "" })).not.toHaveProperty("code.coding");
  });

  it("builds a measurement with UCUM units and a reference range", () => {
    const o = formFor("Observation")!.build({ name: "Weight", value: "71.5", unit: "kg", date: "2024-03-12", low: "", high: "80", code: "" });
    expect(o.valueQuantity).toEqual({ value: 71.5, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" });
    expect(o.referenceRange).toEqual([{ high: { value: 80, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" } }]);
  });

  it("refuses future dates, missing names and backwards ranges before sending", () => {
    const future = new Date(Date.now() + 86400_000 * 3).toISOString().slice(0, 10);
    expect(parse("Immunization", { name: "Flu", date: future, code: "" }).success).toBe(false);
    expect(parse("Immunization", { name: "", date: "2020-01-01", code: "" }).success).toBe(false);
    expect(parse("Immunization", { name: "Flu", date: "2020-01-01", code: "" }).success).toBe(true);
    const backwards = parse("Observation", { name: "x", value: "1", unit: "", date: "2020-01-01", low: "5", high: "2", code: "" });
    expect(backwards.success).toBe(false);
    const ended = parse("Condition", { name: "x", status: "resolved", onset: "2020-02-01", abatement: "2020-01-01", code: "" });
    expect(ended.success).toBe(false);
  });

  it("maps the host's error paths to the field that caused them", () => {
    const obs = formFor("Observation")!;
    expect(fieldForPath(obs, "code.coding[0].code")).toBe("code");
    expect(fieldForPath(obs, "code")).toBe("name");
    expect(fieldForPath(obs, "valueQuantity.value")).toBe("value");
    expect(fieldForPath(obs, "valueQuantity.system")).toBe("unit");
    expect(fieldForPath(obs, "meta")).toBeUndefined();
  });

  it("has a form for each type the host accepts by hand", () => {
    expect(FORMS.map((f) => f.type).sort()).toEqual(
      ["AllergyIntolerance", "Condition", "Encounter", "Immunization", "MedicationStatement", "Observation", "Practitioner", "Procedure"].sort(),
    );
  });
});
