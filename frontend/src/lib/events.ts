// The profile's event stream (server-sent events): live sync progress, and
// fresh lists whenever a job changes state.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

/** What a running sync has done so far, from `progress` events. */
export interface LiveProgress {
  job_id: string;
  source_id: string;
  /** Resources fetched so far, by type. */
  fetched: Record<string, number>;
  stored: number;
  emitted: number;
  /** Resources the connector says this run brings in all, when the provider counted them. */
  expected?: number;
}

/** How far a run is, as a whole percentage, when its connector said how much is coming. */
export function percentDone(p: { emitted?: number; expected?: number } | null | undefined): number | null {
  if (!p || typeof p.expected !== "number" || p.expected <= 0) return null;
  // Never 100 while running: the last batch still has to be stored.
  return Math.min(99, Math.floor(((p.emitted ?? 0) * 100) / p.expected));
}

/** Sum of the fetched counts. */
export function fetchedTotal(p: Pick<LiveProgress, "fetched"> | null | undefined): number {
  if (!p?.fetched) return 0;
  return Object.values(p.fetched).reduce((a, b) => a + (typeof b === "number" ? b : 0), 0);
}

/** Parse one `progress` event's data; null if it is not one. */
export function parseProgress(data: string): LiveProgress | null {
  try {
    const v = JSON.parse(data) as Partial<LiveProgress>;
    if (typeof v.job_id !== "string" || typeof v.source_id !== "string") return null;
    return {
      job_id: v.job_id,
      source_id: v.source_id,
      fetched: typeof v.fetched === "object" && v.fetched ? v.fetched : {},
      stored: typeof v.stored === "number" ? v.stored : 0,
      emitted: typeof v.emitted === "number" ? v.emitted : 0,
      ...(typeof v.expected === "number" ? { expected: v.expected } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * Listen to a profile's events while mounted. Returns live progress per
 * source; job changes refresh the sources and jobs lists.
 */
export function useProfileEvents(profile: string): { progress: Record<string, LiveProgress>; connected: boolean } {
  const client = useQueryClient();
  const [progress, setProgress] = useState<Record<string, LiveProgress>>({});
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!profile || typeof EventSource === "undefined") return;
    const source = new EventSource(`/api/profiles/${encodeURIComponent(profile)}/events`);
    const refresh = () => {
      void client.invalidateQueries({ queryKey: ["sources", profile] });
      void client.invalidateQueries({ queryKey: ["jobs", profile] });
      void client.invalidateQueries({ queryKey: ["source", profile] });
    };
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener("progress", (e) => {
      const p = parseProgress((e as MessageEvent<string>).data);
      if (p) setProgress((all) => ({ ...all, [p.source_id]: p }));
    });
    source.addEventListener("job", (e) => {
      try {
        const job = JSON.parse((e as MessageEvent<string>).data) as { source_id?: string; status?: string };
        if (job.source_id && job.status !== "running") {
          const id = job.source_id;
          setProgress((all) => {
            const rest = { ...all };
            delete rest[id];
            return rest;
          });
        }
      } catch {
        /* a malformed event changes nothing */
      }
      refresh();
    });
    source.addEventListener("lagged", refresh);
    return () => source.close();
  }, [profile, client]);
  return { progress, connected };
}
