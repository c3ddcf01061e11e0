// The chat routes: whether chat is on, an administrator's settings, a
// person's conversations about a profile, and asking — the answer read as a
// server-sent event stream from a POST (the client's CSRF header and
// refresh-and-retry, through `authFetch`).
import { useQuery } from "@tanstack/react-query";
import { readEvents } from "../lib/sse";
import { ApiError, api, authFetch, ok, type ProblemBody } from "./client";
import type { ChatSettingsInput, StoredMessage } from "./types";

/** Query keys: a profile's conversations carry the profile second, as the other per-profile queries do. */
export const chatKeys = {
  status: ["chat-status"] as const,
  settings: ["chat-settings"] as const,
  plugins: ["plugins"] as const,
  list: (profile: string) => ["conversations", profile] as const,
  one: (profile: string, conversation: string) => ["conversation", profile, conversation] as const,
};

/** Whether chat is on, which model answers, and whether questions leave this machine. */
export function useChatStatus() {
  return useQuery({ queryKey: chatKeys.status, queryFn: () => ok(api.GET("/api/chat")) });
}

/** The signed-in person's conversations about a profile, most recent first. */
export function useConversations(profile: string) {
  return useQuery({
    queryKey: chatKeys.list(profile),
    queryFn: () => ok(api.GET("/api/profiles/{profile}/conversations", { params: { path: { profile } } })),
  });
}

/** One conversation with its messages (nothing asked while `conversation` is empty). */
export function useConversation(profile: string, conversation: string | null) {
  return useQuery({
    queryKey: chatKeys.one(profile, conversation ?? ""),
    queryFn: () =>
      ok(api.GET("/api/profiles/{profile}/conversations/{conversation}", { params: { path: { profile, conversation: conversation! } } })),
    enabled: !!conversation,
  });
}

/** Begin a conversation (the first question names it). */
export const startConversation = (profile: string) =>
  ok(api.POST("/api/profiles/{profile}/conversations", { params: { path: { profile } }, body: {} }));

/** Delete a conversation and its messages. */
export const deleteConversation = (profile: string, conversation: string) =>
  ok(api.DELETE("/api/profiles/{profile}/conversations/{conversation}", { params: { path: { profile, conversation } } }));

/** The chat settings (null while chat is off); administrators only. */
export function useChatSettings(enabled = true) {
  return useQuery({ queryKey: chatKeys.settings, queryFn: () => ok(api.GET("/api/admin/chat")), enabled });
}

/** The llm adapters installed. */
export function useLlmAdapters(enabled = true) {
  return useQuery({
    queryKey: chatKeys.plugins,
    queryFn: () => ok(api.GET("/api/plugins")),
    select: (list) => list.plugins.filter((p) => p.kind === "llm"),
    enabled,
  });
}

/** Save the chat settings. */
export const saveChatSettings = (body: ChatSettingsInput) => ok(api.PUT("/api/admin/chat", { body }));

/** Turn chat off: the endpoint and its key are forgotten. */
export const turnChatOff = () => ok(api.DELETE("/api/admin/chat"));

/** The answer failed in the stream, or the stream ended before the answer was complete. */
export class AnswerStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnswerStreamError";
  }
}

/**
 * Ask a question in a conversation. `onText` hears each piece of the answer as
 * it is written; resolves to the stored, checked answer (which may itself be a
 * failed one). A refusal before the answer begins is an [`ApiError`].
 */
export async function ask(
  profile: string,
  conversation: string,
  question: string,
  { onText, signal }: { onText?: (piece: string) => void; signal?: AbortSignal } = {},
): Promise<StoredMessage> {
  const path = `/api/profiles/${encodeURIComponent(profile)}/conversations/${encodeURIComponent(conversation)}/messages`;
  const response = await authFetch(
    new Request(new URL(path, globalThis.location?.href ?? "http://localhost/"), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question }),
      signal,
    }),
  );
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as ProblemBody;
    throw new ApiError(response.status, problem);
  }
  if (!response.body) throw new AnswerStreamError("The answer did not arrive.");
  for await (const e of readEvents(response.body, signal)) {
    if (e.event === "text") {
      const piece = (JSON.parse(e.data) as { text?: unknown }).text;
      if (typeof piece === "string") onText?.(piece);
    } else if (e.event === "done") {
      return JSON.parse(e.data) as StoredMessage;
    } else if (e.event === "error") {
      const problem = JSON.parse(e.data) as ProblemBody;
      throw new ApiError(typeof problem.status === "number" ? problem.status : 502, problem);
    }
  }
  throw new AnswerStreamError("The answer stopped before it was finished.");
}
