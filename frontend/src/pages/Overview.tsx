import { Alert, Anchor, Badge, Button, Card, Group, Menu, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import type { HealthSummary, SummaryFact } from "../api/types";
import { DashboardSummaries } from "../components/DashboardSummaries";
import { DueSummary } from "../components/DueSummary";
import { PageHeader } from "../components/PageHeader";
import { Empty, QueryView } from "../components/PageState";
import { ageText, formatDate } from "../lib/format";
import { plainName } from "../lib/labgroups";
import { flagText } from "../lib/labs";
import { useSources } from "../lib/sources";
import { visitLine, vitalRows } from "../lib/summary";
import { valueText } from "../lib/units";
import { possessive, useCurrentProfile } from "../profile";

/** The profile's home: what is going on with their health, from every source. */
export default function OverviewPage() {
  const { id: profile, name, profile: p, canEdit } = useCurrentProfile();
  const sources = useSources(profile);
  const summary = useQuery({
    queryKey: ["summary", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/summary", { params: { path: { profile } } })),
  });
  if (!p) return <Alert color="orange">You do not have access to this profile, or it no longer exists.</Alert>;
  const age = ageText(p.birth_date);
  const attention = (sources.data?.sources ?? []).filter((s) => s.status === "needs-reconnect" || s.status === "error");
  return (
    <>
      <PageHeader
        title={name}
        subtitle={[age, p.role === "owner" ? null : `shared with you: ${p.role}`].filter(Boolean).join(" · ") || `${possessive(name)} health record`}
        actions={<DownloadMenu profile={profile} name={name} />}
      />
      <Stack>
        {attention.map((s) => (
          <Alert key={s.id} color="orange" title={`${s.name} needs attention`}>
            {s.status === "needs-reconnect"
              ? "The provider no longer accepts Hearth's sign-in. Reconnect it to keep records up to date."
              : "Its last update did not work; Hearth will try again."}{" "}
            <Anchor component={Link} to={`/profiles/${profile}/sources/${s.id}`}>
              Open it
            </Anchor>
          </Alert>
        ))}
        <QueryView query={summary} loading="Loading the health summary…">
          {(s) =>
            s.sources.length === 0 ? (
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
              <>
                <Summary profile={profile} s={s} />
                {/* Mounted once the summary is here, so the dashboards never hold it up. */}
                <DashboardSummaries profile={profile} />
              </>
            )
          }
        </QueryView>
      </Stack>
    </>
  );
}

function Summary({ profile, s }: { profile: string; s: HealthSummary }) {
  const sourceName = new Map(s.sources.map((x) => [x.id, x.name]));
  const record = (type: string, id: string) => `/profiles/${profile}/records/${type}/${encodeURIComponent(id)}`;
  const test = (code: string, highlight?: string, pair?: string) =>
    `/profiles/${profile}/labs/test?code=${encodeURIComponent(code)}${pair ? `&pair=${encodeURIComponent(pair)}` : ""}${
      highlight ? `&highlight=${encodeURIComponent(highlight)}` : ""
    }`;
  const timeline = (category: string) => `/profiles/${profile}/timeline?show=${category}`;
  const from = (sourceId: string) => sourceName.get(sourceId);
  const vitals = vitalRows(s.vitals);

  const facts = (list: SummaryFact[], when: (f: SummaryFact) => string | null) => (
    <List>
      {list.map((f) => (
        <li key={`${f.resource_type}/${f.id}`}>
          <Anchor component={Link} to={record(f.resource_type, f.id)} fw={500}>
            {f.display ?? "Unnamed record"}
          </Anchor>
          <Text size="xs" c="dimmed">
            {[when(f), from(f.source_id)].filter(Boolean).join(" · ")}
          </Text>
        </li>
      ))}
    </List>
  );

  return (
    <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }}>
      <Section id="problems" title="Active problems" total={s.problems.total} more={timeline("conditions")} none="No active problems recorded.">
        {facts(s.problems.items, (f) => (f.date ? `since ${formatDate(f.date)}` : null))}
      </Section>
      <Section id="medications" title="Medicines" total={s.medications.total} more={timeline("medications")} none="No current medicines recorded.">
        {facts(s.medications.items, (f) => (f.date ? `prescribed ${formatDate(f.date)}` : null))}
      </Section>
      <Section id="allergies" title="Allergies and intolerances" total={s.allergies.total} more={timeline("allergies")} none="No allergies recorded.">
        {facts(s.allergies.items, (f) => (f.date ? `recorded ${formatDate(f.date)}` : null))}
      </Section>
      <Section
        id="vitals"
        title="Latest vital signs"
        total={vitals.length}
        more={`/profiles/${profile}/labs`}
        moreLabel="All results"
        none="No vital signs recorded."
      >
        <List>
          {vitals.map((v) => (
            <li key={v.key}>
              <Group gap="xs" justify="space-between" wrap="nowrap">
                <Anchor component={Link} to={test(v.code, v.id, v.pair)}>
                  {v.label}
                </Anchor>
                <Group gap={6} wrap="nowrap">
                  <Text fw={600} title={`As recorded: ${v.exact}`}>
                    {v.text}
                  </Text>
                  {v.flag && (
                    <Badge color="red" variant="light">
                      {flagText(v.flag)}
                    </Badge>
                  )}
                </Group>
              </Group>
              <Text size="xs" c="dimmed">
                {formatDate(v.date)}
              </Text>
            </li>
          ))}
        </List>
      </Section>
      <Section
        id="abnormal"
        title="Results out of range"
        total={s.abnormal_total}
        more={`/profiles/${profile}/labs?flagged=1`}
        moreLabel="All results"
        none="The latest result of every test is within its range, or has no range."
      >
        <List>
          {s.abnormal.map((t) =>
            t.latest ? (
              <li key={`${t.system}|${t.code}`}>
                <Group gap="xs" justify="space-between" wrap="nowrap">
                  <Anchor component={Link} to={test(`${t.system}|${t.code}`, t.latest.id)}>
                    {plainName(t.system, t.code, t.name)}
                  </Anchor>
                  <Group gap={6} wrap="nowrap">
                    <Text fw={600}>{valueText(t.latest.value, t.latest.unit)}</Text>
                    <Badge color="red" variant="light">
                      {flagText(t.latest.flag)}
                    </Badge>
                  </Group>
                </Group>
                <Text size="xs" c="dimmed">
                  {formatDate(t.last_date)}
                </Text>
              </li>
            ) : null,
          )}
        </List>
      </Section>
      <Section
        id="immunizations"
        title="Immunizations"
        total={s.immunizations.total}
        more={timeline("immunizations")}
        none="No immunizations recorded."
      >
        {facts(s.immunizations.items, (f) =>
          [f.date ? `last ${formatDate(f.date)}` : null, f.records > 1 ? `${f.records} doses` : null].filter(Boolean).join(", "),
        )}
      </Section>
      {/* Beside the vaccines on record, what is due; asked for once the summary is here, so it never holds it up. */}
      <DueSummary profile={profile} />
      <Section
        id="visits"
        title="Visits"
        total={s.visits.recent.length + s.visits.upcoming.length}
        more={timeline("visits")}
        none="No visits recorded."
      >
        {s.visits.upcoming.length > 0 && (
          <>
            <Title order={3} size="h6" mt={4}>
              Coming up
            </Title>
            <VisitList visits={s.visits.upcoming} link={record} from={from} />
          </>
        )}
        {s.visits.recent.length > 0 && (
          <>
            <Title order={3} size="h6" mt={4}>
              Recent
            </Title>
            <VisitList visits={s.visits.recent} link={record} from={from} />
          </>
        )}
      </Section>
    </SimpleGrid>
  );
}

