import { Alert, Anchor, Button, Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import type { Removal } from "../api/types";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Empty, Failure, QueryView } from "../components/PageState";
import { SourceActions, SourceStatus, SourceStatusLine, SyncProgress, sourceKind } from "../components/SourceParts";
import { useProfileEvents } from "../lib/events";
import { formatCount } from "../lib/format";
import { refreshRecords } from "../lib/refresh";
import { undoneText, undoneTitle, undoRemoval, untilText } from "../lib/removals";
import { isActive, latestJobs, sourceState, useJobs, useSources } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function SourcesPage() {
  const { id, name, canEdit } = useCurrentProfile();
  const sources = useSources(id);
  const jobs = useJobs(id);
  const { progress } = useProfileEvents(id);
  const latest = latestJobs(jobs.data?.jobs ?? []);
  const [params] = useSearchParams();
  // Arriving from a removal: its id (and, from the source's page, the removal itself).
  const removedId = params.get("removed");

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
      {removedId && <Removed profile={id} removalId={removedId} name={name} canEdit={canEdit} />}
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
      <Text size="sm" c="dimmed" mt="lg">
        Removed sources and hidden records are kept for a while under{" "}
        <Anchor component={Link} to={`/profiles/${id}/removed`} inherit underline="always">
          Hidden and removed
        </Anchor>
        , where they can be put back.
      </Text>
    </>
  );
}

/** Just removed: how many records went, until when it can be put back, and an Undo. */
function Removed({ profile, removalId, name, canEdit }: { profile: string; removalId: string; name: string; canEdit: boolean }) {
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const passed = (location.state as { removal?: Removal } | null)?.removal;
  // Opened again later (no removal passed along): look it up among what can be put back.
  const removals = useQuery({
    queryKey: ["removals", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/removals", { params: { path: { profile } } })),
    enabled: passed?.id !== removalId,
  });
  const removal = passed?.id === removalId ? passed : removals.data?.removals.find((r) => r.id === removalId);
  const undo = useMutation({
    mutationFn: (r: Removal) => undoRemoval(r),
    onSuccess: async (back) => {
      navigate(`/profiles/${profile}/sources`, { replace: true });
      notify(undoneText(back, possessive(name)), { title: undoneTitle(back) });
      for (const key of ["sources", "jobs"]) void client.invalidateQueries({ queryKey: [key] });
      await refreshRecords(client, profile);
    },
  });
  if (!removal || removal.kind !== "removed-source") return null;
  return (
    <Alert color="green" role="status" mb="md" title={`Removed “${removal.label}”`}>
      <Stack gap="xs">
        <Text size="sm">
          {formatCount(removal.records)} {removal.records === 1 ? "record" : "records"} went with it. {untilText(removal, "them")}
        </Text>
        {canEdit && (
          <Group>
            <Button size="xs" variant="default" onClick={() => undo.mutate(removal)} loading={undo.isPending}>
              Undo
            </Button>
          </Group>
        )}
        <Failure error={undo.error} title="Not put back" />
      </Stack>
    </Alert>
  );
}
