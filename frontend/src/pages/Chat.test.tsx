import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ChatStatus, Conversation, StoredMessage } from "../api/types";
import { CHECKED, CHECKED_CONTENT, claimOver, CONVERSATION, LOCAL, message, OFF, REMOTE } from "../lib/chat.fixture";
import { ME, renderPage, type Seen } from "../test-utils";
import ChatPage from "./Chat";

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "hearth_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

const MEMBER = { ...ME, user: { ...ME.user, role: "member" as const } };

const open = (search = "", me = ME) => renderPage(<ChatPage />, { path: "/profiles/:profile/chat", route: `/profiles/p1/chat${search}`, me });

/** A stream the test writes to, piece by piece, as the host would. */
function stream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    body,
    event: (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    raw: (text: string) => controller.enqueue(encoder.encode(text)),
    close: () => controller.close(),
  };
}

type Reply = { status: number; body?: unknown; stream?: ReadableStream<Uint8Array> };

/**
 * A host with one person's conversations: lists, opens, starts and deletes
 * them; `asked` answers a question (a stream, or a refusal).
 */
function serve({
  status = LOCAL,
  conversations = [CONVERSATION],
  asked,
}: {
  status?: ChatStatus;
  conversations?: Conversation[];
  asked?: (req: Seen, conversation: Conversation) => Reply;
}) {
  const seen: Seen[] = [];
  const held = structuredClone(conversations);
  vi.stubGlobal("fetch", async (input: Request | string, init?: RequestInit) => {
    const req = typeof input === "string" ? new Request(new URL(input, "http://localhost"), init) : input;
    const url = new URL(req.url);
    const s: Seen = { method: req.method, path: url.pathname + url.search, headers: req.headers, body: await req.text() };
    seen.push(s);
    const reply = ((): Reply => {
      if (s.path === "/api/chat") return { status: 200, body: status };
      if (s.path === "/api/profiles/p1/conversations" && s.method === "GET")
        return { status: 200, body: { conversations: held.map(({ messages: _, ...summary }) => summary) } };
      if (s.path === "/api/profiles/p1/conversations" && s.method === "POST") {
        const made = {
          id: `c${held.length + 10}`,
          title: "New conversation",
          created_at: "2026-02-02T10:00:00Z",
          updated_at: "2026-02-02T10:00:00Z",
        };
        held.unshift({ ...made, messages: [] });
        return { status: 201, body: made };
      }
      const one = /^\/api\/profiles\/p1\/conversations\/([^/]+)(\/messages)?$/.exec(s.path);
      const c = held.find((x) => x.id === one?.[1]);
      if (!one || !c) return { status: 404, body: { type: "urn:hearth:problem:not-found", status: 404, detail: "no such conversation" } };
      if (one[2] && s.method === "POST") return asked!(s, c);
      if (s.method === "DELETE") {
        held.splice(held.indexOf(c), 1);
        return { status: 204 };
      }
      return { status: 200, body: c };
    })();
    if (reply.stream) return new Response(reply.stream, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { "Content-Type": reply.status >= 400 ? "application/problem+json" : "application/json" },
    });
  });
  /** Keep a question and its answer, as the host does once the answer is done. */
  const keep = (conversation: string, question: string, answer: StoredMessage) => {
    held.find((x) => x.id === conversation)!.messages.push(message({ id: answer.id - 1, role: "user", content: question }), answer);
  };
  return { seen, keep };
}

/** An element's text as it is seen: without what only screen readers hear. */
const visible = (el: Element) => {
  const copy = el.cloneNode(true) as Element;
  copy.querySelectorAll(".mantine-VisuallyHidden-root").forEach((h) => h.remove());
  return copy.textContent;
};

