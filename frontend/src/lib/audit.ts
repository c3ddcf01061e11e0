// The audit log in words: who did what to whom, by name, not by id.
import type { AuditEntry } from "../api/types";

/** Names for the ids an entry holds; undefined when not known (a removed account, a profile not shared with the reader). */
export interface AuditNames {
  user: (id: string) => string | undefined;
  profile: (id: string) => string | undefined;
  /** What to call an account whose id is not known (default: "a removed account"). */
  unknown?: string;
}

/** Said of an account that no longer exists. */
export const REMOVED = "a removed account";

const ROLE: Record<string, string> = {
  viewer: "can look",
  editor: "can add and change",
  owner: "owner",
  admin: "administrator",
  member: "member",
};

const FAILED: Record<string, string> = {
  password: "wrong username or password",
  "second factor": "wrong code",
};

/** An entry's particulars: the schema says only "an object". */
type Detail = Record<string, unknown> | null | undefined;

function str(detail: unknown, key: string): string | undefined {
  const v = (detail as Detail)?.[key];
  return typeof v === "string" && v ? v : typeof v === "number" ? String(v) : undefined;
}

/** Who did it: a name, "A removed account", or who acts without an account. */
export function auditWho(entry: AuditEntry, names: AuditNames): string {
  if (entry.actor_id) {
    const name = names.user(entry.actor_id);
    if (name !== undefined) return name;
    const unknown = names.unknown ?? REMOVED;
    return unknown.charAt(0).toUpperCase() + unknown.slice(1);
  }
  if (entry.event === "refresh-token-reused") return "Hearth";
  // Account changes with no one signed in behind them were made with `hearth user` on the server.
  if (str(entry.detail, "via") === "console" || /^(user-|password-reset)/.test(entry.event)) return "The server console";
  return "Someone";
}

/** What happened, as a phrase after the name of who did it: "Shared Sam's record with Bob (can look)". */
export function auditWhat(entry: AuditEntry, names: AuditNames): string {
  const d = entry.detail;
  const unknown = names.unknown ?? REMOVED;
  const subjectName = entry.subject ? (names.user(entry.subject) ?? (str(d, "username") ? `“${str(d, "username")}”` : unknown)) : undefined;
  const self = entry.subject !== null && entry.subject === entry.actor_id;
  const profileName = entry.profile_id ? (names.profile(entry.profile_id) ?? str(d, "name")) : str(d, "name");
  const record = profileName ? `${profileName}'s record` : "someone's record";
  const role = str(d, "role");
  const roleWords = role ? (ROLE[role] ?? role) : undefined;
  const them = subjectName ?? "an account";
  switch (entry.event) {
    case "setup":
      return "Set up this Hearth";
    case "sign-in":
      return "Signed in";
    case "sign-in-failed": {
      const user = str(d, "username");
      const why = FAILED[str(d, "failed") ?? ""] ?? "refused";
      return user ? `Tried to sign in as “${user}”: ${why}` : `Tried to sign in: ${why}`;
    }
    case "sign-out":
      return "Signed out";
    case "sign-up":
      return "Created their own account";
    case "session-revoked":
      return "Ended one of their sessions";
    case "refresh-token-reused":
      return `Ended a session of ${them}: an old sign-in token was used again, which can mean it was copied`;
    case "recovery-code-used": {
      const left = str(d, "remaining");
      return left !== undefined ? `Signed in with a recovery code (${left} left)` : "Signed in with a recovery code";
    }
    case "password-changed":
      return "Changed their password";
    case "password-change-failed":
      return "Tried to change their password, but the current password was wrong";
    case "password-reset":
      return self ? "Set a new password" : `Set a new password for ${them}`;
    case "totp-enabled":
      return "Turned on two-step sign-in";
    case "totp-disabled":
      return "Turned off two-step sign-in";
    case "user-created":
      return `Created an account for ${them}${roleWords ? ` (${roleWords})` : ""}`;
    case "user-renamed":
      return `Renamed the account of ${them}`;
    case "user-role-changed":
      return roleWords ? `Made ${them} ${role === "admin" ? "an administrator" : `a ${roleWords}`}` : `Changed the role of ${them}`;
    case "user-disabled":
      return `Blocked sign-in for ${them}`;
    case "user-enabled":
      return `Allowed sign-in again for ${them}`;
    case "user-deleted":
      return `Deleted the account of ${str(d, "username") ? `“${str(d, "username")}”` : them}`;
    case "profile-created":
      return `Added ${profileName ?? "a person"}`;
    case "profile-deleted":
      return `Deleted ${record} and everything in it`;
    case "profile-transferred": {
      const to = subjectName ?? (str(d, "to") ? `“${str(d, "to")}”` : unknown);
      const kept = str(d, "kept");
      return `Handed ${record} to ${to}${kept ? `, keeping access (${ROLE[kept] ?? kept})` : ""}`;
    }
    case "grant-added":
      return `Shared ${record} with ${them}${roleWords ? ` (${roleWords})` : ""}`;
    case "grant-changed":
      return `Changed what ${them} can do with ${record}${roleWords ? `: ${roleWords}` : ""}`;
    case "grant-removed":
      return self ? `Stopped seeing ${record}` : `Stopped sharing ${record} with ${them}`;
    default: {
      const words = entry.event.replace(/-/g, " ");
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}

const KEYS: Record<string, string> = {
  session: "Session",
  username: "Username",
  failed: "What was wrong",
  remaining: "Recovery codes left",
  role: "Role",
  name: "Name",
  to: "Handed to",
  kept: "Kept access",
  via: "Done from",
};

/** An entry's particulars as "Key: value" lines. */
export function auditDetailLines(detail: unknown): string[] {
  if (!detail || typeof detail !== "object") return [];
  return Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      const key = KEYS[k] ?? k.charAt(0).toUpperCase() + k.slice(1).replace(/_/g, " ");
      const value =
        typeof v === "string" ? (k === "role" || k === "kept" ? (ROLE[v] ?? v) : v) : typeof v === "object" ? JSON.stringify(v) : String(v);
      return `${key}: ${value}`;
    });
}
