// Administrators choose the language model that answers questions about the
// records: which adapter speaks to it, where it is, its name and key, and
// whether it is offered tools. An endpoint that is not on this machine means
// questions, and the records that answer them, leave it: the form says so.
// When this host serves a small model itself (`local_model`), one button
// fills the form in for it.
import { zodResolver } from "@hookform/resolvers/zod";
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Modal,
  NativeSelect,
  PasswordInput,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { chatKeys, saveChatSettings, turnChatOff, useChatSettings, useChatStatus, useLlmAdapters } from "../api/chat";
import { ApiError, explainError } from "../api/client";
import type { ChatSettings, ChatSettingsInput, PluginList } from "../api/types";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Failure, QueryView } from "../components/PageState";
import { endpointHost, isLoopback } from "../lib/chat";
import { formatDateTime } from "../lib/format";
import type { Explained } from "../lib/problems";
import { useSession } from "../session";

type Adapter = PluginList["plugins"][number];

export default function ChatSettingsPage() {
  const { me } = useSession();
  const admin = me.user.role === "admin";
  const settings = useChatSettings(admin);
  const adapters = useLlmAdapters(admin);
  if (!admin) return <Alert color="gray">Only administrators set up chat.</Alert>;
  return (
    <>
      <PageHeader title="Chat settings" subtitle="The language model that answers questions about the records" />
      <Stack maw={760}>
        <QueryView query={settings} loading="Loading the chat settings…">
          {(s) => (
            <QueryView query={adapters} loading="Loading the installed adapters…">
              {/* Remounted after each save, so the form starts from what is stored (and the key field is empty again). */}
              {(list) => <SettingsForm key={s?.updated_at ?? "off"} settings={s} adapters={list} />}
            </QueryView>
          )}
        </QueryView>
      </Stack>
    </>
  );
}

/** The form's fields: the timeout as typed, the key only if a new one is typed. */
const schema = z.object({
  adapter: z.string().min(1, "Choose an adapter."),
  endpoint: z
    .string()
    .trim()
    .min(1, "Enter the endpoint's address.")
    .refine((v) => isLoopback(v) !== null, "Enter an http:// or https:// address, such as http://127.0.0.1:11434."),
  model: z.string().trim().min(1, "Enter the model's name.").max(200, "At most 200 characters."),
  api_key: z.string(),
  remove_key: z.boolean(),
  offer_tools: z.boolean(),
  reply_timeout_secs: z
    .string()
    .trim()
    .regex(/^\d+$/, "Whole seconds, from 5 to 600.")
    .refine((v) => Number(v) >= 5 && Number(v) <= 600, "Whole seconds, from 5 to 600."),
});
export type SettingsForm = z.infer<typeof schema>;

/** What the form sends: `api_key` only when a new key is typed, or empty to remove the stored one. */
export function settingsBody(v: SettingsForm): ChatSettingsInput {
  const body: ChatSettingsInput = {
    adapter: v.adapter,
    endpoint: v.endpoint.trim(),
    model: v.model.trim(),
    offer_tools: v.offer_tools,
    reply_timeout_secs: Number(v.reply_timeout_secs),
  };
  if (v.remove_key) body.api_key = "";
  else if (v.api_key.trim()) body.api_key = v.api_key.trim();
  return body;
}

/** The form's values for what is stored (a new key is never among them). */
function formValues(settings: ChatSettings | null, adapters: Adapter[]): SettingsForm {
  return {
    adapter: settings?.adapter ?? adapters[0]?.id ?? "",
    endpoint: settings?.endpoint ?? "",
    model: settings?.model ?? "",
    api_key: "",
    remove_key: false,
    offer_tools: settings?.offer_tools ?? true,
    reply_timeout_secs: String(settings?.reply_timeout_secs ?? 60),
  };
}

/** The adapter the host's own model is reached with: it serves an OpenAI-compatible API. */
export const LOCAL_ADAPTER = "llm-openai";

/**
 * The form filled in for the model this host serves at `endpoint`: no tools (a
 * model this small does not call them well), a long timeout (it runs on the
 * processor), and no key (a stored one is removed).
 */
export function localModelValues(endpoint: string, hasStoredKey: boolean): SettingsForm {
  return {
    adapter: LOCAL_ADAPTER,
    endpoint,
    model: "local",
    api_key: "",
    remove_key: hasStoredKey,
    offer_tools: false,
    reply_timeout_secs: "300",
  };
}

/** Where each adapter's endpoint usually is. */
const EXAMPLES: Record<string, string> = {
  "llm-ollama": "Ollama's address, such as http://127.0.0.1:11434 on this machine.",
  "llm-openai": "The API's base address, ending in /v1: http://127.0.0.1:8080/v1 for a server on this machine, https://api.openai.com/v1 for OpenAI.",
};

const FIELDS = ["adapter", "endpoint", "model", "api_key", "reply_timeout_secs"] as const;

