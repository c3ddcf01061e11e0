import { fetchedTotal, parseProgress, percentDone } from "./events";

describe("progress events", () => {
  it("reads the host's progress data", () => {
    const p = parseProgress(JSON.stringify({ job_id: "j", source_id: "s", fetched: { Observation: 40, Condition: 2 }, stored: 42, emitted: 42 }));
    expect(p).toEqual({ job_id: "j", source_id: "s", fetched: { Observation: 40, Condition: 2 }, stored: 42, emitted: 42 });
    expect(fetchedTotal(p)).toBe(42);
  });
  it("ignores events that are not progress", () => {
    expect(parseProgress("not json")).toBeNull();
    expect(parseProgress(JSON.stringify({ stored: 1 }))).toBeNull();
    expect(fetchedTotal(null)).toBe(0);
  });
});

describe("how far a sync is", () => {
  it("is a percentage only when the connector passed on the provider's count", () => {
    const p = parseProgress(JSON.stringify({ job_id: "j", source_id: "s", fetched: {}, stored: 10, emitted: 300, expected: 1200 }));
    expect(p?.expected).toBe(1200);
    expect(percentDone(p)).toBe(25);
    expect(percentDone({ emitted: 0, expected: 1200 })).toBe(0);
    // The last batch is still being stored: never 100 while running, even if more arrived than counted.
    expect(percentDone({ emitted: 1300, expected: 1200 })).toBe(99);
    expect(percentDone({ emitted: 300 })).toBeNull();
    expect(percentDone({ emitted: 0, expected: 0 })).toBeNull();
    expect(percentDone(null)).toBeNull();
  });
});
