// Problems in words a family understands, with what to do about them.
//
// The host answers a refusal with an RFC 9457 body whose `type` is
// `urn:hearth:problem:<kind>` and whose `detail` is written for whoever runs
// the host: plugin ids, error codes, addresses, ids. Those stay out of the
// sentence people read; they go in `details`, which pages show behind a
// "Details" disclosure for the administrator.
import type { ProblemBody } from "../api/client";

/** A problem explained: one sentence, what to do, and the particulars for the curious. */
export interface Explained {
  /** What happened, in plain words. */
  message: string;
  /** What to do about it, when there is something to do. */
  action?: string;
  /** The host's own words and the internal particulars (shown only under "Details"). */
  details: string[];
}

/** The sentence Hearth shows when the host does not answer at all. */
export const NOT_ANSWERING = "Hearth is not answering.";
export const NOT_ANSWERING_ACTION = "Check that it is running, then try again.";

/** What a `not-found` is about, when the caller knows better than the detail says. */
export type Subject = "profile" | "source" | "job" | "record" | "lab" | "account" | "session" | "attachment" | "page";

/** The short kind of a problem body: `not-found` from `urn:hearth:problem:not-found`. */
export function problemKind(problem: ProblemBody | null | undefined): string {
  return (problem?.type ?? "").replace("urn:hearth:problem:", "");
}

