// The people whose records this account sees, and who else may see them.
import { zodResolver } from "@hookform/resolvers/zod";
import { Anchor, Badge, Button, Card, Group, Modal, NativeSelect, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { z } from "zod";
import { api, ok } from "../api/client";
import type { MyProfile, Removal } from "../api/types";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { QueryView, Failure } from "../components/PageState";
import { ageText, formatCount, formatDate } from "../lib/format";
import { pastDate, username } from "../lib/forms";
import { daysText, keepDays, keptText, removedByText, undoneText, undoneTitle, undoRemoval, untilText } from "../lib/removals";
import { possessive } from "../profile";
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
        <RecentlyDeleted />
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
        {isOwner && <DeletePerson profile={profile} onDeleted={onChanged} />}
      </Modal>
    </Card>
  );
}

/** The people the signed-in person owned who were deleted and can still be brought back. */
const DELETED_PEOPLE = ["deleted-people"];

function useDeletedPeople() {
  return useQuery({ queryKey: DELETED_PEOPLE, queryFn: () => ok(api.GET("/api/removals")) });
}

/** Bring a deleted person back, then say so and show them again. */
function useBringBack() {
  const client = useQueryClient();
  const { reload } = useSession();
  return async (removal: Removal) => {
    const back = await undoRemoval(removal);
    await Promise.all([reload(), client.invalidateQueries({ queryKey: DELETED_PEOPLE }), client.invalidateQueries({ queryKey: ["family"] })]);
    notify(undoneText(back, ""), { title: undoneTitle(back) });
  };
}

/** Delete a person with every record: asked for by typing their name; they can be brought back for a while. */
function DeletePerson({ profile, onDeleted }: { profile: MyProfile; onDeleted: () => Promise<unknown> }) {
  const [typed, setTyped] = useState("");
  const client = useQueryClient();
  const deleted = useDeletedPeople();
  const bringBack = useBringBack();
  const remove = useMutation({
    mutationFn: () => ok(api.DELETE("/api/profiles/{profile}", { params: { path: { profile: profile.id } } })),
    onSuccess: async (removal) => {
      notify(`${profile.name} and their records are deleted. ${untilText(removal, "them")}`.trim(), {
        title: "Deleted",
        action: { label: "Undo", run: () => bringBack(removal) },
      });
      await Promise.all([client.invalidateQueries({ queryKey: ["family"] }), client.invalidateQueries({ queryKey: DELETED_PEOPLE })]);
      await onDeleted();
    },
  });
  const matches = typed.trim() === profile.name;
  return (
    <Stack gap="xs" mt="lg" component="section" aria-label={`Delete ${profile.name}`}>
      <Text fw={600} size="sm" c="red.9">
        Delete {profile.name} and every record
      </Text>
      <Text size="xs">
        Their records, sources, documents and sharing all go, for everyone who sees them. Hearth keeps them for{" "}
        {daysText(keepDays(deleted.data?.removals))}: until then you can bring them back, as they were, from “Recently deleted” on this page. After
        that they are deleted for good.
      </Text>
      <TextInput label={`Type “${profile.name}” to confirm`} size="sm" value={typed} onChange={(e) => setTyped(e.currentTarget.value)} />
      <Failure error={remove.error} title="Not deleted" />
      <Group justify="flex-end">
        <Button color="red.9" disabled={!matches} loading={remove.isPending} onClick={() => remove.mutate()}>
          Delete {profile.name}
        </Button>
      </Group>
    </Stack>
  );
}

