// Condition dashboards: what the host draws (a board of cards), where the
// cards sit on a 12-column grid, and the words the cards show.
//
// The shapes are written by hand until src/api/schema.d.ts is generated with
// the dashboard routes; `board` stays hand-typed even then (the host
// describes it as a plain object).
import { escapeHtml, LINE_COLORS } from "./chartOption";
import { formatDate } from "./format";
import { typeName } from "./fhir";
import { niceBounds } from "./labs";
import { humanUnit } from "./units";

export type Choice = "auto" | "shown" | "hidden";

export interface DashboardSetting {
  key: string;
  label: string;
  value: string;
  default: string;
}

/** A dashboard and whether it applies to the profile. */
export interface DashboardEntry {
  id: string;
  name: string;
  version: string;
  /** The records suggest it ("Diabetes mellitus type 2 is on record"). */
  proposed: boolean;
  reason: string | null;
  /** Proposed and not hidden, or added by hand. */
  shown: boolean;
  choice: Choice;
  settings: DashboardSetting[];
  /** Imported from a Fasten dashboard file (and so can be removed), not installed as a plugin. */
  imported: boolean;
}

/** A part of an imported dashboard file that was left out (`dropped`) or kept with a change, and why. */
export interface Untranslated {
  /** Where it is in the file, e.g. `widgets[2].queries[0].q.where.subject`. */
  path: string;
  reason: string;
  dropped: boolean;
}

/** One recorded value. `text` is the value exactly as the record wrote it; `value` is only for drawing. */
export interface Point {
  date: string;
  value: number;
  text: string;
  /** UCUM code. */
  unit: string;
  /** `resourceType/id` of the records it comes from. */
  evidence: string[];
}

export interface Target {
  low: number | null;
  high: number | null;
  label: string;
  /** The citation the target comes from. */
  source: string;
}

export interface Series {
  name: string;
  unit: string;
  points: Point[];
}

interface CardBase {
  key: string;
  title: string;
}
export interface LineChartCard extends CardBase {
  widget: "line-chart";
  series: Series[];
  targets: Target[];
}
export type Trend = "rising" | "falling" | "steady" | "indeterminate";
export interface StatCard extends CardBase {
  widget: "stat";
  latest: Point | null;
  previous: Point | null;
  trend: Trend;
  overdue: boolean;
  note: string;
}
export interface TableCard extends CardBase {
  widget: "table";
  columns: string[];
  rows: { cells: string[]; evidence: string[] }[];
}
export type Status = "ok" | "attention" | "missing" | "indeterminate";
export interface StatusListCard extends CardBase {
  widget: "status-list";
  items: { label: string; status: Status; detail: string; evidence: string[] }[];
}
export interface TimelineStripCard extends CardBase {
  widget: "timeline-strip";
  events: { date: string; label: string; evidence: string[] }[];
}
export type Card = LineChartCard | StatCard | TableCard | StatusListCard | TimelineStripCard;

export interface Board {
  title: string;
  cards: Card[];
}

/** Where a card sits: column x (0–11), row y, w columns wide (1–12), h rows high (1–12). */
export interface CardPlace {
  key: string;
  x: number;
  y: number;
  w: number;
  h: number;
  hidden?: boolean;
}

/** `GET …/dashboards/{dashboard}`. */
export interface Drawn {
  dashboard: DashboardEntry;
  board: Board;
  layout: CardPlace[];
  /** For an imported dashboard: what of the file was left out or changed (empty for a plugin's). */
  notes: Untranslated[];
}

export const GRID_COLUMNS = 12;

// ---------------------------------------------------------------- placing cards

/**
 * Where a card goes when the person has not placed it: a stat is a third of a
 * row and two rows high, so three sit side by side or one beside a chart; a
 * chart is two thirds by four rows (beside a stat); lists and tables are half
 * a row by three.
 */
export function defaultSize(card: Pick<Card, "widget">): { w: number; h: number } {
  switch (card.widget) {
    case "stat":
      return { w: 4, h: 2 };
    case "line-chart":
      return { w: 8, h: 4 };
    default:
      return { w: 6, h: 3 };
  }
}

export interface Placed<C = Card> {
  card: C;
  place: CardPlace;
}

const overlaps = (a: Omit<CardPlace, "key">, b: Omit<CardPlace, "key">) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The first free spot for a w×h card at or after `from` in reading order (rows top to bottom, left to right). */
function firstFit(taken: CardPlace[], w: number, h: number, from: { x: number; y: number }): { x: number; y: number } {
  for (let y = from.y; ; y++) {
    for (let x = y === from.y ? from.x : 0; x + w <= GRID_COLUMNS; x++) {
      if (!taken.some((t) => overlaps(t, { x, y, w, h }))) return { x, y };
    }
  }
}

/** A saved place kept on the grid (the host checks places; this guards what the page draws). */
function onGrid(p: CardPlace): CardPlace {
  const w = Math.min(GRID_COLUMNS, Math.max(1, Math.round(p.w)));
  const h = Math.min(12, Math.max(1, Math.round(p.h)));
  const x = Math.min(GRID_COLUMNS - w, Math.max(0, Math.round(p.x)));
  return { key: p.key, x, y: Math.max(0, Math.round(p.y)), w, h };
}