function VisitList({
  visits,
  link,
  from,
}: {
  visits: HealthSummary["visits"]["recent"];
  link: (type: string, id: string) => string;
  from: (source: string) => string | undefined;
}) {
  return (
    <List>
      {visits.map((v) => (
        <li key={`${v.resource_type}/${v.id}`}>
          <Anchor component={Link} to={link(v.resource_type, v.id)} fw={500}>
            {formatDate(v.date) || "Undated"}
          </Anchor>
          <Text size="sm">{visitLine(v)}</Text>
          <Text size="xs" c="dimmed">
            {from(v.source_id)}
          </Text>
        </li>
      ))}
    </List>
  );
}

function List({ children }: { children: ReactNode }) {
  return (
    <Stack gap={6} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {children}
    </Stack>
  );
}

function Section({
  id,
  title,
  total,
  more,
  moreLabel,
  none,
  children,
}: {
  id: string;
  title: string;
  total: number;
  more: string;
  moreLabel?: string;
  none: string;
  children: ReactNode;
}) {
  return (
    <Card withBorder component="section" aria-labelledby={`ov-${id}`}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5" id={`ov-${id}`}>
          {title}
        </Title>
        {total > 0 && (
          <Text size="sm" c="dimmed">
            {total}
          </Text>
        )}
      </Group>
      {total === 0 ? (
        <Text size="sm" c="dimmed">
          {none}
        </Text>
      ) : (
        children
      )}
      <Anchor component={Link} to={more} size="sm" mt="xs">
        {moreLabel ?? "See all on the timeline"}
      </Anchor>
    </Card>
  );
}

const EXPORTS = [
  { format: "bundle", label: "Everything, as one FHIR file (.json)", hint: "Any FHIR app, or Hearth's Upload, can read it back." },
  { format: "zip", label: "Everything with documents (.zip)", hint: "One NDJSON file per kind of record, plus attached files." },
  { format: "ips", label: "Patient Summary (IPS)", hint: "The international summary doctors' systems read." },
];

/** Download the profile's records; the session is refreshed first so the link never fetches a sign-in error. */
function DownloadMenu({ profile, name }: { profile: string; name: string }) {
  const download = async (format: string) => {
    await api.GET("/api/me");
    window.location.assign(`/api/profiles/${profile}/export?format=${format}`);
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button variant="default">Download {possessive(name)} records</Button>
      </Menu.Target>
      <Menu.Dropdown>
        {EXPORTS.map((e) => (
          <Menu.Item key={e.format} onClick={() => void download(e.format)}>
            <Text size="sm">{e.label}</Text>
            <Text size="xs" c="dimmed">
              {e.hint}
            </Text>
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
