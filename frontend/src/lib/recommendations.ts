// What the rules plugins say is due, in words. The host describes a
// recommendation and a dose evaluation as plain objects, so their shapes are
// typed here; the groups around them come from the OpenAPI description.
import type { Get } from "../api/types";
import { formatDate } from "./format";
import { formFor } from "./manual";

/** Where a recommendation stands. */
export type RecommendationStatus = "overdue" | "due" | "upcoming" | "contraindicated" | "complete" | "not-recommended" | "aged-out";

/** Where a vaccine series stands (CDC's terms). */
export type SeriesStatus = "not-complete" | "complete" | "immune" | "contraindicated" | "aged-out" | "not-recommended";

/** The forecast behind an immunization recommendation. */
export interface ImmunizationForecast {
  series_status: SeriesStatus;
  /** "HepB", "DTaP/Tdap/Td" */
  vaccine_group: string;
  /** The vaccine group's CVX code, when it has one. */
  vaccine_group_cvx?: string | null;
  series: string;
  /** The number of the dose due next. */
  dose_number?: number | null;
  /** The last day the dose may be given. */
  latest?: string | null;
  /** CVX codes recommended. */
  vaccines: string[];
  diseases: string[];
}

/** One recommendation of a rules plugin. Dates are `YYYY-MM-DD`; absent ones are null. */
export interface Recommendation {
  key: string;
  kind: "immunization" | "screening" | "follow-up";
  status: RecommendationStatus;
  title: string;
  /** Earliest date. */
  earliest?: string | null;
  /** Recommended date. */
  recommended?: string | null;
  /** Overdue after this date. */
  past_due?: string | null;
  /** Why, in plain language. */
  reason: string;
  guideline: { name: string; version: string; url: string };
  /** `Type/id` of each record it rests on. */
  evidence: string[];
  immunization?: ImmunizationForecast | null;
}

export type DoseStatus = "valid" | "not-valid" | "extraneous" | "sub-standard";

/** How one vaccine dose on record was judged, for one vaccine group. */
export interface DoseEvaluation {
  /** `Immunization/<id>` */
  immunization: string;
  vaccine_group: string;
  disease: string;
  series: string;
  dose_number?: number | null;
  status: DoseStatus;
  reasons: string[];
}

type AssessedBody = Get<"/api/profiles/{profile}/recommendations">;
export type Dismissal = NonNullable<AssessedBody["groups"][number]["items"][number]["dismissed"]>;
export type Failure = AssessedBody["failures"][number];

/** A group's status: a recommendation's, or the set-aside ones. */
export type GroupStatus = RecommendationStatus | "dismissed";

export interface Item {
  plugin: string;
  plugin_name: string;
  recommendation: Recommendation;
  dismissed: Dismissal | null;
}

export interface Group {
  status: GroupStatus;
  items: Item[];
}

/** `GET …/recommendations`, with the recommendation and dose shapes filled in. */
export interface Assessed {
  /** The day judged (`YYYY-MM-DD`). */
  as_of: string;
  groups: Group[];
  doses: DoseEvaluation[];
  failures: Failure[];
}

/** The host's answer read with the shapes above (the schema calls them Object). */
export const asAssessed = (body: AssessedBody): Assessed => body as unknown as Assessed;

/** Group headings in plain words. */
export const GROUP_HEADINGS: Record<GroupStatus, string> = {
  overdue: "Overdue",
  due: "Due now",
  upcoming: "Coming up",
  contraindicated: "Not to be given",
  complete: "Done",
  "not-recommended": "Not recommended",
  "aged-out": "Past the age for it",
  dismissed: "Set aside",
};

/** A group's heading; a status this version does not know reads as it is. */
export const groupHeading = (status: string): string => GROUP_HEADINGS[status as GroupStatus] ?? status;

/** Groups that hold nothing to do: folded away so what is due leads. */
export const FOLDED: ReadonlySet<string> = new Set(["complete", "not-recommended", "aged-out"]);

/** Recommendations that can still be acted on: done elsewhere, or set aside. */
export const PENDING: ReadonlySet<string> = new Set(["overdue", "due", "upcoming"]);

/** A recommendation's status in words (the vaccine series' when it says more: "Immune"). */
export function statusText(r: Recommendation): string {
  if (r.status === "complete" && r.immunization?.series_status === "immune") return "Immune";
  return groupHeading(r.status);
}

