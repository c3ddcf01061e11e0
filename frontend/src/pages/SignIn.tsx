import { zodResolver } from "@hookform/resolvers/zod";
import { Alert, Anchor, Button, Container, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useSearchParams } from "react-router";
import { ApiError, api, ok } from "../api/client";
import { Failure } from "../components/PageState";
import { z } from "zod";
import { password, signInSchema, username, type SignInForm } from "../lib/forms";
import { ME } from "../session";

export function SignInPage({ signupAllowed }: { signupAllowed: boolean }) {
  const [params] = useSearchParams();
  const client = useQueryClient();
  const [needsCode, setNeedsCode] = useState(false);
  const [useRecovery, setUseRecovery] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<SignInForm>({ resolver: zodResolver(signInSchema), defaultValues: { username: "", password: "", totp_code: "" } });
  useEffect(() => {
    document.title = "Sign in · Hearth";
  }, []);

  const submit = handleSubmit(async (v) => {
    setFailure(null);
    const code = v.totp_code?.trim();
    try {
      await ok(
        api.POST("/api/auth/sign-in", {
          body: {
            username: v.username,
            password: v.password,
            use_cookies: true,
            ...(code ? (useRecovery ? { recovery_code: code } : { totp_code: code }) : {}),
          },
        }),
      );
      // The app then moves on to `next` (see App).
      client.setQueryData(ME, await ok(api.GET("/api/me")));
    } catch (e) {
      if (e instanceof ApiError && e.kind === "totp-required") {
        setNeedsCode(true);
        return;
      }
      setFailure(e);
    }
  });

  return (
    <Container size={420} py="xl">
      <main>
        <Stack>
          <Title order={1} ta="center">
            Hearth
          </Title>
          <Paper withBorder p="lg" component="form" onSubmit={submit} noValidate aria-labelledby="sign-in-title">
            <Stack>
              <Title order={2} size="h3" id="sign-in-title">
                Sign in
              </Title>
              {params.get("expired") && !failure && (
                <Alert color="blue" role="status">
                  Your session ended. Sign in again to go on.
                </Alert>
              )}
              <TextInput label="Username" required autoComplete="username" {...register("username")} error={errors.username?.message} />
              <PasswordInput label="Password" required autoComplete="current-password" {...register("password")} error={errors.password?.message} />
              {needsCode && (
                <>
                  <TextInput
                    label={useRecovery ? "Recovery code" : "Code from your authenticator app"}
                    description={
                      useRecovery ? "One of the codes you saved when you turned on two-step sign-in." : "Six digits; it changes every 30 seconds."
                    }
                    required
                    autoComplete="one-time-code"
                    inputMode={useRecovery ? "text" : "numeric"}
                    {...register("totp_code")}
                    data-autofocus
                  />
                  <Anchor component="button" type="button" size="sm" onClick={() => setUseRecovery((r) => !r)}>
                    {useRecovery ? "Use a code from the app instead" : "Use a recovery code instead"}
                  </Anchor>
                </>
              )}
              <Failure error={failure} title="Not signed in" />
              <Button type="submit" loading={isSubmitting} fullWidth>
                Sign in
              </Button>
              <Text size="sm" c="dimmed">
                No account?{" "}
                {signupAllowed ? (
                  <Anchor component={Link} to="/sign-up" size="sm">
                    Create one
                  </Anchor>
                ) : (
                  "Ask whoever runs this Hearth to make you one."
                )}
              </Text>
            </Stack>
          </Paper>
        </Stack>
      </main>
    </Container>
  );
}

const signUpSchema = z
  .object({ display_name: z.string().trim().max(100, "At most 100 characters."), username, password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: "The two passwords are different.", path: ["confirm"] });
type SignUpForm = z.infer<typeof signUpSchema>;

/** Self sign-up, when this Hearth allows it: an account with its own profile. */
export function SignUpPage() {
  const client = useQueryClient();
  const [failure, setFailure] = useState<unknown>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<SignUpForm>({ resolver: zodResolver(signUpSchema), defaultValues: { display_name: "", username: "", password: "", confirm: "" } });
  useEffect(() => {
    document.title = "Create an account · Hearth";
  }, []);
  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      await ok(
        api.POST("/api/auth/sign-up", {
          body: { username: v.username, password: v.password, display_name: v.display_name || null, use_cookies: true },
        }),
      );
      client.setQueryData(ME, await ok(api.GET("/api/me")));
    } catch (e) {
      setFailure(e);
    }
  });
  return (
    <Container size={420} py="xl">
      <main>
        <Paper withBorder p="lg" component="form" onSubmit={submit} noValidate aria-labelledby="sign-up-title">
          <Stack>
            <Title order={1} size="h3" id="sign-up-title">
              Create an account
            </Title>
            <TextInput label="Your name" autoComplete="name" {...register("display_name")} error={errors.display_name?.message} />
            <TextInput label="Username" required autoComplete="username" {...register("username")} error={errors.username?.message} />
            <PasswordInput
              label="Password"
              required
              autoComplete="new-password"
              description="At least 12 characters and hard to guess: a few unrelated words work well."
              {...register("password")}
              error={errors.password?.message}
            />
            <PasswordInput label="Password again" required autoComplete="new-password" {...register("confirm")} error={errors.confirm?.message} />
            <Failure error={failure} />
            <Button type="submit" loading={isSubmitting} fullWidth>
              Create account
            </Button>
            <Anchor component={Link} to="/sign-in" size="sm">
              I already have an account
            </Anchor>
          </Stack>
        </Paper>
      </main>
    </Container>
  );
}
