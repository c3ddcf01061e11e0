import type { LabTest } from "../api/types";
import { KINDS, kindHeading, labCards, labGroups, labKind, labSections, LOINC, plainName, trimLoincName, trimPanelName } from "./labgroups";

const test = (code: string, name: string | null, over: Partial<LabTest> = {}): LabTest => ({
  system: LOINC,
  code,
  name,
  count: 1,
  last_date: "2024-01-01",
  latest: { id: `obs-${code}`, value: 1, unit: null, flag: "normal" },
  panel: null,
  ...over,
});

describe("kinds", () => {
  it("sorts common LOINC codes into their kinds", () => {
    expect(labKind(LOINC, "8480-6", "Systolic blood pressure")).toBe("vitals");
    expect(labKind(LOINC, "85354-9", null)).toBe("vitals");
    expect(labKind(LOINC, "59408-5", null)).toBe("vitals");
    expect(labKind(LOINC, "72514-3", null)).toBe("vitals");
    expect(labKind(LOINC, "2345-7", null)).toBe("chemistry");
    expect(labKind(LOINC, "33914-3", null)).toBe("chemistry");
    expect(labKind(LOINC, "1742-6", null)).toBe("chemistry");
    expect(labKind(LOINC, "13457-7", null)).toBe("lipids");
    expect(labKind(LOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")).toBe("endocrine");
    expect(labKind(LOINC, "3016-3", null)).toBe("endocrine");
    expect(labKind(LOINC, "718-7", null)).toBe("hematology");
    expect(labKind(LOINC, "787-2", null)).toBe("hematology");
    expect(labKind(LOINC, "9318-7", null)).toBe("urine");
  });
  it("falls back to words in the name, specimen first", () => {
    expect(labKind(LOINC, "99999-9", "Glucose [Mass/volume] in Urine by Test strip")).toBe("urine");
    expect(labKind(LOINC, "99999-9", "Glucose [Mass/volume] in Capillary blood by Glucometer")).toBe("chemistry");
    expect(labKind("urn:local", "GLU", "Fasting glucose")).toBe("chemistry");
    expect(labKind("urn:local", "A1C", "Glycated hemoglobin")).toBe("endocrine");
    expect(labKind("urn:local", "HB", "Haemoglobin")).toBe("hematology");
    expect(labKind("urn:local", "BP", "Blood pressure, sitting")).toBe("vitals");
    expect(labKind("urn:local", "LDL", "LDL (calculated)")).toBe("lipids");
    expect(labKind("urn:local", "X", "Something unusual")).toBe("other");
    expect(labKind("urn:local", "X", null)).toBe("other");
  });
  it("does not trust a code from another system", () => {
    expect(labKind("urn:local", "718-7", "Blood lead")).toBe("other");
  });
  it("has a plain heading for every kind, vital signs first", () => {
    expect(KINDS.map((k) => k.heading)).toEqual([
      "Vital signs",
      "Blood chemistry",
      "Cholesterol and lipids",
      "Hormones and diabetes",
      "Blood count",
      "Urine",
      "Other tests",
    ]);
    expect(kindHeading("urine")).toBe("Urine");
  });
});

describe("plain names", () => {
  it("uses short names for common codes", () => {
    const names: [string, string][] = [
      ["4548-4", "A1c"],
      ["2345-7", "Glucose"],
      ["2160-0", "Creatinine"],
      ["33914-3", "eGFR"],
      ["48642-3", "eGFR"],
      ["62238-1", "eGFR"],
      ["29463-7", "Weight"],
      ["8302-2", "Height"],
      ["39156-5", "BMI"],
      ["8867-4", "Heart rate"],
      ["8310-5", "Temperature"],
      ["9279-1", "Breathing rate"],
      ["2708-6", "Oxygen saturation"],
      ["59408-5", "Oxygen saturation"],
      ["8480-6", "Systolic blood pressure"],
      ["8462-4", "Diastolic blood pressure"],
      ["718-7", "Hemoglobin"],
      ["6690-2", "White blood cells"],
      ["777-3", "Platelets"],
      ["2093-3", "Total cholesterol"],
      ["18262-6", "LDL cholesterol"],
      ["2085-9", "HDL cholesterol"],
      ["2571-8", "Triglycerides"],
    ];
    for (const [code, name] of names) expect(plainName(LOINC, code, "Some long LOINC name [Mass/volume] in Blood")).toBe(name);
  });
  it("trims LOINC boilerplate from other names: property, specimen, method", () => {
    expect(plainName(LOINC, "1-1", "Sodium [Moles/volume] in Serum or Plasma")).toBe("Sodium");
    expect(plainName(LOINC, "1-1", "Leukocytes [#/volume] in Blood by Automated count")).toBe("Leukocytes");
    expect(plainName(LOINC, "1-1", "Body mass index (BMI) [Ratio]")).toBe("Body mass index (BMI)");
    expect(plainName(LOINC, "1-1", "Creatinine [Mass/volume] in Urine")).toBe("Creatinine in urine");
    expect(plainName(LOINC, "1-1", "Oxygen [Partial pressure] in Arterial blood")).toBe("Oxygen in arterial blood");
    expect(plainName(LOINC, "1-1", "Bilirubin.total [Mass/volume] in Serum or Plasma")).toBe("Bilirubin total");
  });
  it("keeps the part before the slash of a share or a normalisation, and both sides of a ratio", () => {
    expect(trimLoincName("Hemoglobin A1c/Hemoglobin.total in Blood", true)).toBe("Hemoglobin A1c");
    expect(
      trimLoincName("Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)", true),
    ).toBe("Glomerular filtration rate");
    expect(trimLoincName("Neutrophils/100 leukocytes in Blood by Automated count", true)).toBe("Neutrophils");
    expect(trimLoincName("Albumin/Creatinine [Mass Ratio] in Urine", true)).toBe("Albumin/Creatinine in urine");
    expect(trimLoincName("Cholesterol.total/Cholesterol in HDL [Mass Ratio] in Serum or Plasma", true)).toBe("Cholesterol total/Cholesterol in HDL");
  });
  it("leaves other systems' names alone unless they carry a LOINC property", () => {
    const markup = `<img src=x onerror=alert(1)><a href='https://evil.example/'>evil</a>`;
    expect(plainName("urn:e2e:hostile", "x1", markup)).toBe(markup);
    expect(plainName("urn:local", "K", "Potassium in blood by ISE")).toBe("Potassium in blood by ISE");
    expect(plainName("urn:local", "K", "Potassium [Moles/volume] in Serum or Plasma")).toBe("Potassium");
  });
  it("falls back to the code when there is no name", () => {
    expect(plainName(LOINC, "1-1", null)).toBe("1-1");
    expect(plainName("urn:local", "X7", "  ")).toBe("X7");
  });
});

describe("sections", () => {
  const tests: LabTest[] = [
    test("718-7", "Hemoglobin [Mass/volume] in Blood", { last_date: "2023-05-01" }),
    test("8480-6", "Systolic blood pressure", {
      last_date: "2024-03-01",
      latest: { id: "bp1", value: 142, unit: "mm[Hg]", flag: "high" },
    }),
    test("8462-4", "Diastolic blood pressure", { last_date: "2024-03-01", latest: { id: "bp1", value: 80, unit: "mm[Hg]", flag: "normal" } }),
    test("29463-7", "Body weight", { last_date: "2024-04-01" }),
    test("2345-7", "Glucose [Mass/volume] in Serum or Plasma", { last_date: "2022-01-01" }),
    test("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", {
      last_date: "2024-01-01",
      latest: { id: "c", value: 1.4, unit: "mg/dL", flag: "high" },
    }),
    test("6690-2", "Leukocytes [#/volume] in Blood by Automated count", { last_date: null, latest: null }),
    test("x1", "Something unusual", { system: "urn:local" }),
  ];

  it("puts systolic and diastolic on one blood pressure card", () => {
    const cards = labCards(tests);
    const bp = cards.find((c) => c.name === "Blood pressure")!;
    expect(bp.tests.map((t) => t.code)).toEqual(["8480-6", "8462-4"]);
    expect(bp.kind).toBe("vitals");
    expect(bp.flagged).toBe(true);
    expect(cards.some((c) => c.name === "Systolic blood pressure")).toBe(false);
    // Only one half present: it stays its own card.
    const half = labCards([tests[1]!]);
    expect(half.map((c) => c.name)).toEqual(["Systolic blood pressure"]);
  });
  it("lists vital signs first, then labs by kind, each newest first and undated last", () => {
    const sections = labSections(tests);
    expect(sections.map((s) => [s.heading, s.cards.map((c) => c.name)])).toEqual([
      ["Vital signs", ["Weight", "Blood pressure"]],
      ["Blood chemistry", ["Creatinine", "Glucose"]],
      ["Blood count", ["Hemoglobin", "White blood cells"]],
      ["Other tests", ["Something unusual"]],
    ]);
  });
  it("shows only out-of-range tests when asked", () => {
    const sections = labSections(tests, { outOfRangeOnly: true });
    expect(sections.map((s) => [s.heading, s.cards.map((c) => c.name)])).toEqual([
      ["Vital signs", ["Blood pressure"]],
      ["Blood chemistry", ["Creatinine"]],
    ]);
  });
  it("searches plain names, recorded names and codes", () => {
    const names = (query: string) => labSections(tests, { query }).flatMap((s) => s.cards.map((c) => c.name));
    expect(names("leukocytes")).toEqual(["White blood cells"]);
    expect(names("white blood")).toEqual(["White blood cells"]);
    expect(names("2345-7")).toEqual(["Glucose"]);
    expect(names("diastolic")).toEqual(["Blood pressure"]);
    expect(names("BLOOD PRESSURE")).toEqual(["Blood pressure"]);
    expect(names("nothing like this")).toEqual([]);
    expect(labSections(tests, { query: "glucose", outOfRangeOnly: true })).toEqual([]);
  });
});

describe("panels", () => {
  const panel = (id: string, name: string | null) => ({ id, name });
  const LIPIDS = panel("dr-lipids-2024", "Lipid panel");
  const tests: LabTest[] = [
    // Cholesterol: three from the 2024 lipid panel, one whose latest came in another report of the same name, one in none.
    test("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", { last_date: "2024-03-01", panel: LIPIDS }),
    test("2085-9", "HDL Cholesterol", { last_date: "2024-03-01", panel: LIPIDS }),
    test("18262-6", "LDL Cholesterol", { last_date: "2023-06-01", panel: panel("dr-lipids-2023", "  Lipid panel ") }),
    test("2571-8", "Triglycerides", { last_date: "2024-05-01", panel: null }),
    // Blood chemistry: two panels and one test without a named panel.
    test("2951-2", "Sodium", { last_date: "2024-01-10", panel: panel("dr-bmp", "Basic metabolic panel") }),
    test("2823-3", "Potassium", { last_date: "2024-01-10", panel: panel("dr-bmp", "Basic metabolic panel") }),
    test("1742-6", "ALT", { last_date: "2024-02-20", panel: panel("dr-liver", "Liver panel") }),
    test("2345-7", "Glucose", { last_date: "2024-04-01", panel: panel("dr-x", null) }),
    // A panel name shared across kinds stays within each kind.
    test("718-7", "Hemoglobin", { last_date: "2024-02-20", panel: panel("dr-liver", "Liver panel") }),
  ];
  const shape = (kind: string) =>
    labSections(tests)
      .find((s) => s.kind === kind)!
      .groups.map((g) => [g.panel, g.cards.map((c) => c.name)]);

  it("gathers a kind's tests under their panel's name, the ones in no panel first", () => {
    expect(shape("chemistry")).toEqual([
      [null, ["Glucose"]],
      ["Liver panel", ["ALT"]],
      ["Basic metabolic panel", ["Potassium", "Sodium"]],
    ]);
    expect(shape("hematology")).toEqual([["Liver panel", ["Hemoglobin"]]]);
  });
  it("puts tests whose panels share a name under one heading, newest first", () => {
    expect(shape("lipids")).toEqual([
      [null, ["Triglycerides"]],
      ["Lipid panel", ["HDL cholesterol", "Total cholesterol", "LDL cholesterol"]],
    ]);
  });
  it("lists a kind with no panels as before, and keeps every card in the section's list", () => {
    const plain = labSections([
      test("29463-7", "Body weight", { last_date: "2024-01-01" }),
      test("8302-2", "Body height", { last_date: "2024-02-01" }),
    ]);
    expect(plain.map((s) => s.groups.map((g) => [g.panel, g.cards.map((c) => c.name)]))).toEqual([[[null, ["Height", "Weight"]]]]);
    for (const s of labSections(tests)) expect(s.groups.flatMap((g) => g.cards)).toHaveLength(s.cards.length);
  });
  it("orders panels by their newest result, then by name, and finds tests by their panel's name", () => {
    const card = (name: string, lastDate: string | null, panelName: string | null) => ({
      key: name,
      kind: "chemistry" as const,
      name,
      tests: [],
      lastDate,
      flagged: false,
      panel: panelName,
    });
    expect(
      labGroups([card("A", "2024-01-01", "Zinc panel"), card("B", "2024-01-01", "Acid panel"), card("C", null, "Undated")]).map((g) => g.panel),
    ).toEqual(["Acid panel", "Zinc panel", "Undated"]);
    expect(labSections(tests, { query: "metabolic" }).flatMap((s) => s.cards.map((c) => c.name))).toEqual(["Potassium", "Sodium"]);
  });
  it("names panels without the usual specimen, so the same panel from two labs is one group", () => {
    expect(trimPanelName("CBC panel - Blood by Automated count")).toBe("CBC panel");
    expect(trimPanelName("Comprehensive metabolic 2000 panel - Serum or Plasma")).toBe("Comprehensive metabolic 2000 panel");
    expect(trimPanelName("Urinalysis complete panel - Urine")).toBe("Urinalysis complete panel - Urine");
    expect(trimPanelName("  Lipid   panel ")).toBe("Lipid panel");
    const sections = labSections([
      test("2093-3", "Cholesterol", { panel: { id: "a", name: "Lipid panel - Serum or Plasma" } }),
      test("2085-9", "HDL", { panel: { id: "b", name: "Lipid panel" } }),
    ]);
    expect(sections.map((s) => s.groups.map((g) => [g.panel, g.cards.length]))).toEqual([[["Lipid panel", 2]]]);
  });
  it("gives blood pressure the panel of its readings", () => {
    const vitals = panel("dr-vitals", "Vital signs panel");
    const bp = labCards([
      test("8480-6", "Systolic blood pressure", { panel: vitals }),
      test("8462-4", "Diastolic blood pressure", { panel: vitals }),
    ]);
    expect(bp.map((c) => [c.name, c.panel])).toEqual([["Blood pressure", "Vital signs panel"]]);
  });
});
