// The form for a record typed in by hand: adding a new one, or changing one
// that was typed in before (the same fields, filled in from what is stored).
import { zodResolver } from "@hookform/resolvers/zod";
import { Button, Card, Group, NativeSelect, Stack, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useNavigate } from "react-router";
import { ApiError, api, ok } from "../api/client";
import type { Resource } from "../api/types";
import { fieldForPath, initialValues, isShown, type RecordForm } from "../lib/manual";
import { refreshRecords } from "../lib/refresh";
import { undoneText, undoneTitle, undoRemoval } from "../lib/removals";
import { possessive } from "../profile";
import { PageHeader } from "./PageHeader";
import { Failure } from "./PageState";
import { notify } from "./notify";

/** The answer header naming the removal that undoes an edit. */
const UNDO_HEADER = "X-Hearth-Undo";

/** A stored record being changed: its id, what is stored, and its name. */
export interface Editing {
  id: string;
  resource: Resource;
  title: string;
}

export function RecordFormView({ form, profile, who, editing }: { form: RecordForm; profile: string; who: string; editing?: Editing }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    setError,
    watch,
    formState: { errors, isSubmitting },
  } = useForm<Record<string, string>>({ resolver: zodResolver(form.schema), defaultValues: initialValues(form, editing?.resource) });
  const values = watch();
  const shown = form.fields.filter((f) => isShown(f, values));
  const recordUrl = (id: string) => `/profiles/${profile}/records/${form.type}/${encodeURIComponent(id)}`;

  /** "Undo" on the saved notice: the record says again what it said before. */
  const undoEdit = (removal: string, title: string) => ({
    label: "Undo",
    run: async () => {
      const back = await undoRemoval({ id: removal, kind: "edited-record", profile_id: profile });
      await refreshRecords(client, profile);
      notify(undoneText({ ...back, label: back.label || title }, possessive(who)), { title: undoneTitle(back) });
    },
  });

  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      const body = form.build(v);
      // An edit's answer names, in a header, the removal that puts back what the record said before.
      let stored: Resource;
      let undo: string | null = null;
      if (editing) {
        const answer = await api.PUT("/api/profiles/{profile}/manual/{type}/{id}", {
          params: { path: { profile, type: form.type, id: editing.id } },
          body,
        });
        undo = answer.response.headers.get(UNDO_HEADER);
        stored = (await ok(Promise.resolve(answer))) as Resource;
      } else {
        stored = (await ok(api.POST("/api/profiles/{profile}/manual/{type}", { params: { path: { profile, type: form.type } }, body }))) as Resource;
      }
      const id = String(stored.id ?? editing?.id);
      client.setQueryData(["record", profile, form.type, id], stored);
      void refreshRecords(client, profile);
      if (editing) notify("Your changes are saved.", { title: editing.title, action: undo ? undoEdit(undo, editing.title) : undefined });
      // After a change, Back goes to where the record was opened from, not to the form again.
      navigate(recordUrl(id), { replace: !!editing });
    } catch (e) {
      const path = e instanceof ApiError && typeof e.problem.path === "string" ? e.problem.path : undefined;
      const field = fieldForPath(form, path);
      // Only a field on the screen can show the host's words; otherwise they go above the buttons.
      if (field && e instanceof ApiError && shown.some((f) => f.name === field)) setError(field, { message: e.problem.reason ?? e.message });
      else setFailure(e);
    }
  });

  return (
    <>
      {editing ? (
        <PageHeader title={`Change: ${editing.title}`} subtitle={`Typed in by hand. Saving replaces it in ${possessive(who)} records.`} />
      ) : (
        <PageHeader title={`Add: ${form.title.toLowerCase()}`} subtitle={`${form.intro} It goes into ${possessive(who)} records.`} />
      )}
      <Card withBorder maw={640} component="form" onSubmit={submit} noValidate>
        <Stack>
          {shown.map((f) => {
            const common = {
              label: f.label,
              description: f.describe ? f.describe(values) : f.description,
              required: f.required,
              error: errors[f.name]?.message,
              ...register(f.name),
            };
            if (f.kind === "select") return <NativeSelect key={f.name} data={f.options ?? []} {...common} />;
            if (f.kind === "date") return <TextInput key={f.name} type="date" max={new Date().toISOString().slice(0, 10)} {...common} />;
            if (f.kind === "number") return <TextInput key={f.name} inputMode="decimal" {...common} />;
            return <TextInput key={f.name} {...common} />;
          })}
          <Failure error={failure} title="Not saved" />
          <Group>
            <Button type="submit" loading={isSubmitting}>
              {editing ? "Save changes" : "Save"}
            </Button>
            <Button variant="default" component={Link} to={editing ? recordUrl(editing.id) : `/profiles/${profile}/add`}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </Card>
    </>
  );
}
