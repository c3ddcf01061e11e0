import { labChartOption, symbolFor } from "./chartOption";
import type { ChartData } from "./labs";

const data: ChartData = {
  unit: "g/dL",
  points: [
    { time: 1, value: 15, id: "a", flag: "normal" },
    { time: 2, value: 19, id: "b", flag: "high" },
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

describe("lab chart option", () => {
  it("escapes what the tooltip shows: a unit from a provider cannot inject markup", () => {
    const hostile = { ...data, unit: `<img src=x onerror=alert(1)><a href='https://evil.example/'>x</a>` };
    const o = labChartOption(hostile) as {
      tooltip: { formatter: (p: { data?: { value: [number, number]; flag?: string } }) => string };
    };
    const html = o.tooltip.formatter({ data: { value: [Date.UTC(2024, 0, 2), 19], flag: "high" } });
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<a ");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&lt;a href=&#39;https://evil.example/&#39;&gt;");
    expect(html.split("<br/>")).toHaveLength(2);
  });
  it("stacks the band under the results and marks the flagged point by shape", () => {
    const o = labChartOption(data) as { series: { name: string; stack?: string; data: unknown[] }[] };
    expect(o.series.map((s) => s.name)).toEqual(["range-low", "Normal range", "Result"]);
    expect(o.series[0]!.stack).toBe("range");
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
    const o = labChartOption(data, "a") as { series: { data: { id: string; symbolSize: number }[] }[] };
    const a = o.series[2]!.data.find((d) => d.id === "a")!;
    expect(a.symbolSize).toBeGreaterThan(symbolFor("normal").size);
  });
  it("draws no band when there is none", () => {
    const o = labChartOption({ ...data, band: [], thresholds: [{ value: 18, kind: "high" }] }) as {
      series: { name: string; markLine?: { data: unknown[] } }[];
    };
    expect(o.series.map((s) => s.name)).toEqual(["Result"]);
    expect(o.series[0]!.markLine?.data).toEqual([{ yAxis: 18, name: "Upper limit" }]);
  });
});
