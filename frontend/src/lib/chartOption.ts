// The ECharts option for a lab test (or two drawn together, such as systolic
// and diastolic blood pressure): each one's reference band, its results, and
// out-of-range results drawn as triangles (shape as well as colour). Zooming
// (wheel, pinch or the slider under the axis) moves through decades of results.
import type { ChartData, TimeWindow } from "./labs";
import { flagText, rangeText } from "./labs";
import { formatDate } from "./format";
import { humanUnit, roundedText, valueText } from "./units";

export const COLORS = { line: "#1c5d99", flagged: "#b42318", band: "rgba(47, 133, 90, 0.16)", threshold: "#6b7280" };
/** Each line's colour and, when several are drawn, its band's tint. */
export const LINE_COLORS = [
  { line: COLORS.line, band: "rgba(28, 93, 153, 0.12)" },
  { line: "#7a3e9d", band: "rgba(122, 62, 157, 0.12)" },
];

/** One test on the chart. */
export interface ChartLine {
  /** Its name in the legend and tooltip ("Systolic"). */
  name: string;
  data: ChartData;
}

/** What else the chart shows. */
export interface ChartOptions {
  /** A result drawn larger, with an outline. */
  highlight?: string;
  /** The span of time shown at first; everything when null or absent. */
  window?: TimeWindow;
}

/** Symbol for a result: triangles for high (pointing up) and low (down). */
export function symbolFor(
  flag: string | null | undefined,
  color: string = COLORS.line,
): { symbol: string; rotate: number; size: number; color: string } {
  if (flag === "high") return { symbol: "triangle", rotate: 0, size: 13, color: COLORS.flagged };
  if (flag === "low") return { symbol: "triangle", rotate: 180, size: 13, color: COLORS.flagged };
  if (flag === "abnormal") return { symbol: "diamond", rotate: 0, size: 12, color: COLORS.flagged };
  return { symbol: "circle", rotate: 0, size: 7, color };
}

/** The tooltip's data for one result. */
interface PointDatum {
  value: [number, number];
  flag?: string | null;
  low?: number | null;
  high?: number | null;
}

/** Build the option object (plain data; ECharts draws it). */
export function labChartOption(lines: ChartLine[], opts: ChartOptions = {}): Record<string, unknown> {
  const several = lines.length > 1;
  const series: Record<string, unknown>[] = [];
  lines.forEach(({ name, data }, i) => {
    const colors = LINE_COLORS[i % LINE_COLORS.length]!;
    if (data.band.length > 0) {
      // Two stacked lines: an invisible lower edge, and the band's height filled above it.
      const base = {
        type: "line",
        stack: `range-${i}`,
        symbol: "none",
        silent: true,
        step: "middle",
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
      };
      series.push({ ...base, name: several ? `${name} range-low` : "range-low", data: data.band.map((b) => [b.time, b.low]) });
      series.push({
        ...base,
        name: several ? `${name} normal range` : "Normal range",
        data: data.band.map((b) => [b.time, b.height]),
        areaStyle: { color: several ? colors.band : COLORS.band },
      });
    }
    series.push({
      type: "line",
      name,
      z: 3,
      lineStyle: { color: colors.line, width: 2 },
      itemStyle: { color: colors.line },
      data: data.points.map((p) => {
        const s = symbolFor(p.flag, colors.line);
        const emphasis = p.id === opts.highlight;
        return {
          value: [p.time, p.value],
          id: p.id,
          flag: p.flag,
          low: p.low,
          high: p.high,
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
              lineStyle: { color: several ? colors.line : COLORS.threshold, type: "dashed" },
              label: { formatter: (p: { value: number }) => roundedText(p.value, data.unit) },
              data: data.thresholds.map((t) => {
                const limit = t.kind === "high" ? "upper limit" : "lower limit";
                return { yAxis: t.value, name: several ? `${name} ${limit}` : limit.charAt(0).toUpperCase() + limit.slice(1) };
              }),
            }
          : undefined,
    });
  });
  const units = new Map(lines.map((l) => [l.name, l.data.unit]));
  const min = Math.min(...lines.map((l) => l.data.min));
  const max = Math.max(...lines.map((l) => l.data.max));
  const window = opts.window ? { startValue: opts.window.start, endValue: opts.window.end } : { start: 0, end: 100 };
  // A slider only where there is time to move through: results on more than one day.
  const slider = new Set(lines.flatMap((l) => l.data.points.map((p) => p.time))).size > 1;
  return {
    animation: false,
    // Only several lines need telling apart; one line's name is the page's title.
    legend: several ? { top: 0, data: lines.map((l) => l.name) } : undefined,
    grid: { left: 48, right: 16, top: several ? 40 : 28, bottom: slider ? 72 : 32 },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: {
      type: "value",
      min: Number.isFinite(min) ? min : 0,
      max: Number.isFinite(max) ? max : 1,
      name: humanUnit(lines[0]?.data.unit),
      nameTextStyle: { align: "left" },
      scale: true,
    },
    // Lines run on past the window's edges ("none"), so a zoomed-in chart still shows where they go.
    dataZoom: [
      { type: "inside", xAxisIndex: 0, filterMode: "none", ...window },
      ...(slider
        ? [
            {
              type: "slider",
              xAxisIndex: 0,
              filterMode: "none",
              height: 22,
              bottom: 8,
              labelFormatter: (t: number) => formatDate(new Date(t).toISOString()),
              ...window,
            },
          ]
        : []),
    ],
    tooltip: {
      trigger: "item",
      formatter: (p: { seriesName?: string; data?: PointDatum }) => {
        if (!p.data) return "";
        const [t, v] = p.data.value;
        const unit = units.get(p.seriesName ?? "") ?? lines[0]?.data.unit ?? "";
        const flag = flagText(p.data.flag);
        const text = `${several && p.seriesName ? `${p.seriesName}: ` : ""}${valueText(v, unit)}${flag && flag !== "Normal" ? ` (${flag})` : ""}`;
        const range =
          p.data.low != null || p.data.high != null ? `Normal range ${rangeText({ low: p.data.low ?? null, high: p.data.high ?? null, unit })}` : "";
        // ECharts renders this string as HTML: every value in it is escaped (a unit comes from a provider's data).
        return [formatDate(new Date(t).toISOString()), text, range].filter(Boolean).map(escapeHtml).join("<br/>");
      },
    },
    series,
  };
}

/** Text made safe to place inside HTML (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}
