// Source and job queries and actions shared by the sources pages.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Job } from "../api/types";
import { typeName } from "./fhir";
import { formatCount } from "./format";

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
