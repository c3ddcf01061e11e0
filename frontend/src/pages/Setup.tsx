// First run: the administrator's account and the first person's profile;
// the third step (connecting a provider) is the connect page itself.
import { zodResolver } from "@hookform/resolvers/zod";
import { Button, Container, Group, Paper, PasswordInput, Stack, Stepper, Text, TextInput, Title } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { api, ok } from "../api/client";
import { Failure } from "../components/PageState";
import { setupSchema, type SetupForm } from "../lib/forms";
import { ME } from "../session";

export function SetupPage() {
  const [step, setStep] = useState(0);
  const [failure, setFailure] = useState<unknown>(null);
  const client = useQueryClient();
  const {
    register,
    handleSubmit,
    trigger,
    getValues,
    setValue,
    formState: { errors, isSubmitting },
  } = useForm<SetupForm>({
    resolver: zodResolver(setupSchema),
    defaultValues: { display_name: "", username: "", password: "", confirm: "", profile_name: "", birth_date: "" },
    mode: "onTouched",
  });
  useEffect(() => {
    document.title = "Welcome · Hearth";
  }, []);

  const next = async () => {
    if (!(await trigger(["display_name", "username", "password", "confirm"]))) return;
    // The first person is usually the one setting up: their name is already there to keep or change.
    const [shown, user, first] = getValues(["display_name", "username", "profile_name"]);
    if (!first.trim()) setValue("profile_name", shown.trim() || user.trim());
    setStep(1);
  };

  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      await ok(
        api.POST("/api/setup", {
          body: {
            username: v.username,
            password: v.password,
            display_name: v.display_name || null,
            profile_name: v.profile_name,
            use_cookies: true,
          },
        }),
      );
      // Setup takes no birth date: it goes on the new profile afterwards.
      let me = await ok(api.GET("/api/me"));
      const first = me.profiles[0];
      if (v.birth_date && first) {
        try {
          await ok(api.PATCH("/api/profiles/{profile}", { params: { path: { profile: first.id } }, body: { birth_date: v.birth_date } }));
          me = await ok(api.GET("/api/me"));
        } catch {
          // The account is made; the birth date can be added on the family page.
        }
      }
      // The app then moves on to the third step, connecting a provider (see App).
      client.setQueryData(ME, me);
      client.setQueryData(["setup"], { setup_needed: false, signup_allowed: false });
    } catch (e) {
      setFailure(e);
    }
  });

  return (
    <Container size={560} py="xl">
      <main>
        <Stack gap="lg">
          <div>
            <Title order={1}>Welcome to Hearth</Title>
            <Text c="dimmed">One private place for your family's medical records. Three short steps and you are in.</Text>
          </div>
          <Stepper active={step} size="sm" allowNextStepsSelect={false} aria-label="Setup steps">
            <Stepper.Step label="Your account" description="You look after this Hearth" />
            <Stepper.Step label="First person" description="Whose records" />
            <Stepper.Step label="Connect" description="A provider's portal" />
          </Stepper>
          <Paper withBorder p="lg" component="form" onSubmit={submit} noValidate aria-labelledby="setup-step-title">
            {step === 0 ? (
              <Stack>
                <Title order={2} size="h3" id="setup-step-title">
                  Create your account
                </Title>
                <Text size="sm">You will be this Hearth's administrator: you can add family members and their accounts later.</Text>
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
                <Group justify="flex-end">
                  <Button onClick={() => void next()}>Next</Button>
                </Group>
              </Stack>
            ) : (
              <Stack>
                <Title order={2} size="h3" id="setup-step-title">
                  Whose records come first?
                </Title>
                <Text size="sm">Start with one person, usually yourself. You can add children, partners or parents afterwards.</Text>
                <TextInput label="Their name" required {...register("profile_name")} error={errors.profile_name?.message} data-autofocus />
                <TextInput
                  label="Their birth date"
                  type="date"
                  description="Optional; used to show ages and to check that uploaded files are about the right person."
                  max={new Date().toISOString().slice(0, 10)}
                  {...register("birth_date")}
                  error={errors.birth_date?.message}
                />
                <Failure error={failure} title="Setup did not finish" />
                <Group justify="space-between">
                  <Button variant="default" onClick={() => setStep(0)}>
                    Back
                  </Button>
                  <Button type="submit" loading={isSubmitting}>
                    Create account
                  </Button>
                </Group>
              </Stack>
            )}
          </Paper>
        </Stack>
      </main>
    </Container>
  );
}
