// Ask your records: a person's conversations about a profile, each answer
// streamed as it is written, then shown as the host checked it — every
// [R<n>] citation a link to its record, every sentence the records do not
// back marked and explained in words. The page says which model answers and
// whether questions (and the records that answer them) leave this machine.
import { zodResolver } from "@hookform/resolvers/zod";
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Loader,
  Modal,
  NavLink,
  Paper,
  Stack,
  Text,
  Textarea,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { IconAlertTriangle, IconTrash } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { Fragment, useEffect, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useSearchParams } from "react-router";
import { z } from "zod";
import {
  AnswerStreamError,
  ask,
  chatKeys,
  deleteConversation,
  startConversation,
  useChatStatus,
  useConversation,
  useConversations,
} from "../api/chat";
import { explainError } from "../api/client";
import type { ChatStatus, Conversation, ConversationSummary, StoredMessage } from "../api/types";
import { notify } from "../components/notify";
import { PageHeader } from "../components/PageHeader";
import { Empty, Failure, Loading, QueryView } from "../components/PageState";
import { answerSpans, flaggedCount, recordLink, type Part, type Span } from "../lib/chat";
import { typeName } from "../lib/fhir";
import { formatDateTime } from "../lib/format";
import type { Explained } from "../lib/problems";
import { possessive, useCurrentProfile } from "../profile";
import { useSession } from "../session";

/** The longest question the host takes, in characters. */
const MAX_QUESTION = 4000;

export default function ChatPage() {
  const { id: profile, name } = useCurrentProfile();
  const status = useChatStatus();
  return (
    <>
      <PageHeader title="Ask your records" subtitle={`Questions about ${possessive(name)} records, answered from them`} />
      <QueryView query={status} loading="Checking whether chat is on…">
        {(s) => <ChatView key={profile} profile={profile} name={name} status={s} />}
      </QueryView>
    </>
  );
}

/** A question typed but not yet answered, and the answer as far as it is written. */
interface Pending {
  question: string;
  text: string;
  /** The conversation it was asked in (null until a new one is made). */
  conversation: string | null;
}

function ChatView({ profile, name, status }: { profile: string; name: string; status: ChatStatus }) {
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const selected = params.get("c");
  const list = useConversations(profile);
  const conversation = useConversation(profile, selected);
  const [pending, setPending] = useState<Pending | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [announce, setAnnounce] = useState("");
  const [deleting, setDeleting] = useState<ConversationSummary | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const select = (id: string | null) => {
    setFailure(null);
    setParams(id ? { c: id } : {}, { replace: false });
  };

  /** Ask `question` (in a new conversation when none is open); whether it was answered. */
  const send = async (question: string): Promise<boolean> => {
    setFailure(null);
    setPending({ question, text: "", conversation: selected });
    setAnnounce("Writing the answer…");
    const controller = new AbortController();
    abort.current = controller;
    try {
      let id = selected;
      if (!id) {
        const made = await startConversation(profile);
        id = made.id;
        client.setQueryData<Conversation>(chatKeys.one(profile, id), { ...made, messages: [] });
        setPending((p) => (p ? { ...p, conversation: made.id } : p));
        setParams({ c: id }, { replace: true });
        void client.invalidateQueries({ queryKey: chatKeys.list(profile) });
      }
      const answer = await ask(profile, id, question, {
        signal: controller.signal,
        onText: (piece) => setPending((p) => (p ? { ...p, text: p.text + piece } : p)),
      });
      // The exchange as it was stored, at once; the refetch brings the question's own id.
      const asked: StoredMessage = {
        id: -answer.id,
        role: "user",
        content: question,
        failed: false,
        error: null,
        checked: null,
        created_at: answer.created_at,
      };
      client.setQueryData<Conversation>(chatKeys.one(profile, id), (c) => (c ? { ...c, messages: [...c.messages, asked, answer] } : c));
      setPending(null);
      setAnnounce(answer.failed ? "No answer: it failed." : "The answer is ready.");
      void client.invalidateQueries({ queryKey: chatKeys.one(profile, id) });
      void client.invalidateQueries({ queryKey: chatKeys.list(profile) });
      return true;
    } catch (e) {
      if (controller.signal.aborted) return false;
      setPending(null);
      setFailure(e);
      setAnnounce("");
      return false;
    } finally {
      if (abort.current === controller) abort.current = null;
    }
  };

  const remove = async (c: ConversationSummary) => {
    await deleteConversation(profile, c.id);
    client.removeQueries({ queryKey: chatKeys.one(profile, c.id) });
    await client.invalidateQueries({ queryKey: chatKeys.list(profile) });
    if (selected === c.id) select(null);
    notify(`“${c.title}” is deleted.`, { title: "Conversation deleted" });
  };

  const canAsk = status.enabled;
  // An answer being written shows in its own conversation only.
  const shown = pending && pending.conversation === selected ? pending : null;
  // Off, with nothing asked before: the notice says it all.
  if (!canAsk && !selected && (list.data?.conversations.length ?? 0) === 0) return <Where status={status} />;
  return (
    <Stack gap="md">
      <Where status={status} />
      <VisuallyHidden role="status" aria-live="polite">
        {announce}
      </VisuallyHidden>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 8 }} order={{ base: 1, md: 2 }}>
          <Stack gap="md">
            {selected && !shown && conversation.isPending ? (
              <Loading label="Opening the conversation…" />
            ) : selected && conversation.error ? (
              <Failure error={conversation.error} title="This conversation could not be opened" />
            ) : (
              <Messages
                profile={profile}
                name={name}
                messages={selected ? (conversation.data?.messages ?? []) : []}
                pending={shown}
                canAsk={canAsk}
                onAskAgain={(q) => {
                  if (!pending) void send(q);
                }}
              />
            )}
            {canAsk && <AskBox name={name} busy={pending !== null} send={send} failure={failure} />}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }} order={{ base: 2, md: 1 }}>
          <Conversations
            list={list}
            selected={selected}
            busy={pending !== null}
            canAsk={canAsk}
            onNew={() => select(null)}
            onDelete={(c) => setDeleting(c)}
          />
        </Grid.Col>
      </Grid>
      <DeleteConversation conversation={deleting} onClose={() => setDeleting(null)} remove={remove} />
    </Stack>
  );
}