/** Whether a text can be shown to people as it is: no addresses, ids, code paths or plugin versions. */
export function isPlain(text: string | null | undefined): text is string {
  if (!text) return false;
  if (/[a-z][a-z0-9+.-]*:\/\//i.test(text)) return false; // URLs
  if (/\b[0-9a-f]{12,}\b/i.test(text)) return false; // hex ids
  if (/::|@\d|[{}[\]<>]|\b\w+\.\w+\(|\bErrorCode\b|\berror\b:/.test(text)) return false; // code paths, plugin@version, JSON, calls
  if (/\b(sqlx?|database|wasm|wasmtime|trap|panick?ed|stack|errno|os error)\b/i.test(text)) return false;
  return text.length <= 240;
}

/** "The password must be at least 12 characters." from "the password must be at least 12 characters". */
function sentence(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  if (!t) return t;
  const first = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/** "`birth_date`: must be a date" → "Birth date: must be a date". */
function fieldReason(detail: string): string | null {
  const m = /^`([^`]+)`:\s*(.+)$/s.exec(detail.trim());
  if (!m) return isPlain(detail) ? sentence(detail) : null;
  const field = m[1]!
    .replace(/\[\d+\]/g, "")
    .split(".")
    .pop()!
    .replace(/_/g, " ");
  const reason = m[2]!;
  if (!isPlain(reason)) return null;
  return sentence(`${field[0]!.toUpperCase()}${field.slice(1)}: ${reason}`);
}

/** What `not-found` is about, read from the host's detail when the caller did not say. */
function subjectOf(detail: string): Subject | undefined {
  if (/^no profile\b/.test(detail)) return "profile";
  if (/^no source\b/.test(detail)) return "source";
  if (/^no job\b/.test(detail)) return "job";
  if (/^no typed-in\b|^no \w+\/.+ is stored/.test(detail)) return "record";
  if (/^no numeric results\b/.test(detail)) return "lab";
  if (/^no user\b/.test(detail)) return "account";
  if (/no live session/.test(detail)) return "session";
  if (/^no attachment\b/.test(detail)) return "attachment";
  if (/no such API route/.test(detail)) return "page";
  return undefined;
}

const NOT_FOUND: Record<Subject, [string, string?]> = {
  profile: ["This person's record is not here.", "It may have been removed, or you may no longer have access."],
  source: ["This source is not here any more.", "It may have been removed. Go back to the list of sources."],
  job: ["This sync is not here any more.", "Reload the page to see the current list."],
  record: ["This record is not here.", "It may have been changed or removed since the page was opened."],
  lab: ["There are no results for this test.", "Go back to the list of lab results."],
  account: ["There is no account with that name.", "Check the username and try again."],
  session: ["That session has already ended."],
  attachment: ["This document is not here any more.", "It may have been removed."],
  page: ["This version of the page does not match Hearth.", "Reload the page to get the current version."],
};

/** Words for a role a profile gives: what it lets people do. */
const CAN: Record<string, string> = {
  viewer: "look at these records",
  editor: "add and change these records",
  owner: "manage these records and who sees them",
};

/** Kinds whose meaning does not depend on the detail: [what happened, what to do]. */
const KINDS: Record<string, [string, string?]> = {
  // Signing in and the session.
  unauthenticated: ["You are signed out.", "Sign in again to carry on."],
  "invalid-credentials": ["The username, password or code is not right.", "Check them and try again."],
  "totp-required": ["Enter the code from your authenticator app.", "Or use one of your recovery codes."],
  busy: ["Hearth is busy checking other sign-ins.", "Try again in a moment."],
  csrf: ["This page is out of step with your sign-in.", "Reload the page, then try again."],
  "already-set-up": ["Hearth is already set up.", "Sign in instead."],
  "username-taken": ["That username is already taken.", "Choose another one."],
  "last-admin": ["This is the last administrator.", "Make someone else an administrator first."],
  "last-owner": ["Every record needs an owner.", "Make someone else owner first, or hand the record over."],
  "sole-owner": ["This account is the only owner of someone's records.", "Hand those records to someone else, or delete them, first."],
  "grant-exists": ["They can already see these records.", "Change what they can do instead."],
  "totp-enabled": ["Two-step sign-in is already on.", "Turn it off first to use another app."],
  "totp-not-started": ["Two-step sign-in has not been started.", "Start setting it up again."],
  // Busy or broken.
  "database-busy": ["Hearth is busy saving something else.", "Try again in a moment."],
  "imports-busy": ["Hearth is already bringing in other uploads.", "Send this one again in a minute, when one of them is done."],
  internal: [
    "Something went wrong inside Hearth.",
    "Try again in a moment. If it keeps happening, the administrator can find out more in Hearth's log.",
  ],
  // Requests Hearth's own pages should not send: out of date with the host.
  "invalid-query": ["Hearth could not look that up with these settings.", "Check the dates and words you entered, then try again."],
  "unsupported-parameter": ["Hearth could not look that up with these settings.", "Reload the page and try again."],
  "invalid-path": ["This address is not one Hearth knows.", "Check the link, or start again from the home page."],
  "method-not-allowed": ["This version of the page does not match Hearth.", "Reload the page to get the current version."],
  "bad-body": ["Hearth did not understand what was sent.", "Reload the page and try again."],
  "invalid-body": ["Hearth did not understand what was sent.", "Reload the page and try again."],
  "malformed-json": ["Hearth did not understand what was sent.", "Reload the page and try again."],
  "unsupported-media-type": ["Hearth cannot read this kind of file.", "Hearth reads FHIR files (.json, .ndjson), PDFs and pictures."],
  "body-too-large": ["That is more than Hearth accepts at once.", "Send less at a time."],
  // Records.
  "not-editable": ["This record came from a provider or an upload, so it cannot be changed here.", "You can add a note or a new record instead."],
  "invalid-record": ["Something in this record is not accepted.", "Check what you entered and try again."],
  "unsupported-attachment": ["Hearth keeps PDFs and pictures (JPEG, PNG, GIF, WebP) as documents.", "Choose a file of one of those kinds."],
  "attachment-too-large": ["The file is larger than this Hearth accepts.", "Choose a smaller file, or scan it at a lower resolution."],
  "upload-too-large": ["The file is larger than this Hearth accepts.", "Ask the administrator to raise the limit, or split the file."],
  "malformed-upload": ["The file is not readable FHIR.", "Check that it is the file the portal gave you, then upload it again."],
  "empty-upload": ["The file has no records in it.", "Check that it is the right file."],
  "invalid-entry": [
    "Nothing was imported: one entry of the file is not valid FHIR.",
    "Fix that entry, or ask whoever made the file, then upload it again.",
  ],
  "different-person": ["The file is about someone else.", "Check whose records these are before adding them."],
  "no-patient": ["Hearth does not know this person's details yet.", "Connect a provider or upload a file that includes the patient's details first."],
  // Syncing and connecting providers.
  "sync-running": ["This source is already syncing.", "Wait for that sync to finish."],
  "unconfirmed-person": [
    "Hearth is waiting for you to confirm whose records these are.",
    "Open the source and confirm that the portal account belongs to this person.",
  ],
  "not-syncable": ["Uploaded and typed-in records have nothing to sync."],
  "job-state": ["This sync has already moved on.", "Reload the page to see where it is."],
  cancelled: ["The sync was stopped before it finished.", "Start it again with “Sync now” when you are ready."],
  "needs-reconnect": ["The provider no longer accepts Hearth's permission.", "Sign in at the provider again to keep these records up to date."],
  unauthorized: ["The provider no longer accepts Hearth's permission.", "Sign in at the provider again to keep these records up to date."],
  "access-denied": ["The provider did not give Hearth permission to read the records.", "Connect again and allow access when the provider asks."],
  "access-revoked": ["The provider no longer lets Hearth read these records.", "Sign in at the provider again to reconnect."],
  "not-connectable": ["This source was added by its address, so it cannot be reconnected from here.", "Add it again by its address."],
  "other-patient": [
    "You signed in at the provider as a different patient than before.",
    "Sign in again with the account of the person whose records these are.",
  ],
  "unknown-state": ["This sign-in link was already used or has expired.", "Start connecting again."],
  "unknown-endpoint": ["This provider is no longer in Hearth's list.", "Search for it again."],
  "unknown-connector": [
    "Hearth does not have what it needs to talk to this provider.",
    "The administrator can install it; the details below say what is missing.",
  ],
  "provider-unreachable": [
    "Hearth could not reach the provider.",
    "The provider's server may be down. Hearth will try again later; you can also try again yourself.",
  ],
  "provider-refused": ["The provider did not accept Hearth's request.", "Try again later. If it keeps happening, try connecting again."],
  "provider-not-configured": [
    "Hearth is not set up to connect to this provider yet.",
    "The administrator needs to register Hearth with the provider first.",
  ],
  "provider-registration-failed": [
    "The provider did not accept Hearth's registration.",
    "Try again later, or ask the administrator to register Hearth with the provider.",
  ],
  "open-servers-off": ["This Hearth does not connect to servers that ask for no sign-in.", "The administrator can allow them in Hearth's settings."],
  "connections-off": ["Connecting providers is turned off in this Hearth.", "Ask the administrator to turn it on."],
  // A connector's failures (as a problem, or as a job's error class).
  upstream: ["The provider did not answer as expected.", "Hearth will try again by itself later."],
  "sync-failed": ["The provider did not answer as expected.", "Hearth will try again by itself later."],
  plugin: ["The provider did not answer as expected.", "Hearth will try again by itself later."],
  "plugin-timeout": ["The provider took too long to answer.", "Hearth will try again by itself later."],
  "rate-limited": ["The provider asked Hearth to slow down.", "Hearth will try again by itself later."],
  "invalid-input": ["The provider did not accept what Hearth asked for.", "Try connecting again. If it keeps happening, tell the administrator."],
  "plugin-crashed": [
    "Hearth could not read what the provider sent.",
    "Hearth will try again at the next update. If it keeps failing, tell the administrator.",
  ],
  "plugin-memory-limit": ["The provider sent more than Hearth could handle at once.", "Tell the administrator; the details below say what happened."],
  "plugin-output-limit": ["The provider sent more than Hearth could handle at once.", "Tell the administrator; the details below say what happened."],
  "plugin-forbidden-host": [
    "The provider tried to send Hearth somewhere it is not allowed to go.",
    "Tell the administrator; the details below say where.",
  ],
  invalid: ["This source cannot be synced as it is set up.", "Try connecting it again."],
  // Chat with one's records.
  "chat-off": ["Chat is off in this Hearth: no model has been chosen to answer questions.", "An administrator can turn it on in Chat settings."],
};

/** The particulars for the "Details" disclosure. */
function detailsOf(status: number, kind: string, p: ProblemBody, shown: boolean): string[] {
  const lines: string[] = [];
  if (p.detail && !shown) lines.push(`Hearth said: ${p.detail}`);
  if (typeof p.path === "string" && p.path) lines.push(`Where: ${p.path}`);
  if (typeof p.reason === "string" && p.reason && p.reason !== p.detail) lines.push(`Why: ${p.reason}`);
  if (typeof p.job_id === "string") lines.push(`Sync job: ${p.job_id}`);
  if (kind || status) lines.push(`Problem: ${[kind, status ? `HTTP ${status}` : ""].filter(Boolean).join(", ")}`);
  return lines;
}

/** "2 minutes" for the seconds a `too-many-attempts` asks to wait. */
function waitWords(seconds: number): string {
  if (seconds < 60) return seconds <= 1 ? "a second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "a minute" : `${minutes} minutes`;
}

/** Whether Hearth has its own words for a problem kind. */
export function isKnownKind(kind: string): boolean {
  return (
    kind in KINDS ||
    ["not-found", "forbidden", "too-many-attempts", "weak-password", "invalid-field", "provider-address-refused", "cannot-undo"].includes(kind)
  );
}

/** A problem body in words. `subject` says what a `not-found` is about when the caller knows. */
export function explainProblem(status: number, problem: ProblemBody | null | undefined, subject?: Subject): Explained {
  const p = problem ?? {};
  const kind = problemKind(p);
  const detail = typeof p.detail === "string" ? p.detail : "";
  let message: string;
  let action: string | undefined;
  // Whether the host's detail made it into the sentence (then it is not repeated under Details).
  let shown = false;

  const known = KINDS[kind];
  if (kind === "not-found" || (!kind && status === 404)) {
    const about = subject ?? subjectOf(detail);
    [message, action] = about ? NOT_FOUND[about] : ["This is not here any more.", "It may have been removed, or you may no longer have access."];
  } else if (kind === "forbidden" || (!kind && status === 403)) {
    const roles = /needs (\w+) access .*; you have (\w+) access/.exec(detail);
    const admin = /administrator/i.test(detail) && /only/i.test(detail);
    if (roles) {
      message = `Only people who can ${CAN[roles[1]!] ?? "do more"} can do this.`;
      action = `You can ${CAN[roles[2]!] ?? "see less"}. Ask the record's owner if you need more.`;
    } else if (admin) {
      message = "Only an administrator can do this.";
      action = "Ask the person who looks after this Hearth.";
    } else if (/sign-up is turned off/.test(detail)) {
      message = "This Hearth does not let people create their own accounts.";
      action = "Ask the administrator for an account.";
    } else if (/current password/.test(detail)) {
      message = "Your current password is not right.";
      action = "Type it again.";
    } else {
      message = "You do not have access to this.";
      action = "Ask the owner of these records to share them with you.";
    }
  } else if (kind === "too-many-attempts" || (!kind && status === 429)) {
    const secs = Number(/(\d+)\s*s\b/.exec(detail)?.[1]);
    message = "Too many sign-in attempts did not work.";
    action = Number.isFinite(secs) && secs > 0 ? `Wait ${waitWords(secs)}, then try again.` : "Wait a few minutes, then try again.";
  } else if (kind === "weak-password") {
    // "`new_password`: the password must be at least 12 characters": the rule, without the field.
    const rule = /^`[^`]+`:\s*(.+)$/s.exec(detail.trim())?.[1] ?? detail;
    message = "This password is not accepted.";
    shown = isPlain(rule);
    action = shown ? sentence(rule) : "Use at least 12 characters; a few unrelated words work well.";
  } else if (kind === "invalid-field") {
    const reason = fieldReason(detail);
    message = "Something you entered is not accepted.";
    action = reason ?? "Check the form and try again.";
    shown = reason !== null;
  } else if (kind === "cannot-undo") {
    // "records were typed in since these were removed; remove those first to bring these back": what is in the way, in words.
    message = "This cannot be put back as things are now.";
    shown = isPlain(detail);
    action = shown ? sentence(detail) : "Something added since is in its way. Reload the page to see what is there now, then try again.";
  } else if (kind === "provider-address-refused") {
    message = "Hearth will not connect to this address.";
    if (/private|loopback|local/i.test(detail))
      action = "It is on a private network; providers must be on the public internet unless the administrator allows private addresses.";
    else if (/could not be found/.test(detail)) action = "There is no server by that name. Check the address for typing mistakes.";
    else if (/only http and https/.test(detail)) action = "Only web addresses (https://…) can be providers.";
    else action = "Check the address the provider gave you.";
  } else if (known) {
    [message, action] = known;
  } else if (status === 409) {
    message = "This changed in the meantime.";
    action = "Reload the page and try again.";
  } else if (status === 502 || status === 504) {
    [message, action] = KINDS.upstream!;
  } else if (status === 503) {
    message = "Hearth is busy.";
    action = "Try again in a moment.";
  } else if (status >= 500) {
    message = "Hearth had a problem answering.";
    action = "Try again in a moment.";
  } else if (status === 413) {
    [message, action] = KINDS["body-too-large"]!;
  } else if (status === 401) {
    [message, action] = KINDS.unauthenticated!;
  } else {
    // An unknown refusal: its own words when they read as words, else a plain sentence.
    shown = isPlain(detail);
    message = shown ? sentence(detail) : "Hearth could not do that.";
    action = shown ? undefined : "Try again. If it keeps happening, the details below may help the administrator.";
  }
  return { message, action, details: detailsOf(status, kind, p, shown) };
}

/** A job's or a source's error class (`rate-limited`, `upstream`, …) in words; `error` is its raw text. */
export function explainKind(kind: string | null | undefined, error?: string | null): Explained {
  const known = kind ? KINDS[kind] : undefined;
  const [message, action] = known ?? ["The provider did not answer as expected.", "Hearth will try again by itself later."];
  const details = [error ? `Hearth said: ${error}` : null, kind ? `Problem: ${kind}` : null].filter((l): l is string => l !== null);
  return { message, action, details };
}

/** The host could not be reached at all. */
export function explainNetwork(): Explained {
  return { message: NOT_ANSWERING, action: NOT_ANSWERING_ACTION, details: [] };
}

/** Whether an error is a lazily loaded part of the app that failed to load (a new version, or the host is down). */
export function isChunkLoadError(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e ?? "");
  return /Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed|ChunkLoadError|Loading (CSS )?chunk [\w-]+ failed|Unable to preload CSS/i.test(
    text,
  );
}

/** Whether a thrown error is the browser failing to reach the host (not a refusal). */
export function isFetchFailure(e: unknown): boolean {
  return e instanceof TypeError && /failed to fetch|networkerror|load failed|network request failed/i.test(e.message);
}

/** One string: the sentence and what to do. */
export function explainedText(x: Explained): string {
  return x.action ? `${x.message} ${x.action}` : x.message;
}

/** A sentence to go after a colon: "the provider did not answer as expected." (names such as Hearth keep their capital). */
export function asClause(s: string): string {
  return /^(Hearth|Hearth's|I)\b/.test(s) ? s : s.charAt(0).toLowerCase() + s.slice(1);
}
