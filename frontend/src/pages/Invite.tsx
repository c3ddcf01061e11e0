// Opening an invitation link: whose record is shared, by whom, and either a
// new account (signed out) or joining with one's own (signed in).
import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Button, Container, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { useNavigate, useParams } from "react-router";
import { z } from "zod";
import { ApiError, api, ok } from "../api/client";
import type { Me } from "../api/types";
import { ErrorState, Failure, Loading } from "../components/PageState";
import { formatDate } from "../lib/format";
import { password, username } from "../lib/forms";
import { ME } from "../session";

const ROLE_WORDS: Record<string, string> = {
  viewer: "look at the records",
  editor: "look at the records and add to them",
};

const joinSchema = z
  .object({ display_name: z.string().trim().max(100, "At most 100 characters."), username, password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: "The two passwords are different.", path: ["confirm"] });
type JoinForm = z.infer<typeof joinSchema>;

/** The page an invitation link opens; `me` is the signed-in account, if any. */
export default function InvitePage({ me }: { me?: Me | null }) {
  const { token = "" } = useParams();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [failure, setFailure] = useState<unknown>(null);
  const [joining, setJoining] = useState(false);
  const invitation = useQuery({
    queryKey: ["invitation", token],
    queryFn: () => ok(api.GET("/api/invitations/{token}", { params: { path: { token } } })),
    retry: false,
  });
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<JoinForm>({ resolver: zodResolver(joinSchema), defaultValues: { display_name: "", username: "", password: "", confirm: "" } });
  useEffect(() => {
    document.title = "You are invited · Hearth";
  }, []);

  // Where the shared profile is, once joined: its page, with the account's profiles loaded.
  const arrive = async (location: string | null | undefined) => {
    const profile = /\/api\/profiles\/([^/]+)$/.exec(location ?? "")?.[1];
    client.setQueryData(ME, await ok(api.GET("/api/me")));
    navigate(profile ? `/profiles/${profile}` : "/", { replace: true });
  };
  const create = handleSubmit(async (v) => {
    setFailure(null);
    try {
      const { response, error } = await api.POST("/api/invitations/{token}/accept", {
        params: { path: { token } },
        body: { username: v.username, password: v.password, display_name: v.display_name || null, use_cookies: true },
      });
      if (!response.ok) throw new ApiError(response.status, (error ?? {}) as never);
      await arrive(response.headers.get("Location"));
    } catch (e) {
      setFailure(e);
    }
  });
  const join = async () => {
    setFailure(null);
    setJoining(true);
    try {
      const joined = await ok(api.POST("/api/invitations/{token}/join", { params: { path: { token } } }));
      await arrive(`/api/profiles/${joined.profile_id}`);
    } catch (e) {
      setFailure(e);
    } finally {
      setJoining(false);
    }
  };

  return (
    <Container size={460} py="xl">
      <main>
        <Stack>
          <Title order={1} ta="center">
            Hearth
          </Title>
          {invitation.isPending ? (
            <Loading label="Opening the invitation…" />
          ) : invitation.error ? (
            <ErrorState error={invitation.error} title="This invitation link does not work" />
          ) : (
            <Paper withBorder p="lg">
              <Stack>
                <Title order={2} size="h3">
                  {invitation.data.invited_by} shared {invitation.data.profile_name}'s health record with you
                </Title>
                <Text size="sm">
                  You will be able to {ROLE_WORDS[invitation.data.role] ?? "see the records"}. The link works once, until{" "}
                  {formatDate(invitation.data.expires_at)}.
                </Text>
                {me ? (
                  <>
                    <Text size="sm">You are signed in as {me.user.display_name}.</Text>
                    <Failure error={failure} title="Not joined" />
                    <Button onClick={() => void join()} loading={joining}>
                      Add {invitation.data.profile_name} to my account
                    </Button>
                  </>
                ) : (
                  <form onSubmit={create} noValidate aria-label="Create your account">
                    <Stack>
                      <Text size="sm">Choose a username and password for yourself. Nobody else will know your password.</Text>
                      <TextInput label="Your name" autoComplete="name" {...register("display_name")} error={errors.display_name?.message} />
                      <TextInput label="Username" required autoComplete="username" {...register("username")} error={errors.username?.message} />
                      <PasswordInput
                        label="Password"
                        required
                        autoComplete="new-password"
                        {...register("password")}
                        error={errors.password?.message}
                      />
                      <PasswordInput
                        label="Password again"
                        required
                        autoComplete="new-password"
                        {...register("confirm")}
                        error={errors.confirm?.message}
                      />
                      <Failure error={failure} title="Not joined" />
                      <Button type="submit" loading={isSubmitting}>
                        Create my account and open the record
                      </Button>
                    </Stack>
                  </form>
                )}
              </Stack>
            </Paper>
          )}
          {!me && (
            <Alert color="gray" variant="light">
              Already have an account here? Sign in first, then open this link again.
            </Alert>
          )}
        </Stack>
      </main>
    </Container>
  );
}