/** Which model answers, and where questions go. */
function Where({ status }: { status: ChatStatus }) {
  const { me } = useSession();
  if (!status.enabled)
    return (
      <Alert color="gray" variant="light" title="Chat is off" role="status">
        <Stack gap="xs">
          <Text size="sm">Asking questions about the records needs a language model, and none has been set up in this Hearth.</Text>
          {me.user.role === "admin" ? (
            <Group>
              <Button component={Link} to="/admin/chat" size="xs">
                Set up chat
              </Button>
            </Group>
          ) : (
            <Text size="sm">An administrator can turn it on.</Text>
          )}
        </Stack>
      </Alert>
    );
  const model = status.model ?? "an unnamed model";
  const through = status.adapter ? ` (${status.adapter})` : "";
  if (status.remote)
    return (
      <Alert
        color="orange"
        variant="light"
        title="Your questions leave this machine"
        icon={<IconAlertTriangle aria-hidden />}
        data-testid="chat-where"
      >
        <Text size="sm">
          Each question, and the records that match it, are sent to <strong>{status.endpoint_host ?? "another computer"}</strong> to be answered by
          the model <strong>{model}</strong>
          {through}. Whoever runs that service can read them.
        </Text>
      </Alert>
    );
  return (
    <Text size="sm" data-testid="chat-where">
      Answers are computed on this machine by the model <strong>{model}</strong>
      {through}: your questions and records stay here.
    </Text>
  );
}

function Conversations({
  list,
  selected,
  busy,
  canAsk,
  onNew,
  onDelete,
}: {
  list: ReturnType<typeof useConversations>;
  selected: string | null;
  /** An answer is being written: no new conversation until it is done. */
  busy: boolean;
  canAsk: boolean;
  onNew: () => void;
  onDelete: (c: ConversationSummary) => void;
}) {
  return (
    <Card withBorder component="section" aria-labelledby="conversations-title" padding="sm">
      <Group justify="space-between" mb="xs" gap="xs">
        <Title order={2} size="h4" id="conversations-title">
          Conversations
        </Title>
        {canAsk && (
          <Button size="xs" variant="default" onClick={onNew} disabled={busy || !selected}>
            New conversation
          </Button>
        )}
      </Group>
      <QueryView query={list} loading="Loading conversations…">
        {({ conversations }) =>
          conversations.length === 0 ? (
            <Text size="sm" c="dimmed">
              None yet. Your first question starts one.
            </Text>
          ) : (
            <Stack component="ul" gap={2} style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {conversations.map((c) => (
                <Group component="li" key={c.id} gap={4} wrap="nowrap" align="center">
                  <NavLink
                    component={Link}
                    to={{ search: `?c=${encodeURIComponent(c.id)}` }}
                    label={c.title}
                    description={formatDateTime(c.updated_at)}
                    active={c.id === selected}
                    aria-current={c.id === selected ? "page" : undefined}
                    style={{ flex: 1, minWidth: 0 }}
                  />
                  <ActionIcon variant="subtle" color="red" aria-label={`Delete “${c.title}”`} onClick={() => onDelete(c)}>
                    <IconTrash size={16} aria-hidden />
                  </ActionIcon>
                </Group>
              ))}
            </Stack>
          )
        }
      </QueryView>
    </Card>
  );
}

