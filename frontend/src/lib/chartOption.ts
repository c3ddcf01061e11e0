// The ECharts option for one lab test: the reference band, the results, and
// out-of-range results drawn as triangles (shape as well as colour).
import type { ChartData } from "./labs";
import { flagText } from "./labs";
import { formatDate, formatNumber } from "./format";

export const COLORS = { line: "#1c5d99", flagged: "#b42318", band: "rgba(47, 133, 90, 0.16)", threshold: "#6b7280" };

/** Symbol for a result: triangles for high (pointing up) and low (down). */
export function symbolFor(flag: string | null | undefined): { symbol: string; rotate: number; size: number; color: string } {
  if (flag === "high") return { symbol: "triangle", rotate: 0, size: 13, color: COLORS.flagged };
  if (flag === "low") return { symbol: "triangle", rotate: 180, size: 13, color: COLORS.flagged };
  if (flag === "abnormal") return { symbol: "diamond", rotate: 0, size: 12, color: COLORS.flagged };
  return { symbol: "circle", rotate: 0, size: 7, color: COLORS.line };
}

/** Build the option object (plain data; ECharts draws it). */
export function labChartOption(data: ChartData, highlight?: string): Record<string, unknown> {
  const unit = data.unit;
  const series: Record<string, unknown>[] = [];
  if (data.band.length > 0) {
    const base = { type: "line", stack: "range", symbol: "none", silent: true, step: "middle", lineStyle: { opacity: 0 }, tooltip: { show: false } };
    series.push({ ...base, name: "range-low", data: data.band.map((b) => [b.time, b.low]) });
    series.push({ ...base, name: "Normal range", data: data.band.map((b) => [b.time, b.height]), areaStyle: { color: COLORS.band } });
  }
  series.push({
    type: "line",
    name: "Result",
    z: 3,
    lineStyle: { color: COLORS.line, width: 2 },
    itemStyle: { color: COLORS.line },
    data: data.points.map((p) => {
      const s = symbolFor(p.flag);
      const emphasis = p.id === highlight;
      return {
        value: [p.time, p.value],
        id: p.id,
        flag: p.flag,
        symbol: s.symbol,
        symbolRotate: s.rotate,
        symbolSize: emphasis ? s.size + 6 : s.size,
        itemStyle: { color: s.color, borderColor: emphasis ? "#111" : s.color, borderWidth: emphasis ? 2 : 0 },
      };
    }),
    markLine:
      data.thresholds.length > 0
        ? {
            silent: true,
            symbol: "none",
            lineStyle: { color: COLORS.threshold, type: "dashed" },
            label: { formatter: (p: { value: number }) => `${formatNumber(p.value)}` },
            data: data.thresholds.map((t) => ({ yAxis: t.value, name: t.kind === "high" ? "Upper limit" : "Lower limit" })),
          }
        : undefined,
  });
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 28, bottom: 32 },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: data.min, max: data.max, name: unit, nameTextStyle: { align: "left" }, scale: true },
    tooltip: {
      trigger: "item",
      formatter: (p: { data?: { value: [number, number]; flag?: string } }) => {
        if (!p.data) return "";
        const [t, v] = p.data.value;
        const flag = flagText(p.data.flag);
        // ECharts renders this string as HTML: every value in it is escaped (a unit comes from a provider's data).
        const text = `${formatNumber(v)}${unit ? ` ${unit}` : ""}${flag && flag !== "Normal" ? ` (${flag})` : ""}`;
        return `${escapeHtml(formatDate(new Date(t).toISOString()))}<br/>${escapeHtml(text)}`;
      },
    },
    series,
  };
}

/** Text made safe to place inside HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}
