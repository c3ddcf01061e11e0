// Source and job queries and actions shared by the sources pages.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Job, Source } from "../api/types";
import type { LiveProgress } from "./events";
import { typeName } from "./fhir";
import { formatCount, formatDate, relativeTime } from "./format";
import { asClause, explainKind } from "./problems";

export function useSources(profile: string) {
  return useQuery({
    queryKey: ["sources", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/sources", { params: { path: { profile } } })),
  });
}

export function useJobs(profile: string, limit = 50) {
  return useQuery({
    queryKey: ["jobs", profile, limit],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/jobs", { params: { path: { profile }, query: { limit } } })),
  });
}

/** The newest job per source, from a newest-first list. */
export function latestJobs(jobs: Job[]): Record<string, Job> {
  const by: Record<string, Job> = {};
  for (const j of jobs) if (!by[j.source_id]) by[j.source_id] = j;
  return by;
}

/** Whether a job is still to finish. */
export const isActive = (j: Job | undefined) => j?.status === "queued" || j?.status === "running";

/** Start SMART App Launch: the host answers where to send the browser. */
/** Start connecting a catalog endpoint, or (`{ url }`) a provider that is not in the catalog, by its FHIR base URL. */
export async function startConnect(profile: string, provider: string | { url: string }, name?: string): Promise<string> {
  const which = typeof provider === "string" ? { endpoint_id: provider } : { fhir_base_url: provider.url };
  const r = await ok(
    api.POST("/api/profiles/{profile}/connect", {
      params: { path: { profile } },
      body: { ...which, ...(name ? { name } : {}) },
    }),
  );
  return r.authorize_url;
}

/** How Hearth would connect a provider it found, in words. */
export function connectHow(mode: string): string {
  switch (mode) {
    case "smart":
      return "You sign in at the provider's own page, and Hearth brings in the records.";
    case "smart-register":
      return "Hearth registers itself with the provider first, then you sign in at the provider's own page.";
    case "open":
      return "This server asks for no sign-in. Give the patient's id on that server to bring in their records.";
    default:
      return "Hearth cannot connect to it.";
  }
}

export function useSourceActions(profile: string) {
  const client = useQueryClient();
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["sources", profile] });
    void client.invalidateQueries({ queryKey: ["jobs", profile] });
  };
  const sync = useMutation({
    mutationFn: (source: string) =>
      ok(api.POST("/api/profiles/{profile}/sources/{source}/sync", { params: { path: { profile, source }, query: { wait: false } } })),
    onSettled: refresh,
  });
  const reconnect = useMutation({
    mutationFn: async (source: string) => {
      const r = await ok(api.POST("/api/profiles/{profile}/sources/{source}/reconnect", { params: { path: { profile, source } } }));
      window.location.assign(r.authorize_url);
    },
  });
  const disconnect = useMutation({
    mutationFn: (source: string) => ok(api.POST("/api/profiles/{profile}/sources/{source}/disconnect", { params: { path: { profile, source } } })),
    onSettled: refresh,
  });
  return { sync, reconnect, disconnect };
}

/** Resources of one type a sync left out because they were not valid FHIR R4. */
export type Rejected = { count: number; example: string; path: string; reason: string };

/** What the provider sent that was not valid FHIR R4, in words: one sentence per type. */
export function leftOut(rejected: Record<string, Rejected> | undefined): string[] {
  return Object.entries(rejected ?? {}).map(
    ([type, r]) =>
      `${formatCount(r.count)} ${typeName(type, r.count !== 1).toLowerCase()} left out as not valid FHIR ` + `(${r.example}: ${r.path} ${r.reason})`,
  );
}

/** How a source is doing: the same words and colour on every page that shows it. */
export interface SourceState {
  /** A few words, for a badge: "Up to date". */
  label: string;
  /** One short sentence: what is going on and what happens next. */
  sentence: string;
  /** The badge's colour. */
  color: string;
  /** The raw error and its class, only for a "Details" disclosure. */
  details: string[];
  /** Whether a sync is running or about to. */
  syncing: boolean;
}

/** "in 3 hours", or "soon" for a time already past (the scheduler is about to get to it). */
function next(at: string, now: Date): string {
  return new Date(at).getTime() > now.getTime() ? relativeTime(at, now) : "soon";
}

/**
 * A source's status, last error, next sync and latest job as one label, one
 * sentence and a colour. `live` is the source's progress from the event
 * stream, when a sync is running.
 */
