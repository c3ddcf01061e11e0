import type { LabSeries } from "../api/types";
import { chartData, chartSummary, flagText, inWindow, latest, NO_RANGE, niceBounds, pairRows, presetWindow, rangeText } from "./labs";

const point = (over: Partial<LabSeries["points"][number]>): LabSeries["points"][number] => ({
  id: "x",
  source_id: "s",
  date: "2024-01-01T00:00:00Z",
  value: 15,
  unit: "g/dL",
  original_value: 15,
  original_unit: "g/dL",
  low: 13.5,
  high: 17.5,
  interpretation: null,
  flag: "normal",
  comparable: true,
  ...over,
});

const series = (points: LabSeries["points"]): LabSeries => ({
  system: "http://loinc.org",
  code: "718-7",
  name: "Hemoglobin",
  unit: "g/dL",
  points,
});

describe("chartData", () => {
  it("orders points by time and draws the range as a band", () => {
    const d = chartData(
      series([
        point({ id: "b", date: "2024-02-01T00:00:00Z", value: 18, flag: "high" }),
        point({ id: "a", date: "2024-01-01T00:00:00Z", value: 15 }),
      ]),
    );
    expect(d.points.map((p) => p.id)).toEqual(["a", "b"]);
    expect(d.band).toEqual([
      { time: Date.parse("2024-01-01T00:00:00Z"), low: 13.5, height: 4 },
      { time: Date.parse("2024-02-01T00:00:00Z"), low: 13.5, height: 4 },
    ]);
    expect(d.thresholds).toEqual([]);
    expect(d.min).toBeLessThan(13.5);
    expect(d.max).toBeGreaterThan(18);
  });

  it("leaves off undated and unconvertible results, and counts them", () => {
    const d = chartData(series([point({ date: null }), point({ comparable: false, id: "c" }), point({ id: "ok" })]));
    expect(d.points.map((p) => p.id)).toEqual(["ok"]);
    expect(d.omitted).toBe(2);
  });

  it("draws a one-sided range as a threshold line, not a band", () => {
    const d = chartData(series([point({ low: null, high: 200, value: 180 }), point({ low: null, high: 200, value: 240, flag: "high" })]));
    expect(d.band).toEqual([]);
    expect(d.thresholds).toEqual([{ value: 200, kind: "high" }]);
    expect(d.max).toBeGreaterThan(240);
    expect(d.min).toBeGreaterThanOrEqual(0);
  });

  it("has no band when no result has a range", () => {
    const d = chartData(series([point({ low: null, high: null, flag: null })]));
    expect(d.band).toEqual([]);
    expect(d.thresholds).toEqual([]);
  });
});

describe("summaries", () => {
  it("says how many results are outside the range, in words", () => {
    const s = series([point({ id: "a" }), point({ id: "b", date: "2024-03-05T00:00:00Z", value: 19, flag: "high" })]);
    expect(chartSummary("Hemoglobin", chartData(s))).toBe(
      "Hemoglobin: 2 results from 1 Jan 2024 to 5 Mar 2024; latest 19 g/dL; 1 outside the normal range.",
    );
    expect(latest(s)?.id).toBe("b");
    expect(flagText("low")).toBe("Low");
  });
});

describe("results without a reference range", () => {
  it("never calls results normal when the lab gave no range and no flag", () => {
    const s = series([
      point({ id: "a", low: null, high: null, flag: null }),
      point({ id: "b", date: "2024-03-05T00:00:00Z", value: 16.25, low: null, high: null, flag: null }),
    ]);
    const text = chartSummary("Hemoglobin", chartData(s));
    expect(text).toBe("Hemoglobin: 2 results from 1 Jan 2024 to 5 Mar 2024; latest 16.3 g/dL; no reference range from the lab.");
    expect(text).not.toContain("within the normal range");
  });
  it("counts a result flagged normal by the lab, even without a range, as within it", () => {
    const s = series([point({ low: null, high: null, flag: "normal" })]);
    expect(chartSummary("Hemoglobin", chartData(s))).toBe("Hemoglobin: 1 result, on 1 Jan 2024: 15 g/dL; all within the normal range.");
  });
  it("says which results could not be judged when only some have a range", () => {
    const s = series([point({ id: "a" }), point({ id: "b", date: "2024-03-05T00:00:00Z", low: null, high: null, flag: null })]);
    expect(chartSummary("Hemoglobin", chartData(s))).toMatch(/; 1 within the normal range, 1 with no reference range from the lab\.$/);
    const flagged = series([
      point({ id: "a", value: 19, flag: "high" }),
      point({ id: "b", date: "2024-03-05T00:00:00Z", low: null, high: null, flag: null }),
    ]);
    expect(chartSummary("Hemoglobin", chartData(flagged))).toMatch(/; 1 outside the normal range, 1 with no reference range from the lab\.$/);
  });
  it("writes the latest value with its unit as people do", () => {
    const s = { ...series([point({ value: 6.181808595798641, unit: "%", low: 4, high: 5.6, flag: "high" })]), unit: "%" };
    expect(chartSummary("A1c", chartData(s))).toContain(": 6.2%; 1 outside the normal range.");
  });
});