/** People deleted lately, each with a way to bring them back; nothing at all when there are none. */
function RecentlyDeleted() {
  const deleted = useDeletedPeople();
  const bringBack = useBringBack();
  const undo = useMutation({ mutationFn: bringBack });
  const people = deleted.data?.removals ?? [];
  if (people.length === 0) return null;
  return (
    <Card withBorder component="section" aria-labelledby="recently-deleted">
      <Title order={2} size="h4" id="recently-deleted" mb="xs">
        Recently deleted
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        People you looked after who were deleted. Bring one back and their records and sharing return as they were.
      </Text>
      <Stack component="ul" gap={0} className="sharing-list" aria-label="Recently deleted people">
        {people.map((r) => (
          <Group component="li" key={r.id} justify="space-between" wrap="wrap" gap="xs" py={6} className="sharing-row">
            <div>
              <Text size="sm" fw={600} id={`deleted-${r.id}`}>
                {r.label}
              </Text>
              <Text size="xs" c="dimmed">
                {formatCount(r.records)} {r.records === 1 ? "record" : "records"} · {removedByText(r)} · {keptText(r)}
              </Text>
            </div>
            <Button
              size="xs"
              variant="default"
              aria-label={`Bring back ${r.label}`}
              loading={undo.isPending && undo.variables?.id === r.id}
              disabled={undo.isPending}
              onClick={() => undo.mutate(r)}
            >
              Bring back
            </Button>
          </Group>
        ))}
      </Stack>
      <Failure error={undo.error} title="Not brought back" mt="xs" />
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
            // A list that wraps, not a table: on a phone each person's controls go under their name, nothing is cut off.
            <Stack component="ul" gap={0} className="sharing-list" aria-label={`Who else sees ${possessive(profile.name)} records`}>
              {others.map((g) => (
                <Group component="li" key={g.user_id} justify="space-between" wrap="wrap" gap="xs" py={6} className="sharing-row">
                  <Text size="sm" miw={0} style={{ overflowWrap: "anywhere" }}>
                    {g.display_name}{" "}
                    <Text span size="xs" c="dimmed">
                      ({g.username})
                    </Text>
                  </Text>
                  <Group gap="xs" wrap="wrap">
                    {g.role === "owner" ? (
                      <Text size="sm">Owner</Text>
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
                    {g.role !== "owner" && (
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        color="red"
                        onClick={() => remove.mutate(g.user_id)}
                        aria-label={`Stop sharing with ${g.display_name}`}
                      >
                        Stop sharing
                      </Button>
                    )}
                  </Group>
                </Group>
              ))}
            </Stack>
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
      <Invitations profile={profile} />
    </Stack>
  );
}

/** Share with someone who has no account yet: a single-use link, no administrator needed. */
function Invitations({ profile }: { profile: MyProfile }) {
  const client = useQueryClient();
  const key = ["invitations", profile.id];
  const [role, setRole] = useState<"viewer" | "editor">("viewer");
  const [who, setWho] = useState("");
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const open = useQuery({
    queryKey: key,
    queryFn: () => ok(api.GET("/api/profiles/{profile}/invitations", { params: { path: { profile: profile.id } } })),
  });
  const invite = useMutation({
    mutationFn: () =>
      ok(api.POST("/api/profiles/{profile}/invitations", { params: { path: { profile: profile.id } }, body: { role, name: who.trim() || null } })),
    onSuccess: (made) => {
      setLink(`${window.location.origin}/invite/${made.token}`);
      setCopied(false);
      setWho("");
      void client.invalidateQueries({ queryKey: key });
    },
  });
  const withdraw = useMutation({
    mutationFn: (id: string) =>
      ok(api.DELETE("/api/profiles/{profile}/invitations/{invitation}", { params: { path: { profile: profile.id, invitation: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  return (
    <Stack gap="xs" component="section" aria-label={`Invite someone to ${possessive(profile.name)} records`}>
      <Text fw={600} size="sm">
        Invite someone new
      </Text>
      <Text size="xs" c="dimmed">
        They get a link that works once, for 7 days, and choose their own username and password.
      </Text>
      <Group align="flex-end" gap="xs" wrap="wrap">
        <TextInput label="Who is it for? (optional)" size="sm" value={who} onChange={(e) => setWho(e.currentTarget.value)} miw={180} />
        <NativeSelect
          label="With the link they can"
          size="sm"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value as "viewer" | "editor")}
          data={[
            { value: "viewer", label: "Look" },
            { value: "editor", label: "Add and change" },
          ]}
        />
        <Button size="sm" variant="light" onClick={() => invite.mutate()} loading={invite.isPending}>
          Make an invitation link
        </Button>
      </Group>
      {link && (
        <Stack gap={4} data-testid="invitation-link">
          <TextInput label="Send them this link" value={link} readOnly onFocus={(e) => e.currentTarget.select()} />
          <Group gap="xs">
            <Button
              size="xs"
              variant="default"
              onClick={() => {
                void navigator.clipboard?.writeText(link).then(() => setCopied(true));
              }}
            >
              {copied ? "Copied" : "Copy the link"}
            </Button>
            <Text size="xs" c="dimmed">
              It is shown only now.
            </Text>
          </Group>
        </Stack>
      )}
      {(open.data?.invitations ?? []).length > 0 && (
        <Stack component="ul" gap={0} className="sharing-list" aria-label="Open invitations">
          {(open.data?.invitations ?? []).map((i) => (
            <Group component="li" key={i.id} justify="space-between" wrap="wrap" gap="xs" py={4} className="sharing-row">
              <Text size="sm">
                {i.name ?? "Someone"} · {i.role === "editor" ? "can add and change" : "can look"} · until {formatDate(i.expires_at)}
              </Text>
              <Button
                size="compact-sm"
                variant="subtle"
                color="red"
                onClick={() => withdraw.mutate(i.id)}
                aria-label={`Withdraw the invitation for ${i.name ?? "someone"}`}
              >
                Withdraw
              </Button>
            </Group>
          ))}
        </Stack>
      )}
      <Failure error={invite.error ?? withdraw.error} />
    </Stack>
  );
}
