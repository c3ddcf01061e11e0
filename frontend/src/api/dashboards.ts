// The dashboard routes through the generated client (`api`: CSRF header on
// changes, refresh-and-retry on an expired session). The host describes a
// drawn board as a plain object, so its shape is typed in lib/dashboards.
import { useQuery } from "@tanstack/react-query";
import type { CardPlace, Choice, Drawn } from "../lib/dashboards";
import { isPlain, type Explained } from "../lib/problems";
import { ApiError, api, errorText, explainError, ok } from "./client";

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
 * Import a Fasten dashboard file. `text` is sent exactly as the file has it,
 * never parsed and written again: a table's columns are in the order of the
 * keys in the file.
 */
export const importDashboard = (profile: string, text: string) =>
  ok(
    api.POST("/api/profiles/{profile}/dashboards/import", {
      params: { path: { profile } },
      body: text as never,
      bodySerializer: (b: unknown) => b as BodyInit,
      headers: { "Content-Type": "application/json" },
    }),
  );

/** Remove an imported dashboard (a plugin's is hidden instead). */
export const removeDashboard = (profile: string, dashboard: string) =>
  ok(api.DELETE("/api/profiles/{profile}/dashboards/{dashboard}", { params: { path: { profile, dashboard } } }));

/**
 * Why a file could not be imported. The general words for a body Hearth did
 * not understand ("Reload the page") would blame the page; here it is the file.
 */
export function explainImportError(e: unknown): Explained {
  const general = explainError(e);
  if (!(e instanceof ApiError)) return general;
  const detail = e.problem.detail ?? "";
  // The host's words in the sentence when people can read them (then not again under Details).
  const withDetail = (message: string, words: string, otherwise: string): Explained =>
    isPlain(words)
      ? { message, action: sentence(words), details: general.details.filter((l) => l !== `Hearth said: ${detail}`) }
      : { ...general, message, action: otherwise };
  switch (e.kind) {
    case "malformed-json":
    case "bad-body":
      return { ...general, message: "Hearth could not read this file as a dashboard.", action: "Choose the .json file Fasten Health saved." };
    case "invalid-body": {
      const notFasten = /^not a Fasten dashboard:\s*(.*)$/s.exec(detail);
      if (notFasten)
        return withDetail("This is not a Fasten Health dashboard file.", notFasten[1]!, "Choose a dashboard file saved from Fasten Health.");
      if (/^nothing in the file could be/.test(detail))
        return {
          ...general,
          message: "Nothing in this file could be shown from these records, so nothing was kept.",
          action: "The details say what each part of the file needed.",
        };
      return withDetail("This file could not be imported as a dashboard.", detail, "Check that it is a dashboard file saved from Fasten Health.");
    }
    case "body-too-large":
      return { ...general, message: "This file is larger than Hearth accepts.", action: "Check that it is a dashboard file, not a file of records." };
    default:
      return general;
  }
}

/** "it has no `widgets` list" → "It has no `widgets` list." */
const sentence = (text: string) => {
  const t = text.trim();
  return `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? "" : "."}`;
};

/**
 * Why a dashboard could not be drawn. A failing plugin answers 502 with its
 * own words (the general wording would blame a provider); the rest as every page says it.
 */
export function drawFailureText(e: unknown): string {
  if (e instanceof ApiError && (e.status === 502 || e.status === 504)) return `${e.problem.detail ?? "Its plugin failed."}`;
  return errorText(e);
}
