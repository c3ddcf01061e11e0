// What is due for a profile: the rules plugins' recommendations grouped by
// where each stands (overdue first), each with its dates, why, the guideline
// it follows and the records it rests on; for a vaccine, how each dose on
// record was judged. Editors can say a vaccine was given elsewhere (a record
// typed in by hand) or set a recommendation aside, with why.
import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Anchor, Badge, Button, Card, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Fragment, useId, useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { z } from "zod";
import {
  dismissRecommendation,
  forecastUrl,
  recommendationKeys,
  recordGivenElsewhere,
  restoreRecommendation,
  useRecommendations,
} from "../api/recommendations";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Details, Empty, Failure, QueryView } from "../components/PageState";
import { evidenceLabels, evidenceLink } from "../lib/dashboards";
import { formatDate } from "../lib/format";
import { pastDate } from "../lib/forms";
import {
  datesText,
  doseName,
  dosesFor,
  doseText,
  dueSentence,
  dueSummary,
  FOLDED,
  groupHeading,
  PENDING,
  STATUS_COLORS,
  statusText,
  type Assessed,
  type DoseEvaluation,
  type Failure as RuleFailure,
  type Group as RecommendationGroup,
  type Item,
} from "../lib/recommendations";
import { refreshRecords } from "../lib/refresh";
import { possessive, useCurrentProfile } from "../profile";

export default function RecommendationsPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const assessed = useRecommendations(profile);
  const day = assessed.data?.as_of;
  return (
    <>
      <PageHeader
        title="What is due"
        subtitle={`Recommendations for ${possessive(name)} record${day ? `, as of ${formatDate(day)}` : ""}`}
        actions={
          day ? (
            <Button
              component="a"
              variant="default"
              href={forecastUrl(profile, day)}
              download={`immunization-forecast-${day}.json`}
              title="The immunization forecast as FHIR (ImmDS $immds-forecast), for another app"
            >
              Download as FHIR
            </Button>
          ) : undefined
        }
      />
      <QueryView query={assessed} loading="Working out what is due…">
        {(a) => <Assessment assessed={a} profile={profile} name={name} canEdit={canEdit} />}
      </QueryView>
    </>
  );
}

function Assessment({ assessed, profile, name, canEdit }: { assessed: Assessed; profile: string; name: string; canEdit: boolean }) {
  const { groups, failures, doses } = assessed;
  return (
    <Stack gap="lg">
      <RuleFailures failures={failures} />
      {groups.length === 0 ? (
        failures.length > 0 ? (
          <Empty title="What is due could not be worked out">
            The rules named above could not run. Try again later; if it keeps happening, tell whoever runs this Hearth.
          </Empty>
        ) : (
          <Empty title="Recommendations need a birth date">
            What is due depends on age, and nothing could be worked out for {name}: usually there is no Patient record with a birth date in{" "}
            {possessive(name)} records yet. Connect a provider, or upload records that include one.
          </Empty>
        )
      ) : (
        <>
          <Text fw={500}>{dueSentence(dueSummary(assessed))}</Text>
          {groups.map((g) => (
            <GroupSection key={g.status} group={g} doses={doses} profile={profile} name={name} canEdit={canEdit} />
          ))}
        </>
      )}
    </Stack>
  );
}

/** Rules that failed: said quietly, the others' recommendations stand. */
function RuleFailures({ failures }: { failures: RuleFailure[] }) {
  if (failures.length === 0) return null;
  return (
    <Alert color="gray" variant="light" role="status">
      <Stack gap={4}>
        <Text size="sm">
          Some rules could not run: {[...new Set(failures.map((f) => f.plugin))].join(", ")}. What they would recommend is missing here.
        </Text>
        <Details lines={failures.map((f) => `${f.plugin}: ${f.message}`)} />
      </Stack>
    </Alert>
  );
}

