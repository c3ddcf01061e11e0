import { takePrefetched } from "./prefetch";

describe("prefetched answers", () => {
  afterEach(() => {
    delete window.__hearthPrefetched;
  });
  it("hands each answer once, to the GET of the same path and query", async () => {
    const answer = new Response("{}", { status: 200 });
    window.__hearthPrefetched = { "/api/profiles/p/timeline?limit=50": Promise.resolve(answer) };
    expect(takePrefetched(new URL("http://h/api/profiles/p/timeline?limit=20"))).toBeUndefined();
    expect(await takePrefetched(new URL("http://h/api/profiles/p/timeline?limit=50"))).toBe(answer);
    expect(takePrefetched(new URL("http://h/api/profiles/p/timeline?limit=50"))).toBeUndefined();
  });
  it("lets the caller ask again when the early request failed", async () => {
    window.__hearthPrefetched = { "/api/me": Promise.reject(new TypeError("Failed to fetch")) };
    expect(await takePrefetched(new URL("http://h/api/me"))).toBeUndefined();
    expect(takePrefetched(new URL("http://h/api/setup"))).toBeUndefined();
  });
});
