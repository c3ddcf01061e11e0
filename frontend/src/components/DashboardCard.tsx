// One card of a condition dashboard, whatever its widget. Every value links to
// the record it comes from; charts come with the same facts in a table.
import { Anchor, Badge, Card, Group, Stack, Table, Text, Title, type MantineColor, type TitleOrder } from "@mantine/core";
import { IconAlertTriangle, IconCircleCheck, IconCircleX, IconHelpCircle } from "@tabler/icons-react";
import { Fragment, useId, type ReactNode } from "react";
import { Link, useNavigate } from "react-router";
import {
  chartSummary,
  citationParts,
  evidenceLabels,
  evidenceLink,
  readableDates,
  seriesByUnit,
  STATUS_WORDS,
  targetsFor,
  targetText,
  type Card as BoardCard,
  type LineChartCard,
  type Status,
  type StatusListCard,
  type TableCard,
  type Target,
  type TimelineStripCard,
} from "../lib/dashboards";
import { formatDate } from "../lib/format";
import { DashboardChart } from "./DashboardChart";
import { PointLink, StatBody } from "./DashboardStat";

/** A card in a frame with its title as a heading. */
export function DashboardCard({ card, profile, headingOrder = 2 }: { card: BoardCard; profile: string; headingOrder?: TitleOrder }) {
  const titleId = useId();
  return (
    <Card withBorder component="section" aria-labelledby={titleId} padding="sm" h="100%">
      <Title order={headingOrder} size="h5" id={titleId} mb="xs">
        {card.title}
      </Title>
      <CardBody card={card} profile={profile} />
    </Card>
  );
}

function CardBody({ card, profile }: { card: BoardCard; profile: string }) {
  switch (card.widget) {
    case "stat":
      return <StatBody card={card} profile={profile} />;
    case "line-chart":
      return <LineChartBody card={card} profile={profile} />;
    case "table":
      return <TableBody card={card} profile={profile} />;
    case "status-list":
      return <StatusListBody card={card} profile={profile} />;
    case "timeline-strip":
      return <TimelineBody card={card} profile={profile} />;
    default:
      // A newer dashboard plugin may draw a widget this page does not know yet.
      return <Text c="dimmed">This card cannot be shown by this version of Hearth.</Text>;
  }
}

/** Links to the records behind a fact ("Prescription", "Immunization"). */
export function EvidenceLinks({ profile, refs, label }: { profile: string; refs: string[]; label?: string }) {
  const labels = evidenceLabels(refs);
  const links = refs.flatMap((ref, i) => {
    const to = evidenceLink(profile, ref);
    return to ? [{ to, text: labels[i]! }] : [];
  });
  if (links.length === 0) return null;
  return (
    <Text size="xs" c="dimmed" component="span">
      {label ?? "From"}:{" "}
      {links.map((l, i) => (
        <Fragment key={l.to}>
          {i > 0 && ", "}
          <Anchor component={Link} to={l.to} size="xs">
            {l.text}
          </Anchor>
        </Fragment>
      ))}
    </Text>
  );
}

