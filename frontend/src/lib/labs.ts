// Shaping a lab series for its chart: points in time, the reference range as
// a band, and out-of-range results marked by shape and words, not colour alone.
import type { LabPoint, LabSeries } from "../api/types";
import { formatDate, formatNumber } from "./format";

/** A flag in words, for tables, tooltips and screen readers. */
export function flagText(flag: string | null | undefined): string {
  switch (flag) {
    case "high":
      return "High";
    case "low":
      return "Low";
    case "abnormal":
      return "Abnormal";
    case "normal":
      return "Normal";
    default:
      return "";
  }
}

/** Whether a point is out of range. */
export const isFlagged = (p: { flag?: string | null }) => p.flag === "high" || p.flag === "low" || p.flag === "abnormal";

/** One charted result. */
export interface ChartPoint {
  time: number;
  value: number;
  id: string;
  flag: string | null | undefined;
}

/** What the chart draws. */
export interface ChartData {
  unit: string;
  points: ChartPoint[];
  /** Reference band per result time: lower edge and band height (both null where unknown). */
  band: { time: number; low: number | null; height: number | null }[];
  /** A one-sided range drawn as a line (e.g. "at most 200"). */
  thresholds: { value: number; kind: "low" | "high" }[];
  /** Results left off the chart: no date, or a unit that cannot be converted. */
  omitted: number;
  /** Axis bounds with a margin, covering results and ranges. */
  min: number;
  max: number;
}

/** Turn a series into chart data. */
export function chartData(series: LabSeries): ChartData {
  const points: ChartPoint[] = [];
  const band: ChartData["band"] = [];
  const highs = new Set<number>();
  const lows = new Set<number>();
  let omitted = 0;
  let bothSided = false;
  for (const p of series.points) {
    const time = p.date ? Date.parse(p.date) : NaN;
    if (!p.comparable || Number.isNaN(time)) {
      omitted += 1;
      continue;
    }
    points.push({ time, value: p.value, id: p.id, flag: p.flag });
    const low = p.low ?? null;
    const high = p.high ?? null;
    if (low !== null && high !== null) {
      bothSided = true;
      band.push({ time, low, height: high - low });
    } else {
      band.push({ time, low: null, height: null });
      if (high !== null) highs.add(high);
      if (low !== null) lows.add(low);
    }
  }
  points.sort((a, b) => a.time - b.time);
  band.sort((a, b) => a.time - b.time);
  const thresholds: ChartData["thresholds"] = [
    ...[...highs].map((value) => ({ value, kind: "high" as const })),
    ...[...lows].map((value) => ({ value, kind: "low" as const })),
  ];
  const values = [
    ...points.map((p) => p.value),
    ...band.flatMap((b) => (b.low !== null && b.height !== null ? [b.low, b.low + b.height] : [])),
    ...thresholds.map((t) => t.value),
  ];
  let min = values.length ? Math.min(...values) : 0;
  let max = values.length ? Math.max(...values) : 1;
  const margin = (max - min || Math.abs(max) || 1) * 0.1;
  [min, max] = niceBounds(min - margin, max + margin);
  if (Math.min(...points.map((p) => p.value), Infinity) >= 0 && min < 0) min = 0;
  return {
    unit: series.unit ?? "",
    points,
    band: bothSided ? band : [],
    thresholds,
    omitted,
    min,
    max,
  };
}

/** Widen [lo, hi] to multiples of a round step (1, 2 or 5 × 10^n, about five steps). */
export function niceBounds(lo: number, hi: number): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const round = (n: number) => Number(n.toPrecision(12));
  const [a, b] = [round(Math.floor(lo / step) * step), round(Math.ceil(hi / step) * step)];
  return a === b ? [round(a - step), round(b + step)] : [a, b];
}

/** The latest result with a date, if any. */
export function latest(series: LabSeries): LabPoint | undefined {
  let best: LabPoint | undefined;
  for (const p of series.points) {
    if (p.date && (!best?.date || p.date > best.date)) best = p;
  }
  return best;
}

/** A sentence describing the chart for screen readers. */
export function chartSummary(name: string, data: ChartData): string {
  if (!data.points.length) return `${name}: no results to chart.`;
  const first = data.points[0]!;
  const last = data.points[data.points.length - 1]!;
  const flagged = data.points.filter(isFlagged).length;
  const unit = data.unit ? ` ${data.unit}` : "";
  return (
    `${name}: ${data.points.length} results from ${formatDate(new Date(first.time).toISOString())} to ` +
    `${formatDate(new Date(last.time).toISOString())}; latest ${formatNumber(last.value)}${unit}` +
    (flagged ? `; ${flagged} outside the normal range.` : "; all within the normal range.")
  );
}
