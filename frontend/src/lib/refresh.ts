// After a record is added, changed or deleted, every view of the profile's
// records may be out of date: the timeline, lab charts, the summary, counts.
import type { QueryClient, QueryKey } from "@tanstack/react-query";

/** Queries about one record: `[kind, profile, type, id]`. */
const PER_RECORD = ["record", "related", "provenance"];

/**
 * Refetch what shows the profile's records. A deleted record (`gone`) has
 * its own queries dropped instead, so nothing asks for it again.
 */
export function refreshRecords(client: QueryClient, profile: string, gone?: { type: string; id: string }) {
  const isGone = (k: QueryKey) => !!gone && PER_RECORD.includes(String(k[0])) && k[1] === profile && k[2] === gone.type && k[3] === gone.id;
  if (gone) client.removeQueries({ predicate: (q) => isGone(q.queryKey) });
  return client.invalidateQueries({ predicate: (q) => (q.queryKey[1] === profile || q.queryKey[0] === "family") && !isGone(q.queryKey) });
}
