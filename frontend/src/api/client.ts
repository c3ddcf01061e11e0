// The typed API client. Types come from the host's OpenAPI description
// (`hearth openapi` → openapi.json → schema.d.ts), so a renamed field in the
// host breaks this build rather than a page.
import createClient from "openapi-fetch";
import {
  explainNetwork,
  explainProblem,
  explainedText,
  isFetchFailure,
  NOT_ANSWERING,
  NOT_ANSWERING_ACTION,
  type Explained,
  type Subject,
} from "../lib/problems";
import type { paths } from "./schema";
import { takePrefetched } from "./prefetch";

/** A problem body (RFC 9457) as the host sends it, with its extension members. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  entry?: number;
  path?: string;
  reason?: string;
  line?: number;
  [member: string]: unknown;
}

/** An API failure: the HTTP status and the host's problem body. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemBody;
  constructor(status: number, problem: ProblemBody) {
    super(problem.detail ?? problem.title ?? `request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
  /** The short problem kind, e.g. `invalid-credentials`. */
  get kind(): string {
    return (this.problem.type ?? "").replace("urn:hearth:problem:", "");
  }
}

/** The server could not be reached at all. */
export class NetworkError extends Error {
  constructor() {
    super(`${NOT_ANSWERING} ${NOT_ANSWERING_ACTION}`);
    this.name = "NetworkError";
  }
}

const CSRF_COOKIE = "hearth_csrf";

/** The CSRF token the host set as a readable cookie, echoed on every change. */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

let refreshing: Promise<boolean> | null = null;

/** Trade the refresh cookie for a new access cookie; one attempt at a time. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const token = csrfToken();
      const r = await fetch("/api/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: token ? { "X-CSRF-Token": token } : {},
      });
      return r.ok;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

/** Listeners told when the session ended and could not be refreshed. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(f: () => void): () => void {
  signedOutListeners.add(f);
  return () => signedOutListeners.delete(f);
}

const NO_REFRESH = ["/api/auth/sign-in", "/api/auth/refresh", "/api/setup", "/api/auth/sign-up"];

/** fetch with the CSRF header, and one refresh-and-retry on an expired access token. */
export async function authFetch(input: Request): Promise<Response> {
  const send = (req: Request) => {
    const r = req.clone();
    if (r.method !== "GET" && r.method !== "HEAD") {
      const token = csrfToken();
      if (token) r.headers.set("X-CSRF-Token", token);
    }
    return fetch(r, { credentials: "same-origin" }).catch(() => {
      throw new NetworkError();
    });
  };
  // The answer public/prefetch.js already asked for, if this is that GET.
  const early = input.method === "GET" ? await takePrefetched(new URL(input.url, location.href)) : undefined;
  const first = early ?? (await send(input));
  const path = new URL(input.url, location.href).pathname;
  if (first.status !== 401 || NO_REFRESH.includes(path)) return first;
  if (!(await refreshSession())) {
    if (path !== "/api/me") signedOutListeners.forEach((f) => f());
    return first;
  }
  return send(input);
}

/** The client every page uses. */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? "", fetch: authFetch });

/** Unwrap an openapi-fetch result: the data, or an [`ApiError`]. */
export async function ok<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (response.ok) return data as T;
  throw new ApiError(response.status, (error ?? {}) as ProblemBody);
}

/**
 * Any error a page shows, explained: a sentence people understand, what to do,
 * and the particulars (the host's own words, ids) for a "Details" disclosure.
 * `subject` says what a `not-found` is about when the page knows.
 */
export function explainError(e: unknown, subject?: Subject): Explained {
  if (e instanceof ApiError) return explainProblem(e.status, e.problem, subject);
  if (e instanceof NetworkError || isFetchFailure(e)) return explainNetwork();
  if (e instanceof Error)
    return { message: "Something went wrong.", action: "Try again. If it keeps happening, reload the page.", details: [`${e.name}: ${e.message}`] };
  return { message: "Something went wrong.", action: "Try again.", details: [] };
}

/** Words for any error a page shows, in one string (no particulars: those are for `explainError`). */
export function errorText(e: unknown, subject?: Subject): string {
  return explainedText(explainError(e, subject));
}
