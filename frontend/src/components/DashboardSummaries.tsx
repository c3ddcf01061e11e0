// The health summary's part of each shown condition dashboard: its latest
// values (stat cards) and a link to the whole dashboard. Asked for only after
// the summary itself has arrived, and a dashboard that fails says so in one
// line without touching the rest of the page.
import { Anchor, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { errorText } from "../api/client";
import { drawFailureText, useDashboards, useDrawn } from "../api/dashboards";
import { placeCards, type DashboardEntry, type StatCard } from "../lib/dashboards";
import { StatBody } from "./DashboardStat";

export function DashboardSummaries({ profile }: { profile: string }) {
  const list = useDashboards(profile);
  if (list.isPending) return null;
  if (list.error)
    return (
      <Text size="sm" c="dimmed" role="status">
        Condition dashboards could not be loaded: {errorText(list.error)}
      </Text>
    );
  return (
    <>
      {list.data.dashboards
        .filter((d) => d.shown)
        .map((d) => (
          <DashboardSummary key={d.id} profile={profile} dashboard={d} />
        ))}
    </>
  );
}

function DashboardSummary({ profile, dashboard }: { profile: string; dashboard: DashboardEntry }) {
  const drawn = useDrawn(profile, dashboard.id);
  const titleId = `ov-dashboard-${dashboard.id}`;
  const link = `/profiles/${profile}/dashboards/${encodeURIComponent(dashboard.id)}`;
  // The stats in the order the person arranged them, hidden ones left out.
  const stats = drawn.data
    ? placeCards(drawn.data.board, drawn.data.layout)
        .shown.map((p) => p.card)
        .filter((c): c is StatCard => c.widget === "stat")
    : [];
  return (
    <Card withBorder component="section" aria-labelledby={titleId}>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={2} size="h5" id={titleId}>
          {dashboard.name}
        </Title>
        {dashboard.reason && (
          <Text size="xs" c="dimmed">
            {dashboard.reason}
          </Text>
        )}
      </Group>
      {drawn.isPending ? (
        <Text size="sm" c="dimmed" role="status">
          Loading {dashboard.name}…
        </Text>
      ) : drawn.error ? (
        <Text size="sm" role="status">
          {dashboard.name} could not be drawn: {drawFailureText(drawn.error)}
        </Text>
      ) : stats.length === 0 ? (
        <Text size="sm" c="dimmed">
          No latest values on this dashboard.
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }} spacing="sm">
          {stats.map((s) => (
            <Stack key={s.key} component="li" gap={2}>
              <Title order={3} size="h6">
                {s.title}
              </Title>
              <StatBody card={s} profile={profile} compact />
            </Stack>
          ))}
        </SimpleGrid>
      )}
      <Anchor component={Link} to={link} size="sm" mt="xs">
        Open {dashboard.name} dashboard
      </Anchor>
    </Card>
  );
}
