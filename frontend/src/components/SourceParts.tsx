// How a source is doing, in words and a progress bar.
import { Badge, Button, Group, Modal, Progress, Stack, Text } from "@mantine/core";
import { useState } from "react";
import type { Job, Source } from "../api/types";
import { fetchedTotal, percentDone, type LiveProgress } from "../lib/events";
import { formatCount, relativeTime } from "../lib/format";
import { asClause, explainKind } from "../lib/problems";
import { receivedByType, useSourceActions, type SourceState } from "../lib/sources";
import { Details, Failure } from "./PageState";

/** A source's status as a badge (see `sourceState`). */
export function SourceStatus({ state }: { state: SourceState }) {
  return (
    <Badge color={state.color} variant="light">
      {state.label}
    </Badge>
  );
}

/** A source's status in one sentence, with the raw error under "Details". */
export function SourceStatusLine({ state }: { state: SourceState }) {
  return (
    <Stack gap={2}>
      {state.sentence && (
        <Text size="sm" c={state.color === "red" || state.color === "orange" ? state.color : undefined} data-testid="source-status">
          {state.sentence}
        </Text>
      )}
      <Details lines={state.details} />
    </Stack>
  );
}

/** What kind of source, in words. */
export function sourceKind(source: Source): string {
  if (source.kind === "manual") return "Typed in by hand";
  if (source.kind === "import") return "Uploaded file";
  return source.endpoint_id ? "Provider portal" : "FHIR server";
}

/** A running or just-finished sync: a live bar while it runs, full when done; what arrived so far, by type. */
export function SyncProgress({ job, live, label }: { job: Job | undefined; live: LiveProgress | undefined; label: string }) {
  if (!job && !live) return null;
  const status = live && (!job || job.status === "queued") ? "running" : (job?.status ?? "running");
  const done = status === "succeeded";
  const failed = status === "failed" || status === "cancelled";
  const finalProgress = (job?.progress ?? null) as { stored?: number; fetched?: Record<string, number> } | null;
  const fetched = live?.fetched ?? finalProgress?.fetched ?? {};
  const received = fetchedTotal({ fetched });
  const stored = live?.stored ?? finalProgress?.stored ?? 0;
  const why = status === "failed" ? explainKind(job?.error_kind, job?.error) : null;
  // A true percentage only when the connector passed on the provider's count.
  const percent = status === "running" ? percentDone(live) : null;
  let words: string;
  if (status === "queued") words = job?.attempts ? `Waiting to try again ${relativeTime(job.run_after)}` : "Waiting to start…";
  else if (status === "running" && percent !== null && live?.expected)
    words = `${formatCount(live.emitted)} of ${formatCount(live.expected)} records received (${percent}%)`;
  else if (status === "running") words = received ? `${formatCount(received)} records received so far` : "Connecting to the provider…";
  else if (done) words = `Finished: ${formatCount(received)} records received, ${formatCount(stored)} new or changed`;
  else if (status === "cancelled") words = "Stopped";
  else words = `Did not finish: ${asClause(why?.message ?? "The provider did not answer as expected.")}`;
  const kinds = status === "running" || done ? receivedByType(fetched) : "";
  return (
    <Stack gap={4}>
      <Group justify="space-between" gap="xs">
        <Text size="sm" id={`progress-label-${job?.id ?? live?.job_id}`}>
          {words}
        </Text>
      </Group>
      <Progress.Root size="lg" data-status={status}>
        <Progress.Section
          value={done || failed ? 100 : status === "queued" ? 0 : (percent ?? 100)}
          animated={status === "running"}
          striped={status === "running" && percent === null}
          color={failed ? "red" : done ? "green" : "blue"}
          aria-label={label}
          aria-valuetext={words}
        />
      </Progress.Root>
      {kinds && (
        <Text size="xs" c="dimmed" data-testid="received-by-type">
          {status === "running" ? "So far: " : ""}
          {kinds}
        </Text>
      )}
      {why && (
        <>
          {why.action && <Text size="sm">{why.action}</Text>}
          <Details lines={why.details} />
        </>
      )}
    </Stack>
  );
}

/** Sync now or sign in again, and disconnect behind a confirmation; errors in words. */
export function SourceActions({ profile, source, syncing, size = "sm" }: { profile: string; source: Source; syncing: boolean; size?: "xs" | "sm" }) {
  const actions = useSourceActions(profile);
  const [confirm, setConfirm] = useState(false);
  const failure = actions.sync.error ?? actions.reconnect.error ?? actions.disconnect.error;
  if (source.kind !== "provider") return null;
  const signedOut = source.status === "needs-reconnect" || source.status === "disconnected";
  return (
    <Stack gap="xs">
      <Group gap="xs">
        {signedOut ? (
          source.endpoint_id && (
            <Button size={size} onClick={() => actions.reconnect.mutate(source.id)} loading={actions.reconnect.isPending}>
              Sign in again
            </Button>
          )
        ) : (
          <Button size={size} variant="default" disabled={syncing} onClick={() => actions.sync.mutate(source.id)}>
            Sync now
          </Button>
        )}
        {source.endpoint_id && source.status !== "disconnected" && (
          <Button size={size} variant="subtle" color="red" onClick={() => setConfirm(true)}>
            Disconnect
          </Button>
        )}
      </Group>
      <Failure error={failure} title="That did not work" />
      <Modal opened={confirm} onClose={() => setConfirm(false)} title={`Disconnect ${source.name}?`}>
        <Stack>
          <Text size="sm">
            Hearth will forget its permission to read this portal and stop syncing. The records already here stay; you can sign in again later.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)}>
              Keep connected
            </Button>
            <Button
              color="red"
              onClick={() => {
                actions.disconnect.mutate(source.id);
                setConfirm(false);
              }}
            >
              Disconnect
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
