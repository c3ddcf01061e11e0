// The dashboard routes through the generated client (`api`: CSRF header on
// changes, refresh-and-retry on an expired session). The host describes a
// drawn board as a plain object, so its shape is typed in lib/dashboards.
import { useQuery } from "@tanstack/react-query";
import type { CardPlace, Choice, Drawn } from "../lib/dashboards";
import { ApiError, api, errorText, ok } from "./client";

/** Query keys: the profile second, so refreshRecords redraws dashboards after a record changes. */
export const dashboardKeys = {
  list: (profile: string) => ["dashboards", profile] as const,
  drawn: (profile: string, dashboard: string) => ["dashboard", profile, dashboard] as const,
};

/** Every dashboard for a profile, with which apply. */
export function useDashboards(profile: string) {
  return useQuery({
    queryKey: dashboardKeys.list(profile),
    queryFn: () => ok(api.GET("/api/profiles/{profile}/dashboards", { params: { path: { profile } } })),
  });
}

/** One dashboard drawn for today, with the saved layout. */
export function useDrawn(profile: string, dashboard: string, enabled = true) {
  return useQuery({
    queryKey: dashboardKeys.drawn(profile, dashboard),
    queryFn: async () =>
      (await ok(api.GET("/api/profiles/{profile}/dashboards/{dashboard}", { params: { path: { profile, dashboard } } }))) as unknown as Drawn,
    enabled,
  });
}

/** Add, hide or reset a dashboard. */
export const chooseDashboard = (profile: string, dashboard: string, choice: Choice) =>
  ok(api.PUT("/api/profiles/{profile}/dashboards/{dashboard}", { params: { path: { profile, dashboard } }, body: { choice } }));

/** Save where the cards sit. */
export const saveLayout = (profile: string, dashboard: string, cards: CardPlace[]) =>
  ok(api.PUT("/api/profiles/{profile}/dashboards/{dashboard}/layout", { params: { path: { profile, dashboard } }, body: { cards } }));

/**
 * Why a dashboard could not be drawn. A failing plugin answers 502 with its
 * own words (the general wording would blame a provider); the rest as every page says it.
 */
export function drawFailureText(e: unknown): string {
  if (e instanceof ApiError && (e.status === 502 || e.status === 504)) return `${e.problem.detail ?? "Its plugin failed."}`;
  return errorText(e);
}
