import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Card, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, api, ok } from "../api/client";
import type { Resource } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Failure } from "../components/PageState";
import { FORMS, fieldForPath, formFor, type RecordForm } from "../lib/manual";
import { possessive, useCurrentProfile } from "../profile";

export default function AddRecordPage() {
  const { id: profile, name, canEdit } = useCurrentProfile();
  const { type } = useParams();
  const form = formFor(type);
  if (!canEdit) return <Alert color="gray">You can look at {possessive(name)} records but not add to them.</Alert>;
  if (!form) {
    return (
      <>
        <PageHeader title="Add a record" subtitle={`Type in something that is not in ${possessive(name)} records yet`} />
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} component="ul" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {FORMS.map((f) => (
            <li key={f.type}>
              <UnstyledButton component={Link} to={`/profiles/${profile}/add/${f.type}`} w="100%" h="100%">
                <Card withBorder h="100%">
                  <Text fw={600}>{f.title}</Text>
                  <Text size="sm" c="dimmed">
                    {f.intro}
                  </Text>
                </Card>
              </UnstyledButton>
            </li>
          ))}
        </SimpleGrid>
      </>
    );
  }
  return <RecordFormView key={form.type} form={form} profile={profile} who={name} />;
}

function RecordFormView({ form, profile, who }: { form: RecordForm; profile: string; who: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [failure, setFailure] = useState<unknown>(null);
  const defaults = Object.fromEntries(form.fields.map((f) => [f.name, f.kind === "select" && f.required ? (f.options?.[0]?.value ?? "") : ""]));
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<Record<string, string>>({ resolver: zodResolver(form.schema), defaultValues: defaults });

  const submit = handleSubmit(async (values) => {
    setFailure(null);
    try {
      const stored = (await ok(
        api.POST("/api/profiles/{profile}/manual/{type}", { params: { path: { profile, type: form.type } }, body: form.build(values) }),
      )) as Resource;
      void client.invalidateQueries({ queryKey: ["timeline", profile] });
      void client.invalidateQueries({ queryKey: ["labs", profile] });
      void client.invalidateQueries({ queryKey: ["sources", profile] });
      navigate(`/profiles/${profile}/records/${form.type}/${encodeURIComponent(String(stored.id))}`);
    } catch (e) {
      const field = e instanceof ApiError ? fieldForPath(form, typeof e.problem.path === "string" ? e.problem.path : undefined) : undefined;
      if (field && e instanceof ApiError) setError(field, { message: e.problem.reason ?? e.message });
      else setFailure(e);
    }
  });

  return (
    <>
      <PageHeader title={`Add: ${form.title.toLowerCase()}`} subtitle={`${form.intro} It goes into ${possessive(who)} records.`} />
      <Card withBorder maw={640} component="form" onSubmit={submit} noValidate>
        <Stack>
          {form.fields.map((f) => {
            const common = { label: f.label, description: f.description, required: f.required, error: errors[f.name]?.message, ...register(f.name) };
            if (f.kind === "select") return <NativeSelect key={f.name} data={f.options ?? []} {...common} />;
            if (f.kind === "date") return <TextInput key={f.name} type="date" max={new Date().toISOString().slice(0, 10)} {...common} />;
            if (f.kind === "number") return <TextInput key={f.name} inputMode="decimal" {...common} />;
            return <TextInput key={f.name} {...common} />;
          })}
          <Failure error={failure} title="Not saved" />
          <Group>
            <Button type="submit" loading={isSubmitting}>
              Save
            </Button>
            <Button variant="default" component={Link} to={`/profiles/${profile}/add`}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </Card>
    </>
  );
}