describe("asking your records", () => {
  it("links each citation to its record and marks, in words, the sentences the records do not back", async () => {
    serve({});
    open("?c=c1");
    const answer = await screen.findByTestId("answer");
    // A citation is a link to the record it stands for.
    const r1 = within(answer).getAllByRole("link", { name: "R1, observation record" });
    expect(r1).toHaveLength(2);
    expect(r1[0]).toHaveAttribute("href", "/profiles/p1/records/Observation/a1c");
    // A label the answer was never given is no link, and says so.
    expect(within(answer).queryByRole("link", { name: /R7/ })).toBeNull();
    expect(within(answer).getByText("R7")).toHaveClass("chat-cite-invalid");
    expect(within(answer).getByText("(invalid citation: no such record)")).toBeInTheDocument();
    // Each sentence is where the byte offsets put it, though an emoji and accents come before.
    const sentence = (status: string) => visible(answer.querySelector(`[data-status="${status}"]`)!);
    expect(sentence("supported")).toBe("Température notée 😊 — your latest HbA1c was 7.2 % on 2024-03-01 [R1].");
    expect(sentence("number-not-in-records")).toBe("Before that it was 6.5 % [R1].");
    expect(sentence("unknown-citation")).toBe("Your LDL was 130 mg/dL [R7 (invalid citation: no such record)].");
    expect(sentence("uncited")).toBe("Your weight is 80 kg.");
    // The marks say why, in words, right after their sentence (not by colour alone).
    expect(
      within(answer)
        .getAllByTestId("claim-note")
        .map((n) => n.textContent),
    ).toEqual([
      "Not backed by your records: 6.5 is not in the record it cites.",
      "Not backed by your records: It cites R7, but no record R7 was given for this answer.",
      "Not backed by your records: 80 is stated without citing a record.",
    ]);
    expect(answer.querySelector('[data-status="number-not-in-records"]')!.nextElementSibling).toHaveTextContent("6.5 is not in the record it cites.");
    expect(answer.querySelector('[data-status="supported"]')!.nextElementSibling?.getAttribute("data-testid")).not.toBe("claim-note");
    expect(within(answer).getByText(/^3 statements are not backed by the records they cite/)).toBeInTheDocument();
    // The question is there too, and the conversation is the open one in the list.
    expect(screen.getByText("You asked").nextElementSibling).toHaveTextContent("What is my latest HbA1c?");
    expect(screen.getByRole("link", { name: /What is my latest HbA1c\?/ })).toHaveAttribute("aria-current", "page");
  });

  it("shows the answer as it is written, piece by piece, then the checked answer with its citation links", async () => {
    document.cookie = "hearth_csrf=tok-1; path=/";
    const answer = stream();
    const content = "Your latest HbA1c was 7.2 % on 2024-03-01 [R1].";
    const done = message({
      id: 12,
      role: "assistant",
      content,
      checked: {
        citations: [{ label: "R1", record: "Observation/a1c" }],
        claims: [claimOver(content, content, { labels: ["R1"], status: "supported", unsupported: [] })],
        abstained: false,
      },
    });
    const host = serve({
      conversations: [],
      asked: () => ({ status: 200, stream: answer.body }),
    });
    open();
    const box = await screen.findByLabelText("Your question");
    expect(await screen.findByText("None yet. Your first question starts one.")).toBeInTheDocument();
    await userEvent.type(box, "What is my latest HbA1c?{Enter}");
    // A new conversation is started, and the question sent in it as the client sends every change.
    await waitFor(() => expect(host.seen.some((s) => s.path.endsWith("/messages"))).toBe(true));
    const post = host.seen.find((s) => s.path.endsWith("/messages"))!;
    expect(host.seen.some((s) => s.method === "POST" && s.path === "/api/profiles/p1/conversations")).toBe(true);
    expect(post.method).toBe("POST");
    expect(post.path).toBe("/api/profiles/p1/conversations/c10/messages");
    expect(JSON.parse(post.body)).toEqual({ question: "What is my latest HbA1c?" });
    expect(post.headers.get("X-CSRF-Token")).toBe("tok-1");
    expect(post.headers.get("Accept")).toBe("text/event-stream");

    const written = await screen.findByTestId("answer-streaming-text");
    expect(written).toHaveTextContent(/^$/);
    expect(screen.getByText("You asked").nextElementSibling).toHaveTextContent("What is my latest HbA1c?");
    expect(box).toHaveValue("");
    answer.event("text", { text: "Your latest " });
    await waitFor(() => expect(written.textContent).toBe("Your latest "));
    // A keep-alive, and an event cut in two, change nothing until it is whole.
    answer.raw(': keep-alive\n\nevent: text\ndata: {"text":"HbA1c was ');
    answer.raw('7.2 %"}\n\n');
    await waitFor(() => expect(written.textContent).toBe("Your latest HbA1c was 7.2 %"));
    expect(screen.queryByTestId("answer")).toBeNull();
    answer.event("text", { text: " on 2024-03-01 [R1]." });
    await waitFor(() => expect(written.textContent).toBe(content));
    // Done: the stored answer, checked, takes the streamed text's place.
    host.keep("c10", "What is my latest HbA1c?", done);
    answer.event("done", done);
    answer.close();
    const final = await screen.findByTestId("answer");
    expect(screen.queryByTestId("answer-streaming")).toBeNull();
    expect(within(final).getByRole("link", { name: "R1, observation record" })).toHaveAttribute("href", "/profiles/p1/records/Observation/a1c");
    expect(within(final).getByText("Checked: each number is in the record it cites.")).toBeInTheDocument();
    expect(await screen.findByText("The answer is ready.")).toBeInTheDocument();
    // The new conversation is listed and open.
    await waitFor(() => expect(screen.getByRole("link", { name: /New conversation|What is my latest/ })).toHaveAttribute("aria-current", "page"));
  });

  it("says an abstained answer is not in the records", async () => {
    const content = "That is not in your records.";
    serve({
      conversations: [
        {
          ...CONVERSATION,
          messages: [
            message({ id: 1, role: "user", content: "When did I break my arm?" }),
            message({
              id: 2,
              role: "assistant",
              content,
              checked: { citations: [], claims: [claimOver(content, content, { labels: [], status: "plain", unsupported: [] })], abstained: true },
            }),
          ],
        },
      ],
    });
    open("?c=c1");
    const answer = await screen.findByTestId("answer");
    expect(within(answer).getByText("Not in your records")).toBeInTheDocument();
    expect(within(answer).getByText(content)).toBeInTheDocument();
    expect(within(answer).queryByTestId("claim-note")).toBeNull();
  });

  it("shows why an answer failed, and asks the same question again", async () => {
    const again = stream();
    const host = serve({
      conversations: [
        {
          ...CONVERSATION,
          messages: [
            message({ id: 1, role: "user", content: "What is my latest HbA1c?" }),
            message({ id: 2, role: "assistant", content: "", failed: true, error: "the model endpoint did not answer within 60 s" }),
          ],
        },
      ],
      asked: () => ({ status: 200, stream: again.body }),
    });
    open("?c=c1");
    const failed = await screen.findByTestId("answer");
    expect(within(failed).getByText("No answer")).toBeInTheDocument();
    expect(within(failed).getByText("The answer failed: the model endpoint did not answer within 60 s")).toBeInTheDocument();
    await userEvent.click(within(failed).getByRole("button", { name: "Ask again" }));
    await waitFor(() => expect(host.seen.some((s) => s.path.endsWith("/messages"))).toBe(true));
    expect(JSON.parse(host.seen.find((s) => s.path.endsWith("/messages"))!.body)).toEqual({ question: "What is my latest HbA1c?" });
    // While it is answered again, no second "Ask again".
    await screen.findByTestId("answer-streaming");
    expect(screen.queryByRole("button", { name: "Ask again" })).toBeNull();
    const done = message({ id: 4, role: "assistant", content: CHECKED_CONTENT, checked: CHECKED });
    host.keep("c1", "What is my latest HbA1c?", done);
    again.event("done", done);
    again.close();
    await waitFor(() => expect(screen.getAllByTestId("answer")).toHaveLength(2));
  });

  it("keeps the question typed when it is refused, and says why in words", async () => {
    serve({
      asked: () => ({
        status: 409,
        body: { type: "urn:hearth:problem:chat-off", status: 409, detail: "chat is off: an administrator has not configured a model endpoint" },
      }),
    });
    open("?c=c1");
    const box = await screen.findByLabelText("Your question");
    await userEvent.type(box, "Which medicines am I taking?");
    await userEvent.click(screen.getByRole("button", { name: "Ask" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not answered");
    expect(alert).toHaveTextContent("Chat is off in this Hearth: no model has been chosen to answer questions.");
    expect(box).toHaveValue("Which medicines am I taking?");
  });

  it("says chat is off, and leads an administrator to its settings", async () => {
    serve({ status: OFF });
    const page = open("", ME);
    expect(await screen.findByText("Chat is off")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Set up chat" })).toHaveAttribute("href", "/admin/chat");
    expect(screen.queryByLabelText("Your question")).toBeNull();
    page.unmount();

    const host = serve({ status: OFF, conversations: [] });
    const member = open("", MEMBER);
    expect(await screen.findByText("Chat is off")).toBeInTheDocument();
    await waitFor(() => expect(host.seen.some((s) => s.path === "/api/profiles/p1/conversations")).toBe(true));
    expect(screen.getByText("An administrator can turn it on.")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Set up chat" })).toBeNull();
    expect(screen.queryByLabelText("Your question")).toBeNull();
    // Nothing asked before: nothing but the notice.
    expect(screen.queryByRole("region", { name: "Conversations" })).toBeNull();
    member.unmount();

    // What was asked before can still be read, but nothing more asked.
    serve({ status: OFF });
    open("?c=c1", MEMBER);
    expect(await screen.findByTestId("answer")).toBeInTheDocument();
    expect(screen.getByText("Chat is off")).toBeInTheDocument();
    expect(screen.queryByLabelText("Your question")).toBeNull();
    expect(screen.queryByRole("button", { name: "New conversation" })).toBeNull();
  });

  it("says clearly when questions and records leave this machine, and names the model", async () => {
    serve({ status: REMOTE });
    const page = open();
    const where = await screen.findByTestId("chat-where");
    expect(where).toHaveTextContent("Your questions leave this machine");
    expect(where).toHaveTextContent(
      "Each question, and the records that match it, are sent to api.example.com to be answered by the model gpt-test (OpenAI-compatible chat).",
    );
    page.unmount();

    serve({ status: LOCAL });
    open();
    expect(await screen.findByTestId("chat-where")).toHaveTextContent(
      "Answers are computed on this machine by the model llama3.1:8b (Ollama chat): your questions and records stay here.",
    );
  });

  it("deletes a conversation only once asked to confirm", async () => {
    const host = serve({});
    open("?c=c1");
    await screen.findByTestId("answer");
    await userEvent.click(screen.getByRole("button", { name: "Delete “What is my latest HbA1c?”" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete this conversation?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Keep it" }));
    expect(host.seen.some((s) => s.method === "DELETE")).toBe(false);
    await userEvent.click(screen.getByRole("button", { name: "Delete “What is my latest HbA1c?”" }));
    await userEvent.click(
      within(await screen.findByRole("dialog", { name: "Delete this conversation?" })).getByRole("button", { name: "Delete conversation" }),
    );
    await waitFor(() => expect(host.seen.some((s) => s.method === "DELETE" && s.path === "/api/profiles/p1/conversations/c1")).toBe(true));
    expect(await screen.findByText("None yet. Your first question starts one.")).toBeInTheDocument();
    expect(screen.queryByTestId("answer")).toBeNull();
  });
});