function GroupSection({
  group,
  doses,
  profile,
  name,
  canEdit,
}: {
  group: RecommendationGroup;
  doses: DoseEvaluation[];
  profile: string;
  name: string;
  canEdit: boolean;
}) {
  const headingId = `recommendations-${group.status}`;
  const heading = (
    <Title order={2} size="h4" id={headingId} className="recommendation-heading">
      {groupHeading(group.status)}{" "}
      <Text span c="dimmed" fw={400} inherit>
        ({group.items.length})
      </Text>
    </Title>
  );
  const list = (
    <Stack component="ul" gap="sm" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {group.items.map((i) => (
        <ItemCard key={`${i.plugin}/${i.recommendation.key}`} item={i} doses={doses} profile={profile} name={name} canEdit={canEdit} />
      ))}
    </Stack>
  );
  // Nothing to do in these: folded away, so what is due leads.
  if (FOLDED.has(group.status))
    return (
      <section aria-labelledby={headingId}>
        <details className="recommendation-group">
          <summary>{heading}</summary>
          {list}
        </details>
      </section>
    );
  return (
    <Stack component="section" aria-labelledby={headingId} gap="xs">
      {heading}
      {list}
    </Stack>
  );
}

function ItemCard({ item, doses, profile, name, canEdit }: { item: Item; doses: DoseEvaluation[]; profile: string; name: string; canEdit: boolean }) {
  const r = item.recommendation;
  const titleId = useId();
  const dates = datesText(r);
  const judged = dosesFor(r, doses);
  return (
    <Card withBorder component="li" padding="sm" aria-labelledby={titleId}>
      <Stack gap={6}>
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Title order={3} size="h5" id={titleId}>
            {r.title}
          </Title>
          <Badge color={STATUS_COLORS[r.status] ?? "gray"} variant="light">
            {statusText(r)}
          </Badge>
        </Group>
        {dates && (
          <Text size="sm" fw={500}>
            {dates}
          </Text>
        )}
        <Text size="sm">{r.reason}</Text>
        {item.dismissed && (
          <Text size="sm">
            Set aside on {formatDate(item.dismissed.at)}: “{item.dismissed.reason}”
          </Text>
        )}
        {judged.length > 0 && <Doses doses={judged} group={r.immunization?.vaccine_group ?? r.title} profile={profile} />}
        <Evidence profile={profile} refs={r.evidence} />
        <Text size="xs" c="dimmed">
          Guideline:{" "}
          <Anchor href={r.guideline.url} target="_blank" rel="noreferrer" size="xs" underline="always">
            {r.guideline.name}
          </Anchor>
          {r.guideline.version && `, ${r.guideline.version}`}
        </Text>
        {canEdit && <Actions item={item} profile={profile} name={name} titleId={titleId} />}
      </Stack>
    </Card>
  );
}

/** The doses of a vaccine group on record, as judged; each opens its record. Many valid ones are folded away. */
function Doses({ doses, group, profile }: { doses: DoseEvaluation[]; group: string; profile: string }) {
  const list = (
    <Stack component="ul" gap={2} aria-label={`${group} doses on record`} style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {doses.map((d, i) => {
        const to = evidenceLink(profile, d.immunization);
        return (
          <Text component="li" size="sm" key={`${d.immunization}-${i}`}>
            {to ? (
              <Anchor component={Link} to={to} size="sm" underline="always">
                {doseName(d)}
              </Anchor>
            ) : (
              doseName(d)
            )}
            : {doseText(d)}
          </Text>
        );
      })}
    </Stack>
  );
  const summary = `Doses on record, as judged (${doses.length})`;
  // Few doses, or any not counted: shown at once.
  const open = doses.length <= 3 || doses.some((d) => d.status !== "valid");
  return (
    <details className="recommendation-doses" open={open}>
      <summary>{summary}</summary>
      {list}
    </details>
  );
}

/** Links to the records a recommendation rests on ("Patient", "Immunization 1"). */
function Evidence({ profile, refs }: { profile: string; refs: string[] }) {
  const labels = evidenceLabels(refs);
  const links = refs.flatMap((ref, i) => {
    const to = evidenceLink(profile, ref);
    return to ? [{ to, text: labels[i]! }] : [];
  });
  if (links.length === 0) return null;
  return (
    <Text size="xs" c="dimmed">
      Based on:{" "}
      {links.map((l, i) => (
        <Fragment key={l.to}>
          {i > 0 && ", "}
          <Anchor component={Link} to={l.to} size="xs" underline="always">
            {l.text}
          </Anchor>
        </Fragment>
      ))}
    </Text>
  );
}

const reasonSchema = z.object({ reason: z.string().trim().min(1, "Say why in a few words.").max(500, "At most 500 characters.") });
const givenSchema = z.object({ date: pastDate });

