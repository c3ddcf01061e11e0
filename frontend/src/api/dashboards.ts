// The dashboard routes, typed by hand until schema.d.ts is generated with them.
// Written in openapi-typescript's shape and served by the same openapi-fetch
// client setup (authFetch: CSRF header on changes, refresh-and-retry on an
// expired session), so switching over is: delete `DashboardPaths` and
// `dashboardApi`, and call `api` instead — the call sites stay as they are.
import { useQuery } from "@tanstack/react-query";
import createClient from "openapi-fetch";
import type { CardPlace, Choice, DashboardEntry, Drawn } from "../lib/dashboards";
import { authFetch, ok } from "./client";

type Json<T> = { headers: { [name: string]: unknown }; content: { "application/json": T } };
type ProfilePath = { profile: string };
type DashboardPath = { profile: string; dashboard: string };

export interface DashboardPaths {
  "/api/profiles/{profile}/dashboards": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: never; header?: never; path: ProfilePath; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<{ dashboards: DashboardEntry[] }> };
    };
  };
  "/api/profiles/{profile}/dashboards/{dashboard}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: { as_of?: string | null }; header?: never; path: DashboardPath; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<Drawn> };
    };
    put: {
      parameters: { query?: never; header?: never; path: DashboardPath; cookie?: never };
      requestBody: { content: { "application/json": { choice: Choice; settings?: Record<string, string> } } };
      responses: { 200: Json<DashboardEntry> };
    };
  };
  "/api/profiles/{profile}/dashboards/{dashboard}/layout": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    put: {
      parameters: { query?: never; header?: never; path: DashboardPath; cookie?: never };
      requestBody: { content: { "application/json": { cards: CardPlace[] } } };
      responses: { 200: Json<{ cards: CardPlace[] }> };
    };
  };
}

/** The client for the dashboard routes (same base and fetch as `api`). */
export const dashboardApi = createClient<DashboardPaths>({ baseUrl: globalThis.location?.origin ?? "", fetch: authFetch });

/** Query keys: the profile second, so refreshRecords redraws dashboards after a record changes. */
export const dashboardKeys = {
  list: (profile: string) => ["dashboards", profile] as const,
  drawn: (profile: string, dashboard: string) => ["dashboard", profile, dashboard] as const,
};

/** Every dashboard for a profile, with which apply. */
export function useDashboards(profile: string) {
  return useQuery({
    queryKey: dashboardKeys.list(profile),
    queryFn: () => ok(dashboardApi.GET("/api/profiles/{profile}/dashboards", { params: { path: { profile } } })),
  });
}

/** One dashboard drawn for today, with the saved layout. */
export function useDrawn(profile: string, dashboard: string, enabled = true) {
  return useQuery({
    queryKey: dashboardKeys.drawn(profile, dashboard),
    queryFn: () => ok(dashboardApi.GET("/api/profiles/{profile}/dashboards/{dashboard}", { params: { path: { profile, dashboard } } })),
    enabled,
  });
}

/** Add, hide or reset a dashboard. */
export const chooseDashboard = (profile: string, dashboard: string, choice: Choice) =>
  ok(dashboardApi.PUT("/api/profiles/{profile}/dashboards/{dashboard}", { params: { path: { profile, dashboard } }, body: { choice } }));

/** Save where the cards sit. */
export const saveLayout = (profile: string, dashboard: string, cards: CardPlace[]) =>
  ok(dashboardApi.PUT("/api/profiles/{profile}/dashboards/{dashboard}/layout", { params: { path: { profile, dashboard } }, body: { cards } }));
