import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { CardPlace, Drawn } from "../lib/dashboards";
import { DIABETES_BOARD, DIABETES_ENTRY } from "../lib/dashboards.fixture";
import { renderPage, stubFetch } from "../test-utils";
import DashboardPage from "./Dashboard";

vi.mock("../components/DashboardChart", () => ({
  DashboardChart: ({ summary }: { summary: string }) => <div role="img" aria-label={summary} />,
}));

afterEach(() => vi.unstubAllGlobals());

const SMALL = { title: "Diabetes", cards: DIABETES_BOARD.cards.filter((c) => ["a1c-latest", "a1c-trend", "vaccines"].includes(c.key)) };

/** A host that keeps the saved layout, as the real one does. */
function serve(layout: CardPlace[] = []) {
  let saved = layout;
  const seen = stubFetch((req) => {
    if (req.method === "PUT") {
      saved = (JSON.parse(req.body) as { cards: CardPlace[] }).cards;
      return { status: 200, body: { cards: saved } };
    }
    const drawn: Drawn = { dashboard: DIABETES_ENTRY, board: SMALL, layout: saved, notes: [] };
    return { status: 200, body: drawn };
  });
  return seen;
}

const open = (profile = "p1") =>
  renderPage(<DashboardPage />, { path: "/profiles/:profile/dashboards/:dashboard", route: `/profiles/${profile}/dashboards/diabetes` });

describe("a dashboard's page", () => {
  it("shows whose record it is and its cards in grid order", async () => {
    serve();
    open();
    expect(await screen.findByRole("heading", { level: 1, name: "Diabetes" })).toBeInTheDocument();
    expect(screen.getByText("From Ann's record · Diabetes mellitus type 2 is on record")).toBeInTheDocument();
    expect(screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual(["Latest HbA1c", "HbA1c", "Vaccines"]);
  });

  it("arranges by keyboard and saves the layout the grid shows after a reload", async () => {
    const seen = serve();
    const first = open();
    await userEvent.click(await screen.findByRole("button", { name: "Arrange" }));
    // Vaccines sit under the stat; moving them up swaps the two.
    await userEvent.click(screen.getByRole("button", { name: "Move up: Vaccines" }));
    expect(screen.getByRole("status")).toHaveTextContent("Vaccines moved up.");
    await userEvent.click(screen.getByRole("button", { name: "Hide: HbA1c" }));
    expect(within(screen.getByRole("region", { name: "Hidden cards" })).getByText("HbA1c")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save layout" }));
    const put = seen.find((r) => r.method === "PUT")!;
    expect(put.path).toBe("/api/profiles/p1/dashboards/diabetes/layout");
    const body = JSON.parse(put.body) as { cards: CardPlace[] };
    expect(body.cards).toEqual([
      { key: "vaccines", x: 0, y: 0, w: 6, h: 3 },
      { key: "a1c-latest", x: 0, y: 3, w: 4, h: 2 },
      { key: "a1c-trend", x: 4, y: 3, w: 8, h: 4, hidden: true },
    ]);
    expect(await screen.findByRole("button", { name: "Arrange" })).toBeInTheDocument();
    first.unmount();

    // A reload draws the saved arrangement.
    open();
    await screen.findByRole("heading", { level: 1, name: "Diabetes" });
    expect(screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual(["Vaccines", "Latest HbA1c"]);
  });

  it("cancels arranging without saving, and shows a hidden card again", async () => {
    const seen = serve([{ key: "vaccines", x: 0, y: 0, w: 6, h: 3, hidden: true }]);
    open();
    await userEvent.click(await screen.findByRole("button", { name: "Arrange" }));
    await userEvent.click(screen.getByRole("button", { name: "Show Vaccines" }));
    expect(screen.getByRole("button", { name: "Hide: Vaccines" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(seen.some((r) => r.method === "PUT")).toBe(false);
    expect(screen.queryByRole("heading", { name: "Vaccines" })).not.toBeInTheDocument();
  });

  it("folds away what an imported file could not show, and says nothing of it for a plugin's dashboard", async () => {
    const notes = [
      { path: "widgets[3]", reason: "A map cannot be drawn.", dropped: true },
      { path: "widgets[0].queries[0].q.where.subject", reason: "Only this person's records are looked at.", dropped: false },
    ];
    stubFetch(() => ({
      status: 200,
      body: {
        dashboard: { ...DIABETES_ENTRY, id: "fasten-01", name: "My labs", imported: true, reason: "Imported from a Fasten dashboard file" },
        board: SMALL,
        layout: [],
        notes,
      } satisfies Drawn,
    }));
    const first = open();
    await screen.findByRole("heading", { level: 1, name: "My labs" });
    const summary = screen.getByText("What the imported file could not show (2)");
    const details = summary.closest("details")!;
    expect(details).not.toHaveAttribute("open");
    await userEvent.click(summary);
    expect(details).toHaveAttribute("open");
    expect(within(within(details).getByRole("list", { name: /^Left out/ })).getByText("widgets[3]")).toBeInTheDocument();
    expect(within(details).getByRole("list", { name: /^Changed/ })).toHaveTextContent("Only this person's records are looked at.");
    first.unmount();
    vi.unstubAllGlobals();

    serve();
    open();
    await screen.findByRole("heading", { level: 1, name: "Diabetes" });
    expect(screen.queryByText(/could not show/)).not.toBeInTheDocument();
  });

  it("offers no arranging to a viewer", async () => {
    serve();
    open("p2");
    await screen.findByRole("heading", { level: 1, name: "Diabetes" });
    expect(screen.queryByRole("button", { name: "Arrange" })).not.toBeInTheDocument();
  });

  it("says in the plugin's words when a dashboard cannot be drawn", async () => {
    stubFetch(() => ({
      status: 502,
      body: { type: "urn:hearth:problem:dashboard-failed", status: 502, detail: "the diabetes plugin ran out of time" },
    }));
    open();
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This dashboard could not be drawn");
    expect(alert).toHaveTextContent("the diabetes plugin ran out of time");
  });
});
