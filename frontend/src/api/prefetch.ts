// Answers public/prefetch.js asked for before the app's code arrived: each is
// used once, by the first GET of the same path; later ones go to the network.

declare global {
  interface Window {
    __hearthPrefetched?: Record<string, Promise<Response> | undefined>;
  }
}

/** The prefetched answer for a GET of `url` (path and query), if there is one not yet taken. */
export function takePrefetched(url: URL): Promise<Response | undefined> | undefined {
  const waiting = typeof window === "undefined" ? undefined : window.__hearthPrefetched;
  if (!waiting) return undefined;
  const key = url.pathname + url.search;
  const answer = waiting[key];
  if (!answer) return undefined;
  delete waiting[key];
  // A prefetch that failed on the network is retried by the caller.
  return answer.catch(() => undefined);
}
