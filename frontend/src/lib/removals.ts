// What was taken out of a profile and can be put back: a hidden record, a
// deleted typed-in record, the earlier version of a changed typed-in record,
// a removed source, a deleted person. Nothing is
// deleted at once: the host keeps it for a time (`purge_after`) and any
// removal can be undone until then; a hidden record is kept until shown again.
import { api, ok } from "../api/client";
import type { Removal } from "../api/types";
import { typeName } from "./fhir";
import { formatCount, formatDate, formatDateTime } from "./format";

/** How long the host keeps what is removed when nothing says otherwise (its `keep_removed_days` default). */
export const DEFAULT_KEEP_DAYS = 30;

const DAY = 86_400_000;

/** Whole days between two instants, at least one. */
const daysBetween = (from: string, to: string): number | null => {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(1, Math.round(ms / DAY)) : null;
};

/**
 * How many days Hearth keeps what is removed before deleting it for good: read
 * from a removal it already keeps (`purge_after` less `removed_at`), else the default.
 */
export function keepDays(removals: readonly Removal[] | undefined): number {
  for (const r of removals ?? []) {
    const days = r.purge_after ? daysBetween(r.removed_at, r.purge_after) : null;
    if (days) return days;
  }
  return DEFAULT_KEEP_DAYS;
}

/** "30 days", "1 day". */
export const daysText = (n: number): string => `${formatCount(n)} ${n === 1 ? "day" : "days"}`;

/** "You can bring it back until 4 Jan 2027." (nothing for what is kept until shown again). */
export function untilText(removal: Pick<Removal, "purge_after">, what = "it"): string {
  return removal.purge_after ? `You can bring ${what} back until ${formatDate(removal.purge_after)}.` : "";
}

/** The record a record removal was about: "Observation/abc" → its type and id. */
export function removedRecord(removal: Pick<Removal, "target">): { type: string; id: string } {
  const slash = removal.target.indexOf("/");
  return slash < 0 ? { type: "", id: removal.target } : { type: removal.target.slice(0, slash), id: removal.target.slice(slash + 1) };
}

/** What a removal is, in a few words: "Hidden record · Condition", "Removed source · 1,204 records". */
export function removalKindText(removal: Removal): string {
  const records = `${formatCount(removal.records)} ${removal.records === 1 ? "record" : "records"}`;
  switch (removal.kind) {
    case "hidden-record":
      return `Hidden record · ${typeName(removedRecord(removal).type)}`;
    case "deleted-record":
      return `Deleted typed-in record · ${typeName(removedRecord(removal).type)}`;
    case "edited-record":
      return `Changed typed-in record · ${typeName(removedRecord(removal).type)}`;
    case "removed-source":
      return `Removed source · ${records}`;
    case "deleted-person":
      return `Deleted person · ${records}`;
  }
}

/** Who took it out and when: "Hidden by Ann Example on 5 Dec 2026, 10:04". */
export function removedByText(removal: Removal): string {
  const verb =
    removal.kind === "hidden-record"
      ? "Hidden"
      : removal.kind === "removed-source"
        ? "Removed"
        : removal.kind === "edited-record"
          ? "Changed"
          : "Deleted";
  const who = removal.removed_by ? ` by ${removal.removed_by}` : "";
  return `${verb}${who} on ${formatDateTime(removal.removed_at)}`;
}

/** Until when it is kept: "Deleted for good on 4 Jan 2027", "Kept until someone shows it again". */
export function keptText(removal: Removal): string {
  if (!removal.purge_after) return "Kept until someone shows it again";
  // For a change, what goes is the earlier version, not the record.
  if (removal.kind === "edited-record") return `What it said before is kept until ${formatDate(removal.purge_after)}`;
  return `Deleted for good on ${formatDate(removal.purge_after)}`;
}

/** What putting it back is called: "Show again" for a hidden record, "Undo the change" for an edit, "Put back" otherwise. */
export function undoLabel(removal: Pick<Removal, "kind">): string {
  switch (removal.kind) {
    case "hidden-record":
      return "Show again";
    case "edited-record":
      return "Undo the change";
    case "deleted-person":
      return "Bring back";
    default:
      return "Put back";
  }
}

/** Undo a removal: a person's through the account's route, anything else through its profile's. */
export function undoRemoval(removal: Pick<Removal, "id" | "kind" | "profile_id">): Promise<Removal> {
  if (removal.kind === "deleted-person") return ok(api.POST("/api/removals/{removal}/undo", { params: { path: { removal: removal.id } } }));
  return ok(
    api.POST("/api/profiles/{profile}/removals/{removal}/undo", {
      params: { path: { profile: removal.profile_id, removal: removal.id } },
    }),
  );
}

/** Said once it is back: "“Body weight” is shown again.", "“export” is back, with its 1,204 records." */
export function undoneText(removal: Removal, whose: string): string {
  switch (removal.kind) {
    case "hidden-record":
      return `“${removal.label}” is shown again in ${whose} records.`;
    case "deleted-record":
      return `“${removal.label}” is back in ${whose} records.`;
    case "edited-record":
      return `“${removal.label}” says again what it said before the change.`;
    case "removed-source":
      return `“${removal.label}” is back, with its ${formatCount(removal.records)} ${removal.records === 1 ? "record" : "records"}.`;
    case "deleted-person":
      return `${removal.label} is back, with everyone's access as it was.`;
  }
}

/** The title of the notice once it is back: "Shown again", "Change undone", "Put back". */
export const undoneTitle = (removal: Pick<Removal, "kind">): string =>
  removal.kind === "hidden-record"
    ? "Shown again"
    : removal.kind === "edited-record"
      ? "Change undone"
      : removal.kind === "deleted-person"
        ? "Brought back"
        : "Put back";
