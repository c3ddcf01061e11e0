import { decimalsFor, humanUnit, roundedText, valueText } from "./units";

describe("humanUnit", () => {
  it("writes special UCUM units the way people do", () => {
    expect(humanUnit("Cel")).toBe("°C");
    expect(humanUnit("[degF]")).toBe("°F");
    expect(humanUnit("mm[Hg]")).toBe("mmHg");
    expect(humanUnit("[pH]")).toBe("pH");
    expect(humanUnit("%")).toBe("%");
  });
  it("writes customary units by their short names", () => {
    expect(humanUnit("[lb_av]")).toBe("lb");
    expect(humanUnit("[in_i]")).toBe("in");
    expect(humanUnit("[oz_av]")).toBe("oz");
    expect(humanUnit("[iU]")).toBe("IU");
    expect(humanUnit("m[IU]/L")).toBe("mIU/L");
    expect(humanUnit("{RBC}/[HPF]")).toBe("RBC/HPF");
  });
  it("raises exponents and powers of ten", () => {
    expect(humanUnit("kg/m2")).toBe("kg/m²");
    expect(humanUnit("10*3/uL")).toBe("×10³/µL");
    expect(humanUnit("10*6/uL")).toBe("×10⁶/µL");
    expect(humanUnit("10*9/L")).toBe("×10⁹/L");
    expect(humanUnit("10*12/L")).toBe("×10¹²/L");
  });
  it("writes the micro prefix as µ", () => {
    expect(humanUnit("ug")).toBe("µg");
    expect(humanUnit("umol/L")).toBe("µmol/L");
    expect(humanUnit("uL")).toBe("µL");
    expect(humanUnit("ug/dL")).toBe("µg/dL");
    expect(humanUnit("uU/mL")).toBe("µU/mL");
    expect(humanUnit("u[IU]/mL")).toBe("µIU/mL");
  });
  it("turns annotations into plain words, and a bare annotation or unity into nothing", () => {
    expect(humanUnit("{beats}/min")).toBe("beats/min");
    expect(humanUnit("{breaths}/min")).toBe("breaths/min");
    expect(humanUnit("mL/min/{1.73_m2}")).toBe("mL/min/1.73 m²");
    expect(humanUnit("mg/g{creat}")).toBe("mg/g creatinine");
    expect(humanUnit("{score}")).toBe("");
    expect(humanUnit("1")).toBe("");
    expect(humanUnit("/min")).toBe("/min");
  });
  it("leaves units that are already readable, free text and nothing as they are", () => {
    expect(humanUnit("mg/dL")).toBe("mg/dL");
    expect(humanUnit("mmol/L")).toBe("mmol/L");
    expect(humanUnit("bpm")).toBe("bpm");
    expect(humanUnit("beats/minute")).toBe("beats/minute");
    expect(humanUnit("units")).toBe("units");
    expect(humanUnit("beats per minute")).toBe("beats per minute");
    const markup = `<img src=x onerror=alert(1)>`;
    expect(humanUnit(markup)).toBe(markup);
    expect(humanUnit(null)).toBe("");
    expect(humanUnit(undefined)).toBe("");
    expect(humanUnit("  ")).toBe("");
  });
});

describe("roundedText", () => {
  it("shows percentages and temperatures with one decimal", () => {
    expect(roundedText(6.181808595798641, "%")).toBe("6.2");
    expect(roundedText(39.24, "Cel")).toBe("39.2");
    expect(roundedText(101.26, "[degF]")).toBe("101.3");
    expect(roundedText(37.06, "°C")).toBe("37.1");
  });
  it("shows blood pressure and rates as whole numbers", () => {
    expect(roundedText(120.4, "mm[Hg]")).toBe("120");
    expect(roundedText(79.6, "mmHg")).toBe("80");
    expect(roundedText(72.5, "/min")).toBe("73");
    expect(roundedText(16.2, "{breaths}/min")).toBe("16");
    expect(roundedText(64.7, "{beats}/min")).toBe("65");
  });
  it("shows body measures with one decimal", () => {
    expect(roundedText(70.1234, "kg")).toBe("70.1");
    expect(roundedText(175.55, "cm")).toBe("175.6");
    expect(roundedText(154.32, "[lb_av]")).toBe("154.3");
    expect(roundedText(68.94, "[in_i]")).toBe("68.9");
    expect(roundedText(24.3456, "kg/m2")).toBe("24.3");
    expect(roundedText(3456.78, "g")).toBe("3,456.8");
  });
  it("keeps three significant figures for other units, without losing integer digits", () => {
    expect(roundedText(6.181808595798641)).toBe("6.18");
    expect(roundedText(6.181808595798641, "mmol/L")).toBe("6.18");
    expect(roundedText(0.012345, "mg/dL")).toBe("0.0123");
    expect(roundedText(1234.56, "U/L")).toBe("1,235");
    expect(roundedText(98.76, "mg/dL")).toBe("98.8");
    expect(roundedText(12.5, "g")).toBe("12.5");
    expect(roundedText(0.30000000000000004)).toBe("0.3");
  });
  it("never shows more than four decimals, nor a non-zero value as 0", () => {
    expect(decimalsFor(0.00012345, "mg/L")).toBe(4);
    expect(roundedText(0.00012345, "mg/L")).toBe("0.0001");
    expect(roundedText(0.00002, "mg/L")).toBe("0.00002");
    expect(roundedText(0.04, "%")).toBe("0.04");
    expect(roundedText(-0.001, "Cel")).toBe("-0.001");
  });
  it("never adds digits the value did not have", () => {
    expect(roundedText(39.2, "Cel")).toBe("39.2");
    expect(roundedText(70, "kg")).toBe("70");
    expect(roundedText(6, "%")).toBe("6");
    expect(roundedText(5, "mmol/L")).toBe("5");
    expect(roundedText(0.5, "mg/dL")).toBe("0.5");
  });
  it("handles zero and negative numbers", () => {
    expect(roundedText(0, "mg/dL")).toBe("0");
    expect(roundedText(-0, "kg")).toBe("0");
    expect(roundedText(-2.3456, "mmol/L")).toBe("-2.35");
    expect(roundedText(-1.25, "Cel")).toBe("-1.3");
    expect(roundedText(Number.NaN)).toBe("NaN");
  });
  it("shows every recorded digit when asked for the exact value", () => {
    expect(roundedText(6.181808595798641, "%", { exact: true })).toBe("6.181808595798641");
    expect(roundedText(1234.5, "U/L", { exact: true })).toBe("1,234.5");
  });
});

describe("valueText", () => {
  it("writes a value with its unit as people do", () => {
    expect(valueText(39.2, "Cel")).toBe("39.2 °C");
    expect(valueText(120, "mm[Hg]")).toBe("120 mmHg");
    expect(valueText(70, "kg")).toBe("70 kg");
    expect(valueText(7.2, "10*3/uL")).toBe("7.2 ×10³/µL");
    expect(valueText(92.345, "mL/min/{1.73_m2}")).toBe("92.3 mL/min/1.73 m²");
  });
  it("puts a percentage against its number", () => {
    expect(valueText(6.181808595798641, "%")).toBe("6.2%");
  });
  it("shows only the number when there is no unit to show", () => {
    expect(valueText(3, "{score}")).toBe("3");
    expect(valueText(1.02, "1")).toBe("1.02");
    expect(valueText(4.5, null)).toBe("4.5");
  });
  it("can show the exact recorded value", () => {
    expect(valueText(6.181808595798641, "%", { exact: true })).toBe("6.181808595798641%");
  });
});
