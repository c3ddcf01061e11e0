import { Anchor, Badge, Button, Card, Code, Collapse, CopyButton, Group, Modal, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, ok } from "../api/client";
import type { RecordCopy, Removal, Resource, TimelineItem } from "../api/types";
import { DocumentView } from "../components/DocumentView";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Failure, Loading, QueryView } from "../components/PageState";
import { RecordFormView } from "../components/RecordForm";
import { VisitNotes } from "../components/VisitNotes";
import { resourceCard, systemName, typeName } from "../lib/fhir";
import { formatDate, formatDateTime } from "../lib/format";
import { formFor } from "../lib/manual";
import { refreshRecords } from "../lib/refresh";
import { daysText, keepDays, undoneText, undoneTitle, undoRemoval, untilText } from "../lib/removals";
import { possessive, useCurrentProfile } from "../profile";

export default function RecordDetailPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const { type = "", id = "" } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const path = { profile, type, id };
  const record = useQuery({
    queryKey: ["record", profile, type, id],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/records/{type}/{id}", { params: { path } })) as Promise<Resource>,
  });
  const related = useQuery({
    queryKey: ["related", profile, type, id],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/records/{type}/{id}/related", { params: { path } })),
  });
  const provenance = useQuery({
    queryKey: ["provenance", profile, type, id],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/records/{type}/{id}/provenance", { params: { path } })),
  });
  const [raw, setRaw] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [hiding, setHiding] = useState(false);
  const removedPage = `/profiles/${profile}/removed`;
  /** Undo a hide or a delete from its notice, once this page has gone. */
  const putBack = async (removal: Removal) => {
    const back = await undoRemoval(removal);
    await refreshRecords(client, profile);
    notify(undoneText(back, possessive(name)), { title: undoneTitle(back) });
  };
  /** Off to the timeline, saying what happened, with an Undo. */
  const leave = (removal: Removal, title: string, message: string) => {
    setConfirming(false);
    setHiding(false);
    navigate(`/profiles/${profile}/timeline`);
    notify(message, { title, action: { label: "Undo", run: () => putBack(removal) } });
    // Once this page has gone: nothing should ask for the record again.
    setTimeout(() => void refreshRecords(client, profile, { type, id }), 0);
  };
  const remove = useMutation({
    mutationFn: (_title: string) => ok(api.DELETE("/api/profiles/{profile}/manual/{type}/{id}", { params: { path } })),
    onSuccess: (removal, title) => leave(removal, "Deleted", `“${title}” is no longer in ${possessive(name)} records. ${untilText(removal)}`.trim()),
  });
  const hide = useMutation({
    mutationFn: (_title: string) => ok(api.POST("/api/profiles/{profile}/records/{type}/{id}/hide", { params: { path } })),
    onSuccess: (removal, title) =>
      leave(removal, "Hidden", `“${title}” is hidden from ${possessive(name)} records. It stays stored, and can be shown again.`),
  });
  const showCopy = useMutation({
    mutationFn: (copy: RecordCopy) =>
      ok(api.POST("/api/profiles/{profile}/records/{type}/{id}/shown-copy", { params: { path }, body: { source_id: copy.source_id, id: copy.id } })),
    onSuccess: (shown, copy) => {
      const moved = shown.resource_type !== type || shown.id !== id;
      navigate(`/profiles/${profile}/records/${shown.resource_type}/${encodeURIComponent(shown.id)}`);
      notify(`${possessive(name)} records now show the copy from ${copy.source_name}.`, { title: "Copy shown" });
      setTimeout(() => void refreshRecords(client, profile, moved ? { type, id } : undefined), 0);
    },
  });
  // Only records typed in here can be changed here; a provider's or an upload's belong to their source.
  const copies = provenance.data?.copies ?? [];
  const typedIn = copies.some((c) => c.source_kind === "manual" && c.id === id);
  const origin = provenance.data && !typedIn ? copies[0] : undefined;
  const form = formFor(type);
  const canChange = canEdit && typedIn;
  // Records from a provider or an upload cannot be deleted here, but they can be hidden (and shown again).
  const canHide = canEdit && !!origin;
  const editing = params.get("edit") === "1";
  // How long a deleted record is kept: read from what is kept already.
  const removals = useQuery({
    queryKey: ["removals", profile],
    queryFn: () => ok(api.GET("/api/profiles/{profile}/removals", { params: { path: { profile } } })),
    enabled: canChange,
  });

  return (
    <QueryView query={record} loading="Loading the record…">
      {(resource) => {
        const card = resourceCard(resource);
        const json = JSON.stringify(resource, null, 2);
        const isLab = type === "Observation" && card.codes.some((c) => c.system && c.code) && resource.valueQuantity !== undefined;
        const labCode = card.codes.find((c) => c.system && c.code);
        if (editing && canEdit && form) {
          if (provenance.isPending) return <Loading label="Loading the record…" />;
          if (typedIn) return <RecordFormView key={id} form={form} profile={profile} who={name} editing={{ id, resource, title: card.title }} />;
        }
        return (
          <>
            <PageHeader
              title={card.title}
              subtitle={`${typeName(type)} in ${possessive(name)} records`}
              actions={
                canChange ? (
                  <>
                    {form && (
                      <Button variant="default" component={Link} to="?edit=1">
                        Edit
                      </Button>
                    )}
                    <Button variant="default" color="red" onClick={() => setConfirming(true)}>
                      Delete
                    </Button>
                  </>
                ) : (
                  canHide && (
                    <Button variant="default" onClick={() => setHiding(true)}>
                      Hide this record
                    </Button>
                  )
                )
              }
            />
            <Modal opened={confirming} onClose={() => setConfirming(false)} title={`Delete “${card.title}”?`}>
              <Stack>
                <Text size="sm">
                  It was typed in by hand. Deleting it takes it out of {possessive(name)} records
                  {type === "DocumentReference" ? ", with its file" : ""}. Hearth keeps it for {daysText(keepDays(removals.data?.removals))}, so until
                  then you can bring it back from{" "}
                  <Anchor component={Link} to={removedPage} inherit underline="always">
                    Hidden and removed
                  </Anchor>
                  .
                </Text>
                <Failure error={remove.error} title="Not deleted" />
                <Group justify="flex-end">
                  <Button variant="default" onClick={() => setConfirming(false)}>
                    Keep it
                  </Button>
                  <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(card.title)}>
                    Delete
                  </Button>
                </Group>
              </Stack>
            </Modal>
            <Modal opened={hiding} onClose={() => setHiding(false)} title={`Hide “${card.title}”?`}>
              <Stack>
                <Text size="sm">
                  It no longer shows in {possessive(name)} records: not on the timeline, the summary or the lab results, nor the copies other sources
                  sent of it. It stays stored in Hearth, and you can show it again at any time from{" "}
                  <Anchor component={Link} to={removedPage} inherit underline="always">
                    Hidden and removed
                  </Anchor>
                  .
                </Text>
                <Failure error={hide.error} title="Not hidden" />
                <Group justify="flex-end">
                  <Button variant="default" onClick={() => setHiding(false)}>
                    Keep it shown
                  </Button>
                  <Button loading={hide.isPending} onClick={() => hide.mutate(card.title)}>
                    Hide it
                  </Button>
                </Group>
              </Stack>
            </Modal>
            {origin && (
              <Text size="sm" c="dimmed" mb="sm">
                This came from{" "}
                <Anchor component={Link} to={`/profiles/${profile}/sources/${origin.source_id}`} inherit underline="always">
                  {origin.source_name}
                </Anchor>
                ; change it there.
                {canHide && (
                  <>
                    {" "}
                    If it is wrong or not {possessive(name)}, hide it: it stays stored, and{" "}
                    <Anchor component={Link} to={removedPage} inherit underline="always">
                      Hidden and removed
                    </Anchor>{" "}
                    shows it again.
                  </>
                )}
              </Text>
            )}
            <Stack>
              <Card withBorder component="section" aria-label="Details">
                <Table variant="vertical" layout="fixed" withRowBorders={false}>
                  <Table.Tbody>
                    {card.facts.map((f) => (
                      <Table.Tr key={f.label}>
                        <Table.Th w={160}>{f.label}</Table.Th>
                        <Table.Td style={{ overflowWrap: "anywhere" }}>{f.value}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                {isLab && labCode && (
                  <Button
                    mt="sm"
                    variant="light"
                    component={Link}
                    to={`/profiles/${profile}/labs/test?code=${encodeURIComponent(`${labCode.system}|${labCode.code}`)}&highlight=${encodeURIComponent(id)}`}
                  >
                    See this test over time
                  </Button>
                )}
              </Card>
              {type === "DocumentReference" && <DocumentView profile={profile} resource={resource} title={card.title} />}
              {type === "Encounter" && <VisitNotes profile={profile} encounter={id} related={related.data} canEdit={canEdit} />}
              {card.codes.length > 0 && (
                <Card withBorder component="section" aria-labelledby="codes-title">
                  <Title order={2} size="h5" id="codes-title" mb="xs">
                    Codes
                  </Title>
                  <Stack gap={4}>
                    {card.codes.map((c, i) => (
                      <Text size="sm" key={i} component="div">
                        <Badge variant="outline" color="gray" mr={6}>
                          {systemName(c.system)}
                        </Badge>
                        <Code>{c.code ?? "no code"}</Code> {c.display}
                      </Text>
                    ))}
                  </Stack>
                </Card>
              )}
              <Card withBorder component="section" aria-labelledby="provenance-title">
                <Title order={2} size="h5" id="provenance-title" mb="xs">
                  Where this came from
                </Title>
                <QueryView query={provenance} loading="Loading…">
                  {(p) => (
                    <Stack gap={6}>
                      {p.copies.length > 1 && (
                        <Text size="sm" c="dimmed">
                          {p.copies.length} sources sent this; the first copy is the one shown.
                        </Text>
                      )}
                      {p.copies.map((c, i) => (
                        <Group key={`${c.source_id}/${c.id}`} justify="space-between" gap="xs" wrap="wrap">
                          <Text size="sm" id={`copy-${i}`}>
                            <Anchor component={Link} to={`/profiles/${profile}/sources/${c.source_id}`}>
                              {c.source_name}
                            </Anchor>
                            {c.source_kind === "manual" ? " · typed in" : c.source_kind === "import" ? " · uploaded" : ""}
                            {c.version > 1
                              ? ` · changed ${formatDateTime(c.stored_at)} (version ${c.version})`
                              : ` · received ${formatDateTime(c.stored_at)}`}
                            {i === 0 && p.copies.length > 1 ? " · shown" : ""}
                          </Text>
                          {i > 0 && canEdit && (
                            <Button
                              size="compact-sm"
                              variant="default"
                              aria-describedby={`copy-${i}`}
                              loading={showCopy.isPending && showCopy.variables === c}
                              disabled={showCopy.isPending}
                              onClick={() => showCopy.mutate(c)}
                            >
                              Show this copy instead
                            </Button>
                          )}
                        </Group>
                      ))}
                      <Failure error={showCopy.error} title="Not changed" />
                    </Stack>
                  )}
                </QueryView>
              </Card>
              <Card withBorder component="section" aria-labelledby="related-title">
                <Title order={2} size="h5" id="related-title" mb="xs">
                  Related records
                </Title>
                <QueryView query={related} loading="Loading related records…">
                  {(r) =>
                    r.references.length + r.referenced_by.length === 0 ? (
                      <Text size="sm" c="dimmed">
                        No other stored record points to this one, or from it.
                      </Text>
                    ) : (
                      <Stack gap="sm">
                        <RelatedList profile={profile} title="It refers to" items={r.references} />
                        <RelatedList profile={profile} title="Referred to by" items={r.referenced_by} />
                      </Stack>
                    )
                  }
                </QueryView>
              </Card>
              <Card withBorder component="section" aria-labelledby="raw-title">
                <Group justify="space-between">
                  <Title order={2} size="h5" id="raw-title">
                    FHIR data
                  </Title>
                  <Group gap="xs">
                    <CopyButton value={json}>
                      {({ copied, copy }) => (
                        <Button size="xs" variant="default" onClick={copy}>
                          {copied ? "Copied" : "Copy"}
                        </Button>
                      )}
                    </CopyButton>
                    <Button size="xs" variant="default" onClick={() => setRaw((r) => !r)} aria-expanded={raw} aria-controls="raw-json">
                      {raw ? "Hide" : "Show"} raw JSON
                    </Button>
                  </Group>
                </Group>
                <Collapse expanded={raw}>
                  <Code block className="raw-json" id="raw-json" mt="sm" tabIndex={0} aria-label="The record as FHIR JSON">
                    {json}
                  </Code>
                </Collapse>
              </Card>
            </Stack>
          </>
        );
      }}
    </QueryView>
  );
}

function RelatedList({ profile, title, items }: { profile: string; title: string; items: TimelineItem[] }) {
  if (items.length === 0) return null;
  return (
    <div>
      <Text size="sm" fw={600}>
        {title}
      </Text>
      <Stack gap={2} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
        {items.map((i) => (
          <li key={`${i.resource_type}/${i.id}`}>
            <Anchor component={Link} to={`/profiles/${profile}/records/${i.resource_type}/${encodeURIComponent(i.id)}`} size="sm">
              {i.display ?? i.id}
            </Anchor>
            <Text span size="xs" c="dimmed">
              {" "}
              {typeName(i.resource_type)}
              {i.date ? ` · ${formatDate(i.date)}` : ""}
            </Text>
          </li>
        ))}
      </Stack>
    </div>
  );
}
