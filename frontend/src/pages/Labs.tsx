import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Switch, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import type { LabTest } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { formatDate } from "../lib/format";
import { labCards, labSections, testPath, type LabCard } from "../lib/labgroups";
import { flagText, isFlagged } from "../lib/labs";
import { pressureText, valueText } from "../lib/units";
import { possessive, useCurrentProfile } from "../profile";

type Latest = NonNullable<LabTest["latest"]>;

/** A latest result's flag in words, as a badge (red when out of range); nothing when it has none. */
function FlagBadge({ latest, label }: { latest: Latest | null | undefined; label?: string }) {
  const words = flagText(latest?.flag);
  if (!latest || !words) return null;
  return (
    <Badge color={isFlagged(latest) ? "red" : "gray"} variant="light">
      {label ? `${label} ${words.toLowerCase()}` : words}
    </Badge>
  );
}

function TestCard({ card, profile }: { card: LabCard; profile: string }) {
  const [first, second] = card.tests;
  const t = first!;
  const count = Math.max(...card.tests.map((x) => x.count));
  const sameDay = !second || (t.last_date ?? "").slice(0, 10) === (second.last_date ?? "").slice(0, 10);
  const labels = second ? ["Systolic", "Diastolic"] : [""];
  const unranged = card.tests.flatMap((x, i) => (x.latest && !x.latest.flag ? [labels[i]!] : []));
  const noun = second ? (count === 1 ? "reading" : "readings") : count === 1 ? "result" : "results";
  return (
    <Card withBorder component="li" padding="sm">
      <Anchor component={Link} to={testPath(profile, card)} fw={600} style={{ overflowWrap: "anywhere" }}>
        {card.name}
      </Anchor>
      {t.latest && (!second || second.latest) ? (
        <Group gap="xs" mt={4}>
          <Text fw={700} size="lg" style={{ overflowWrap: "anywhere" }}>
            {second ? pressureText(t.latest, second.latest!) : valueText(t.latest.value, t.latest.unit)}
          </Text>
          <FlagBadge latest={t.latest} label={second ? "Systolic" : undefined} />
          <FlagBadge latest={second?.latest} label="Diastolic" />
        </Group>
      ) : null}
      {/* Never "normal" without a reference: say when the lab gave none. */}
      {unranged.length > 0 && (
        <Text size="xs" c="dimmed">
          {unranged.length === card.tests.length ? "No" : `${unranged.join(" and ")}: no`} reference range from the lab
        </Text>
      )}
      <Text size="xs" c="dimmed">
        {count} {noun}
        {sameDay
          ? card.lastDate
            ? ` · latest ${formatDate(card.lastDate)}`
            : ""
          : ` · systolic ${formatDate(t.last_date) || "undated"}, diastolic ${formatDate(second?.last_date) || "undated"}`}
      </Text>
    </Card>
  );
}

function Cards({ cards, profile }: { cards: LabCard[]; profile: string }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {cards.map((c) => (
        <TestCard key={c.key} card={c} profile={profile} />
      ))}
    </SimpleGrid>
  );
}

export default function LabsPage() {
  const { id: profile, name } = useCurrentProfile();
  const [filter, setFilter] = useState("");
  const [outOfRange, setOutOfRange] = useState(false);
  const tests = useQuery({
    queryKey: ["labs", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/labs", { params: { path: { profile } } })),
  });
  return (
    <>
      <PageHeader title="Lab results" subtitle={`${possessive(name)} vital signs, tests and measurements, most recent first`} />
      <QueryView query={tests} loading="Loading lab results…">
        {({ tests: list }) => {
          if (list.length === 0)
            return (
              <Empty title="No lab results yet">Results with numbers (blood tests, weight, blood pressure…) appear here once records arrive.</Empty>
            );
          const all = labCards(list);
          const flagged = all.filter((c) => c.flagged).length;
          const sections = labSections(list, { query: filter, outOfRangeOnly: outOfRange });
          const shown = sections.reduce((n, s) => n + s.cards.length, 0);
          const q = filter.trim();
          return (
            <Stack>
              <Group align="flex-end" gap="lg" wrap="wrap">
                <TextInput label="Find a test" type="search" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={320} maw="100%" />
                <Switch label="Out of range only" checked={outOfRange} onChange={(e) => setOutOfRange(e.currentTarget.checked)} mb={8} />
              </Group>
              <Text size="sm" c="dimmed" aria-live="polite">
                {shown === all.length ? `${all.length} ${all.length === 1 ? "test" : "tests"}` : `${shown} of ${all.length} tests shown`}
                {` · ${flagged} with the latest result out of range`}
              </Text>
              {sections.length === 0 && (
                <Empty
                  title={q && outOfRange ? `No out-of-range test matches “${q}”` : q ? `No test matches “${q}”` : "No latest result is out of range"}
                  action={
                    <Button
                      variant="default"
                      size="xs"
                      onClick={() => {
                        setFilter("");
                        setOutOfRange(false);
                      }}
                    >
                      Show all tests
                    </Button>
                  }
                >
                  {outOfRange && !q
                    ? "Every test's latest result is within its normal range, or the lab gave no range for it."
                    : "Search by a test's name (as you know it or as the lab wrote it) or its code."}
                </Empty>
              )}
              {sections.map((s) => (
                <Stack component="section" key={s.kind} aria-labelledby={`labs-${s.kind}`} gap="xs">
                  <Title order={2} size="h4" id={`labs-${s.kind}`}>
                    {s.heading}{" "}
                    <Text span c="dimmed" fw={400} size="sm">
                      · {s.cards.length} {s.cards.length === 1 ? "test" : "tests"}
                    </Text>
                  </Title>
                  {s.groups.map((g, i) =>
                    g.panel === null ? (
                      <Cards key={g.key} cards={g.cards} profile={profile} />
                    ) : (
                      // Tests reported together (a "Lipid panel"), under the panel's name.
                      <Stack key={g.key} gap={6} component="section" aria-labelledby={`labs-${s.kind}-${i}`} mt={i > 0 ? "xs" : 0}>
                        <Title order={3} size="h6" id={`labs-${s.kind}-${i}`} style={{ overflowWrap: "anywhere" }}>
                          {g.panel}{" "}
                          <Text span c="dimmed" fw={400} size="sm">
                            · {g.cards.length} {g.cards.length === 1 ? "test" : "tests"}
                          </Text>
                        </Title>
                        <Cards cards={g.cards} profile={profile} />
                      </Stack>
                    ),
                  )}
                </Stack>
              ))}
            </Stack>
          );
        }}
      </QueryView>
    </>
  );
}
