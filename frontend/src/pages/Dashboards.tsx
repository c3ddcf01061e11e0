// The condition dashboards of a profile: the ones shown (because the records
// suggest them, or someone added them) and the others, to add.
import { Anchor, Button, Card, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { chooseDashboard, dashboardKeys, useDashboards } from "../api/dashboards";
import { PageHeader } from "../components/PageHeader";
import { Empty, Failure, QueryView } from "../components/PageState";
import type { Choice, DashboardEntry } from "../lib/dashboards";
import { possessive, useCurrentProfile } from "../profile";

export default function DashboardsPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const list = useDashboards(profile);
  return (
    <>
      <PageHeader title="Dashboards" subtitle={`Condition dashboards for ${possessive(name)} record`} />
      <QueryView query={list} loading="Loading dashboards…">
        {({ dashboards }) => {
          if (dashboards.length === 0)
            return <Empty title="No dashboards available">Dashboards come from plugins; the administrator of this Hearth can add them.</Empty>;
          const shown = dashboards.filter((d) => d.shown);
          const others = dashboards.filter((d) => !d.shown);
          return (
            <Stack gap="lg">
              <Stack component="section" aria-labelledby="shown-dashboards" gap="xs">
                <Title order={2} size="h4" id="shown-dashboards">
                  Shown
                </Title>
                {shown.length === 0 ? (
                  <Text c="dimmed">No dashboard is shown. The records suggest none, or they were hidden.</Text>
                ) : (
                  <DashboardList dashboards={shown} profile={profile} canEdit={canEdit} />
                )}
              </Stack>
              {others.length > 0 && (
                <Stack component="section" aria-labelledby="other-dashboards" gap="xs">
                  <Title order={2} size="h4" id="other-dashboards">
                    Other dashboards
                  </Title>
                  <DashboardList dashboards={others} profile={profile} canEdit={canEdit} />
                </Stack>
              )}
            </Stack>
          );
        }}
      </QueryView>
    </>
  );
}

function DashboardList({ dashboards, profile, canEdit }: { dashboards: DashboardEntry[]; profile: string; canEdit: boolean }) {
  return (
    <Stack component="ul" gap="sm" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {dashboards.map((d) => (
        <DashboardRow key={d.id} dashboard={d} profile={profile} canEdit={canEdit} />
      ))}
    </Stack>
  );
}

/** Why a dashboard is or is not shown, in words. */
function whyText(d: DashboardEntry): string | null {
  if (d.choice === "shown") return d.proposed && d.reason ? `Added by hand · ${d.reason}` : "Added by hand";
  if (d.choice === "hidden") return d.proposed && d.reason ? `Hidden by hand · ${d.reason}` : "Hidden by hand";
  return d.reason;
}

function DashboardRow({ dashboard: d, profile, canEdit }: { dashboard: DashboardEntry; profile: string; canEdit: boolean }) {
  const client = useQueryClient();
  const choose = useMutation({
    mutationFn: (choice: Choice) => chooseDashboard(profile, d.id, choice),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: dashboardKeys.list(profile) }),
        client.invalidateQueries({ queryKey: dashboardKeys.drawn(profile, d.id) }),
      ]),
  });
  const titleId = `dashboard-${d.id}`;
  const why = whyText(d);
  return (
    <Card withBorder component="li" padding="sm" aria-labelledby={titleId}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={2} miw={0}>
          <Anchor component={Link} to={`/profiles/${profile}/dashboards/${encodeURIComponent(d.id)}`} fw={600} id={titleId}>
            {d.name}
          </Anchor>
          {why && <Text size="sm">{why}</Text>}
        </Stack>
        {canEdit && (
          <Group gap="xs">
            {d.shown ? (
              <Button
                size="xs"
                variant="default"
                aria-describedby={titleId}
                loading={choose.isPending && choose.variables === "hidden"}
                onClick={() => choose.mutate("hidden")}
              >
                Hide
              </Button>
            ) : (
              <Button
                size="xs"
                aria-describedby={titleId}
                loading={choose.isPending && choose.variables === "shown"}
                onClick={() => choose.mutate("shown")}
              >
                Add
              </Button>
            )}
            {/* A choice made by hand can go back to following the records. */}
            {d.choice !== "auto" && (
              <Button
                size="xs"
                variant="subtle"
                aria-describedby={titleId}
                title="Show it when the records suggest it, as at first"
                loading={choose.isPending && choose.variables === "auto"}
                onClick={() => choose.mutate("auto")}
              >
                Reset
              </Button>
            )}
          </Group>
        )}
      </Group>
      <Failure error={choose.error} title="Not changed" mt="xs" />
    </Card>
  );
}
