import type { Removal } from "../api/types";
import { stubFetch } from "../test-utils";
import {
  DEFAULT_KEEP_DAYS,
  daysText,
  keepDays,
  keptText,
  removalKindText,
  removedByText,
  undoLabel,
  undoneText,
  undoneTitle,
  undoRemoval,
  untilText,
} from "./removals";

afterEach(() => vi.unstubAllGlobals());

const removal = (over: Partial<Removal>): Removal => ({
  id: "r1",
  profile_id: "p1",
  kind: "hidden-record",
  target: "Condition/c1",
  label: "Hay fever",
  records: 1,
  removed_by: "Ann",
  removed_at: "2026-12-05T10:00:00Z",
  purge_after: null,
  ...over,
});

describe("removals in words", () => {
  it("reads how long Hearth keeps what is removed from what it keeps, else says the default", () => {
    expect(keepDays(undefined)).toBe(DEFAULT_KEEP_DAYS);
    expect(keepDays([removal({})])).toBe(DEFAULT_KEEP_DAYS);
    const kept = removal({ kind: "removed-source", removed_at: "2026-12-05T10:00:00Z", purge_after: "2026-12-12T10:00:03Z" });
    expect(keepDays([removal({}), kept])).toBe(7);
    expect(daysText(7)).toBe("7 days");
    expect(daysText(1)).toBe("1 day");
  });

  it("says what each kind is, who took it out and until when it is kept", () => {
    expect(removalKindText(removal({}))).toBe("Hidden record · Condition");
    expect(removalKindText(removal({ kind: "deleted-record", target: "Observation/w1" }))).toMatch(/^Deleted typed-in record · /);
    expect(removalKindText(removal({ kind: "removed-source", target: "s1", records: 1204 }))).toBe("Removed source · 1,204 records");
    expect(removalKindText(removal({ kind: "removed-source", target: "s1", records: 1 }))).toBe("Removed source · 1 record");
    expect(removedByText(removal({}))).toMatch(/^Hidden by Ann on 5 Dec 2026, \d\d:\d\d$/);
    expect(removedByText(removal({ kind: "removed-source", removed_by: null }))).toMatch(/^Removed on 5 Dec 2026/);
    expect(keptText(removal({}))).toBe("Kept until someone shows it again");
    expect(keptText(removal({ purge_after: "2027-01-04T10:00:00Z" }))).toBe("Deleted for good on 4 Jan 2027");
    expect(untilText(removal({ purge_after: "2027-01-04T10:00:00Z" }), "them")).toBe("You can bring them back until 4 Jan 2027.");
    expect(untilText(removal({}))).toBe("");
    expect([undoLabel({ kind: "hidden-record" }), undoLabel({ kind: "deleted-record" }), undoLabel({ kind: "deleted-person" })]).toEqual([
      "Show again",
      "Put back",
      "Bring back",
    ]);
    expect(undoneText(removal({ kind: "deleted-person", label: "Sam" }), "")).toBe("Sam is back, with everyone's access as it was.");
  });

  it("says a change to a typed-in record is kept as what it said before", () => {
    const edit = removal({ kind: "edited-record", target: "Observation/w1", label: "Body weight", purge_after: "2027-01-04T10:00:00Z" });
    expect(removalKindText(edit)).toMatch(/^Changed typed-in record · /);
    expect(removedByText(edit)).toMatch(/^Changed by Ann on 5 Dec 2026/);
    expect(keptText(edit)).toBe("What it said before is kept until 4 Jan 2027");
    expect(undoLabel(edit)).toBe("Undo the change");
    expect(undoneTitle(edit)).toBe("Change undone");
    expect(undoneText(edit, "Ann's")).toBe("“Body weight” says again what it said before the change.");
  });

  it("undoes a person through the account's route, anything else through the profile's", async () => {
    const seen = stubFetch((s) => ({ status: 200, body: removal({ id: s.path }) }));
    await undoRemoval(removal({ id: "r1" }));
    await undoRemoval(removal({ id: "r2", kind: "deleted-person", target: "p1" }));
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /api/profiles/p1/removals/r1/undo", "POST /api/removals/r2/undo"]);
  });
});
