// Grouping timeline items under date headings, and the filter categories.
import type { TimelineItem } from "../api/types";
import { formatDate } from "./format";

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
