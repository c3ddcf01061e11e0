// Grouping timeline items under date headings, and the filter categories.
import type { TimelineItem } from "../api/types";
import { formatDate } from "./format";
import { DIASTOLIC, SYSTOLIC } from "./labgroups";
import { pressureText, valueText } from "./units";

/** The categories people filter by, each a set of FHIR types (Apple Health's grouping). */
export const CATEGORIES: { value: string; label: string; types: string[] }[] = [
  { value: "conditions", label: "Conditions", types: ["Condition"] },
  { value: "results", label: "Results and vitals", types: ["Observation", "DiagnosticReport"] },
  { value: "medications", label: "Medications", types: ["MedicationRequest", "MedicationStatement"] },
  { value: "allergies", label: "Allergies", types: ["AllergyIntolerance"] },
  { value: "immunizations", label: "Immunizations", types: ["Immunization"] },
  { value: "procedures", label: "Procedures", types: ["Procedure"] },
  { value: "visits", label: "Visits", types: ["Encounter"] },
  { value: "documents", label: "Documents", types: ["DocumentReference"] },
];

/** The FHIR types for chosen categories (empty: all). */
export function typesFor(categories: string[]): string[] {
  return CATEGORIES.filter((c) => categories.includes(c.value)).flatMap((c) => c.types);
}

/** Items under one date heading. */
export interface DayGroup {
  key: string;
  label: string;
  items: TimelineItem[];
}

/** The local calendar day of an item, or "undated". */
function dayKey(date: string | null | undefined): string {
  if (!date) return "undated";
  if (/^\d{4}(-\d{2}(-\d{2})?)?$/.test(date)) return date;
  const t = new Date(date);
  if (Number.isNaN(t.getTime())) return "undated";
  return `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, "0")}-${String(t.getDate()).padStart(2, "0")}`;
}

/** Consecutive items grouped by day, in the order given (newest first). */
export function groupByDay(items: TimelineItem[]): DayGroup[] {
  const groups: DayGroup[] = [];
  for (const item of items) {
    const key = dayKey(item.date);
    const last = groups[groups.length - 1];
    if (last && last.key === key) last.items.push(item);
    else groups.push({ key, label: key === "undated" ? "No date" : formatDate(key), items: [item] });
  }
  return groups;
}

type ResultValue = NonNullable<TimelineItem["values"]>[number];

/** A record's numbers as a clinician writes them: "120/80 mmHg", "39.2 °C", "Hemoglobin 14.1 g/dL, …". */
export function resultText(values: ResultValue[] | undefined): string {
  if (!values?.length) return "";
  const sys = values.find((v) => v.code === SYSTOLIC);
  const dia = values.find((v) => v.code === DIASTOLIC);
  const rest = values.filter((v) => v !== sys && v !== dia);
  const parts: string[] = [];
  if (sys && dia) parts.push(pressureText(sys, dia));
  else rest.unshift(...[sys, dia].filter((v): v is ResultValue => !!v));
  // One value needs no name (the record's title names it); several do.
  const named = parts.length + rest.length > 1;
  for (const v of rest) parts.push(named && v.name ? `${v.name} ${valueText(v.value, v.unit)}` : valueText(v.value, v.unit));
  return parts.join(", ");
}

/** The out-of-range flag among a record's values, if any. */
export function resultFlag(values: ResultValue[] | undefined): string | null {
  return values?.find((v) => v.flag === "high" || v.flag === "low" || v.flag === "abnormal")?.flag ?? null;
}

/** One row of the timeline as drawn: a day heading, a visit with its records, or a record on its own. */
export type TimelineRow =
  | { kind: "day"; key: string; label: string }
  | { kind: "visit"; key: string; visit: TimelineItem; items: TimelineItem[] }
  | { kind: "item"; key: string; item: TimelineItem };

const itemKey = (i: TimelineItem) => `${i.source_id}/${i.resource_type}/${i.id}`;

/**
 * Rows for the list: items under day headings, and within a day the records
 * of a visit gathered under that visit (when the visit itself is on that day).
 */
export function timelineRows(items: TimelineItem[]): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const g of groupByDay(items)) {
    rows.push({ kind: "day", key: `day:${g.key}:${itemKey(g.items[0]!)}`, label: g.label });
    const visits = new Map<string, Extract<TimelineRow, { kind: "visit" }>>();
    for (const i of g.items) {
      if (i.resource_type === "Encounter") visits.set(`${i.source_id}/${i.id}`, { kind: "visit", key: `visit:${itemKey(i)}`, visit: i, items: [] });
    }
    const placed = new Set<Extract<TimelineRow, { kind: "visit" }>>();
    for (const i of g.items) {
      const own = i.resource_type === "Encounter" ? visits.get(`${i.source_id}/${i.id}`) : undefined;
      const parent = i.encounter ? visits.get(`${i.source_id}/${i.encounter}`) : undefined;
      if (own) {
        if (!placed.has(own)) {
          placed.add(own);
          rows.push(own);
        }
      } else if (parent) {
        parent.items.push(i);
        // A visit is listed where its first record (or itself) comes, newest first.
        if (!placed.has(parent)) {
          placed.add(parent);
          rows.push(parent);
        }
      } else rows.push({ kind: "item", key: `item:${itemKey(i)}`, item: i });
    }
  }
  return rows;
}
