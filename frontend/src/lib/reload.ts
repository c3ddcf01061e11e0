// A part of the app that fails to load usually means a new version of Hearth
// was installed (the old page asks for files that are gone) or the host is
// restarting. One automatic reload fixes the first case; a guard in
// sessionStorage makes sure it happens once, not in a loop.

const KEY = "hearth.reloaded-for";

/** Pages open for less than this do not reload by themselves: they were just loaded. */
export const RELOAD_AFTER_MS = 60_000;

/** Where the guard is kept; sessionStorage in the browser. */
export type GuardStore = Pick<Storage, "getItem" | "setItem">;

function guardStore(): GuardStore | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/** What identifies the failure: the error's text names the file that failed. */
function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/**
 * Whether to reload the page by itself for this load failure: only when the page
 * has been open more than a minute (so it is likely older than the host's
 * files) and it has not already reloaded for the same failure.
 */
export function shouldReloadFor(error: unknown, openForMs: number, store: GuardStore | null = guardStore()): boolean {
  if (openForMs < RELOAD_AFTER_MS || !store) return false;
  try {
    return store.getItem(KEY) !== reason(error);
  } catch {
    return false;
  }
}

/** Note that the page reloads for this failure, so it does not do so again. */
export function noteReloadFor(error: unknown, store: GuardStore | null = guardStore()): void {
  try {
    store?.setItem(KEY, reason(error));
  } catch {
    /* storage full or off: the one-minute rule still prevents a loop */
  }
}

/** How long this page has been open, in milliseconds. */
export function openForMs(): number {
  return typeof performance !== "undefined" ? performance.now() : 0;
}
