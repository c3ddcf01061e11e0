import type { AuditEntry } from "../api/types";
import { auditDetailLines, auditWhat, auditWho, type AuditNames } from "./audit";

const USERS: Record<string, string> = { u1: "Ann Example", u2: "Bob Example" };
const PROFILES: Record<string, string> = { p1: "Sam Example" };
const names: AuditNames = { user: (id) => USERS[id], profile: (id) => PROFILES[id] };

const entry = (over: Partial<Omit<AuditEntry, "detail">> & { detail?: Record<string, unknown> }): AuditEntry => ({
  id: 1,
  at: "2026-03-01T10:00:00Z",
  event: "sign-in",
  actor_id: null,
  subject: null,
  profile_id: null,
  address: "192.0.2.1",
  ...over,
  detail: (over.detail ?? {}) as AuditEntry["detail"],
});

describe("the audit log in words", () => {
  it("names people instead of showing their ids", () => {
    const shared = entry({ event: "grant-added", actor_id: "u1", subject: "u2", profile_id: "p1", detail: { role: "viewer" } });
    expect(auditWho(shared, names)).toBe("Ann Example");
    expect(auditWhat(shared, names)).toBe("Shared Sam Example's record with Bob Example (can look)");
  });

  it("calls an account that is gone a removed account, or by the name the entry kept", () => {
    const gone = entry({ event: "grant-removed", actor_id: "dead00dead00dead00", subject: "beef00beef00beef00", profile_id: "p1" });
    expect(auditWho(gone, names)).toBe("A removed account");
    expect(auditWhat(gone, names)).toBe("Stopped sharing Sam Example's record with a removed account");
    const deleted = entry({ event: "user-deleted", actor_id: "u1", subject: "beef00beef00beef00", detail: { username: "carol" } });
    expect(auditWhat(deleted, names)).toBe("Deleted the account of “carol”");
    // When the list of names could not be loaded, no one is called removed.
    expect(auditWho(gone, { ...names, unknown: "an account" })).toBe("An account");
  });

  it("says who acted without an account", () => {
    const failed = entry({ event: "sign-in-failed", detail: { username: "ann", failed: "second factor" } });
    expect(auditWho(failed, names)).toBe("Someone");
    expect(auditWhat(failed, names)).toBe("Tried to sign in as “ann”: wrong code");
    const console = entry({ event: "user-created", subject: "u2", detail: { username: "bob", role: "admin", via: "console" } });
    expect(auditWho(console, names)).toBe("The server console");
    expect(auditWhat(console, names)).toBe("Created an account for Bob Example (administrator)");
    expect(auditWho(entry({ event: "refresh-token-reused", subject: "u2" }), names)).toBe("Hearth");
  });

  it("words the other events", () => {
    expect(auditWhat(entry({ event: "grant-removed", actor_id: "u2", subject: "u2", profile_id: "p1" }), names)).toBe(
      "Stopped seeing Sam Example's record",
    );
    expect(auditWhat(entry({ event: "profile-created", actor_id: "u1", profile_id: "zz", detail: { name: "Max" } }), names)).toBe("Added Max");
    expect(auditWhat(entry({ event: "user-role-changed", actor_id: "u1", subject: "u2", detail: { role: "member" } }), names)).toBe(
      "Made Bob Example a member",
    );
    expect(
      auditWhat(
        entry({ event: "profile-transferred", actor_id: "u1", subject: "u2", profile_id: "p1", detail: { to: "bob", kept: "editor" } }),
        names,
      ),
    ).toBe("Handed Sam Example's record to Bob Example, keeping access (can add and change)");
    expect(auditWhat(entry({ event: "recovery-code-used", actor_id: "u1", subject: "u1", detail: { remaining: 7 } }), names)).toBe(
      "Signed in with a recovery code (7 left)",
    );
    expect(auditWhat(entry({ event: "something-new" }), names)).toBe("Something new");
  });

  it("turns the JSON detail into readable lines", () => {
    expect(auditDetailLines({ username: "ann", failed: "password" })).toEqual(["Username: ann", "What was wrong: password"]);
    expect(auditDetailLines({ role: "viewer", remaining: 3, extra_thing: { a: 1 } })).toEqual([
      "Role: can look",
      "Recovery codes left: 3",
      'Extra thing: {"a":1}',
    ]);
    expect(auditDetailLines(null)).toEqual([]);
  });
});