/** Sort places into reading order: by row, then column. */
export const byGrid = (a: CardPlace, b: CardPlace) => a.y - b.y || a.x - b.x;

/**
 * The board's cards with their places, in reading order. Saved places come
 * first; cards without one follow below the last row, in board order, each in
 * the first free spot after the one before (so reading order is board order).
 * Cards the person hid are returned apart, with their last place.
 */
export function placeCards<C extends { key: string; widget: Card["widget"] }>(
  board: { cards: C[] },
  layout: CardPlace[],
): { shown: Placed<C>[]; hidden: Placed<C>[] } {
  const saved = new Map(layout.map((p) => [p.key, p]));
  const shown: Placed<C>[] = [];
  const hidden: Placed<C>[] = [];
  const unplaced: C[] = [];
  for (const card of board.cards) {
    const p = saved.get(card.key);
    if (!p) unplaced.push(card);
    else if (p.hidden) hidden.push({ card, place: { ...onGrid(p), hidden: true } });
    else shown.push({ card, place: onGrid(p) });
  }
  const taken = shown.map((s) => s.place);
  let from = { x: 0, y: taken.reduce((bottom, p) => Math.max(bottom, p.y + p.h), 0) };
  for (const card of unplaced) {
    const { w, h } = defaultSize(card);
    const spot = firstFit(taken, w, h, from);
    const place = { key: card.key, ...spot, w, h };
    taken.push(place);
    shown.push({ card, place });
    from = { x: spot.x + w, y: spot.y };
  }
  const order = new Map(board.cards.map((c, i) => [c.key, i]));
  shown.sort((a, b) => byGrid(a.place, b.place) || order.get(a.card.key)! - order.get(b.card.key)!);
  return { shown, hidden };
}

/** The body of `PUT …/layout`: every card, shown ones in reading order, then the hidden ones marked. */
export function layoutBody(shown: CardPlace[], hidden: CardPlace[]): CardPlace[] {
  const place = ({ key, x, y, w, h }: CardPlace) => ({ key, x, y, w, h });
  return [...[...shown].sort(byGrid).map(place), ...hidden.map((p) => ({ ...place(p), hidden: true }))];
}

// ---------------------------------------------------------------- words

/** The record page of an evidence id ("Observation/a3"); null when it is not `type/id`. */
export function evidenceLink(profile: string, ref: string): string | null {
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) return null;
  const type = ref.slice(0, slash);
  const id = ref.slice(slash + 1);
  return `/profiles/${encodeURIComponent(profile)}/records/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

/** What an evidence link says: "Prescription", "Immunization"; numbered when a fact has several of one kind. */
export function evidenceLabels(refs: string[]): string[] {
  const names = refs.map((r) => typeName(r.split("/")[0] ?? r));
  return names.map((n, i) => (names.filter((m) => m === n).length > 1 ? `${n} ${names.slice(0, i + 1).filter((m) => m === n).length}` : n));
}

/** A value exactly as recorded, with its unit as people write it: "7.0%", "128 mmHg", "74 mL/min/1.73 m²". */
export function pointText(p: Pick<Point, "text" | "unit">): string {
  const u = humanUnit(p.unit);
  if (!u) return p.text;
  // As lib/units writes it: a percentage against its number.
  return u === "%" ? `${p.text}%` : `${p.text} ${u}`;
}

/** The trend in words, naming the result it compares with: "Up from 6.90% (15 Sep 2025)". */
export function trendText(stat: Pick<StatCard, "latest" | "previous" | "trend">): string {
  const { latest, previous, trend } = stat;
  if (!latest) return "";
  if (!previous) return "No earlier result to compare with";
  const before = `${pointText(previous)} (${formatDate(previous.date)})`;
  // Different units are never compared, whatever the host says.
  if (humanUnit(latest.unit) !== humanUnit(previous.unit)) return `Can't compare: different units (before: ${before})`;
  switch (trend) {
    case "rising":
      return `Up from ${before}`;
    case "falling":
      return `Down from ${before}`;
    case "steady":
      return `Steady since ${before}`;
    default:
      return `Can't compare with ${before}`;
  }
}

/** ISO dates inside a sentence as people read them: "Next due by 2027-03-20" → "Next due by 20 Mar 2027". */
export function readableDates(text: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2})?)?\b/g, (d) => formatDate(d));
}

/** A target in words: its own label, or its ends when it has none. */
export function targetText(t: Target): string {
  if (t.label.trim()) return t.label;
  if (t.low !== null && t.high !== null) return `Target: ${t.low}–${t.high}`;
  if (t.high !== null) return `Target: below ${t.high}`;
  if (t.low !== null) return `Target: at least ${t.low}`;
  return "Target";
}

/** A citation split into plain text and web addresses, so the addresses can be links. */
export function citationParts(source: string): { text: string; url?: string }[] {
  const parts: { text: string; url?: string }[] = [];
  let last = 0;
  for (const m of source.matchAll(/https?:\/\/[^\s,;)]+/g)) {
    if (m.index > last) parts.push({ text: source.slice(last, m.index) });
    parts.push({ text: m[0], url: m[0] });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return parts;
}

