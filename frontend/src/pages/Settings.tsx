import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Card, Code, Group, List, PasswordInput, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import QRCode from "qrcode";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { z } from "zod";
import { useChatStatus } from "../api/chat";
import { api, ok } from "../api/client";
import { PageHeader } from "../components/PageHeader";
import { QueryView, Failure } from "../components/PageState";
import { password as passwordRule } from "../lib/forms";
import { formatDateTime, relativeTime } from "../lib/format";
import { useSession } from "../session";

export default function SettingsPage() {
  const { me } = useSession();
  return (
    <>
      <PageHeader title="Account settings" subtitle={`Signed in as ${me.user.display_name} (${me.user.username})`} />
      <Stack maw={760}>
        <PasswordCard />
        <TwoStepCard />
        <SessionsCard />
        {me.user.role === "admin" && <ChatCard />}
      </Stack>
    </>
  );
}

const passwordSchema = z
  .object({ current_password: z.string().min(1, "Enter your current password."), new_password: passwordRule, confirm: z.string() })
  .refine((v) => v.new_password === v.confirm, { message: "The two passwords are different.", path: ["confirm"] });
type PasswordForm = z.infer<typeof passwordSchema>;

function PasswordCard() {
  const [done, setDone] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<PasswordForm>({ resolver: zodResolver(passwordSchema), defaultValues: { current_password: "", new_password: "", confirm: "" } });
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    setDone(false);
    try {
      await ok(api.POST("/api/me/password", { body: { current_password: v.current_password, new_password: v.new_password } }));
      reset();
      setDone(true);
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <Card withBorder component="section" aria-labelledby="password-title">
      <Title order={2} size="h4" id="password-title" mb="sm">
        Password
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack>
          <PasswordInput
            label="Current password"
            required
            autoComplete="current-password"
            {...register("current_password")}
            error={errors.current_password?.message}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <PasswordInput
              label="New password"
              required
              autoComplete="new-password"
              description="At least 12 characters and hard to guess: a few unrelated words work well."
              {...register("new_password")}
              error={errors.new_password?.message}
            />
            <PasswordInput label="New password again" required autoComplete="new-password" {...register("confirm")} error={errors.confirm?.message} />
          </SimpleGrid>
          {done && (
            <Alert color="green" role="status">
              Password changed. Other devices signed in as you have been signed out.
            </Alert>
          )}
          <Failure error={failure} />
          <Group>
            <Button type="submit" loading={isSubmitting}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function TwoStepCard() {
  const { me, reload } = useSession();
  const [password, setPassword] = useState("");
  const [setup, setSetup] = useState<{ secret: string; otpauth_url: string } | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState<string[] | null>(null);
  useEffect(() => {
    if (!setup) return setQr(null);
    // Drawn here in the browser: the secret never goes to another service.
    QRCode.toDataURL(setup.otpauth_url, { margin: 1, width: 200 }).then(setQr, () => setQr(null));
  }, [setup]);
  const begin = useMutation({
    mutationFn: () => ok(api.POST("/api/me/totp", { body: { password } })),
    onSuccess: (s) => {
      setSetup(s);
      setPassword("");
    },
  });
  const confirm = useMutation({
    mutationFn: () => ok(api.POST("/api/me/totp/confirm", { body: { code: code.trim() } })),
    onSuccess: async (r) => {
      setRecovery(r.recovery_codes);
      setSetup(null);
      setCode("");
      await reload();
    },
  });
  const disable = useMutation({
    mutationFn: () => ok(api.POST("/api/me/totp/disable", { body: { password } })),
    onSuccess: async () => {
      setPassword("");
      setRecovery(null);
      await reload();
    },
  });
  const failure = begin.error ?? confirm.error ?? disable.error;
  return (
    <Card withBorder component="section" aria-labelledby="totp-title">
      <Title order={2} size="h4" id="totp-title" mb="xs">
        Two-step sign-in
      </Title>
      <Stack>
        <Text size="sm">
          {me.user.totp_enabled
            ? "On: signing in needs your password and a code from your authenticator app."
            : "Off. Turn it on so that a stolen password alone cannot open these records."}
        </Text>
        {recovery && (
          <Alert color="green" title="Two-step sign-in is on. Save these recovery codes" role="status">
            <Text size="sm">Each works once, if you lose your phone. Keep them somewhere safe; they are not shown again.</Text>
            <List size="sm" mt="xs">
              {recovery.map((c) => (
                <List.Item key={c}>
                  <Code>{c}</Code>
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        {setup ? (
          <Stack>
            <Text size="sm">Scan this with your authenticator app, or type the key in by hand, then enter the code it shows.</Text>
            <Group align="flex-start">
              {qr && <img src={qr} width={200} height={200} alt="QR code for your authenticator app" />}
              <div>
                <Text size="sm">Key:</Text>
                <Code style={{ wordBreak: "break-all" }}>{setup.secret}</Code>
              </div>
            </Group>
            <Group align="flex-end">
              <TextInput
                label="Code from the app"
                inputMode="numeric"
                autoComplete="one-time-code"
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
              />
              <Button onClick={() => confirm.mutate()} loading={confirm.isPending} disabled={!code.trim()}>
                Turn on
              </Button>
              <Button variant="default" onClick={() => setSetup(null)}>
                Cancel
              </Button>
            </Group>
          </Stack>
        ) : (
          <Group align="flex-end">
            <PasswordInput
              label="Your password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            {me.user.totp_enabled ? (
              <Button color="red" variant="light" onClick={() => disable.mutate()} loading={disable.isPending} disabled={!password}>
                Turn off
              </Button>
            ) : (
              <Button onClick={() => begin.mutate()} loading={begin.isPending} disabled={!password}>
                Set up
              </Button>
            )}
          </Group>
        )}
        <Failure error={failure} />
      </Stack>
    </Card>
  );
}

function SessionsCard() {
  const client = useQueryClient();
  const sessions = useQuery({ queryKey: ["sessions"], queryFn: () => ok(api.GET("/api/auth/sessions")) });
  const revoke = useMutation({
    mutationFn: (session: string) => ok(api.DELETE("/api/auth/sessions/{session}", { params: { path: { session } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["sessions"] }),
  });
  return (
    <Card withBorder component="section" aria-labelledby="sessions-title">
      <Title order={2} size="h4" id="sessions-title" mb="xs">
        Where you are signed in
      </Title>
      <QueryView query={sessions} loading="Loading sessions…">
        {({ sessions: list }) => (
          <Table.ScrollContainer minWidth={520}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>Signed in</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <Text size="sm" lineClamp={2} title={s.user_agent ?? undefined}>
                        {s.current ? <strong>This device · </strong> : null}
                        {s.user_agent ?? "Unknown device"}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {s.address}
                      </Text>
                    </Table.Td>
                    <Table.Td>{formatDateTime(s.created_at)}</Table.Td>
                    <Table.Td>{relativeTime(s.last_used_at)}</Table.Td>
                    <Table.Td>
                      {!s.current && (
                        <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke.mutate(s.id)}>
                          Sign out
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
      <Failure error={revoke.error} mt="xs" />
    </Card>
  );
}

/** For administrators: whether chat is on, and the way to its settings. */
function ChatCard() {
  const status = useChatStatus();
  const s = status.data;
  return (
    <Card withBorder component="section" aria-labelledby="chat-title">
      <Title order={2} size="h4" id="chat-title" mb="xs">
        Ask your records (chat)
      </Title>
      <Stack gap="xs">
        <Text size="sm">
          {!s
            ? "Whether chat is on is not known yet."
            : !s.enabled
              ? "Off: no language model has been chosen to answer questions about the records."
              : s.remote
                ? `On: questions, and the records that match them, are sent to ${s.endpoint_host ?? "another computer"} (model ${s.model ?? "unnamed"}).`
                : `On: answers are computed on this machine (model ${s.model ?? "unnamed"}).`}
        </Text>
        <Group>
          <Button component={Link} to="/admin/chat" variant="default">
            Chat settings
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
