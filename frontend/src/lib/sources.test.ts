import { describe, expect, it } from "vitest";
import type { Job, Source } from "../api/types";
import { leftOut, receivedByType, sourceState } from "./sources";

describe("leftOut", () => {
  it("says per type how many records a sync left out, and why, with an example", () => {
    expect(
      leftOut({
        Observation: { count: 2, example: "Observation/bad1", path: "status", reason: "'bogus' is not in the required value set" },
      }),
    ).toEqual(["2 observations left out as not valid FHIR (Observation/bad1: status 'bogus' is not in the required value set)"]);
    expect(leftOut(undefined)).toEqual([]);
  });
});

const NOW = new Date("2026-03-01T12:00:00Z");
const source = (over: Partial<Source> = {}): Source =>
  ({
    id: "s1",
    name: "Sandbox",
    kind: "provider",
    connector: "fhir-r4",
    fhir_base_url: "https://fhir.example.org/r4",
    patient_id: "p",
    status: "ok",
    last_error: null,
    last_sync_at: "2026-03-01T10:00:00Z",
    created_at: "2026-01-01T00:00:00Z",
    resumable: false,
    resources: 120,
    platform: null,
    endpoint_id: "e1",
    next_sync_at: "2026-03-02T10:00:00Z",
    scope: null,
    ...over,
  }) as Source;
const job = (over: Partial<Job> = {}): Job =>
  ({
    id: "j1",
    profile_id: "p1",
    source_id: "s1",
    source_name: "Sandbox",
    kind: "sync",
    trigger: "scheduled",
    status: "succeeded",
    attempts: 1,
    max_attempts: 5,
    run_after: "2026-03-01T12:10:00Z",
    progress: null,
    error: null,
    error_kind: null,
    cancel_requested: false,
    created_at: "2026-03-01T10:00:00Z",
    started_at: "2026-03-01T10:00:00Z",
    finished_at: "2026-03-01T10:01:00Z",
    ...over,
  }) as Job;

describe("sourceState: one status per source, the same on every page", () => {
  it("says when an up-to-date source last synced and syncs next", () => {
    expect(sourceState(source(), job(), undefined, NOW)).toEqual({
      label: "Up to date",
      sentence: "Last synced 2 hours ago; next update in 22 hours.",
      color: "green",
      details: [],
      syncing: false,
    });
  });

  it("turns a failed sync into words, the raw error only in the details", () => {
    const raw = "fhir-r4@0.1.0: GET https://fhir.example.org/r4/Observation: ErrorCode::ConnectionRefused";
    const s = sourceState(
      source({ status: "error", last_error: raw, next_sync_at: "2026-03-01T13:00:00Z" }),
      job({ status: "failed", error: raw, error_kind: "upstream" }),
      undefined,
      NOW,
    );
    expect(s.label).toBe("Last sync failed");
    expect(s.color).toBe("red");
    expect(s.sentence).toBe("The last sync did not finish: the provider did not answer as expected. Hearth tries again in 1 hour.");
    expect(s.sentence).not.toMatch(/fhir-r4|ErrorCode|https/);
    expect(s.details).toEqual([`Hearth said: ${raw}`, "Problem: upstream"]);
    // With no retry planned, it says how to try again.
    expect(sourceState(source({ status: "error", last_error: raw, next_sync_at: null }), undefined, undefined, NOW).sentence).toBe(
      "The last sync did not finish: the provider did not answer as expected. Use “Sync now” to try again.",
    );
  });

  it("says a retry is waiting, and why", () => {
    const s = sourceState(
      source({ status: "error" }),
      job({ status: "queued", attempts: 2, error_kind: "rate-limited", error: "429" }),
      undefined,
      NOW,
    );
    expect(s.label).toBe("Will try again");
    expect(s.sentence).toBe("The last try did not work: the provider asked Hearth to slow down. Hearth tries again in 10 minutes.");
    expect(s.syncing).toBe(true);
  });

  it("shows a running sync as syncing, whatever the stored status", () => {
    const live = { job_id: "j1", source_id: "s1", fetched: {}, stored: 0, emitted: 0 };
    expect(sourceState(source({ status: "new" }), undefined, live, NOW)).toMatchObject({ label: "Syncing", color: "blue", syncing: true });
    expect(sourceState(source(), job({ status: "running" }), undefined, NOW).label).toBe("Syncing");
  });

  it("asks to sign in again, and names the other states", () => {
    const s = sourceState(source({ status: "needs-reconnect", last_error: "invalid_grant" }), undefined, undefined, NOW);
    expect(s).toMatchObject({ label: "Sign in again", color: "orange", details: ["Hearth said: invalid_grant"] });
    expect(sourceState(source({ status: "disconnected" }), undefined, undefined, NOW).label).toBe("Disconnected");
    expect(sourceState(source({ status: "new", next_sync_at: null }), undefined, undefined, NOW).sentence).toBe("No records from here yet.");
    expect(sourceState(source({ kind: "import", endpoint_id: null }), undefined, undefined, NOW).label).toBe("Uploaded");
    expect(sourceState(source({ kind: "manual", endpoint_id: null }), undefined, undefined, NOW).label).toBe("Typed in");
    expect(sourceState(source({ status: "unconfirmed" }), undefined, undefined, NOW)).toMatchObject({ label: "Confirm the person", color: "orange" });
    // Never "up to date" before a first sync, nor for a status this page does not know.
    expect(sourceState(source({ last_sync_at: null }), undefined, undefined, NOW).label).toBe("Waiting for first sync");
    expect(sourceState(source({ status: "paused" as Source["status"] }), undefined, undefined, NOW).label).toBe("paused");
  });

  it("says 'soon' for a next sync that is already due", () => {
    expect(sourceState(source({ next_sync_at: "2026-03-01T11:00:00Z" }), undefined, undefined, NOW).sentence).toBe(
      "Last synced 2 hours ago; next update soon.",
    );
  });
});

describe("receivedByType", () => {
  it("lists what arrived by type, most first", () => {
    expect(receivedByType({ Observation: 120, Condition: 12 })).toBe("120 observations and 12 conditions");
    expect(receivedByType({ Condition: 1 })).toBe("1 condition");
    expect(receivedByType({ AllergyIntolerance: 1, Immunization: 2, Procedure: 3, Condition: 4, Observation: 5, Encounter: 6 })).toBe(
      "6 visits, 5 observations, 4 conditions, 3 procedures and 2 more kinds",
    );
    expect(receivedByType({ Observation: 0 })).toBe("");
    expect(receivedByType(undefined)).toBe("");
  });
});