describe("range text", () => {
  it("writes both ends, one end, or that there is none", () => {
    expect(rangeText({ low: 13.5, high: 17.5, unit: "g/dL" })).toBe("13.5–17.5 g/dL");
    expect(rangeText({ low: null, high: 200 })).toBe("at most 200");
    expect(rangeText({ low: null, high: 200, unit: "mg/dL" })).toBe("at most 200 mg/dL");
    expect(rangeText({ low: 60, high: null, unit: "mL/min/{1.73_m2}" })).toBe("at least 60 mL/min/1.73 m²");
    expect(rangeText({ low: 4, high: 5.6, unit: "%" })).toBe("4–5.6%");
    expect(rangeText({ low: null, high: null, unit: "g/dL" })).toBe("No reference range from the lab");
  });
  it("takes a series' range from its latest result that has one", () => {
    const s = series([
      point({ id: "old", date: "2020-01-01T00:00:00Z", low: 12, high: 16 }),
      point({ id: "new", date: "2024-01-01T00:00:00Z", low: 13.5, high: 17.5 }),
      point({ id: "newest", date: "2025-01-01T00:00:00Z", low: null, high: null, flag: null }),
    ]);
    expect(rangeText(s)).toBe("13.5–17.5 g/dL");
    expect(rangeText(series([point({ low: null, high: null })]))).toBe(NO_RANGE);
    expect(rangeText(series([]))).toBe(NO_RANGE);
  });
});

describe("time windows", () => {
  const latestTime = Date.parse("2024-06-15T00:00:00Z");
  it("counts presets back from the latest result", () => {
    expect(presetWindow("1y", latestTime)).toEqual({ start: Date.parse("2023-06-15T00:00:00Z"), end: latestTime });
    expect(presetWindow("5y", latestTime)).toEqual({ start: Date.parse("2019-06-15T00:00:00Z"), end: latestTime });
    expect(presetWindow("all", latestTime)).toBeNull();
    expect(presetWindow("1y", undefined)).toBeNull();
  });
  it("keeps results inside the window, and undated ones only when showing everything", () => {
    const w = presetWindow("1y", latestTime);
    expect(inWindow("2024-01-01", w)).toBe(true);
    expect(inWindow("2023-06-15T00:00:00Z", w)).toBe(true);
    expect(inWindow("2022-12-31", w)).toBe(false);
    expect(inWindow(null, w)).toBe(false);
    expect(inWindow(null, null)).toBe(true);
    expect(inWindow("1975-01-01", null)).toBe(true);
  });
});

describe("paired results", () => {
  it("puts results taken at the same time on one row, newest first, and keeps the unmatched", () => {
    const sys = [
      point({ id: "s1", date: "2024-01-01T09:00:00Z", value: 120 }),
      point({ id: "s2", date: "2024-02-01T09:00:00Z", value: 135 }),
      point({ id: "s3", date: null, value: 110 }),
    ];
    const dia = [point({ id: "d1", date: "2024-01-01T09:00:00Z", value: 80 }), point({ id: "d4", date: "2024-03-01T09:00:00Z", value: 85 })];
    const rows = pairRows(sys, dia);
    expect(rows.map((r) => [r.date, r.first?.id, r.second?.id])).toEqual([
      ["2024-03-01T09:00:00Z", undefined, "d4"],
      ["2024-02-01T09:00:00Z", "s2", undefined],
      ["2024-01-01T09:00:00Z", "s1", "d1"],
      [null, "s3", undefined],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });
});

describe("axis bounds", () => {
  it("rounds outwards to a round step", () => {
    expect(niceBounds(13.1, 17.9)).toEqual([13, 18]);
    expect(niceBounds(0.07, 0.93)).toEqual([0, 1]);
    expect(niceBounds(112, 268)).toEqual([100, 300]);
    expect(niceBounds(5, 5)).toEqual([4, 6]);
  });
});
