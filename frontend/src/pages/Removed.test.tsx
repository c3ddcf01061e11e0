import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Removal } from "../api/types";
import { renderPage, stubFetch } from "../test-utils";
import RemovedPage from "./Removed";
import SourcesPage from "./Sources";

afterEach(() => vi.unstubAllGlobals());

const PATH = "/profiles/:profile/removed";
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
const LIST = [
  removal({}),
  removal({ id: "r2", kind: "deleted-record", target: "Observation/w1", label: "Body weight", purge_after: "2027-01-04T10:00:00Z" }),
  removal({ id: "r3", kind: "removed-source", target: "s9", label: "export", records: 1204, removed_by: null, purge_after: "2027-01-04T10:00:00Z" }),
];

/** A host with `list` to undo; undoing `refuse` is refused with 409 cannot-undo. */
function host(list: Removal[], profile = "p1", refuse?: string) {
  return stubFetch((s) => {
    if (s.method === "GET" && s.path === `/api/profiles/${profile}/removals`) return { status: 200, body: { removals: list } };
    const undo = /^\/api\/profiles\/\w+\/removals\/(\w+)\/undo$/.exec(s.path);
    if (s.method === "POST" && undo) {
      if (undo[1] === refuse)
        return {
          status: 409,
          body: {
            type: "urn:hearth:problem:cannot-undo",
            status: 409,
            detail: "records were typed in since these were removed; remove those first to bring these back",
          },
        };
      const back = list.find((r) => r.id === undo[1])!;
      list.splice(list.indexOf(back), 1);
      return { status: 200, body: back };
    }
    if (s.path === `/api/profiles/${profile}/sources`) return { status: 200, body: { sources: [] } };
    if (s.path.startsWith(`/api/profiles/${profile}/jobs`)) return { status: 200, body: { jobs: [] } };
    return { status: 404 };
  });
}

describe("hidden and removed", () => {
  it("lists each removal in words, with who, when and until when, and puts one back", async () => {
    const seen = host([...LIST]);
    renderPage(<RemovedPage />, { path: PATH, route: "/profiles/p1/removed" });
    expect(await screen.findByRole("heading", { level: 1, name: "Hidden and removed" })).toBeInTheDocument();
    const items = await screen.findAllByRole("listitem");
    const [hidden, deleted, source] = items as [HTMLElement, HTMLElement, HTMLElement];
    expect(items).toHaveLength(3);
    expect(hidden).toHaveTextContent(/^Hay fever\s*Hidden record · /);
    expect(hidden).toHaveTextContent(/Hidden by Ann on 5 Dec 2026, \d\d:\d\d · Kept until someone shows it again/);
    expect(within(hidden).getByRole("button", { name: "Show again" })).toHaveAccessibleDescription("Hay fever");
    expect(deleted).toHaveTextContent(/^Body weight\s*Deleted typed-in record · /);
    expect(deleted).toHaveTextContent(/Deleted by Ann on 5 Dec 2026, \d\d:\d\d · Deleted for good on 4 Jan 2027/);
    expect(source).toHaveTextContent("Removed source · 1,204 records");
    // The account that removed it is gone: no "by".
    expect(source).toHaveTextContent(/Removed on 5 Dec 2026, \d\d:\d\d · Deleted for good on 4 Jan 2027/);
    await userEvent.click(within(source).getByRole("button", { name: "Put back" }));
    expect(await screen.findByText("“export” is back, with its 1,204 records.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual(["/api/profiles/p1/removals/r3/undo"]);
    // The list is asked for again, without it.
    await screen.findByText("Hay fever");
    expect(await screen.findAllByRole("listitem")).toHaveLength(2);
  });

  it("says why something cannot be put back", async () => {
    host([removal({ id: "r3", kind: "removed-source", label: "Typed in by hand", purge_after: "2027-01-04T10:00:00Z" })], "p1", "r3");
    renderPage(<RemovedPage />, { path: PATH, route: "/profiles/p1/removed" });
    await userEvent.click(await screen.findByRole("button", { name: "Put back" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not put back");
    expect(alert).toHaveTextContent(
      "This cannot be put back as things are now. Records were typed in since these were removed; remove those first to bring these back.",
    );
  });

  it("shows a viewer the list without buttons", async () => {
    host([...LIST], "p2");
    renderPage(<RemovedPage />, { path: PATH, route: "/profiles/p2/removed" });
    expect(await screen.findAllByRole("listitem")).toHaveLength(3);
    expect(screen.getByText(/Someone who can change Sam's records can put them back\./)).toBeInTheDocument();
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("says in plain words when nothing was taken out", async () => {
    host([]);
    renderPage(<RemovedPage />, { path: PATH, route: "/profiles/p1/removed" });
    expect(await screen.findByRole("heading", { name: "Nothing hidden or removed" })).toBeInTheDocument();
    expect(screen.getByText(/it is listed here for a while and can be put back/)).toBeInTheDocument();
  });
});

describe("the sources page after a source is removed", () => {
  it("says until when it can be put back, and puts it back", async () => {
    const seen = host([...LIST]);
    renderPage(<SourcesPage />, { path: "/profiles/:profile/sources", route: "/profiles/p1/sources?removed=r3" });
    const alert = (await screen.findByText("Removed “export”")).closest(".mantine-Alert-root") as HTMLElement;
    expect(alert).toHaveTextContent("1,204 records went with it. You can bring them back until 4 Jan 2027.");
    expect(screen.getByRole("link", { name: "Hidden and removed" })).toHaveAttribute("href", "/profiles/p1/removed");
    await userEvent.click(within(alert).getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("“export” is back, with its 1,204 records.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual(["/api/profiles/p1/removals/r3/undo"]);
    expect(screen.queryByText("Removed “export”")).toBeNull();
  });

  it("offers a viewer no Undo", async () => {
    host([...LIST], "p2");
    renderPage(<SourcesPage />, { path: "/profiles/:profile/sources", route: "/profiles/p2/sources?removed=r3" });
    const alert = (await screen.findByText("Removed “export”")).closest(".mantine-Alert-root") as HTMLElement;
    expect(within(alert).queryByRole("button")).toBeNull();
  });
});
