// The condition dashboards of a profile: the ones shown (because the records
// suggest them, or someone added them) and the others, to add; and, for
// editors, importing a dashboard file saved from Fasten Health.
import { Anchor, Button, Card, Code, FileButton, Group, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { chooseDashboard, dashboardKeys, explainImportError, importDashboard, removeDashboard, useDashboards } from "../api/dashboards";
import { ImportReport } from "../components/ImportReport";
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
            return (
              <Empty title="No dashboards available">
                Dashboards come from plugins; the administrator of this Hearth can add them.
                {canEdit && " You can also import a dashboard file from Fasten Health below."}
              </Empty>
            );
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
      {canEdit && <ImportDashboard profile={profile} />}
    </>
  );
}

/** Import a Fasten Health dashboard file, then say what came in and what of it was left out or changed. */
function ImportDashboard({ profile }: { profile: string }) {
  const client = useQueryClient();
  const reset = useRef<() => void>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const importing = useMutation({
    // The file's own text: a table's columns are in the order of its keys.
    mutationFn: async (file: File) => importDashboard(profile, await file.text()),
    onSuccess: () => client.invalidateQueries({ queryKey: dashboardKeys.list(profile) }),
    // The same file can be chosen again (after fixing it, say).
    onSettled: () => reset.current?.(),
  });
  const done = importing.data;
  // Say it where people are: focus moves to what came in.
  useEffect(() => {
    if (done) heading.current?.focus();
  }, [done]);
  return (
    <Stack component="section" aria-labelledby="import-dashboard" gap="xs" mt="xl">
      <Title order={2} size="h4" id="import-dashboard">
        Import a dashboard
      </Title>
      <Text size="sm">
        Fasten Health can save a dashboard as a <Code>.json</Code> file. Hearth draws what it can of it from these records, and says what it left out
        or showed differently.
      </Text>
      <Group>
        <FileButton resetRef={reset} accept=".json,application/json" onChange={(f) => f && importing.mutate(f)}>
          {(props) => (
            <Button {...props} variant="default" loading={importing.isPending}>
              Import a Fasten dashboard
            </Button>
          )}
        </FileButton>
      </Group>
      <Failure error={importing.error} title="Not imported" explain={explainImportError} />
      {done && (
        <Card withBorder padding="sm" component="section" aria-labelledby="imported-dashboard">
          <Stack gap="xs">
            <Title order={3} size="h5" id="imported-dashboard" ref={heading} tabIndex={-1} className="page-heading">
              Imported {done.dashboard.name}
            </Title>
            <Text size="sm">
              <Anchor component={Link} to={`/profiles/${profile}/dashboards/${encodeURIComponent(done.dashboard.id)}`}>
                Open {done.dashboard.name}
              </Anchor>
            </Text>
            {done.report.length === 0 ? (
              <Text size="sm">Everything in the file was imported as it was.</Text>
            ) : (
              <>
                <Text size="sm">Some parts of the file could not be shown as Fasten Health shows them:</Text>
                <ImportReport notes={done.report} />
              </>
            )}
          </Stack>
        </Card>
      )}
    </Stack>
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
  // An imported dashboard is shown until hidden: its reason says where it came from.
  if (d.imported) return d.choice === "hidden" && d.reason ? `Hidden by hand · ${d.reason}` : d.reason;
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
  const [confirming, setConfirming] = useState(false);
  const removeButton = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  const remove = useMutation({
    mutationFn: () => removeDashboard(profile, d.id),
    onSuccess: () => {
      client.removeQueries({ queryKey: dashboardKeys.drawn(profile, d.id) });
      return client.invalidateQueries({ queryKey: dashboardKeys.list(profile) });
    },
  });
  // Back from "Really remove?" without removing: focus returns to the Remove button.
  useEffect(() => {
    if (!confirming && asked.current) removeButton.current?.focus();
    asked.current = confirming;
  }, [confirming]);
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
            {d.choice !== "auto" && !d.imported && (
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
            {/* An imported dashboard can go again; a plugin's can only be hidden. */}
            {d.imported && !confirming && (
              <Button ref={removeButton} size="xs" variant="subtle" color="red" aria-label={`Remove ${d.name}`} onClick={() => setConfirming(true)}>
                Remove
              </Button>
            )}
          </Group>
        )}
      </Group>
      {canEdit && d.imported && confirming && (
        <Group gap="xs" mt="xs" role="group" aria-labelledby={`${titleId}-remove`}>
          <Text size="sm" id={`${titleId}-remove`}>
            Really remove {d.name}? Its layout goes with it; the records stay as they are.
          </Text>
          <Button size="xs" color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
            Remove
          </Button>
          <Button
            size="xs"
            variant="default"
            autoFocus
            disabled={remove.isPending}
            onClick={() => {
              remove.reset();
              setConfirming(false);
            }}
          >
            Cancel
          </Button>
        </Group>
      )}
      <Failure error={choose.error} title="Not changed" mt="xs" />
      <Failure error={remove.error} title="Not removed" mt="xs" />
    </Card>
  );
}
