import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Removal } from "../api/types";
import { renderPage, stubFetch } from "../test-utils";
import FamilyPage from "./Family";

afterEach(() => vi.unstubAllGlobals());

const person = (over: Partial<Removal>): Removal => ({
  id: "r9",
  profile_id: "p9",
  kind: "deleted-person",
  target: "p9",
  label: "Lee",
  records: 312,
  removed_by: "Ann",
  removed_at: "2026-12-05T10:00:00Z",
  purge_after: "2027-01-04T10:00:00Z",
  ...over,
});

/** A host whose deleted people are `deleted`; deleting Ann (p1) adds her to them. */
function host(deleted: Removal[]) {
  return stubFetch((s) => {
    if (s.method === "GET" && s.path === "/api/removals") return { status: 200, body: { removals: deleted } };
    if (s.path.endsWith("/grants")) return { status: 200, body: { grants: [] } };
    if (s.path.endsWith("/invitations")) return { status: 200, body: { invitations: [] } };
    if (s.method === "DELETE" && s.path === "/api/profiles/p1") {
      const gone = person({ id: "r1", profile_id: "p1", target: "p1", label: "Ann" });
      deleted.unshift(gone);
      return { status: 200, body: gone };
    }
    const undo = /^\/api\/removals\/(\w+)\/undo$/.exec(s.path);
    if (s.method === "POST" && undo) {
      const back = deleted.find((r) => r.id === undo[1])!;
      deleted.splice(deleted.indexOf(back), 1);
      return { status: 200, body: back };
    }
    return { status: 404 };
  });
}

describe("deleting a person", () => {
  it("says they can be brought back, then offers Undo", async () => {
    const seen = host([]);
    renderPage(<FamilyPage />, { path: "/family", route: "/family" });
    const ann = await screen.findByRole("region", { name: "Ann" });
    await userEvent.click(within(ann).getByRole("button", { name: "Edit" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit Ann" });
    const deleting = within(dialog).getByRole("region", { name: "Delete Ann" });
    expect(deleting).toHaveTextContent(/Hearth keeps them for 30 days: until then you can bring them back, as they were/);
    expect(deleting).not.toHaveTextContent(/cannot be undone/);
    await userEvent.type(within(deleting).getByLabelText("Type “Ann” to confirm"), "Ann");
    await userEvent.click(within(deleting).getByRole("button", { name: "Delete Ann" }));
    const notice = (await screen.findByText("Ann and their records are deleted. You can bring them back until 4 Jan 2027.")).closest(
      ".mantine-Notification-root",
    ) as HTMLElement;
    // Listed under "Recently deleted" too.
    await screen.findByRole("region", { name: "Recently deleted" });
    await userEvent.click(within(notice).getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("Ann is back, with everyone's access as it was.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method !== "GET").map((s) => `${s.method} ${s.path}`)).toEqual([
      "DELETE /api/profiles/p1",
      "POST /api/removals/r1/undo",
    ]);
    await waitFor(() => expect(screen.queryByRole("region", { name: "Recently deleted" })).toBeNull());
  });
});

describe("recently deleted people", () => {
  it("are listed with their records and until when, and brought back", async () => {
    const seen = host([person({})]);
    renderPage(<FamilyPage />, { path: "/family", route: "/family" });
    const section = await screen.findByRole("region", { name: "Recently deleted" });
    const row = within(section).getByRole("listitem");
    expect(row).toHaveTextContent(/^Lee312 records · Deleted by Ann on 5 Dec 2026, \d\d:\d\d · Deleted for good on 4 Jan 2027/);
    await userEvent.click(within(row).getByRole("button", { name: "Bring back Lee" }));
    expect(await screen.findByText("Lee is back, with everyone's access as it was.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual(["/api/removals/r9/undo"]);
    await waitFor(() => expect(screen.queryByRole("region", { name: "Recently deleted" })).toBeNull());
  });

  it("are not mentioned when there are none", async () => {
    host([]);
    renderPage(<FamilyPage />, { path: "/family", route: "/family" });
    await screen.findByRole("region", { name: "Ann" });
    await screen.findAllByText("Only you.");
    expect(screen.queryByText("Recently deleted")).toBeNull();
  });
});
