// What was taken out of a profile's records and can still be put back:
// hidden records, deleted typed-in records and removed sources.
import { Button, Card, Group, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Removal } from "../api/types";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Empty, Failure, QueryView } from "../components/PageState";
import { refreshRecords } from "../lib/refresh";
import { keptText, removalKindText, removedByText, undoLabel, undoneText, undoneTitle, undoRemoval } from "../lib/removals";
import { possessive, useCurrentProfile } from "../profile";

export default function RemovedPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const removals = useQuery({
    queryKey: ["removals", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/removals", { params: { path: { profile } } })),
  });
  return (
    <>
      <PageHeader title="Hidden and removed" subtitle={`What was taken out of ${possessive(name)} records, and can be put back`} />
      <QueryView query={removals} loading="Loading what was hidden and removed…">
        {({ removals: list }) =>
          list.length === 0 ? (
            <Empty title="Nothing hidden or removed">
              When someone hides a record, changes or deletes a record they typed in, or removes a source, it is listed here for a while and can be
              put back.
            </Empty>
          ) : (
            <Stack>
              <Text size="sm" c="dimmed">
                Hidden records stay until someone shows them again. Deleted records, removed sources and what changed records said before are kept for
                a while, then deleted for good.
                {!canEdit && ` Someone who can change ${possessive(name)} records can put them back.`}
              </Text>
              <Stack component="ul" gap="sm" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Hidden and removed">
                {list.map((r) => (
                  <RemovalRow key={r.id} removal={r} profile={profile} name={name} canEdit={canEdit} />
                ))}
              </Stack>
            </Stack>
          )
        }
      </QueryView>
    </>
  );
}

function RemovalRow({ removal, profile, name, canEdit }: { removal: Removal; profile: string; name: string; canEdit: boolean }) {
  const client = useQueryClient();
  const undo = useMutation({
    mutationFn: () => undoRemoval(removal),
    onSuccess: async (back) => {
      notify(undoneText(back, possessive(name)), { title: undoneTitle(back) });
      if (back.kind === "removed-source") void client.invalidateQueries({ queryKey: ["sources"] });
      await refreshRecords(client, profile);
    },
  });
  const titleId = `removal-${removal.id}`;
  return (
    <Card withBorder component="li" padding="sm" aria-labelledby={titleId}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={2} miw={0}>
          <Text fw={600} id={titleId} style={{ overflowWrap: "anywhere" }}>
            {removal.label}
          </Text>
          <Text size="sm">{removalKindText(removal)}</Text>
          <Text size="sm" c="dimmed">
            {removedByText(removal)} · {keptText(removal)}
          </Text>
        </Stack>
        {canEdit && (
          <Button size="xs" variant="default" aria-describedby={titleId} loading={undo.isPending} onClick={() => undo.mutate()}>
            {undoLabel(removal)}
          </Button>
        )}
      </Group>
      <Failure
        error={undo.error}
        title={removal.kind === "hidden-record" ? "Not shown again" : removal.kind === "edited-record" ? "Not undone" : "Not put back"}
        mt="xs"
      />
    </Card>
  );
}
