import { Alert, Card, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { QueryView } from "../components/PageState";
import { SourceActions, SourceStatus, SyncProgress, sourceKind } from "../components/SourceParts";
import { JobRow } from "./Jobs";
import { useProfileEvents } from "../lib/events";
import { formatCount, formatDateTime, relativeTime } from "../lib/format";
import { isActive, useJobs } from "../lib/sources";
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
    <QueryView query={source} loading="Loading source…">
      {(s) => (
        <>
          <PageHeader
            title={s.name}
            subtitle={`${sourceKind(s)} · ${possessive(name)} records`}
            actions={<SourceStatus source={s} syncing={isActive(latest) || live !== undefined} />}
          />
          <Stack>
            {connected && (
              <Alert color="green" title="Connected" role="status">
                Hearth can now read these records, and will keep them up to date. The first sync is below.
              </Alert>
            )}
            {(latest || live) && (
              <Card withBorder component="section" aria-labelledby="sync-title">
                <Text fw={600} id="sync-title" mb="xs">
                  {isActive(latest) || live ? "Syncing now" : "Last sync"}
                </Text>
                <SyncProgress job={latest} live={live} label={`Sync progress for ${s.name}`} />
              </Card>
            )}
            {s.status === "needs-reconnect" && (
              <Alert color="orange" title="Sign in again to keep this up to date" role="status">
                {s.last_error ?? "The provider no longer accepts Hearth's permission."}
              </Alert>
            )}
            <Card withBorder component="section" aria-label="Details">
              <Table variant="vertical" layout="fixed" withRowBorders={false}>
                <Table.Tbody>
                  <Table.Tr>
                    <Table.Th w={180}>Records</Table.Th>
                    <Table.Td>
                      {formatCount(s.resources)} <Link to={`/profiles/${profile}/timeline?source=${s.id}`}>see them on the timeline</Link>
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
            {canEdit && <SourceActions profile={profile} source={s} syncing={isActive(latest)} />}
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
      )}
    </QueryView>
  );
}
