// The people whose records this account sees, and who else may see them.
import { zodResolver } from "@hookform/resolvers/zod";
import { Anchor, Badge, Button, Card, Group, Modal, NativeSelect, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { z } from "zod";
import { api, ok } from "../api/client";
import type { MyProfile } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { QueryView, Failure } from "../components/PageState";
import { ageText, formatDate } from "../lib/format";
import { pastDate, username } from "../lib/forms";
import { useSession } from "../session";

const ROLE_WORDS: Record<string, string> = {
  owner: "Owner: manages the records and who sees them",
  editor: "Can add and change records",
  viewer: "Can look, not change",
};

const personSchema = z.object({
  name: z.string().trim().min(1, "Enter their name.").max(100, "At most 100 characters."),
  birth_date: z.union([z.literal(""), pastDate]),
});
type PersonForm = z.infer<typeof personSchema>;

export default function FamilyPage() {
  const { me, reload } = useSession();
  const [adding, setAdding] = useState(false);
  return (
    <>
      <PageHeader
        title="Family and sharing"
        subtitle="Everyone whose records you look after, and who else can see them"
        actions={<Button onClick={() => setAdding(true)}>Add a person</Button>}
      />
      <Stack>
        {me.profiles.length === 0 && <Text c="dimmed">You do not look after anyone's records yet. Add a person to begin.</Text>}
        {me.profiles.map((p) => (
          <PersonCard key={p.id} profile={p} onChanged={reload} />
        ))}
      </Stack>
      <Modal opened={adding} onClose={() => setAdding(false)} title="Add a person">
        <PersonFormView
          submitLabel="Add"
          onSaved={async () => {
            setAdding(false);
            await reload();
          }}
        />
      </Modal>
    </>
  );
}

function PersonFormView({
  profile,
  submitLabel,
  onSaved,
}: {
  profile?: MyProfile;
  submitLabel: string;
  onSaved: (id: string) => void | Promise<void>;
}) {
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<PersonForm>({
    resolver: zodResolver(personSchema),
    defaultValues: { name: profile?.name ?? "", birth_date: profile?.birth_date ?? "" },
  });
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      const body = { name: v.name, birth_date: v.birth_date };
      const saved = profile
        ? await ok(api.PATCH("/api/profiles/{profile}", { params: { path: { profile: profile.id } }, body }))
        : await ok(api.POST("/api/profiles", { body: { name: v.name, ...(v.birth_date ? { birth_date: v.birth_date } : {}) } }));
      await onSaved(saved.id);
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Name" required {...register("name")} error={errors.name?.message} data-autofocus />
        <TextInput
          label="Birth date"
          type="date"
          description="Optional; used to show ages."
          {...register("birth_date")}
          error={errors.birth_date?.message}
        />
        <Failure error={failure} />
        <Group justify="flex-end">
          <Button type="submit" loading={isSubmitting}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PersonCard({ profile, onChanged }: { profile: MyProfile; onChanged: () => Promise<unknown> }) {
  const [editing, setEditing] = useState(false);
  const age = ageText(profile.birth_date);
  const isOwner = profile.role === "owner";
  return (
    <Card withBorder component="section" aria-labelledby={`person-${profile.id}`}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={2} size="h4" id={`person-${profile.id}`}>
              <Anchor component={Link} to={`/profiles/${profile.id}`} inherit>
                {profile.name}
              </Anchor>
            </Title>
            <Text size="sm" c="dimmed">
              {profile.birth_date ? `Born ${formatDate(profile.birth_date)}${age ? ` (${age})` : ""}` : "No birth date"}
            </Text>
          </div>
          <Group gap="xs">
            <Badge variant="light" color={isOwner ? "hearth" : "gray"}>
              You: {profile.role}
            </Badge>
            {isOwner && (
              <Button size="xs" variant="default" onClick={() => setEditing(true)}>
                Edit
              </Button>
            )}
          </Group>
        </Group>
        {isOwner ? <Sharing profile={profile} /> : <Text size="sm">{ROLE_WORDS[profile.role]}. The owner decides who else sees these records.</Text>}
      </Stack>
      <Modal opened={editing} onClose={() => setEditing(false)} title={`Edit ${profile.name}`}>
        <PersonFormView
          profile={profile}
          submitLabel="Save"
          onSaved={async () => {
            setEditing(false);
            await onChanged();
          }}
        />
      </Modal>
    </Card>
  );
}

const grantSchema = z.object({ username, role: z.enum(["viewer", "editor"]) });
type GrantForm = z.infer<typeof grantSchema>;

function Sharing({ profile }: { profile: MyProfile }) {
  const client = useQueryClient();
  const { me } = useSession();
  const key = ["grants", profile.id];
  const grants = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET("/api/profiles/{profile}/grants", { params: { path: { profile: profile.id } } })),
  });
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const change = useMutation({
    mutationFn: ({ user, role }: { user: string; role: "viewer" | "editor" }) =>
      ok(api.PUT("/api/profiles/{profile}/grants/{user}", { params: { path: { profile: profile.id, user } }, body: { role } })),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (user: string) => ok(api.DELETE("/api/profiles/{profile}/grants/{user}", { params: { path: { profile: profile.id, user } } })),
    onSettled: refresh,
  });
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<GrantForm>({ resolver: zodResolver(grantSchema), defaultValues: { username: "", role: "viewer" } });
  const add = handleSubmit(async (v) => {
    setFailure(null);
    try {
      await ok(api.POST("/api/profiles/{profile}/grants", { params: { path: { profile: profile.id } }, body: v }));
      reset();
      await refresh();
    } catch (e) {
      setFailure(e);
    }
  });
  const others = (grants.data?.grants ?? []).filter((g) => g.user_id !== me.user.id);
  return (
    <Stack gap="xs">
      <Text fw={600} size="sm">
        Shared with
      </Text>
      <QueryView query={grants} loading="Loading who can see this…">
        {() =>
          others.length === 0 ? (
            <Text size="sm" c="dimmed">
              Only you.
            </Text>
          ) : (
            <Table.ScrollContainer minWidth={420}>
              <Table>
                <Table.Tbody>
                  {others.map((g) => (
                    <Table.Tr key={g.user_id}>
                      <Table.Td>
                        {g.display_name}{" "}
                        <Text span size="xs" c="dimmed">
                          ({g.username})
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {g.role === "owner" ? (
                          "Owner"
                        ) : (
                          <NativeSelect
                            aria-label={`What ${g.display_name} can do`}
                            size="xs"
                            value={g.role}
                            onChange={(e) => change.mutate({ user: g.user_id, role: e.currentTarget.value as "viewer" | "editor" })}
                            data={[
                              { value: "viewer", label: "Can look" },
                              { value: "editor", label: "Can add and change" },
                            ]}
                          />
                        )}
                      </Table.Td>
                      <Table.Td>
                        {g.role !== "owner" && (
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            color="red"
                            onClick={() => remove.mutate(g.user_id)}
                            aria-label={`Stop sharing with ${g.display_name}`}
                          >
                            Stop sharing
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryView>
      <form onSubmit={add} noValidate aria-label={`Share ${profile.name}'s records`}>
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput label="Share with (username)" size="sm" {...register("username")} error={errors.username?.message} miw={200} />
          <NativeSelect
            label="They can"
            size="sm"
            {...register("role")}
            data={[
              { value: "viewer", label: "Look" },
              { value: "editor", label: "Add and change" },
            ]}
          />
          <Button type="submit" size="sm" variant="light" loading={isSubmitting}>
            Share
          </Button>
        </Group>
      </form>
      <Failure error={failure ?? change.error ?? remove.error} />
    </Stack>
  );
}