function DeleteConversation({
  conversation,
  onClose,
  remove,
}: {
  conversation: ConversationSummary | null;
  onClose: () => void;
  remove: (c: ConversationSummary) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const close = () => {
    setFailure(null);
    onClose();
  };
  return (
    <Modal opened={conversation !== null} onClose={close} title="Delete this conversation?">
      <Stack>
        <Text size="sm">“{conversation?.title}”, its questions and their answers are deleted for good. The records they cite are not touched.</Text>
        <Failure error={failure} title="Not deleted" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={busy}>
            Keep it
          </Button>
          <Button
            color="red"
            loading={busy}
            onClick={async () => {
              if (!conversation) return;
              setBusy(true);
              setFailure(null);
              try {
                await remove(conversation);
                onClose();
              } catch (e) {
                setFailure(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            Delete conversation
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function Messages({
  profile,
  name,
  messages,
  pending,
  canAsk,
  onAskAgain,
}: {
  profile: string;
  name: string;
  messages: StoredMessage[];
  pending: Pending | null;
  canAsk: boolean;
  onAskAgain: (question: string) => void;
}) {
  if (messages.length === 0 && !pending)
    return (
      <Empty title={canAsk ? `Ask about ${possessive(name)} records` : "No questions here yet"}>
        {canAsk
          ? "For example: “What was my latest HbA1c?”, “Which medicines am I taking?”, “When was my last tetanus shot?”. Each answer cites the records it comes from."
          : undefined}
      </Empty>
    );
  return (
    <Stack component="ol" gap="sm" className="chat-messages" aria-label="Questions and answers">
      {messages.map((m, i) => {
        // The question a failed answer was for: the message before it.
        const question = m.failed && messages[i - 1]?.role === "user" ? messages[i - 1]!.content : null;
        return m.role === "user" ? (
          <Question key={m.id} text={m.content} />
        ) : (
          <Answer key={m.id} profile={profile} message={m} onAskAgain={canAsk && question && !pending ? () => onAskAgain(question) : undefined} />
        );
      })}
      {pending && (
        <>
          <Question text={pending.question} />
          <Paper component="li" withBorder p="sm" aria-busy="true" data-testid="answer-streaming">
            <Group gap="xs" mb={4}>
              <Loader size="xs" aria-hidden />
              <Text size="xs" c="dimmed" fw={600}>
                Writing the answer…
              </Text>
            </Group>
            <Text className="chat-text" data-testid="answer-streaming-text">
              {pending.text}
            </Text>
          </Paper>
        </>
      )}
    </Stack>
  );
}

function Question({ text }: { text: string }) {
  return (
    <Paper component="li" p="sm" bg="gray.1" ml={{ base: 0, sm: "xl" }}>
      <Text size="xs" c="dimmed" fw={600} mb={2}>
        You asked
      </Text>
      <Text className="chat-text">{text}</Text>
    </Paper>
  );
}

/** A stored answer: failed, abstained, or its checked text with citations and marks. */
function Answer({ profile, message, onAskAgain }: { profile: string; message: StoredMessage; onAskAgain?: () => void }) {
  if (message.failed)
    return (
      <Paper component="li" withBorder p="sm" data-testid="answer">
        <Alert color="red" variant="light" title="No answer" role="alert">
          <Stack gap="xs">
            <Text size="sm">The answer failed{message.error ? `: ${message.error}` : "."}</Text>
            {onAskAgain && (
              <Group>
                <Button size="xs" variant="default" onClick={onAskAgain}>
                  Ask again
                </Button>
              </Group>
            )}
          </Stack>
        </Alert>
      </Paper>
    );
  const checked = message.checked;
  const flagged = flaggedCount(checked);
  const cited = checked?.citations.some((c) => c.record) ?? false;
  return (
    <Paper component="li" withBorder p="sm" data-testid="answer">
      <Group gap="xs" mb={4}>
        <Text size="xs" c="dimmed" fw={600}>
          Answer
        </Text>
        {checked?.abstained && (
          <Badge color="gray" variant="outline">
            Not in your records
          </Badge>
        )}
      </Group>
      <Text className="chat-text" component="div">
        {answerSpans(message.content, checked).map((s, i) => (
          <SpanView key={i} span={s} profile={profile} />
        ))}
      </Text>
      {flagged > 0 ? (
        <Text size="xs" mt={6} c="#6b3500">
          {flagged === 1
            ? "1 statement is not backed by the records it cites; it is marked above. Check it against the records before relying on it."
            : `${flagged} statements are not backed by the records they cite; they are marked above. Check them against the records before relying on them.`}
        </Text>
      ) : cited ? (
        <Text size="xs" mt={6} c="dimmed">
          Checked: each number is in the record it cites.
        </Text>
      ) : null}
    </Paper>
  );
}

function SpanView({ span, profile }: { span: Span; profile: string }) {
  const parts = span.parts.map((p, i) => <PartView key={i} part={p} profile={profile} />);
  if (!span.claim) return <>{parts}</>;
  return (
    <>
      <span className={span.note ? "chat-claim chat-claim-flagged" : "chat-claim"} data-status={span.claim.status}>
        {parts}
      </span>
      {span.note && (
        <span className="chat-claim-note" data-testid="claim-note">
          <IconAlertTriangle size={14} aria-hidden />
          <span>
            <strong>Not backed by your records:</strong> {span.note}
          </span>
        </span>
      )}
    </>
  );
}

function PartView({ part, profile }: { part: Part; profile: string }) {
  if (part.kind === "text") return <Fragment>{part.text}</Fragment>;
  const to = recordLink(profile, part.record);
  if (!to)
    return (
      <span className="chat-cite-invalid-group">
        <span className="chat-cite-invalid">{part.label}</span> <span className="chat-cite-invalid-words">(invalid citation: no such record)</span>
      </span>
    );
  const type = part.record!.slice(0, part.record!.indexOf("/"));
  return (
    <Anchor component={Link} to={to} className="chat-cite" underline="always" title={`Open the record ${part.label} cites`}>
      {part.label}
      <VisuallyHidden>, {typeName(type).toLowerCase()} record</VisuallyHidden>
    </Anchor>
  );
}

const questionSchema = z.object({
  question: z
    .string()
    .trim()
    .min(1, "Type a question first.")
    .max(MAX_QUESTION, `At most ${MAX_QUESTION.toLocaleString("en")} characters.`),
});

/** The question box: kept as typed until the answer comes; Enter asks, Shift+Enter starts a new line. */
function AskBox({ name, busy, send, failure }: { name: string; busy: boolean; send: (q: string) => Promise<boolean>; failure: unknown }) {
  const {
    register,
    handleSubmit,
    setValue,
    setFocus,
    formState: { errors },
  } = useForm<{ question: string }>({ resolver: zodResolver(questionSchema), defaultValues: { question: "" } });
  const submit = handleSubmit(async (v) => {
    const question = v.question.trim();
    setValue("question", "");
    // Not answered: what was typed comes back, to send again.
    if (!(await send(question))) setValue("question", v.question);
    // The box was disabled while the answer was written: back to it, unless the person has moved on.
    setTimeout(() => {
      if (!document.activeElement || document.activeElement === document.body) setFocus("question");
    }, 0);
  });
  return (
    <form onSubmit={submit} noValidate aria-label="Ask a question">
      <Stack gap="xs">
        <Textarea
          label="Your question"
          description={`About ${possessive(name)} records. Enter asks; Shift+Enter starts a new line.`}
          autosize
          minRows={2}
          maxRows={8}
          maxLength={MAX_QUESTION}
          disabled={busy}
          error={errors.question?.message}
          {...register("question")}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        <Failure error={failure} title="Not answered" explain={explainAskError} />
        <Group>
          <Button type="submit" loading={busy}>
            Ask
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Why a question was not answered: the stream's own failures in words, the rest as every page says them. */
function explainAskError(e: unknown): Explained {
  if (e instanceof AnswerStreamError)
    return { message: e.message, action: "Open the conversation again in a moment to see whether the answer was kept, or ask again.", details: [] };
  return explainError(e);
}
