import { FORMS, MEASURES, fieldForPath, formFor, initialValues, isShown } from "./manual";

const parse = (type: string, v: Record<string, string>) => formFor(type)!.schema.safeParse(v);
const UCUM = "http://unitsofmeasure.org";
const CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
/** Every Observation field, empty. */
const blank = { measure: "", name: "", value: "", systolic: "", diastolic: "", unit: "", date: "", low: "", high: "", code: "" };

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

  it("builds a body weight as a LOINC vital sign in UCUM kg, so it joins the weight chart", () => {
    const o = formFor("Observation")!.build({ ...blank, measure: "body-weight", value: "71.5", date: "2024-03-12", high: "80", name: "ignored" });
    expect(o).toEqual({
      resourceType: "Observation",
      status: "final",
      category: [{ coding: [{ system: CATEGORY, code: "vital-signs", display: "Vital Signs" }] }],
      code: { text: "Body weight", coding: [{ system: "http://loinc.org", code: "29463-7", display: "Body weight" }] },
      valueQuantity: { value: 71.5, unit: "kg", system: UCUM, code: "kg" },
      effectiveDateTime: "2024-03-12",
      referenceRange: [{ high: { value: 80, unit: "kg", system: UCUM, code: "kg" } }],
    });
  });

  it("builds a blood pressure as a panel with systolic and diastolic components and no value of its own", () => {
    const o = formFor("Observation")!.build({
      ...blank,
      measure: "blood-pressure",
      systolic: "128",
      diastolic: "84",
      date: "2024-03-12",
      value: "5",
    });
    expect(o).toEqual({
      resourceType: "Observation",
      status: "final",
      category: [{ coding: [{ system: CATEGORY, code: "vital-signs", display: "Vital Signs" }] }],
      code: {
        text: "Blood pressure",
        coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood pressure panel with all children optional" }],
      },
      component: [
        {
          code: { text: "Systolic blood pressure", coding: [{ system: "http://loinc.org", code: "8480-6", display: "Systolic blood pressure" }] },
          valueQuantity: { value: 128, unit: "mmHg", system: UCUM, code: "mm[Hg]" },
        },
        {
          code: { text: "Diastolic blood pressure", coding: [{ system: "http://loinc.org", code: "8462-4", display: "Diastolic blood pressure" }] },
          valueQuantity: { value: 84, unit: "mmHg", system: UCUM, code: "mm[Hg]" },
        },
      ],
      effectiveDateTime: "2024-03-12",
    });
  });

  it("builds “something else” from the typed name and unit: a lab result with a LOINC code, a survey answer without", () => {
    const form = formFor("Observation")!;
    const peak = { ...blank, measure: "other", name: " Peak flow ", value: "420", unit: "L/min", date: "2024-03-12", low: "400", high: "600" };
    expect(form.build(peak)).toEqual({
      resourceType: "Observation",
      status: "final",
      category: [{ coding: [{ system: CATEGORY, code: "survey", display: "Survey" }] }],
      code: { text: "Peak flow" },
      valueQuantity: { value: 420, unit: "L/min", system: UCUM, code: "L/min" },
      effectiveDateTime: "2024-03-12",
      referenceRange: [
        { low: { value: 400, unit: "L/min", system: UCUM, code: "L/min" }, high: { value: 600, unit: "L/min", system: UCUM, code: "L/min" } },
      ],
    });
    const ferritin = form.build({ ...blank, measure: "other", name: "Ferritin", value: "35", unit: "ng/mL", date: "2024-03-12", code: "2276-4" });
    expect(ferritin.category).toEqual([{ coding: [{ system: CATEGORY, code: "laboratory", display: "Laboratory" }] }]);
    expect(ferritin.code).toEqual({ text: "Ferritin", coding: [{ system: "http://loinc.org", code: "2276-4", display: "Ferritin" }] });
    // No unit typed: a bare number, no UCUM system.
    expect(form.build({ ...blank, measure: "other", name: "Pain score", value: "3", date: "2024-03-12" }).valueQuantity).toEqual({ value: 3 });
  });

  it("gives every preset its LOINC code, UCUM unit and category", () => {
    const built = Object.fromEntries(
      MEASURES.filter((m) => m.key !== "blood-pressure").map((m) => {
        const o = formFor("Observation")!.build({ ...blank, measure: m.key, value: "1", date: "2024-01-01" }) as Record<string, any>;
        return [o.code.coding[0].code, [o.valueQuantity.code, o.valueQuantity.unit, o.category[0].coding[0].code]];
      }),
    );
    expect(built).toEqual({
      "29463-7": ["kg", "kg", "vital-signs"],
      "8302-2": ["cm", "cm", "vital-signs"],
      "8310-5": ["Cel", "°C", "vital-signs"],
      "8867-4": ["/min", "beats/min", "vital-signs"],
      "9279-1": ["/min", "breaths/min", "vital-signs"],
      "59408-5": ["%", "%", "vital-signs"],
      "2345-7": ["mg/dL", "mg/dL", "laboratory"],
      "4548-4": ["%", "%", "laboratory"],
    });
  });

  it("shows the fields a preset needs: two numbers for blood pressure, a name and unit only for something else", () => {
    const form = formFor("Observation")!;
    const shown = (measure: string) => form.fields.filter((f) => isShown(f, { ...blank, measure })).map((f) => f.name);
    expect(shown("body-weight")).toEqual(["measure", "value", "date", "low", "high"]);
    expect(shown("blood-pressure")).toEqual(["measure", "systolic", "diastolic", "date"]);
    expect(shown("other")).toEqual(["measure", "name", "value", "unit", "date", "low", "high", "code"]);
    expect(form.fields.find((f) => f.name === "value")!.describe!({ ...blank, measure: "body-temperature" })).toBe("In °C.");
    // A new measurement starts as a body weight.
    expect(initialValues(form).measure).toBe("body-weight");
  });

  it("checks only the fields the chosen preset shows", () => {
    const ok = (v: Record<string, string>) => parse("Observation", { ...blank, date: "2024-01-01", ...v });
    const errorPaths = (v: Record<string, string>) => (ok(v).error?.issues ?? []).map((i) => i.path.join("."));
    expect(ok({ measure: "body-weight", value: "70" }).success).toBe(true);
    expect(errorPaths({ measure: "body-weight", value: "" })).toEqual(["value"]);
    expect(errorPaths({ measure: "other", value: "70" })).toEqual(["name"]);
    expect(errorPaths({ measure: "blood-pressure", systolic: "120" })).toEqual(["diastolic"]);
    expect(errorPaths({ measure: "blood-pressure", systolic: "80", diastolic: "120" })).toEqual(["diastolic"]);
    expect(ok({ measure: "blood-pressure", systolic: "120", diastolic: "80" }).success).toBe(true);
    expect(errorPaths({ measure: "body-weight", value: "heavy" })).toEqual(["value"]);
  });

  it("refuses future dates, missing names and backwards ranges before sending", () => {
    const future = new Date(Date.now() + 86400_000 * 3).toISOString().slice(0, 10);
    expect(parse("Immunization", { name: "Flu", date: future, code: "" }).success).toBe(false);
    expect(parse("Immunization", { name: "", date: "2020-01-01", code: "" }).success).toBe(false);
    expect(parse("Immunization", { name: "Flu", date: "2020-01-01", code: "" }).success).toBe(true);
    const backwards = parse("Observation", { ...blank, measure: "other", name: "x", value: "1", date: "2020-01-01", low: "5", high: "2" });
    expect(backwards.error?.issues.map((i) => i.path.join("."))).toEqual(["high"]);
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

  it("reads a stored record back into the values that built it, for every form", () => {
    const samples: Record<string, Record<string, string>[]> = {
      Condition: [{ name: "Asthma", status: "remission", onset: "2019-04-02", abatement: "2021-01-01", code: "195967001" }],
      MedicationStatement: [{ name: "Ibuprofen 200 mg", status: "stopped", dose: "1 tablet twice a day", start: "2024-01-02", code: "310965" }],
      AllergyIntolerance: [
        { name: "Peanuts", category: "food", criticality: "high", reaction: "Hives", onset: "2010-05-01" },
        { name: "Dust", category: "environment", criticality: "", reaction: "", onset: "" },
      ],
      Immunization: [{ name: "Flu shot", date: "2024-10-01", code: "140" }],
      Procedure: [{ name: "Appendectomy", date: "", code: "" }],
      Encounter: [{ kind: "EMER", reason: "Broken wrist", date: "2023-07-14" }],
      Observation: [
        { ...blank, measure: "body-weight", value: "71.5", date: "2024-03-12", low: "60", high: "80" },
        { ...blank, measure: "blood-pressure", systolic: "128", diastolic: "84", date: "2024-03-12" },
        { ...blank, measure: "heart-rate", value: "64", date: "2024-03-12" },
        { ...blank, measure: "other", name: "Ferritin", value: "35", unit: "ng/mL", date: "2024-03-12", low: "15", code: "2276-4" },
        { ...blank, measure: "other", name: "Pain score", value: "3", date: "2024-03-12" },
      ],
      Practitioner: [
        { name: "Dr. Amara Okafor", phone: "+44 20 7946 0000", email: "amara@example.org" },
        { name: "Nurse Lee", phone: "", email: "" },
      ],
    };
    expect(Object.keys(samples).sort()).toEqual(FORMS.map((f) => f.type).sort());
    for (const form of FORMS) {
      for (const values of samples[form.type]!) {
        expect(form.schema.safeParse(values).success, `${form.type} sample is valid`).toBe(true);
        // As the host stores it: with an id, subject and meta it fills in.
        const stored = { ...form.build(values), id: "r1", meta: { lastUpdated: "2024-03-12T10:00:00Z" }, subject: { reference: "Patient/p" } };
        expect(form.parse(stored), form.type).toEqual(values);
        expect(initialValues(form, stored)).toEqual(values);
      }
    }
  });

  it("reads a stored date-time as the day it is on", () => {
    const r = { resourceType: "Immunization", vaccineCode: { text: "Flu" }, occurrenceDateTime: "2024-10-01T09:30:00Z" };
    expect(formFor("Immunization")!.parse(r)).toEqual({ name: "Flu", date: "2024-10-01", code: "" });
  });

  it("has a form for each type the host accepts by hand", () => {
    expect(FORMS.map((f) => f.type).sort()).toEqual(
      ["AllergyIntolerance", "Condition", "Encounter", "Immunization", "MedicationStatement", "Observation", "Practitioner", "Procedure"].sort(),
    );
  });
});