/** "endpoint: not a URL (…)" → the field it is about, and the reason as a sentence. */
function fieldProblem(detail: string): { field: (typeof FIELDS)[number]; reason: string } | null {
  const m = /^`?(\w+)`?:\s*(.+)$/s.exec(detail.trim());
  const field = FIELDS.find((f) => f === m?.[1]);
  if (!m || !field) return null;
  const reason = m[2]!.trim();
  return { field, reason: `${reason[0]!.toUpperCase()}${reason.slice(1)}${/[.!?]$/.test(reason) ? "" : "."}` };
}

/** Why the settings were not saved: the host's own words (an administrator reads them), else as every page says it. */
export function explainSettingsError(e: unknown): Explained {
  const general = explainError(e);
  if (!(e instanceof ApiError) || (e.status !== 400 && e.status !== 422) || !e.problem.detail) return general;
  const detail = e.problem.detail;
  const field = fieldProblem(detail);
  const label = field ? LABELS[field.field] : null;
  return {
    message: "The settings were not saved.",
    action: field && label ? `${label}: ${field.reason}` : `Hearth said: ${detail}`,
    details: general.details.filter((l) => !l.startsWith("Hearth said:")),
  };
}

const LABELS: Record<(typeof FIELDS)[number], string> = {
  adapter: "Adapter",
  endpoint: "Endpoint address",
  model: "Model",
  api_key: "API key",
  reply_timeout_secs: "Reply timeout",
};

function SettingsForm({ settings, adapters }: { settings: ChatSettings | null; adapters: Adapter[] }) {
  const client = useQueryClient();
  const [failure, setFailure] = useState<unknown>(null);
  const [confirmOff, setConfirmOff] = useState(false);
  const [filledLocal, setFilledLocal] = useState(false);
  const save = useRef<HTMLButtonElement>(null);
  const status = useChatStatus();
  const localEndpoint = status.data?.local_endpoint ?? null;
  const {
    register,
    handleSubmit,
    watch,
    setError,
    reset,
    formState: { errors, isSubmitting },
  } = useForm<SettingsForm>({ resolver: zodResolver(schema), defaultValues: formValues(settings, adapters) });
  const adapter = watch("adapter");
  const endpoint = watch("endpoint");
  const removeKey = watch("remove_key");
  const options = adapters.map((a) => ({ value: a.id, label: `${a.name} (${a.id})` }));
  if (settings && !adapters.some((a) => a.id === settings.adapter))
    options.push({ value: settings.adapter, label: `${settings.adapter} (not installed)` });

  const fillLocal = (endpoint: string) => {
    setFailure(null);
    // Kept as the defaults: the form still compares with what is stored.
    reset(localModelValues(endpoint, settings?.has_api_key ?? false), { keepDefaultValues: true });
    setFilledLocal(true);
    save.current?.focus();
  };

  const submit = handleSubmit(async (v) => {
    setFailure(null);
    try {
      const stored = await saveChatSettings(settingsBody(v));
      // What is stored now, the key field empty again.
      reset(formValues(stored, adapters));
      client.setQueryData(chatKeys.settings, stored);
      await client.invalidateQueries({ queryKey: chatKeys.status });
      notify(`Questions are answered by ${stored.model} at ${endpointHost(stored.endpoint)}.`, { title: "Chat settings saved" });
    } catch (e) {
      setFailure(e);
      if (e instanceof ApiError && typeof e.problem.detail === "string") {
        const field = fieldProblem(e.problem.detail);
        if (field) setError(field.field, { message: field.reason });
      }
    }
  });

  return (
    <>
      {localEndpoint && (
        <LocalModel
          endpoint={localEndpoint}
          inUse={settings?.endpoint === localEndpoint}
          installed={adapters.some((a) => a.id === LOCAL_ADAPTER)}
          filled={filledLocal}
          saveLabel={settings ? "Save changes" : "Turn chat on"}
          onUse={() => fillLocal(localEndpoint)}
        />
      )}
      <Card withBorder component="section" aria-labelledby="chat-model-title">
        <Title order={2} size="h4" id="chat-model-title" mb={4}>
          Language model
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          {settings
            ? `Chat is on. Saved ${formatDateTime(settings.updated_at)}.`
            : "Chat is off: nobody can ask questions about the records until a model is chosen here."}
        </Text>
        {status.data && !localEndpoint && (
          <Text size="sm" c="dimmed" mb="sm" data-testid="local-model-hint">
            To have a model run on this machine, start Hearth with <Code>local_model</Code> set to a GGUF model file, or run{" "}
            <Code>make local-model</Code> (it fetches SmolLM2, which <Code>make run</Code> then serves).
          </Text>
        )}
        {adapters.length === 0 && (
          <Alert color="gray" mb="sm">
            No llm adapter plugin is installed, so no model can be reached. Install one (llm-openai or llm-ollama) in the plugins folder, then reload.
          </Alert>
        )}
        <form onSubmit={submit} noValidate aria-label="Chat settings">
          <Stack>
            <NativeSelect
              label="Adapter"
              description="Which kind of API the model speaks."
              required
              data={options}
              error={errors.adapter?.message}
              {...register("adapter")}
            />
            <TextInput
              label="Endpoint address"
              description={EXAMPLES[adapter] ?? "The model API's base address (http or https)."}
              required
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              placeholder={adapter === "llm-ollama" ? "http://127.0.0.1:11434" : "http://127.0.0.1:8080/v1"}
              error={errors.endpoint?.message}
              {...register("endpoint")}
            />
            <EndpointWhere endpoint={endpoint} />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label="Model"
                description="The model's name at the endpoint, such as llama3.1:8b."
                required
                autoComplete="off"
                spellCheck={false}
                error={errors.model?.message}
                {...register("model")}
              />
              <TextInput
                label="Reply timeout (seconds)"
                description="How long the model may go quiet before the answer fails: 5 to 600."
                required
                type="number"
                min={5}
                max={600}
                step={1}
                error={errors.reply_timeout_secs?.message}
                {...register("reply_timeout_secs")}
              />
            </SimpleGrid>
            <PasswordInput
              label="API key"
              description={
                settings?.has_api_key
                  ? "A key is stored (it is never shown). Leave this empty to keep it, or type a new one to replace it."
                  : "Only if the endpoint needs one. It is stored encrypted and never shown again."
              }
              autoComplete="new-password"
              disabled={removeKey}
              error={errors.api_key?.message}
              {...register("api_key")}
            />
            {settings?.has_api_key && <Checkbox label="Remove the stored key" {...register("remove_key")} />}
            <Checkbox
              label="Let the model search the records itself (tools)"
              description="Off for small local models that cannot call functions; they are then given the records that best match each question."
              {...register("offer_tools")}
            />
            <Failure error={failure} title="Not saved" explain={explainSettingsError} />
            <Group>
              <Button ref={save} type="submit" loading={isSubmitting} disabled={options.length === 0}>
                {settings ? "Save changes" : "Turn chat on"}
              </Button>
              {settings && (
                <Button variant="light" color="red" onClick={() => setConfirmOff(true)}>
                  Turn chat off
                </Button>
              )}
            </Group>
          </Stack>
        </form>
      </Card>
      <Text size="sm" c="dimmed">
        People ask on each person's “Ask your records” page. Each answer cites the records it comes from, and Hearth marks any statement those records
        do not back.
      </Text>
      <TurnOff opened={confirmOff} onClose={() => setConfirmOff(false)} />
    </>
  );
}

