import { RELOAD_AFTER_MS, noteReloadFor, shouldReloadFor, type GuardStore } from "./reload";

function store(): GuardStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("reloading once for a part of the app that failed to load", () => {
  const failure = new TypeError("Failed to fetch dynamically imported module: https://hearth.example/assets/Labs-1a2b.js");

  it("reloads a page open for more than a minute, once per failure", () => {
    const s = store();
    expect(shouldReloadFor(failure, RELOAD_AFTER_MS + 1, s)).toBe(true);
    noteReloadFor(failure, s);
    expect(shouldReloadFor(failure, RELOAD_AFTER_MS + 1, s)).toBe(false);
    // Another file failing later (another new version) may reload again.
    expect(shouldReloadFor(new TypeError("Failed to fetch dynamically imported module: /assets/Jobs-9f.js"), RELOAD_AFTER_MS + 1, s)).toBe(true);
  });

  it("does not reload a page that was just loaded, or without storage", () => {
    expect(shouldReloadFor(failure, 5_000, store())).toBe(false);
    expect(shouldReloadFor(failure, RELOAD_AFTER_MS + 1, null)).toBe(false);
  });
});
