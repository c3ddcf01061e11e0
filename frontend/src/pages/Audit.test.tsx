import { screen, within } from "@testing-library/react";
import { ME, renderPage, stubFetch } from "../test-utils";
import AuditPage from "./Audit";

afterEach(() => vi.unstubAllGlobals());

const ENTRIES = [
  {
    id: 3,
    at: "2026-03-01T10:00:00Z",
    event: "grant-added",
    actor_id: "u1",
    subject: "u2",
    profile_id: "p2",
    address: "192.0.2.1",
    detail: { role: "viewer" },
  },
  {
    id: 2,
    at: "2026-03-01T09:00:00Z",
    event: "sign-in",
    actor_id: "0badc0de0badc0de0badc0de",
    subject: "0badc0de0badc0de0badc0de",
    profile_id: null,
    address: "192.0.2.2",
    detail: { session: "5e55105e55105e55105e5510" },
  },
  {
    id: 1,
    at: "2026-03-01T08:00:00Z",
    event: "sign-in-failed",
    actor_id: null,
    subject: null,
    profile_id: null,
    address: "192.0.2.3",
    detail: { username: "bob", failed: "password", user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" },
  },
];
const USERS = [
  { ...ME.user },
  {
    id: "u2",
    username: "bob",
    display_name: "Bob Example",
    role: "member",
    disabled: false,
    totp_enabled: false,
    created_at: "2026-01-01T00:00:00Z",
  },
];

describe("the audit log", () => {
  it("names people, says what happened in words and shows the particulars as lines", async () => {
    const seen = stubFetch((req) =>
      req.path.startsWith("/api/audit")
        ? { status: 200, body: { entries: ENTRIES } }
        : req.path === "/api/users"
          ? { status: 200, body: { users: USERS } }
          : { status: 404 },
    );
    renderPage(<AuditPage />, { path: "/admin/audit", route: "/admin/audit" });
    const shared = await screen.findByRole("cell", { name: "Shared Sam's record with Bob Example (can look)" });
    const row = shared.closest("tr")!;
    expect(within(row).getByRole("cell", { name: "Ann" })).toBeInTheDocument();
    expect(within(row).getByText("Role: can look")).toBeInTheDocument();
    // An account that is gone is not a hex id.
    expect(screen.getByRole("cell", { name: "A removed account" })).toBeInTheDocument();
    expect(screen.queryByText(/0badc0de/)).toBeNull();
    expect(screen.getByRole("cell", { name: "Tried to sign in as “bob”: wrong username or password" })).toBeInTheDocument();
    // Long particulars fold away.
    const details = screen.getByText("3 details").closest("details")!;
    expect(details.open).toBe(false);
    expect(details).toHaveTextContent("User agent: Mozilla/5.0");
    expect(seen.map((s) => s.path)).toContain("/api/users");
  });
});