/** Mantine colors for the status badges (always with words, never color alone). */
export const STATUS_COLORS: Record<string, string> = {
  overdue: "red",
  due: "orange",
  upcoming: "blue",
  contraindicated: "grape",
  complete: "green",
  "not-recommended": "gray",
  "aged-out": "gray",
};

/** "Due since 6 Jan 2026 · overdue after 1 Feb 2026": when to act, as people say it. */
export function datesText(r: Recommendation): string {
  const e = r.earliest ?? null;
  const due = r.recommended ?? null;
  const late = r.past_due ?? null;
  const latest = r.immunization?.latest ?? null;
  const parts: string[] = [];
  switch (r.status) {
    case "overdue":
      if (due) parts.push(`due since ${formatDate(due)}`);
      else if (e) parts.push(`could be given from ${formatDate(e)}`);
      if (late) parts.push(`overdue since ${formatDate(late)}`);
      break;
    case "due":
      if (due) parts.push(`due since ${formatDate(due)}`);
      else if (e) parts.push(`from ${formatDate(e)}`);
      if (late) parts.push(`overdue after ${formatDate(late)}`);
      break;
    case "upcoming":
      if (e) parts.push(`from ${formatDate(e)}`);
      if (due && due !== e) parts.push(`due ${formatDate(due)}`);
      if (late) parts.push(`overdue after ${formatDate(late)}`);
      break;
    default:
      return "";
  }
  if (latest) parts.push(`no later than ${formatDate(latest)}`);
  const text = parts.join(" · ");
  return text ? text[0]!.toUpperCase() + text.slice(1) : "";
}

/** The date an item is shown with in a short list: "Due since 6 Jan 2026", "Overdue since …"; "" when it has none. */
export function shortDate(r: Recommendation): string {
  if (r.status === "overdue" && r.past_due) return `Overdue since ${formatDate(r.past_due)}`;
  if (r.recommended) return `Due since ${formatDate(r.recommended)}`;
  if (r.earliest) return `From ${formatDate(r.earliest)}`;
  return "";
}

/** Dose judgements in words. */
export const DOSE_WORDS: Record<DoseStatus, string> = {
  valid: "Valid",
  "not-valid": "Not valid",
  extraneous: "Extra dose, not needed",
  "sub-standard": "Sub-standard",
};

/** "Not valid — Age: Too Young" */
export function doseText(d: DoseEvaluation): string {
  const words = DOSE_WORDS[d.status] ?? d.status;
  return d.reasons.length > 0 ? `${words} — ${d.reasons.join("; ")}` : words;
}

/** "Dose 2", or "A dose" when it counted as none. */
export const doseName = (d: DoseEvaluation): string => (d.dose_number ? `Dose ${d.dose_number}` : "A dose");

/** The doses judged for an immunization recommendation's vaccine group. */
export function dosesFor(r: Recommendation, doses: DoseEvaluation[]): DoseEvaluation[] {
  const group = r.immunization?.vaccine_group;
  return group ? doses.filter((d) => d.vaccine_group === group) : [];
}

/** Counts of what needs doing, and the first few of it, most pressing first. */
export function dueSummary(a: Assessed, first = 4): { overdue: number; due: number; upcoming: number; top: Recommendation[] } {
  const items = (status: string) => a.groups.find((g) => g.status === status)?.items ?? [];
  const overdue = items("overdue");
  const due = items("due");
  return {
    overdue: overdue.length,
    due: due.length,
    upcoming: items("upcoming").length,
    top: [...overdue, ...due].slice(0, first).map((i) => i.recommendation),
  };
}

/** "3 overdue and 2 due now", "Nothing is due now". */
export function dueSentence(s: { overdue: number; due: number }): string {
  const parts = [s.overdue > 0 ? `${s.overdue} overdue` : null, s.due > 0 ? `${s.due} due now` : null].filter(Boolean);
  return parts.length === 0 ? "Nothing is due now." : `${parts.join(" and ")}.`;
}

/**
 * The Immunization a "Done elsewhere" records: built by the manual-entry
 * form, so it is checked and stored like any vaccine typed in. The vaccine
 * group names it and its CVX code (when it has one) codes it.
 */
export function doneElsewhere(f: ImmunizationForecast, date: string) {
  return formFor("Immunization")!.build({ name: f.vaccine_group, date, code: f.vaccine_group_cvx ?? "" });
}
