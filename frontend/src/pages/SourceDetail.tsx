import { Alert, Button, Card, Group, Modal, Stack, Table, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import type { Source } from "../api/types";
import { Failure } from "../components/PageState";
import { formatDate } from "../lib/format";
import { personText } from "../lib/upload";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { QueryView } from "../components/PageState";
import { SourceActions, SourceStatus, SourceStatusLine, SyncProgress, sourceKind } from "../components/SourceParts";
import { JobRow } from "./Jobs";
import { fetchedTotal, type LiveProgress, useProfileEvents } from "../lib/events";
import { formatCount, formatDateTime, relativeTime } from "../lib/format";
import { daysText, keepDays } from "../lib/removals";
import { isActive, sourceState, useJobs } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function SourceDetailPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const { source: sourceId = "" } = useParams();
  const [params] = useSearchParams();
  const connected = params.get("connected") === "1";
  const source = useQuery({
    queryKey: ["source", profile, sourceId],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/sources/{source}", { params: { path: { profile, source: sourceId } } })),
  });
  const jobs = useJobs(profile);
  const { progress } = useProfileEvents(profile);
  const mine = (jobs.data?.jobs ?? []).filter((j) => j.source_id === sourceId);
  const latest = mine[0];
  const live = progress[sourceId];

  return (
    <QueryView query={source} loading="Loading source…" subject="source">
      {(s) => {
        const state = sourceState(s, latest, live);
        const syncing = isActive(latest) || live !== undefined;
        const running = live !== undefined || latest?.status === "running";
        return (
          <>
            <PageHeader title={s.name} subtitle={`${sourceKind(s)} · ${possessive(name)} records`} actions={<SourceStatus state={state} />} />
            <Stack>
              {s.status === "unconfirmed" && <ConfirmPerson profile={profile} name={name} source={s} canEdit={canEdit} />}
              {connected && s.status !== "unconfirmed" && (
                <Alert color="green" title="Connected" role="status">
                  Hearth can now read these records, and will keep them up to date. The first sync is below.
                </Alert>
              )}
              {/* While a sync runs, its card below says how it goes. */}
              {s.status === "needs-reconnect" && !syncing ? (
                <Alert color="orange" title="Sign in again to keep this up to date" role="status">
                  <SourceStatusLine state={state} />
                </Alert>
              ) : (
                !running && <SourceStatusLine state={state} />
              )}
              {(latest || live) && (
                <Card withBorder component="section" aria-labelledby="sync-title">
                  <Text fw={600} id="sync-title" mb="xs">
                    {syncing ? "Syncing now" : "Last sync"}
                  </Text>
                  <SyncProgress job={latest} live={live} label={`Sync progress for ${s.name}`} />
                </Card>
              )}
              <Card withBorder component="section" aria-label="Details">
                <Table variant="vertical" layout="fixed" withRowBorders={false}>
                  <Table.Tbody>
                    <Table.Tr>
                      <Table.Th w={180}>Records</Table.Th>
                      <Table.Td>
                        <RecordsHere count={s.resources} syncing={syncing} live={live} />{" "}
                        {s.resources > 0 && <Link to={`/profiles/${profile}/timeline?source=${s.id}`}>see them on the timeline</Link>}
                      </Table.Td>
                    </Table.Tr>
                    <Table.Tr>
                      <Table.Th>Last synced</Table.Th>
                      <Table.Td>{s.last_sync_at ? `${formatDateTime(s.last_sync_at)} (${relativeTime(s.last_sync_at)})` : "Not yet"}</Table.Td>
                    </Table.Tr>
                    {s.next_sync_at && s.status !== "disconnected" && (
                      <Table.Tr>
                        <Table.Th>Next sync</Table.Th>
                        <Table.Td>{formatDateTime(s.next_sync_at)}</Table.Td>
                      </Table.Tr>
                    )}
                    {s.patient && (
                      <Table.Tr>
                        <Table.Th>{s.kind === "provider" ? "Portal account of" : "About"}</Table.Th>
                        <Table.Td>{personText(s.patient, formatDate)}</Table.Td>
                      </Table.Tr>
                    )}
                    {s.kind === "provider" && (
                      <Table.Tr>
                        <Table.Th>Server</Table.Th>
                        <Table.Td style={{ overflowWrap: "anywhere" }}>{s.fhir_base_url}</Table.Td>
                      </Table.Tr>
                    )}
                    {s.scope && (
                      <Table.Tr>
                        <Table.Th>Permission</Table.Th>
                        <Table.Td style={{ overflowWrap: "anywhere" }}>{s.scope}</Table.Td>
                      </Table.Tr>
                    )}
                    <Table.Tr>
                      <Table.Th>Added</Table.Th>
                      <Table.Td>{formatDateTime(s.created_at)}</Table.Td>
                    </Table.Tr>
                  </Table.Tbody>
                </Table>
              </Card>
              {canEdit && <SourceActions profile={profile} source={s} syncing={syncing} />}
              {canEdit && <RemoveSource profile={profile} name={name} source={s} disabled={running} />}
              {mine.length > 0 && (
                <Card withBorder component="section" aria-labelledby="history-title">
                  <Text fw={600} id="history-title" mb="xs">
                    Sync history
                  </Text>
                  <Table.ScrollContainer minWidth={480}>
                    <Table>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Started</Table.Th>
                          <Table.Th>Why</Table.Th>
                          <Table.Th>Result</Table.Th>
                          <Table.Th>Records</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {mine.slice(0, 10).map((j) => (
                          <JobRow key={j.id} job={j} compact />
                        ))}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                </Card>
              )}
            </Stack>
          </>
        );
      }}
    </QueryView>
  );
}

