// An answer as the host checked it, ready to show: each sentence (claim)
// with how it stands, each `[R<n>]` citation with the record it stands for,
// and what to say about a sentence the records do not back. The host counts
// claim offsets in UTF-8 bytes; JavaScript strings count UTF-16 units.
import type { CheckedAnswer, Citation, Claim } from "../api/types";

/** Statuses that mean a sentence is not backed by the records it cites. */
export const FLAGGED: ReadonlySet<Claim["status"]> = new Set(["uncited", "unknown-citation", "number-not-in-records"]);

/** A piece of a sentence: text, or a citation (`record` null: a label the answer was never given). */
export type Part = { kind: "text"; text: string } | { kind: "cite"; label: string; record: string | null };

/** A stretch of an answer: one checked sentence, or the text between sentences (`claim` null). */
export interface Span {
  claim: Claim | null;
  parts: Part[];
  /** Why the sentence is not backed, in words; null when it is (or is not a sentence). */
  note: string | null;
}

/**
 * A function from a UTF-8 byte offset in `text` to the UTF-16 index of the same
 * place (an offset inside a character moves to the character's end).
 */
export function byteToIndex(text: string): (byte: number) => number {
  const map: number[] = [];
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    const units = cp > 0xffff ? 2 : 1;
    map[bytes] = i;
    for (let k = 1; k < n; k++) map[bytes + k] = i + units;
    bytes += n;
    i += units;
  }
  map[bytes] = text.length;
  return (b) => (b <= 0 ? 0 : b >= bytes ? text.length : map[b]!);
}

const LABEL = /^[Rr]\d+$/;

/** The labels of a `[R1]` / `[R1, R2]` group's inside, or null when it is not one (as the host reads them). */
function labelsOf(inner: string): string[] | null {
  const parts = inner.split(/[,; ]/).filter((p) => p !== "");
  return parts.length > 0 && parts.every((p) => LABEL.test(p)) ? parts : null;
}

/** `text` with each citation group split out: "[R1, R2]" → "[", R1, ", ", R2, "]". */
export function citationParts(text: string, citations: Citation[]): Part[] {
  const out: Part[] = [];
  let plain = "";
  const group = /\[([^[\]]*)\]/g;
  let last = 0;
  for (let m = group.exec(text); m; m = group.exec(text)) {
    const labels = labelsOf(m[1]!);
    if (!labels) continue;
    plain += text.slice(last, m.index) + "[";
    labels.forEach((l, i) => {
      if (i > 0) plain += ", ";
      out.push({ kind: "text", text: plain });
      plain = "";
      const label = l.toUpperCase();
      out.push({ kind: "cite", label, record: citations.find((c) => c.label.toUpperCase() === label)?.record ?? null });
    });
    plain = "]";
    last = m.index + m[0].length;
  }
  plain += text.slice(last);
  if (plain) out.push({ kind: "text", text: plain });
  return out.filter((p) => p.kind === "cite" || p.text !== "");
}

/** "6.5", "6.5 and 7", "6.5, 7 and 8". */
export function listWords(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Why a sentence is not backed by the records, in words; null when it is. */
export function claimNote(claim: Claim, citations: Citation[]): string | null {
  const numbers = [...new Set(claim.unsupported)];
  const are = numbers.length === 1 ? "is" : "are";
  switch (claim.status) {
    case "number-not-in-records":
      return numbers.length
        ? `${listWords(numbers)} ${are} not in the record${claim.labels.length > 1 ? "s" : ""} it cites.`
        : `A number in it is not in the record${claim.labels.length > 1 ? "s" : ""} it cites.`;
    case "uncited":
      return numbers.length ? `${listWords(numbers)} ${are} stated without citing a record.` : "It is stated without citing a record.";
    case "unknown-citation": {
      const unknown = claim.labels.filter((l) => !citations.some((c) => c.label.toUpperCase() === l.toUpperCase() && c.record));
      const shown = unknown.length ? unknown : claim.labels;
      return shown.length === 1
        ? `It cites ${shown[0]}, but no record ${shown[0]} was given for this answer.`
        : `It cites ${listWords(shown)}, but no such records were given for this answer.`;
    }
    default:
      return null;
  }
}

/** An answer cut into its checked sentences and the text between them, each with its citations. */
export function answerSpans(content: string, checked: CheckedAnswer | null): Span[] {
  const citations = checked?.citations ?? [];
  const at = byteToIndex(content);
  const spans: Span[] = [];
  const plain = (text: string) => {
    if (text) spans.push({ claim: null, parts: citationParts(text, citations), note: null });
  };
  let pos = 0;
  for (const claim of [...(checked?.claims ?? [])].sort((a, b) => a.start - b.start)) {
    const start = at(claim.start);
    const end = at(claim.end);
    if (start < pos || end <= start) continue;
    plain(content.slice(pos, start));
    spans.push({ claim, parts: citationParts(content.slice(start, end), citations), note: claimNote(claim, citations) });
    pos = end;
  }
  plain(content.slice(pos));
  return spans;
}

/** How many sentences the records do not back. */
export const flaggedCount = (checked: CheckedAnswer | null) => checked?.claims.filter((c) => FLAGGED.has(c.status)).length ?? 0;

/** The record page a citation opens, or null when the record is not a `Type/id`. */
export function recordLink(profile: string, record: string | null): string | null {
  if (!record) return null;
  const slash = record.indexOf("/");
  if (slash <= 0 || slash === record.length - 1) return null;
  return `/profiles/${encodeURIComponent(profile)}/records/${encodeURIComponent(record.slice(0, slash))}/${encodeURIComponent(record.slice(slash + 1))}`;
}

/**
 * Whether an endpoint URL is on this machine, as the host judges it: 127.0.0.0/8,
 * ::1 or localhost. Null when it is not a URL yet.
 */
export function isLoopback(endpoint: string): boolean | null {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return null;
  }
  if (!/^https?:$/.test(url.protocol) || !url.hostname) return null;
  const host = url.hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host (and port) of an endpoint URL, as the notice names it. */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint.trim()).host;
  } catch {
    return endpoint;
  }
}
