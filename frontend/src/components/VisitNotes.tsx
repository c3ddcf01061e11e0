// Notes on a visit: the documents that name it as their encounter, with
// their text, and (for those who may change the records) a box to add one.
import { Anchor, Button, Card, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQueries, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, ok } from "../api/client";
import type { Related, Resource } from "../api/types";
import { noteText } from "../lib/documents";
import { typeName } from "../lib/fhir";
import { formatDateTime } from "../lib/format";
import { refreshRecords } from "../lib/refresh";
import { Failure, Loading } from "./PageState";

/** At most this many notes are loaded on a visit's page. */
const MAX_NOTES = 50;

export function VisitNotes({
  profile,
  encounter,
  related,
  canEdit,
}: {
  profile: string;
  encounter: string;
  related: Related | undefined;
  canEdit: boolean;
}) {
  const client = useQueryClient();
  const [text, setText] = useState("");
  const items = (related?.referenced_by ?? [])
    .filter((r) => r.resource_type === "DocumentReference")
    .sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""))
    .slice(0, MAX_NOTES);
  const notes = useQueries({
    queries: items.map((i) => ({
      queryKey: ["record", profile, "DocumentReference", i.id],
      queryFn: () =>
        ok(
          api.GET("/api/profiles/{profile}/records/{type}/{id}", { params: { path: { profile, type: "DocumentReference", id: i.id } } }),
        ) as Promise<Resource>,
    })),
  });
  const add = useMutation({
    mutationFn: (note: string) =>
      ok(
        api.POST("/api/profiles/{profile}/encounters/{id}/notes", { params: { path: { profile, id: encounter } }, body: { text: note } }),
      ) as Promise<Resource>,
    onSuccess: (stored) => {
      client.setQueryData(["record", profile, "DocumentReference", stored.id], stored);
      setText("");
      void refreshRecords(client, profile);
    },
  });
  const empty = !text.trim();

  return (
    <Card withBorder component="section" aria-labelledby="notes-title">
      <Title order={2} size="h5" id="notes-title" mb="xs">
        Notes on this visit
      </Title>
      {!related ? (
        <Loading label="Loading notes…" />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No notes yet.
        </Text>
      ) : (
        <Stack gap="sm" component="ul" aria-label="Notes" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {items.map((item, i) => {
            const q = notes[i]!;
            const words = q.data ? noteText(q.data) : undefined;
            return (
              <li key={item.id}>
                <Text size="xs" c="dimmed">
                  <Anchor component={Link} to={`/profiles/${profile}/records/DocumentReference/${encodeURIComponent(item.id)}`} size="xs">
                    {typeName("DocumentReference")}
                    {item.date ? ` · ${formatDateTime(item.date)}` : ""}
                  </Anchor>
                </Text>
                {q.isPending ? (
                  <Text size="sm" c="dimmed">
                    Loading…
                  </Text>
                ) : (
                  <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                    {words ?? item.display ?? (q.error ? "This note could not be loaded." : "No text.")}
                  </Text>
                )}
              </li>
            );
          })}
        </Stack>
      )}
      {canEdit && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!empty) add.mutate(text.trim());
          }}
        >
          <Stack gap="xs" mt="md">
            <Textarea
              label="Add a note"
              description="What was said or done at this visit, in your words."
              rows={4}
              resize="vertical"
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
            />
            <Failure error={add.error} title="The note was not saved" />
            <Group>
              <Button type="submit" size="sm" disabled={empty} loading={add.isPending}>
                Save note
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Card>
  );
}
