// Source and job queries and actions shared by the sources pages.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Job } from "../api/types";

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
export async function startConnect(profile: string, endpointId: string, name?: string): Promise<string> {
  const r = await ok(
    api.POST("/api/profiles/{profile}/connect", {
      params: { path: { profile } },
      body: { endpoint_id: endpointId, ...(name ? { name } : {}) },
    }),
  );
  return r.authorize_url;
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
