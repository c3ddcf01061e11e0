import { COLORS, LINE_COLORS, labChartOption, symbolFor } from "./chartOption";
import type { ChartData } from "./labs";

const data: ChartData = {
  unit: "g/dL",
  points: [
    { time: 1, value: 15, id: "a", flag: "normal", low: 13.5, high: 17.5 },
    { time: 2, value: 19, id: "b", flag: "high", low: 13.5, high: 17.5 },
  ],
  band: [
    { time: 1, low: 13.5, height: 4 },
    { time: 2, low: 13.5, height: 4 },
  ],
  thresholds: [],
  omitted: 0,
  min: 12,
  max: 20,
};

type Tooltip = {
  tooltip: {
    formatter: (p: { seriesName?: string; data?: { value: [number, number]; flag?: string; low?: number | null; high?: number | null } }) => string;
  };
};
type Series = { series: { name: string; stack?: string; data: unknown[]; markLine?: { data: unknown[] } }[] };

describe("lab chart option", () => {
  it("escapes what the tooltip shows: a unit from a provider cannot inject markup", () => {
    const hostile = { ...data, unit: `<img src=x onerror=alert(1)><a href='https://evil.example/'>x</a>` };
    const o = labChartOption([{ name: "Hemoglobin", data: hostile }]) as Tooltip;
    const html = o.tooltip.formatter({ seriesName: "Hemoglobin", data: { value: [Date.UTC(2024, 0, 2), 19], flag: "high" } });
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<a ");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&lt;a href=&#39;https://evil.example/&#39;&gt;");
    expect(html.split("<br/>")).toHaveLength(2);
  });
  it("writes the tooltip's value with its unit as people do, its flag and its range in words", () => {
    const o = labChartOption([{ name: "Temperature", data: { ...data, unit: "Cel" } }]) as Tooltip;
    const html = o.tooltip.formatter({
      seriesName: "Temperature",
      data: { value: [Date.UTC(2024, 0, 2), 39.2345], flag: "high", low: 36.1, high: 37.2 },
    });
    expect(html).toBe("2 Jan 2024<br/>39.2 °C (High)<br/>Normal range 36.1–37.2 °C");
  });
  it("stacks the band under the results and marks the flagged point by shape", () => {
    const o = labChartOption([{ name: "Hemoglobin", data }]) as Series;
    expect(o.series.map((s) => s.name)).toEqual(["range-low", "Normal range", "Hemoglobin"]);
    expect(o.series[0]!.stack).toBe("range-0");
    expect(o.series[1]!.stack).toBe("range-0");
    expect(o.series[1]!.data).toEqual([
      [1, 4],
      [2, 4],
    ]);
    const results = o.series[2]!.data as { id: string; symbol: string }[];
    expect(results.map((r) => [r.id, r.symbol])).toEqual([
      ["a", "circle"],
      ["b", "triangle"],
    ]);
  });
  it("points low results down and enlarges the highlighted one", () => {
    expect(symbolFor("low").rotate).toBe(180);
    const o = labChartOption([{ name: "Hemoglobin", data }], { highlight: "a" }) as { series: { data: { id: string; symbolSize: number }[] }[] };
    const a = o.series[2]!.data.find((d) => d.id === "a")!;
    expect(a.symbolSize).toBeGreaterThan(symbolFor("normal").size);
  });
  it("draws no band when there is none", () => {
    const o = labChartOption([{ name: "Cholesterol", data: { ...data, band: [], thresholds: [{ value: 18, kind: "high" }] } }]) as Series;
    expect(o.series.map((s) => s.name)).toEqual(["Cholesterol"]);
    expect(o.series[0]!.markLine?.data).toEqual([{ yAxis: 18, name: "Upper limit" }]);
  });
  it("draws two tests on one chart, each with its own band, thresholds, colour and legend entry", () => {
    const diastolic: ChartData = {
      ...data,
      unit: "mm[Hg]",
      points: [{ time: 1, value: 95, id: "d", flag: "high", low: null, high: 80 }],
      band: [],
      thresholds: [{ value: 80, kind: "high" }],
      min: 60,
      max: 100,
    };
    const systolic: ChartData = { ...data, unit: "mm[Hg]", min: 80, max: 160 };
    const o = labChartOption([
      { name: "Systolic", data: systolic },
      { name: "Diastolic", data: diastolic },
    ]) as Series &
      Tooltip & { legend: { data: string[] }; yAxis: { min: number; max: number; name: string } } & {
        series: { lineStyle?: { color: string }; data: { itemStyle: { color: string } }[] }[];
      };
    expect(o.series.map((s) => s.name)).toEqual(["Systolic range-low", "Systolic normal range", "Systolic", "Diastolic"]);
    expect(o.legend.data).toEqual(["Systolic", "Diastolic"]);
    expect(o.series[3]!.markLine?.data).toEqual([{ yAxis: 80, name: "Diastolic upper limit" }]);
    expect(o.series[2]!.lineStyle?.color).toBe(LINE_COLORS[0]!.line);
    expect(o.series[3]!.lineStyle?.color).toBe(LINE_COLORS[1]!.line);
    // A normal result takes its line's colour; a flagged one is red whichever line it is on.
    expect(o.series[2]!.data[0]!.itemStyle.color).toBe(LINE_COLORS[0]!.line);
    expect(o.series[3]!.data[0]!.itemStyle.color).toBe(COLORS.flagged);
    expect(o.yAxis).toMatchObject({ min: 60, max: 160, name: "mmHg" });
    const html = o.tooltip.formatter({ seriesName: "Diastolic", data: { value: [Date.UTC(2024, 0, 2), 95], flag: "high", low: null, high: 80 } });
    expect(html).toBe("2 Jan 2024<br/>Diastolic: 95 mmHg (High)<br/>Normal range at most 80 mmHg");
  });
  it("shows one line without a legend", () => {
    const o = labChartOption([{ name: "Hemoglobin", data }]) as { legend?: unknown };
    expect(o.legend).toBeUndefined();
  });
  it("zooms inside the chart and with a slider, starting at the window given", () => {
    type Zoom = { dataZoom: { type: string; filterMode: string; startValue?: number; endValue?: number; start?: number; end?: number }[] };
    const all = labChartOption([{ name: "Hemoglobin", data }]) as Zoom;
    expect(all.dataZoom.map((z) => z.type)).toEqual(["inside", "slider"]);
    expect(all.dataZoom.every((z) => z.start === 0 && z.end === 100 && z.filterMode === "none")).toBe(true);
    const zoomed = labChartOption([{ name: "Hemoglobin", data }], { window: { start: 10, end: 20 } }) as Zoom;
    expect(zoomed.dataZoom.every((z) => z.startValue === 10 && z.endValue === 20)).toBe(true);
    // One day of results has no time to move through: no slider.
    const one = labChartOption([{ name: "Hemoglobin", data: { ...data, points: data.points.slice(0, 1) } }]) as Zoom;
    expect(one.dataZoom.map((z) => z.type)).toEqual(["inside"]);
  });
});
