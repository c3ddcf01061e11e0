// The recommendation routes through the generated client (`api`: CSRF header
// on changes, refresh-and-retry on an expired session). A recommendation and
// a dose evaluation are plain objects to the host's description, so their
// shapes are typed in lib/recommendations.
import { useQuery } from "@tanstack/react-query";
import { asAssessed, doneElsewhere, type ImmunizationForecast } from "../lib/recommendations";
import type { Resource } from "./types";
import { api, ok } from "./client";

/** Query keys: the profile second, so refreshRecords judges again after a record changes. */
export const recommendationKeys = {
  assessed: (profile: string) => ["recommendations", profile] as const,
};

/** What is due for a profile today. */
export function useRecommendations(profile: string) {
  return useQuery({
    queryKey: recommendationKeys.assessed(profile),
    queryFn: async () => asAssessed(await ok(api.GET("/api/profiles/{profile}/recommendations", { params: { path: { profile } } }))),
  });
}

/** Set a recommendation aside, with why. */
export const dismissRecommendation = (profile: string, plugin: string, key: string, reason: string) =>
  ok(api.PUT("/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal", { params: { path: { profile, plugin, key } }, body: { reason } }));

/** Bring a set-aside recommendation back. */
export const restoreRecommendation = (profile: string, plugin: string, key: string) =>
  ok(api.DELETE("/api/profiles/{profile}/recommendations/{plugin}/{key}/dismissal", { params: { path: { profile, plugin, key } } }));

/** A vaccine given elsewhere, typed in as any record is (`date`: YYYY-MM-DD, not in the future). */
export const recordGivenElsewhere = async (profile: string, forecast: ImmunizationForecast, date: string) =>
  (await ok(
    api.POST("/api/profiles/{profile}/manual/{type}", { params: { path: { profile, type: "Immunization" } }, body: doneElsewhere(forecast, date) }),
  )) as Resource;

/** Where the forecast can be downloaded as FHIR (the ImmDS `$immds-forecast` answer). */
export const forecastUrl = (profile: string, day: string) =>
  `/api/profiles/${encodeURIComponent(profile)}/$immds-forecast?assessmentDate=${encodeURIComponent(day)}`;
