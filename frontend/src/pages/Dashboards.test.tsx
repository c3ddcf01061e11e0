import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { DashboardEntry } from "../lib/dashboards";
import { DIABETES_ENTRY } from "../lib/dashboards.fixture";
import { renderPage, stubFetch } from "../test-utils";
import DashboardsPage from "./Dashboards";

afterEach(() => vi.unstubAllGlobals());

const ASTHMA: DashboardEntry = { ...DIABETES_ENTRY, id: "asthma", name: "Asthma", proposed: false, reason: null, shown: false };

function serve(dashboards: DashboardEntry[]) {
  return stubFetch((req) => {
    if (req.method === "PUT") {
      const { choice } = JSON.parse(req.body) as { choice: string };
      const d = dashboards.find((x) => req.path.endsWith(`/${x.id}`))!;
      return { status: 200, body: { ...d, choice, shown: choice === "shown" || (choice === "auto" && d.proposed) } };
    }
    return { status: 200, body: { dashboards } };
  });
}

const open = (profile = "p1") => renderPage(<DashboardsPage />, { path: "/profiles/:profile/dashboards", route: `/profiles/${profile}/dashboards` });

describe("the dashboards page", () => {
  it("lists shown dashboards with why, and adds another", async () => {
    const seen = serve([DIABETES_ENTRY, ASTHMA]);
    open();
    const shown = await screen.findByRole("region", { name: "Shown" });
    expect(within(shown).getByRole("link", { name: "Diabetes" })).toHaveAttribute("href", "/profiles/p1/dashboards/diabetes");
    expect(shown).toHaveTextContent("Diabetes mellitus type 2 is on record");
    const others = screen.getByRole("region", { name: "Other dashboards" });
    await userEvent.click(within(others).getByRole("button", { name: "Add" }));
    const put = seen.find((r) => r.method === "PUT")!;
    expect(put.path).toBe("/api/profiles/p1/dashboards/asthma");
    expect(JSON.parse(put.body)).toEqual({ choice: "shown" });
    expect(put.headers.get("Content-Type")).toMatch(/application\/json/);
  });

  it("hides a shown dashboard, and offers to reset a choice made by hand", async () => {
    const seen = serve([DIABETES_ENTRY, { ...ASTHMA, choice: "shown", shown: true }]);
    open();
    const shown = await screen.findByRole("region", { name: "Shown" });
    const rows = within(shown).getAllByRole("listitem");
    expect(within(rows[0]!).queryByRole("button", { name: "Reset" })).not.toBeInTheDocument();
    await userEvent.click(within(rows[0]!).getByRole("button", { name: "Hide" }));
    expect(seen.filter((r) => r.method === "PUT").map((r) => [r.path, r.body])).toEqual([
      ["/api/profiles/p1/dashboards/diabetes", '{"choice":"hidden"}'],
    ]);
    expect(rows[1]).toHaveTextContent("Added by hand");
    await userEvent.click(within(rows[1]!).getByRole("button", { name: "Reset" }));
    expect(seen.filter((r) => r.method === "PUT").at(-1)!.body).toBe('{"choice":"auto"}');
  });

  it("shows a viewer the dashboards without buttons", async () => {
    serve([DIABETES_ENTRY, ASTHMA]);
    open("p2");
    expect(await screen.findByRole("link", { name: "Diabetes" })).toBeInTheDocument();
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });
});