/** Words for a checklist status (shown with an icon, never by colour alone). */
export const STATUS_WORDS: Record<Status, string> = {
  ok: "OK",
  attention: "Needs attention",
  missing: "Not on record",
  indeterminate: "Can't tell",
};

// ---------------------------------------------------------------- charts

/** A line chart's series grouped by unit: one chart per unit, never two units on one axis. */
export function seriesByUnit(series: Series[]): { unit: string; series: Series[] }[] {
  const groups = new Map<string, Series[]>();
  for (const s of series) {
    const key = humanUnit(s.unit) || s.unit;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((list) => ({ unit: list[0]!.unit, series: list }));
}

/**
 * The targets drawn on a chart of `unit`. With one unit on the card, all of
 * them; with several, only a target whose label names that unit (a target is
 * never drawn against an axis it may not belong to; every target is still
 * listed in words under the chart).
 */
export function targetsFor(targets: Target[], unit: string, unitsOnCard: number): Target[] {
  if (unitsOnCard <= 1) return targets;
  const u = humanUnit(unit);
  return u ? targets.filter((t) => t.label.includes(u)) : [];
}

/** A sentence describing a chart for screen readers. */
export function chartSummary(title: string, series: Series[]): string {
  const parts = series.map((s) => {
    const n = s.points.length;
    if (n === 0) return `${s.name}: no results`;
    const last = s.points[n - 1]!;
    return `${s.name}: ${n} ${n === 1 ? "result" : "results"}, latest ${pointText(last)} on ${formatDate(last.date)}`;
  });
  return `${title}. ${parts.join("; ")}.`;
}

/** Target bands' tints: green-ish, then others, so two targets on one chart can be told apart (their labels say which is which). */
const TARGET_TINTS = ["rgba(47, 133, 90, 0.14)", "rgba(183, 121, 31, 0.14)", "rgba(28, 93, 153, 0.10)"];

/**
 * The ECharts option for one unit's series: a line per series (a point's data
 * carries its record, for click-to-open), and each target as a shaded band
 * labelled with its words (a one-sided target is shaded to the chart's edge).
 */
export function dashboardChartOption(series: Series[], targets: Target[]): Record<string, unknown> {
  const values = [
    ...series.flatMap((s) => s.points.map((p) => p.value)),
    ...targets.flatMap((t) => [t.low, t.high].filter((v): v is number => v !== null)),
  ];
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const margin = (hi - lo || Math.abs(hi) || 1) * 0.15;
  let [min, max] = niceBounds(lo - margin, hi + margin);
  if (lo >= 0 && min < 0) min = 0;
  const unit = series[0]?.unit ?? "";
  const several = series.length > 1;
  // Days, never hours: results a few days apart (or one result) get a month either side.
  const DAY = 86_400_000;
  const times = series.flatMap((s) => s.points.map((p) => Date.parse(p.date))).filter(Number.isFinite);
  const first = times.length ? Math.min(...times) : 0;
  const last = times.length ? Math.max(...times) : 0;
  const pad = last - first < 60 * DAY ? 30 * DAY : (last - first) * 0.04;
  return {
    animation: false,
    legend: several ? { top: 0, data: series.map((s) => s.name) } : undefined,
    grid: { left: 48, right: 16, top: several ? 40 : 28, bottom: 32 },
    xAxis: { type: "time", min: first - pad, max: last + pad, minInterval: DAY, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min, max, name: humanUnit(unit), nameTextStyle: { align: "left" } },
    tooltip: {
      trigger: "item",
      formatter: (p: { seriesName?: string; data?: { value: [number, number]; text?: string } }) => {
        if (!p.data?.text) return "";
        const day = formatDate(new Date(p.data.value[0]).toISOString());
        // ECharts renders this as HTML: every value in it is escaped.
        return [day, `${several && p.seriesName ? `${p.seriesName}: ` : ""}${p.data.text}`].map(escapeHtml).join("<br/>");
      },
    },
    series: series.map((s, i) => {
      const colors = LINE_COLORS[i % LINE_COLORS.length]!;
      return {
        type: "line",
        name: s.name,
        z: 3,
        symbol: "circle",
        symbolSize: 8,
        lineStyle: { color: colors.line, width: 2 },
        itemStyle: { color: colors.line },
        data: [...s.points]
          .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
          .map((p) => ({ value: [Date.parse(p.date), p.value], id: p.evidence[0], text: pointText(p) })),
        // The bands hang on the first line only, so each is drawn once.
        markArea:
          i === 0 && targets.length > 0
            ? {
                silent: true,
                label: { position: "insideTopLeft", color: "#374151", fontSize: 11 },
                data: targets.map((t, j) => [
                  { yAxis: t.low ?? min, name: targetText(t), itemStyle: { color: TARGET_TINTS[j % TARGET_TINTS.length] } },
                  { yAxis: t.high ?? max },
                ]),
              }
            : undefined,
      };
    }),
  };
}
