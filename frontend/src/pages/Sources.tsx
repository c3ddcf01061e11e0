import { Anchor, Button, Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { SourceActions, SourceStatus, SyncProgress, sourceKind } from "../components/SourceParts";
import { useProfileEvents } from "../lib/events";
import { formatCount, relativeTime } from "../lib/format";
import { isActive, latestJobs, useJobs, useSources } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function SourcesPage() {
  const { id, name, canEdit } = useCurrentProfile();
  const sources = useSources(id);
  const jobs = useJobs(id);
  const { progress } = useProfileEvents(id);
  const latest = latestJobs(jobs.data?.jobs ?? []);

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
                      {canEdit && <SourceActions profile={id} source={s} syncing={syncing} size="xs" />}
                    </Stack>
                  </Card>
                );
              })}
            </SimpleGrid>
          )
        }
      </QueryView>
    </>
  );
}
