import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { formatDate, formatNumber } from "../lib/format";
import { flagText, isFlagged } from "../lib/labs";
import { possessive, useCurrentProfile } from "../profile";

export default function LabsPage() {
  const { id: profile, name } = useCurrentProfile();
  const [filter, setFilter] = useState("");
  const tests = useQuery({
    queryKey: ["labs", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/labs", { params: { path: { profile } } })),
  });
  return (
    <>
      <PageHeader title="Lab results" subtitle={`${possessive(name)} tests and measurements with numbers, latest first`} />
      <QueryView query={tests} loading="Loading lab results…">
        {({ tests: list }) => {
          const q = filter.trim().toLowerCase();
          const shown = q ? list.filter((t) => (t.name ?? t.code).toLowerCase().includes(q) || t.code.includes(q)) : list;
          if (list.length === 0)
            return (
              <Empty title="No lab results yet">Results with numbers (blood tests, weight, blood pressure…) appear here once records arrive.</Empty>
            );
          return (
            <Stack>
              <TextInput label="Find a test" type="search" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} maw={360} />
              {shown.length === 0 && <Text c="dimmed">No test matches “{filter}”.</Text>}
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
                {shown.map((t) => {
                  const latest = t.latest;
                  return (
                    <Card key={`${t.system}|${t.code}`} withBorder component="li" padding="sm">
                      <Anchor component={Link} to={`/profiles/${profile}/labs/test?code=${encodeURIComponent(`${t.system}|${t.code}`)}`} fw={600}>
                        {t.name ?? t.code}
                      </Anchor>
                      {latest ? (
                        <Group gap="xs" mt={4}>
                          <Text fw={700} size="lg">
                            {formatNumber(latest.value)} {latest.unit ?? ""}
                          </Text>
                          {isFlagged(latest) && (
                            <Badge color="red" variant="light">
                              {flagText(latest.flag)}
                            </Badge>
                          )}
                        </Group>
                      ) : null}
                      <Text size="xs" c="dimmed">
                        {t.count} {t.count === 1 ? "result" : "results"}
                        {t.last_date ? ` · latest ${formatDate(t.last_date)}` : ""}
                      </Text>
                    </Card>
                  );
                })}
              </SimpleGrid>
            </Stack>
          );
        }}
      </QueryView>
    </>
  );
}
