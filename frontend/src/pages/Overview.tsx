import { Alert, Anchor, Button, Card, Group, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { typeName } from "../lib/fhir";
import { ageText, formatCount, formatDate } from "../lib/format";
import { useSources } from "../lib/sources";
import { possessive, useCurrentProfile } from "../profile";

export default function OverviewPage() {
  const { id: profile, name, profile: p, canEdit } = useCurrentProfile();
  const sources = useSources(profile);
  const recent = useQuery({
    queryKey: ["timeline", profile, "recent"],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/timeline", { params: { path: { profile }, query: { limit: 6 } } })),
  });
  const labs = useQuery({
    queryKey: ["labs", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/labs", { params: { path: { profile } } })),
  });
  if (!p) return <Alert color="orange">You do not have access to this profile, or it no longer exists.</Alert>;
  const age = ageText(p.birth_date);
  const attention = (sources.data?.sources ?? []).filter((s) => s.status === "needs-reconnect" || s.status === "error");
  const total = (sources.data?.sources ?? []).reduce((n, s) => n + s.resources, 0);
  return (
    <>
      <PageHeader
        title={name}
        subtitle={[age, p.role === "owner" ? null : `shared with you: ${p.role}`].filter(Boolean).join(" · ") || `${possessive(name)} health record`}
      />
      <Stack>
        {attention.map((s) => (
          <Alert key={s.id} color="orange" title={`${s.name} needs attention`}>
            {s.last_error ?? "Its last sync did not work."}{" "}
            <Anchor component={Link} to={`/profiles/${profile}/sources/${s.id}`}>
              Open it
            </Anchor>
          </Alert>
        ))}
        <QueryView query={sources} loading="Loading…">
          {({ sources: list }) =>
            list.length === 0 ? (
              <Empty
                title={`No records for ${name} yet`}
                action={
                  canEdit && (
                    <Group>
                      <Button component={Link} to={`/profiles/${profile}/sources/connect`}>
                        Connect a provider
                      </Button>
                      <Button variant="default" component={Link} to={`/profiles/${profile}/upload`}>
                        Upload a file
                      </Button>
                      <Button variant="default" component={Link} to={`/profiles/${profile}/add`}>
                        Type one in
                      </Button>
                    </Group>
                  )
                }
              >
                Bring in records from a patient portal, a file, or type them in.
              </Empty>
            ) : (
              <SimpleGrid cols={{ base: 1, md: 3 }}>
                <Card withBorder component="section" aria-labelledby="ov-sources">
                  <Title order={2} size="h5" id="ov-sources">
                    Sources
                  </Title>
                  <Text size="xl" fw={700}>
                    {formatCount(total)} records
                  </Text>
                  <Text size="sm" c="dimmed">
                    from {list.length} {list.length === 1 ? "source" : "sources"}
                  </Text>
                  <Anchor component={Link} to={`/profiles/${profile}/sources`} size="sm">
                    Manage sources
                  </Anchor>
                </Card>
                <Card withBorder component="section" aria-labelledby="ov-labs">
                  <Title order={2} size="h5" id="ov-labs">
                    Lab results
                  </Title>
                  <Text size="xl" fw={700}>
                    {labs.data ? formatCount(labs.data.tests.length) : "…"} tests
                  </Text>
                  <Anchor component={Link} to={`/profiles/${profile}/labs`} size="sm">
                    See results and trends
                  </Anchor>
                </Card>
                <Card withBorder component="section" aria-labelledby="ov-recent">
                  <Title order={2} size="h5" id="ov-recent">
                    Most recent
                  </Title>
                  <Stack gap={2} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
                    {(recent.data?.items ?? []).map((i) => (
                      <li key={`${i.source_id}/${i.resource_type}/${i.id}`}>
                        <Anchor component={Link} to={`/profiles/${profile}/records/${i.resource_type}/${encodeURIComponent(i.id)}`} size="sm">
                          {i.display ?? typeName(i.resource_type)}
                        </Anchor>
                        <Text span size="xs" c="dimmed">
                          {" "}
                          {i.date ? formatDate(i.date) : ""}
                        </Text>
                      </li>
                    ))}
                  </Stack>
                  <Anchor component={Link} to={`/profiles/${profile}/timeline`} size="sm">
                    Open the timeline
                  </Anchor>
                </Card>
              </SimpleGrid>
            )
          }
        </QueryView>
      </Stack>
    </>
  );
}
