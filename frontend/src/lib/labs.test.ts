import type { LabSeries } from "../api/types";
import { chartData, chartSummary, flagText, latest, niceBounds } from "./labs";

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

describe("axis bounds", () => {
  it("rounds outwards to a round step", () => {
    expect(niceBounds(13.1, 17.9)).toEqual([13, 18]);
    expect(niceBounds(0.07, 0.93)).toEqual([0, 1]);
    expect(niceBounds(112, 268)).toEqual([100, 300]);
    expect(niceBounds(5, 5)).toEqual([4, 6]);
  });
});