/** Where a target comes from, its web addresses as links. */
export function Citation({ source }: { source: string }) {
  if (!source.trim()) return null;
  return (
    <Text size="xs" c="dimmed" style={{ overflowWrap: "anywhere" }}>
      Source:{" "}
      {citationParts(source).map((p, i) =>
        p.url ? (
          <Anchor key={i} href={p.url} target="_blank" rel="noreferrer" size="xs" underline="always">
            {p.text}
          </Anchor>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </Text>
  );
}

function TargetList({ targets }: { targets: Target[] }) {
  if (targets.length === 0) return null;
  return (
    <Stack component="ul" gap={4} style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Targets">
      {targets.map((t, i) => (
        <li key={i}>
          <Text size="sm">Target: {targetText(t)}</Text>
          <Citation source={t.source} />
        </li>
      ))}
    </Stack>
  );
}

function LineChartBody({ card, profile }: { card: LineChartCard; profile: string }) {
  const navigate = useNavigate();
  const withPoints = card.series.filter((s) => s.points.length > 0);
  const groups = seriesByUnit(withPoints);
  const open = (ref: string) => {
    const to = evidenceLink(profile, ref);
    if (to) navigate(to);
  };
  return (
    <Stack gap="xs">
      {groups.length === 0 ? (
        <Text c="dimmed">No results on record</Text>
      ) : (
        groups.map((g) => {
          const summary = chartSummary(card.title, g.series);
          const several = g.series.length > 1;
          const rows = g.series.flatMap((s) => s.points.map((p) => ({ s, p }))).sort((a, b) => b.p.date.localeCompare(a.p.date));
          return (
            <Stack key={g.unit} gap={4}>
              <DashboardChart series={g.series} targets={targetsFor(card.targets, g.unit, groups.length)} summary={summary} onPick={open} />
              <details>
                <summary>
                  <Text component="span" size="sm">
                    Results as a table ({rows.length})
                  </Text>
                </summary>
                <Table.ScrollContainer minWidth={280}>
                  <Table striped>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Date</Table.Th>
                        {several && <Table.Th>Test</Table.Th>}
                        <Table.Th>Result</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {rows.map(({ s, p }, i) => (
                        <Table.Tr key={i}>
                          <Table.Td>{formatDate(p.date)}</Table.Td>
                          {several && <Table.Td>{s.name}</Table.Td>}
                          <Table.Td>
                            <PointLink profile={profile} point={p} size="sm" />
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              </details>
            </Stack>
          );
        })
      )}
      <TargetList targets={card.targets} />
    </Stack>
  );
}

function TableBody({ card, profile }: { card: TableCard; profile: string }) {
  if (card.rows.length === 0) return <Text c="dimmed">Nothing on record</Text>;
  const sourced = card.rows.some((r) => r.evidence.length > 0);
  return (
    <Table.ScrollContainer minWidth={320}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            {card.columns.map((c, i) => (
              <Table.Th key={i}>{c}</Table.Th>
            ))}
            {sourced && <Table.Th>Records</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {card.rows.map((r, i) => (
            <Table.Tr key={i}>
              {r.cells.map((c, j) => (
                <Table.Td key={j}>{readableDates(c)}</Table.Td>
              ))}
              {sourced && (
                <Table.Td>
                  <EvidenceLinks profile={profile} refs={r.evidence} label="Open" />
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const STATUS_LOOK: Record<Status, { color: MantineColor; icon: ReactNode }> = {
  ok: { color: "green", icon: <IconCircleCheck size={14} aria-hidden /> },
  attention: { color: "red", icon: <IconAlertTriangle size={14} aria-hidden /> },
  missing: { color: "orange", icon: <IconCircleX size={14} aria-hidden /> },
  indeterminate: { color: "gray", icon: <IconHelpCircle size={14} aria-hidden /> },
};

/** A status as a word with an icon (never colour alone). */
export function StatusBadge({ status }: { status: Status }) {
  const look = STATUS_LOOK[status] ?? STATUS_LOOK.indeterminate;
  return (
    <Badge color={look.color} variant="light" leftSection={look.icon} style={{ flexShrink: 0 }}>
      {STATUS_WORDS[status] ?? STATUS_WORDS.indeterminate}
    </Badge>
  );
}

function StatusListBody({ card, profile }: { card: StatusListCard; profile: string }) {
  if (card.items.length === 0) return <Text c="dimmed">Nothing on record</Text>;
  return (
    <Stack component="ul" gap="xs" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {card.items.map((item, i) => (
        <li key={i}>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <StatusBadge status={item.status} />
            <Stack gap={0} miw={0}>
              <Text fw={600} size="sm">
                {item.label}
              </Text>
              {item.detail && (
                <Text size="sm" style={{ overflowWrap: "anywhere" }}>
                  {readableDates(item.detail)}
                </Text>
              )}
              <EvidenceLinks profile={profile} refs={item.evidence} />
            </Stack>
          </Group>
        </li>
      ))}
    </Stack>
  );
}

function TimelineBody({ card, profile }: { card: TimelineStripCard; profile: string }) {
  if (card.events.length === 0) return <Text c="dimmed">Nothing on record</Text>;
  const events = [...card.events].sort((a, b) => b.date.localeCompare(a.date));
  return (
    <Stack component="ol" gap={6} style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {events.map((e, i) => {
        const to = e.evidence[0] ? evidenceLink(profile, e.evidence[0]) : null;
        return (
          <li key={i}>
            <Group gap="xs" wrap="wrap">
              <Text size="sm" c="dimmed" w={96} style={{ flexShrink: 0 }}>
                {formatDate(e.date) || "Undated"}
              </Text>
              {to ? (
                <Anchor component={Link} to={to} size="sm">
                  {e.label}
                </Anchor>
              ) : (
                <Text size="sm">{e.label}</Text>
              )}
            </Group>
          </li>
        );
      })}
    </Stack>
  );
}
