// The health summary's "What is due" card: how many recommendations are
// overdue and due now, the first few of them with their dates, and a link to
// the whole list. Asked for once the summary itself is here; if it cannot be
// worked out, one line says so and the rest of the page is untouched.
import { Anchor, Card, Group, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router";
import { errorText } from "../api/client";
import { useRecommendations } from "../api/recommendations";
import { dueSentence, dueSummary, shortDate, statusText } from "../lib/recommendations";

export function DueSummary({ profile }: { profile: string }) {
  const assessed = useRecommendations(profile);
  const summary = assessed.data ? dueSummary(assessed.data) : null;
  return (
    <Card withBorder component="section" aria-labelledby="ov-due">
      <Title order={2} size="h5" id="ov-due" mb="xs">
        What is due
      </Title>
      {assessed.isPending ? (
        <Text size="sm" c="dimmed" role="status">
          Working out what is due…
        </Text>
      ) : assessed.error || !assessed.data || !summary ? (
        <Text size="sm" role="status">
          What is due could not be worked out: {errorText(assessed.error)}
        </Text>
      ) : assessed.data.groups.length === 0 ? (
        <Text size="sm" c="dimmed">
          {assessed.data.failures.length > 0
            ? "Nothing could be worked out: some rules could not run."
            : "Recommendations need a birth date on record."}
        </Text>
      ) : (
        <Stack gap={6}>
          <Text fw={600}>{dueSentence(summary)}</Text>
          {summary.top.length > 0 && (
            <Stack component="ul" gap={6} style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Most pressing">
              {summary.top.map((r) => (
                <li key={r.key}>
                  <Group gap="xs" justify="space-between" wrap="wrap">
                    <Text size="sm" fw={500}>
                      {r.title}
                    </Text>
                    <Text size="xs" c={r.status === "overdue" ? "red.8" : "dimmed"}>
                      {shortDate(r) || statusText(r)}
                    </Text>
                  </Group>
                </li>
              ))}
            </Stack>
          )}
          {summary.upcoming > 0 && (
            <Text size="sm" c="dimmed">
              {summary.upcoming} coming up later.
            </Text>
          )}
        </Stack>
      )}
      <Anchor component={Link} to={`/profiles/${profile}/recommendations`} size="sm" mt="xs">
        See all recommendations
      </Anchor>
    </Card>
  );
}
