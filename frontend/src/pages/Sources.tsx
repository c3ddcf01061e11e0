import { Alert, Anchor, Button, Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { Link, useSearchParams } from "react-router";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { SourceActions, SourceStatus, SourceStatusLine, SyncProgress, sourceKind } from "../components/SourceParts";
import { useProfileEvents } from "../lib/events";
import { formatCount } from "../lib/format";
import { isActive, latestJobs, sourceState, useJobs, useSources } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function SourcesPage() {
  const { id, name, canEdit } = useCurrentProfile();
  const sources = useSources(id);
  const jobs = useJobs(id);
  const { progress } = useProfileEvents(id);
  const latest = latestJobs(jobs.data?.jobs ?? []);
  const [params] = useSearchParams();
  // Arriving from a removal: "name|records".
  const removed = params.get("removed")?.split("|");

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
      {removed && (
        <Alert color="green" role="status" mb="md" title={`Removed “${removed[0]}”`}>
          {formatCount(Number(removed[1] ?? 0))} records went with it.
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
                const state = sourceState(s, job, progress[s.id]);
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
                            {/* No "0 records" while the first ones are on their way. */}
                            {!(syncing && s.resources === 0) && ` · ${formatCount(s.resources)} ${s.resources === 1 ? "record" : "records"}`}
                          </Text>
                        </div>
                        <SourceStatus state={state} />
                      </Group>
                      {/* While a sync runs, its bar says how it goes. */}
                      {!(progress[s.id] !== undefined || job?.status === "running") && <SourceStatusLine state={state} />}
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