/** The model this host serves itself, and the button that fills the form in for it. */
function LocalModel(props: { endpoint: string; inUse: boolean; installed: boolean; filled: boolean; saveLabel: string; onUse: () => void }) {
  return (
    <Card withBorder component="section" aria-labelledby="chat-local-title">
      <Title order={2} size="h4" id="chat-local-title" mb={4}>
        The model on this machine
      </Title>
      <Text size="sm" mb="sm">
        This Hearth runs a small language model itself, SmolLM2, at {endpointHost(props.endpoint)}. It runs on this computer&apos;s processor, so
        nothing leaves the machine: not the questions, not the records. Its answers are slower and simpler than a large model&apos;s.
        {props.inUse && " Chat uses it now."}
      </Text>
      {props.installed ? (
        <Group>
          <Button variant="light" onClick={props.onUse}>
            Use the model on this machine
          </Button>
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          It is reached with the {LOCAL_ADAPTER} adapter, which is not installed: install it in the plugins folder, then reload.
        </Text>
      )}
      <Text size="sm" mt={props.filled ? "sm" : 0} role="status" data-testid="local-model-filled">
        {props.filled && `The form below is filled in for it (tools off, 5 minutes to reply, no key). Press “${props.saveLabel}” to save.`}
      </Text>
    </Card>
  );
}

/** Whether the endpoint typed is on this machine, in words. */
function EndpointWhere({ endpoint }: { endpoint: string }) {
  const local = isLoopback(endpoint);
  if (local === null) return null;
  const host = endpointHost(endpoint);
  if (local)
    return (
      <Text size="sm" data-testid="endpoint-where">
        {host} is this machine: questions and records stay here.
      </Text>
    );
  return (
    <Alert
      color="orange"
      variant="light"
      title="Records will leave this machine"
      icon={<IconAlertTriangle aria-hidden />}
      data-testid="endpoint-where"
    >
      <Text size="sm">
        {host} is not this machine. Each question, and the records that match it, will be sent there to be answered. Use it only if you trust whoever
        runs it with these health records.
      </Text>
    </Alert>
  );
}

function TurnOff({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const close = () => {
    setFailure(null);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title="Turn chat off?">
      <Stack>
        <Text size="sm">
          Nobody can ask questions until a model is chosen again. The endpoint and its key are forgotten; conversations already held are kept.
        </Text>
        <Failure error={failure} title="Chat is still on" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={busy}>
            Keep it on
          </Button>
          <Button
            color="red"
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setFailure(null);
              try {
                await turnChatOff();
                client.setQueryData(chatKeys.settings, null);
                await client.invalidateQueries({ queryKey: chatKeys.status });
                onClose();
                notify("Nobody can ask questions until a model is chosen again.", { title: "Chat is off" });
              } catch (e) {
                setFailure(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            Turn chat off
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
