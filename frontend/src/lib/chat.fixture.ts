// Conversations as the host sends them, for the chat tests: claim offsets in
// UTF-8 bytes, counted from the text as the host counts them.
import type { ChatStatus, CheckedAnswer, Claim, Conversation, StoredMessage } from "../api/types";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** A claim over `sentence` in `content`, its offsets counted in UTF-8 bytes. */
export function claimOver(content: string, sentence: string, rest: Omit<Claim, "start" | "end">): Claim {
  const at = content.indexOf(sentence);
  if (at < 0) throw new Error(`${sentence} is not in the content`);
  const start = utf8(content.slice(0, at));
  return { start, end: start + utf8(sentence), ...rest };
}

export const LOCAL: ChatStatus = {
  enabled: true,
  adapter: "Ollama chat",
  model: "llama3.1:8b",
  endpoint_host: "127.0.0.1:11434",
  remote: false,
  local_endpoint: null,
};
export const REMOTE: ChatStatus = {
  enabled: true,
  adapter: "OpenAI-compatible chat",
  model: "gpt-test",
  endpoint_host: "api.example.com",
  remote: true,
  local_endpoint: null,
};
export const OFF: ChatStatus = { enabled: false, adapter: null, model: null, endpoint_host: null, remote: false, local_endpoint: null };

export const message = (m: Partial<StoredMessage> & Pick<StoredMessage, "id" | "role" | "content">): StoredMessage => ({
  failed: false,
  error: null,
  checked: null,
  created_at: "2026-02-01T09:00:00Z",
  ...m,
});

/** An answer with a supported sentence, a number not in its record, an unknown label and an uncited number, after multi-byte characters. */
export const CHECKED_CONTENT =
  "Température notée 😊 — your latest HbA1c was 7.2 % on 2024-03-01 [R1]. Before that it was 6.5 % [R1]. Your LDL was 130 mg/dL [R7]. Your weight is 80 kg.";
export const CHECKED: CheckedAnswer = {
  citations: [
    { label: "R1", record: "Observation/a1c" },
    { label: "R7", record: null },
  ],
  claims: [
    claimOver(CHECKED_CONTENT, "Température notée 😊 — your latest HbA1c was 7.2 % on 2024-03-01 [R1].", {
      labels: ["R1"],
      status: "supported",
      unsupported: [],
    }),
    claimOver(CHECKED_CONTENT, "Before that it was 6.5 % [R1].", { labels: ["R1"], status: "number-not-in-records", unsupported: ["6.5"] }),
    claimOver(CHECKED_CONTENT, "Your LDL was 130 mg/dL [R7].", { labels: ["R7"], status: "unknown-citation", unsupported: [] }),
    claimOver(CHECKED_CONTENT, "Your weight is 80 kg.", { labels: [], status: "uncited", unsupported: ["80"] }),
  ],
  abstained: false,
};

export const CONVERSATION: Conversation = {
  id: "c1",
  title: "What is my latest HbA1c?",
  created_at: "2026-02-01T09:00:00Z",
  updated_at: "2026-02-01T09:00:05Z",
  messages: [
    message({ id: 1, role: "user", content: "What is my latest HbA1c?" }),
    message({ id: 2, role: "assistant", content: CHECKED_CONTENT, checked: CHECKED }),
  ],
};