/** Set aside, bring back, or done elsewhere. */
function Actions({ item, profile, name, titleId }: { item: Item; profile: string; name: string; titleId: string }) {
  const r = item.recommendation;
  const client = useQueryClient();
  const [asking, setAsking] = useState<"set-aside" | "done" | null>(null);
  const reload = () => client.invalidateQueries({ queryKey: recommendationKeys.assessed(profile) });
  const restore = useMutation({
    mutationFn: () => restoreRecommendation(profile, item.plugin, r.key),
    onSuccess: async () => {
      await reload();
      notify(`${r.title} is back with the others.`, { title: "Brought back" });
    },
  });
  if (item.dismissed)
    return (
      <>
        <Group gap="xs">
          <Button size="xs" variant="default" aria-describedby={titleId} loading={restore.isPending} onClick={() => restore.mutate()}>
            Bring back
          </Button>
        </Group>
        <Failure error={restore.error} title="Not brought back" />
      </>
    );
  if (!PENDING.has(r.status)) return null;
  const vaccine = r.kind === "immunization" ? r.immunization : null;
  return (
    <>
      {asking === null && (
        <Group gap="xs">
          {vaccine ? (
            <Button size="xs" aria-describedby={titleId} onClick={() => setAsking("done")}>
              Done elsewhere
            </Button>
          ) : (
            <Button size="xs" component={Link} to={`/profiles/${profile}/add`} aria-describedby={titleId}>
              Done elsewhere
            </Button>
          )}
          <Button size="xs" variant="default" aria-describedby={titleId} onClick={() => setAsking("set-aside")}>
            Set aside
          </Button>
        </Group>
      )}
      {asking === "set-aside" && (
        <SetAside
          title={r.title}
          onCancel={() => setAsking(null)}
          save={async (reason) => {
            await dismissRecommendation(profile, item.plugin, r.key, reason);
            await reload();
            setAsking(null);
            notify(`${r.title} is listed under Set aside.`, { title: "Set aside" });
          }}
        />
      )}
      {asking === "done" && vaccine && (
        <GivenElsewhere
          title={r.title}
          who={name}
          onCancel={() => setAsking(null)}
          save={async (date) => {
            await recordGivenElsewhere(profile, vaccine, date);
            // A new record: everything showing the records is out of date, this page included.
            await refreshRecords(client, profile);
            setAsking(null);
            notify(`${vaccine.vaccine_group} vaccine given on ${formatDate(date)} is in ${possessive(name)} records.`, { title: "Added" });
          }}
        />
      )}
    </>
  );
}

/** "Why set it aside?", then saved. */
function SetAside({ title, onCancel, save }: { title: string; onCancel: () => void; save: (reason: string) => Promise<void> }) {
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<{ reason: string }>({ resolver: zodResolver(reasonSchema), defaultValues: { reason: "" } });
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      await save(v.reason.trim());
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label={`Set aside: ${title}`}>
      <Stack gap="xs">
        <TextInput
          label="Why set it aside?"
          description="In your words, e.g. “The doctor said to wait”. It is listed apart until you bring it back."
          required
          maxLength={500}
          autoFocus
          error={errors.reason?.message}
          {...register("reason")}
        />
        <Failure error={failure} title="Not set aside" />
        <Group gap="xs">
          <Button type="submit" size="xs" loading={isSubmitting}>
            Set aside
          </Button>
          <Button size="xs" variant="default" onClick={onCancel} disabled={isSubmitting}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** "Given on" a date, then typed in as an Immunization record. */
function GivenElsewhere({ title, who, onCancel, save }: { title: string; who: string; onCancel: () => void; save: (date: string) => Promise<void> }) {
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<{ date: string }>({ resolver: zodResolver(givenSchema), defaultValues: { date: "" } });
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      await save(v.date);
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label={`Done elsewhere: ${title}`}>
      <Stack gap="xs">
        <TextInput
          type="date"
          label="Given on"
          description={`It is added to ${possessive(who)} records as typed in by hand.`}
          required
          max={new Date().toISOString().slice(0, 10)}
          autoFocus
          error={errors.date?.message}
          {...register("date")}
        />
        <Failure error={failure} title="Not saved" />
        <Group gap="xs">
          <Button type="submit" size="xs" loading={isSubmitting}>
            Save
          </Button>
          <Button size="xs" variant="default" onClick={onCancel} disabled={isSubmitting}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
