import { fetchedTotal, parseProgress } from "./events";

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
