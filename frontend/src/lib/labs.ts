// Shaping a lab series for its chart: points in time, the reference range as
// a band, and out-of-range results marked by shape and words, not colour alone.
import type { LabPoint, LabSeries } from "../api/types";
import { formatDate } from "./format";
import { roundedText, valueText } from "./units";

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
  /** The reference range the lab gave with this result (null where none). */
  low: number | null;
  high: number | null;
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
    const low = p.low ?? null;
    const high = p.high ?? null;
    points.push({ time, value: p.value, id: p.id, flag: p.flag, low, high });
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

/** Whether a result was judged at all: it has a reference range or a flag from the lab. */
export const isJudged = (p: { low?: number | null; high?: number | null; flag?: string | null }) =>
  (p.low !== null && p.low !== undefined) || (p.high !== null && p.high !== undefined) || !!p.flag;

/** A sentence describing the chart for screen readers. */
export function chartSummary(name: string, data: ChartData): string {
  if (!data.points.length) return `${name}: no results to chart.`;
  const first = data.points[0]!;
  const last = data.points[data.points.length - 1]!;
  const flagged = data.points.filter(isFlagged).length;
  const judged = data.points.filter(isJudged).length;
  const unjudged = data.points.length - judged;
  // "Within the normal range" is only said of results the lab gave a range (or a "normal" flag) for.
  let verdict: string;
  if (judged === 0) verdict = "no reference range from the lab.";
  else if (flagged) verdict = `${flagged} outside the normal range${unjudged ? `, ${unjudged} with no reference range from the lab` : ""}.`;
  else if (unjudged) verdict = `${judged} within the normal range, ${unjudged} with no reference range from the lab.`;
  else verdict = "all within the normal range.";
  const day = (t: number) => formatDate(new Date(t).toISOString());
  if (data.points.length === 1) return `${name}: 1 result, on ${day(last.time)}: ${valueText(last.value, data.unit)}; ${verdict}`;
  return `${name}: ${data.points.length} results from ${day(first.time)} to ${day(last.time)}; latest ${valueText(last.value, data.unit)}; ${verdict}`;
}

/** A range's ends, rounded for the unit: "13.5–17.5 g/dL", "at most 200", "at least 60 mL/min". */
function rangeWords(low: number | null | undefined, high: number | null | undefined, unit: string | null | undefined): string | undefined {
  const has = (n: number | null | undefined): n is number => n !== null && n !== undefined;
  if (has(low) && has(high)) {
    const text = valueText(high, unit);
    return `${roundedText(low, unit)}–${text}`;
  }
  if (has(high)) return `at most ${valueText(high, unit)}`;
  if (has(low)) return `at least ${valueText(low, unit)}`;
  return undefined;
}

export const NO_RANGE = "No reference range from the lab";

/**
 * A result's or a series' normal range in words: "13.5–17.5 g/dL", "at most 200 mg/dL", or
 * "No reference range from the lab". A series uses the range given with its latest result that has one.
 */
export function rangeText(of: { low: number | null; high: number | null; unit?: string | null } | LabSeries): string {
  if ("points" in of) {
    const ranged = of.points.filter((p) => p.comparable && (p.low !== null || p.high !== null));
    const newestFirst = [...ranged].sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
    const p = newestFirst[0];
    return (p && rangeWords(p.low, p.high, of.unit)) ?? NO_RANGE;
  }
  return rangeWords(of.low, of.high, of.unit) ?? NO_RANGE;
}

/** The span of time a chart and its table show, in epoch milliseconds; null shows everything. */
export type TimeWindow = { start: number; end: number } | null;

/** Preset spans, counted back from the latest result (so an old series is never shown empty). */
export const PRESETS = [
  { value: "1y", label: "1 year", years: 1 },
  { value: "5y", label: "5 years", years: 5 },
  { value: "all", label: "All", years: null },
] as const;
export type Preset = (typeof PRESETS)[number]["value"];

/** The window a preset shows, ending at the latest result. */
export function presetWindow(preset: Preset, latestTime: number | undefined): TimeWindow {
  const years = PRESETS.find((p) => p.value === preset)?.years ?? null;
  if (years === null || latestTime === undefined) return null;
  const start = new Date(latestTime);
  start.setUTCFullYear(start.getUTCFullYear() - years);
  return { start: start.getTime(), end: latestTime };
}

/** Whether a result's date is in the window; undated results only show with everything. */
export function inWindow(date: string | null | undefined, w: TimeWindow): boolean {
  if (!w) return true;
  const t = date ? Date.parse(date) : NaN;
  return !Number.isNaN(t) && t >= w.start && t <= w.end;
}

/** One table row of a blood pressure reading: systolic and diastolic taken at the same time. */
export interface PairRow {
  key: string;
  date: string | null;
  first?: LabPoint;
  second?: LabPoint;
}

/** Results of two series side by side, matched by their exact date, newest first. */
export function pairRows(first: LabPoint[], second: LabPoint[]): PairRow[] {
  const waiting = new Map<string, LabPoint[]>();
  for (const p of second) {
    if (!p.date) continue;
    waiting.set(p.date, [...(waiting.get(p.date) ?? []), p]);
  }
  const rows: PairRow[] = [];
  for (const p of first) {
    const match = p.date ? waiting.get(p.date)?.shift() : undefined;
    rows.push({ key: `${p.id}+${match?.id ?? ""}`, date: p.date, first: p, second: match });
  }
  const matched = new Set(rows.map((r) => r.second?.id));
  for (const p of second) if (!matched.has(p.id)) rows.push({ key: `+${p.id}`, date: p.date, second: p });
  // Newest first; undated last.
  return rows.sort((a, b) => (a.date === b.date ? 0 : !a.date ? 1 : !b.date ? -1 : a.date < b.date ? 1 : -1));
}