export function sourceState(source: Source, job?: Job, live?: LiveProgress, now: Date = new Date()): SourceState {
  const raw = (error: string | null | undefined, kind?: string | null) =>
    [error ? `Hearth said: ${error}` : null, kind ? `Problem: ${kind}` : null].filter((l): l is string => l !== null);
  if (source.kind === "import") {
    return {
      label: "Uploaded",
      sentence: `Uploaded ${formatDate(source.created_at)}; a file does not change by itself.`,
      color: "gray",
      details: [],
      syncing: false,
    };
  }
  if (source.kind === "manual") {
    return { label: "Typed in", sentence: "Records typed in here by hand.", color: "gray", details: [], syncing: false };
  }
  const running = live !== undefined || job?.status === "running";
  if (running) {
    return { label: "Syncing", sentence: "Bringing in records from the provider now.", color: "blue", details: [], syncing: true };
  }
  if (job?.status === "queued") {
    if (job.attempts > 0) {
      const why = explainKind(job.error_kind, job.error);
      return {
        label: "Will try again",
        sentence: `The last try did not work: ${asClause(why.message)} Hearth tries again ${next(job.run_after, now)}.`,
        color: "yellow",
        details: raw(job.error, job.error_kind),
        syncing: true,
      };
    }
    return { label: "Syncing", sentence: "A sync starts in a moment.", color: "blue", details: [], syncing: true };
  }
  switch (source.status) {
    case "needs-reconnect":
      return {
        label: "Sign in again",
        sentence: "The provider no longer accepts Hearth's permission. Sign in at the provider again to keep these records up to date.",
        color: "orange",
        details: raw(source.last_error),
        syncing: false,
      };
    // The portal account seems to be about someone else: nothing is brought in until someone confirms.
    case "unconfirmed":
      return {
        label: "Confirm the person",
        sentence: "The portal account seems to be about someone else. Check whose records these are before Hearth brings them in.",
        color: "orange",
        details: [],
        syncing: false,
      };
    case "disconnected":
      return {
        label: "Disconnected",
        sentence: "Hearth no longer syncs this source. The records already here stay.",
        color: "gray",
        details: [],
        syncing: false,
      };
    case "error": {
      const failed = job?.status === "failed" ? job : undefined;
      const why = explainKind(failed?.error_kind, failed?.error ?? source.last_error);
      const then = source.next_sync_at ? `Hearth tries again ${next(source.next_sync_at, now)}.` : "Use “Sync now” to try again.";
      return {
        label: "Last sync failed",
        sentence: `The last sync did not finish: ${asClause(why.message)} ${then}`,
        color: "red",
        details: raw(failed?.error ?? source.last_error, failed?.error_kind),
        syncing: false,
      };
    }
    case "new":
      return {
        label: "Waiting for first sync",
        sentence: source.next_sync_at ? `No records yet; the first sync starts ${next(source.next_sync_at, now)}.` : "No records from here yet.",
        color: "gray",
        details: [],
        syncing: false,
      };
    case "ok": {
      if (!source.last_sync_at)
        return { label: "Waiting for first sync", sentence: "No records from here yet.", color: "gray", details: [], syncing: false };
      const last = `Last synced ${relativeTime(source.last_sync_at, now)}`;
      const then = source.next_sync_at ? `; next update ${next(source.next_sync_at, now)}` : "";
      return { label: "Up to date", sentence: `${last}${then}.`, color: "green", details: [], syncing: false };
    }
    default:
      // A status this page does not know yet (a newer host): said as it is, not as "up to date".
      return {
        label: String(source.status).replace(/-/g, " "),
        sentence: "",
        color: "gray",
        details: source.last_error ? raw(source.last_error) : [],
        syncing: false,
      };
  }
}

/** What a sync received so far, by type, most first: "120 observations, 12 conditions and 3 more kinds". */
export function receivedByType(fetched: Record<string, number> | null | undefined, most = 4): string {
  const counts = Object.entries(fetched ?? {})
    .filter(([, n]) => typeof n === "number" && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (counts.length === 0) return "";
  const named = counts.slice(0, most).map(([type, n]) => `${formatCount(n)} ${typeName(type, n !== 1).toLowerCase()}`);
  const rest = counts.length - named.length;
  if (rest > 0) return `${named.join(", ")} and ${rest} more ${rest === 1 ? "kind" : "kinds"}`;
  if (named.length === 1) return named[0]!;
  return `${named.slice(0, -1).join(", ")} and ${named[named.length - 1]}`;
}
