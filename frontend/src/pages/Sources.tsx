import { Alert, Anchor, Button, Card, Group, Modal, SimpleGrid, Stack, Text } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";
import { errorText } from "../api/client";
import type { Source } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { SourceStatus, SyncProgress, sourceKind } from "../components/SourceParts";
import { useProfileEvents } from "../lib/events";
import { formatCount, relativeTime } from "../lib/format";
import { isActive, latestJobs, useJobs, useSourceActions, useSources } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function SourcesPage() {
  const { id, name, canEdit } = useCurrentProfile();
  const sources = useSources(id);
  const jobs = useJobs(id);
  const { progress } = useProfileEvents(id);
  const actions = useSourceActions(id);
  const [confirm, setConfirm] = useState<Source | null>(null);
  const latest = latestJobs(jobs.data?.jobs ?? []);
  const failure = actions.sync.error ?? actions.reconnect.error ?? actions.disconnect.error;

  return (
    <>
      <PageHeader
        title="Sources"
        subtitle={`Where ${possessive(name)} records come from`}
        actions={
          canEdit && (
            <Button component={Link} to={`/profiles/${id}/sources/connect`}>
              Connect a provider
            </Button>
          )
        }
      />
      {failure && (
        <Alert color="red" role="alert" mb="md" title="That did not work">
          {errorText(failure)}
        </Alert>
      )}
      <QueryView query={sources} loading="Loading sources…">
        {({ sources: list }) =>
          list.length === 0 ? (
            <Empty
              title="No sources yet"
              action={
                canEdit && (
                  <Group>
                    <Button component={Link} to={`/profiles/${id}/sources/connect`}>
                      Connect a provider
                    </Button>
                    <Button variant="default" component={Link} to={`/profiles/${id}/upload`}>
                      Upload a file
                    </Button>
                  </Group>
                )
              }
            >
              Connect a hospital or clinic's patient portal and {possessive(name)} records arrive here and stay up to date.
            </Empty>
          ) : (
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              {list.map((s) => {
                const job = latest[s.id];
                const syncing = isActive(job) || progress[s.id] !== undefined;
                return (
                  <Card key={s.id} withBorder component="section" aria-labelledby={`source-${s.id}`}>
                    <Stack gap="xs">
                      <Group justify="space-between" wrap="nowrap" align="flex-start">
                        <div>
                          <Anchor component={Link} to={`/profiles/${id}/sources/${s.id}`} fw={600} id={`source-${s.id}`}>
                            {s.name}
                          </Anchor>
                          <Text size="sm" c="dimmed">
                            {sourceKind(s)}
                          </Text>
                        </div>
                        <SourceStatus source={s} syncing={syncing} />
                      </Group>
                      <Text size="sm">
                        {formatCount(s.resources)} records
                        {s.last_sync_at && <> · last synced {relativeTime(s.last_sync_at)}</>}
                        {s.next_sync_at && s.status !== "disconnected" && <> · next {relativeTime(s.next_sync_at)}</>}
                      </Text>
                      {s.last_error && s.status !== "ok" && (
                        <Text size="sm" c="red.8">
                          {s.last_error}
                        </Text>
                      )}
                      {syncing && <SyncProgress job={job} live={progress[s.id]} label={`Sync progress for ${s.name}`} />}
                      {canEdit && s.kind === "provider" && (
                        <Group gap="xs">
                          {s.status === "needs-reconnect" || s.status === "disconnected" ? (
                            s.endpoint_id && (
                              <Button size="xs" onClick={() => actions.reconnect.mutate(s.id)} loading={actions.reconnect.isPending}>
                                Sign in again
                              </Button>
                            )
                          ) : (
                            <Button size="xs" variant="default" disabled={syncing} onClick={() => actions.sync.mutate(s.id)}>
                              Sync now
                            </Button>
                          )}
                          {s.endpoint_id && s.status !== "disconnected" && (
                            <Button size="xs" variant="subtle" color="red" onClick={() => setConfirm(s)}>
                              Disconnect
                            </Button>
                          )}
                        </Group>
                      )}
                    </Stack>
                  </Card>
                );
              })}
            </SimpleGrid>
          )
        }
      </QueryView>
      <Modal opened={confirm !== null} onClose={() => setConfirm(null)} title={`Disconnect ${confirm?.name ?? ""}?`}>
        <Stack>
          <Text size="sm">
            Hearth will forget its permission to read this portal and stop syncing. The records already here stay; you can sign in again later.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              Keep connected
            </Button>
            <Button
              color="red"
              onClick={() => {
                if (confirm) actions.disconnect.mutate(confirm.id);
                setConfirm(null);
              }}
            >
              Disconnect
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
