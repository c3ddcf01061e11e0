// A dashboard's "stat" card: the latest value exactly as recorded, the trend in
// words and whether a test is overdue. Kept apart from the charts so the health
// summary can show it without loading the chart library.
import { Anchor, Badge, Group, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { Link } from "react-router";
import { evidenceLink, pointText, readableDates, trendText, type Point, type StatCard } from "../lib/dashboards";
import { formatDate } from "../lib/format";

/** A value linked to the record it comes from (plain text when there is no record to link). */
export function PointLink({ profile, point, size, fw }: { profile: string; point: Point; size?: string; fw?: number }) {
  const to = point.evidence[0] ? evidenceLink(profile, point.evidence[0]) : null;
  const text = pointText(point);
  return to ? (
    <Anchor component={Link} to={to} size={size} fw={fw} title={`Open the record of ${text}`}>
      {text}
    </Anchor>
  ) : (
    <Text component="span" size={size} fw={fw}>
      {text}
    </Text>
  );
}

/** The "Overdue" badge: an icon and the word, not colour alone. */
export function OverdueBadge() {
  return (
    <Badge color="red" variant="light" leftSection={<IconAlertTriangle size={14} aria-hidden />}>
      Overdue
    </Badge>
  );
}

/** The body of a stat card (its title is the card's). `compact` is the health summary's one-line form. */
export function StatBody({ card, profile, compact = false }: { card: StatCard; profile: string; compact?: boolean }) {
  const note = readableDates(card.note);
  const trend = trendText(card);
  return (
    <Stack gap={compact ? 0 : 4}>
      {card.latest ? (
        <Group gap="xs" align="baseline" wrap="wrap">
          <PointLink profile={profile} point={card.latest} size={compact ? "md" : "xl"} fw={700} />
          <Text size="sm" c="dimmed">
            on {formatDate(card.latest.date)}
          </Text>
        </Group>
      ) : (
        <Text c="dimmed">No result on record</Text>
      )}
      {trend && <Text size="sm">{trend}</Text>}
      {card.overdue ? (
        <Group gap="xs" wrap="wrap">
          <OverdueBadge />
          {note && <Text size="sm">{note}</Text>}
        </Group>
      ) : (
        note && (
          <Text size="sm" c="dimmed">
            {note}
          </Text>
        )
      )}
    </Stack>
  );
}
