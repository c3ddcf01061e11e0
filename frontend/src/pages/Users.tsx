// Administrators manage the accounts on this Hearth.
import { zodResolver } from "@hookform/resolvers/zod";
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  NativeSelect,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, ok } from "../api/client";
import type { AdminUser } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { QueryView, Failure } from "../components/PageState";
import { password, username } from "../lib/forms";
import { formatDate } from "../lib/format";
import { useSession } from "../session";

const newUserSchema = z.object({
  username,
  display_name: z.string().trim().max(100, "At most 100 characters."),
  password,
  role: z.enum(["member", "admin"]),
});
type NewUserForm = z.infer<typeof newUserSchema>;

export default function UsersPage() {
  const { me } = useSession();
  const client = useQueryClient();
  const users = useQuery({ queryKey: ["users"], queryFn: () => ok(api.GET("/api/users")), enabled: me.user.role === "admin" });
  const refresh = () => client.invalidateQueries({ queryKey: ["users"] });
  const update = useMutation({
    mutationFn: ({ user, changes }: { user: string; changes: { disabled?: boolean; role?: "admin" | "member" } }) =>
      ok(api.PATCH("/api/users/{user}", { params: { path: { user } }, body: changes })),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (user: string) => ok(api.DELETE("/api/users/{user}", { params: { path: { user } } })),
    onSettled: refresh,
  });
  const [resetFor, setResetFor] = useState<AdminUser | null>(null);
  const [deleteFor, setDeleteFor] = useState<AdminUser | null>(null);
  if (me.user.role !== "admin") return <Alert color="gray">Only administrators manage accounts.</Alert>;
  const failure = update.error ?? remove.error;
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="Everyone who can sign in to this Hearth"
        actions={
          <Button
            variant="default"
            title="Every record, account, key and document, in one file that `hearth restore` reads. Keep it somewhere safe."
            onClick={() => {
              // A fresh session first, so the download is the backup and not a sign-in error.
              void api.GET("/api/me").then(() => window.location.assign("/api/admin/backup"));
            }}
          >
            Download a backup
          </Button>
        }
      />
      <Stack>
        <NewUserCard onCreated={refresh} />
        <Failure error={failure} />
        <QueryView query={users} loading="Loading accounts…">
          {({ users: list }) => (
            <Table.ScrollContainer minWidth={640}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Since</Table.Th>
                    <Table.Th>Actions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((u) => {
                    const self = u.id === me.user.id;
                    return (
                      <Table.Tr key={u.id}>
                        <Table.Td>
                          {u.display_name}{" "}
                          <Text span size="xs" c="dimmed">
                            ({u.username})
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          {self ? (
                            u.role
                          ) : (
                            <NativeSelect
                              size="xs"
                              aria-label={`Role of ${u.username}`}
                              value={u.role}
                              onChange={(e) => update.mutate({ user: u.id, changes: { role: e.currentTarget.value as "admin" | "member" } })}
                              data={[
                                { value: "member", label: "Member" },
                                { value: "admin", label: "Administrator" },
                              ]}
                            />
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4}>
                            {u.disabled ? (
                              <Badge color="gray">Disabled</Badge>
                            ) : (
                              <Badge color="green" variant="light">
                                Active
                              </Badge>
                            )}
                            {u.totp_enabled && <Badge variant="outline">Two-step</Badge>}
                          </Group>
                        </Table.Td>
                        <Table.Td>{formatDate(u.created_at)}</Table.Td>
                        <Table.Td>
                          {!self && (
                            <Group gap={4} wrap="nowrap">
                              <Button
                                size="compact-xs"
                                variant="default"
                                onClick={() => update.mutate({ user: u.id, changes: { disabled: !u.disabled } })}
                              >
                                {u.disabled ? "Enable" : "Disable"}
                              </Button>
                              <Button size="compact-xs" variant="default" onClick={() => setResetFor(u)}>
                                Reset password
                              </Button>
                              <Button size="compact-xs" variant="subtle" color="red" onClick={() => setDeleteFor(u)}>
                                Delete
                              </Button>
                            </Group>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryView>
      </Stack>
      <ResetPasswordModal user={resetFor} onClose={() => setResetFor(null)} />
      <Modal opened={deleteFor !== null} onClose={() => setDeleteFor(null)} title={`Delete ${deleteFor?.username ?? ""}?`}>
        <Stack>
          <Text size="sm">They can no longer sign in. Profiles they own must be handed to someone else first; Hearth says so if any are left.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleteFor(null)}>
              Keep
            </Button>
            <Button
              color="red"
              onClick={() => {
                if (deleteFor) remove.mutate(deleteFor.id);
                setDeleteFor(null);
              }}
            >
              Delete account
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

function NewUserCard({ onCreated }: { onCreated: () => unknown }) {
  const [created, setCreated] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<NewUserForm>({ resolver: zodResolver(newUserSchema), defaultValues: { username: "", display_name: "", password: "", role: "member" } });
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    setCreated(null);
    try {
      const u = await ok(
        api.POST("/api/users", { body: { username: v.username, password: v.password, role: v.role, display_name: v.display_name || null } }),
      );
      reset();
      setCreated(u.username);
      onCreated();
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <Card withBorder component="section" aria-labelledby="new-user-title">
      <Title order={2} size="h4" id="new-user-title" mb="xs">
        Add an account
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Username" required autoComplete="off" {...register("username")} error={errors.username?.message} />
            <TextInput label="Name" {...register("display_name")} error={errors.display_name?.message} />
            <PasswordInput
              label="First password"
              required
              autoComplete="new-password"
              description="Tell them; they can change it in their settings."
              {...register("password")}
              error={errors.password?.message}
            />
            <NativeSelect
              label="Role"
              {...register("role")}
              data={[
                { value: "member", label: "Member: sees what is shared with them" },
                { value: "admin", label: "Administrator: also manages accounts" },
              ]}
            />
          </SimpleGrid>
          {created && (
            <Alert color="green" role="status">
              Account {created} created. Share a person's records with them from Family and sharing.
            </Alert>
          )}
          <Failure error={failure} />
          <Group>
            <Button type="submit" loading={isSubmitting}>
              Create account
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function ResetPasswordModal({ user, onClose }: { user: AdminUser | null; onClose: () => void }) {
  const [value, setValue] = useState("");
  const reset = useMutation({
    mutationFn: () => ok(api.POST("/api/users/{user}/password", { params: { path: { user: user?.id ?? "" } }, body: { new_password: value } })),
    onSuccess: () => {
      setValue("");
      onClose();
    },
  });
  const check = password.safeParse(value);
  return (
    <Modal opened={user !== null} onClose={onClose} title={`New password for ${user?.username ?? ""}`}>
      <Stack>
        <PasswordInput
          label="New password"
          autoComplete="new-password"
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
          error={value && !check.success ? check.error.issues[0]?.message : undefined}
          data-autofocus
        />
        <Text size="sm" c="dimmed">
          Their other sessions end; tell them the new password.
        </Text>
        <Failure error={reset.error} />
        <Group justify="flex-end">
          <Button onClick={() => reset.mutate()} disabled={!check.success} loading={reset.isPending}>
            Set password
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
