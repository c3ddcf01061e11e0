// The family view: each person the signed-in user looks after, and what in
// their record needs a look. Answers "is everyone all right?" at a glance.
import { Anchor, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { ageText, formatDate } from "../lib/format";

export default function EveryonePage() {
  const family = useQuery({ queryKey: ["family"], queryFn: () => ok(api.GET("/api/family")) });
  return (
    <>
      <PageHeader title="Your family" subtitle="Everyone whose records you look after, and what needs a look" />
      <QueryView query={family} loading="Loading your family…">
        {({ people }) =>
          people.length === 0 ? (
            <Empty
              title="Nobody yet"
              action={
                <Button component={Link} to="/family">
                  Add a person
                </Button>
              }
            >
              Add yourself or someone you look after to start a record.
            </Empty>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {people.map(({ profile: p, attention: a }) => {
                const age = ageText(p.birth_date);
                const calm = a.abnormal === 0 && a.sources.length === 0;
                return (
                  <Card key={p.id} withBorder component="li" aria-labelledby={`person-${p.id}`}>
                    <Stack gap={6}>
                      <Group justify="space-between" wrap="nowrap">
                        <Title order={2} size="h4" id={`person-${p.id}`}>
                          <Anchor component={Link} to={`/profiles/${p.id}`} inherit>
                            {p.name}
                          </Anchor>
                        </Title>
                        {p.role !== "owner" && (
                          <Badge variant="light" color="gray">
                            shared: {p.role}
                          </Badge>
                        )}
                      </Group>
                      {age && (
                        <Text size="sm" c="dimmed">
                          {age}
                        </Text>
                      )}
                      {a.sources.map((s) => (
                        <Text key={s.id} size="sm" c="orange.9">
                          <Anchor component={Link} to={`/profiles/${p.id}/sources/${s.id}`} inherit>
                            {s.name}
                          </Anchor>{" "}
                          {s.status === "needs-reconnect" ? "needs reconnecting" : "stopped updating"}
                        </Text>
                      ))}
                      {a.abnormal > 0 && (
                        <Text size="sm">
                          <Anchor component={Link} to={`/profiles/${p.id}/labs?flagged=1`}>
                            {a.abnormal === 1 ? "1 test" : `${a.abnormal} tests`} out of range
                          </Anchor>{" "}
                          at the latest result
                        </Text>
                      )}
                      {a.problems > 0 && <Text size="sm">{a.problems === 1 ? "1 active problem" : `${a.problems} active problems`}</Text>}
                      {calm && <Text size="sm">Nothing needs a look.</Text>}
                      <Text size="xs" c="dimmed">
                        {a.latest ? `Newest record ${formatDate(a.latest)}` : "No dated records yet"}
                      </Text>
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