/** How many records came from the source; while the first sync runs, what is arriving instead of "0". */
function RecordsHere({ count, syncing, live }: { count: number; syncing: boolean; live: LiveProgress | undefined }) {
  if (!syncing || count > 0) return <>{formatCount(count)}</>;
  const arriving = live ? fetchedTotal(live) : 0;
  if (arriving === 0) return <>Connecting…</>;
  return <>Arriving now: {formatCount(arriving)} so far</>;
}

/** A portal account whose patient did not match the profile: nothing syncs until a person says whose it is. */
function ConfirmPerson({ profile, name, source, canEdit }: { profile: string; name: string; source: Source; canEdit: boolean }) {
  const client = useQueryClient();
  const confirm = useMutation({
    mutationFn: () => ok(api.POST("/api/profiles/{profile}/sources/{source}/confirm-person", { params: { path: { profile, source: source.id } } })),
    onSuccess: () => {
      for (const key of ["source", "sources", "jobs"]) void client.invalidateQueries({ queryKey: [key] });
    },
  });
  const who = source.patient ? personText(source.patient, formatDate) : "someone else";
  return (
    <Alert color="orange" title={`Is this ${possessive(name)} portal account?`} role="alert" data-testid="confirm-person">
      <Stack gap="xs">
        <Text size="sm">
          The portal says this account belongs to <strong>{who}</strong>, which does not match {name}. Nothing has been copied yet.
        </Text>
        {canEdit ? (
          <Group>
            <Button onClick={() => confirm.mutate()} loading={confirm.isPending}>
              Yes, these are {possessive(name)} records
            </Button>
            <Text size="sm" c="dimmed">
              If not, remove this source below.
            </Text>
          </Group>
        ) : (
          <Text size="sm">Someone who can edit {possessive(name)} records can confirm it.</Text>
        )}
        <Failure error={confirm.error} title="Not confirmed" />
      </Stack>
    </Alert>
  );
}

/** Remove the source and every record it brought, after saying how many; the sources page then offers to undo it. */
function RemoveSource({ profile, name, source, disabled }: { profile: string; name: string; source: Source; disabled: boolean }) {
  const [asking, setAsking] = useState(false);
  const client = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE("/api/profiles/{profile}/sources/{source}", { params: { path: { profile, source: source.id } } })),
    onSuccess: (removed) => {
      for (const key of ["sources", "timeline", "labs", "summary", "family", "jobs"]) void client.invalidateQueries({ queryKey: [key] });
      navigate(`/profiles/${profile}/sources?removed=${encodeURIComponent(removed.id)}`, { state: { removal: removed } });
    },
  });
  // How long a removed source is kept: read from what is kept already.
  const removals = useQuery({
    queryKey: ["removals", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/removals", { params: { path: { profile } } })),
    enabled: asking,
  });
  const what = source.kind === "provider" ? "connection" : source.kind === "manual" ? "typed-in records" : "upload";
  return (
    <Card withBorder component="section" aria-labelledby="remove-title">
      <Text fw={600} id="remove-title">
        Remove this {what}
      </Text>
      <Text size="sm" c="dimmed" mb="xs">
        Takes its {formatCount(source.resources)} records out of {possessive(name)} record. Records another source also sent stay.
      </Text>
      <Group>
        <Button color="red" variant="light" onClick={() => setAsking(true)} disabled={disabled}>
          Remove “{source.name}”
        </Button>
      </Group>
      <Modal opened={asking} onClose={() => setAsking(false)} title={`Remove “${source.name}”?`}>
        <Stack>
          <Text size="sm">
            {formatCount(source.resources)} {source.resources === 1 ? "record" : "records"} from this {what} will be removed from {possessive(name)}{" "}
            record{source.kind === "provider" ? ", and it is no longer synced" : ""}. Hearth keeps them for{" "}
            {daysText(keepDays(removals.data?.removals))}, so until then you can put them back.
          </Text>
          <Failure error={remove.error} title="Not removed" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(false)}>
              Keep it
            </Button>
            <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>
              Remove {formatCount(source.resources)} records
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
