import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { DashboardEntry } from "../lib/dashboards";
import { DIABETES_ENTRY } from "../lib/dashboards.fixture";
import { renderPage, stubFetch } from "../test-utils";
import DashboardsPage from "./Dashboards";

afterEach(() => vi.unstubAllGlobals());

const ASTHMA: DashboardEntry = { ...DIABETES_ENTRY, id: "asthma", name: "Asthma", proposed: false, reason: null, shown: false };
const IMPORTED: DashboardEntry = {
  ...DIABETES_ENTRY,
  id: "fasten-01",
  name: "Lipids",
  version: "imported",
  proposed: false,
  reason: "Imported from a Fasten dashboard file",
  choice: "shown",
  imported: true,
};

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

  it("imports a Fasten dashboard file as it is, says what came in and what was left out, and lists it", async () => {
    const text = '{"title": "My labs", "widgets": [{"title": "A1c"}, {"title": "Map"}]}';
    const MINE: DashboardEntry = { ...IMPORTED, name: "My labs" };
    let dashboards = [DIABETES_ENTRY];
    const seen = stubFetch((req) => {
      if (req.method === "POST") {
        dashboards = [DIABETES_ENTRY, MINE];
        return {
          status: 201,
          body: {
            dashboard: MINE,
            report: [
              { path: "widgets[1]", reason: "A map cannot be drawn.", dropped: true },
              { path: "widgets[0].queries[0].q.where", reason: "Only this person's records are looked at.", dropped: false },
            ],
          },
        };
      }
      return { status: 200, body: { dashboards } };
    });
    const { container } = open();
    await screen.findByRole("region", { name: "Shown" });
    expect(screen.getByRole("button", { name: "Import a Fasten dashboard" })).toBeInTheDocument();
    const input = container.querySelector('input[type="file"]') as HTMLInputElement;
    expect(input).toHaveAttribute("accept", ".json,application/json");
    await userEvent.upload(input, new File([text], "labs.json", { type: "application/json" }));

    const result = await screen.findByRole("region", { name: "Imported My labs" });
    expect(within(result).getByRole("heading", { name: "Imported My labs" })).toHaveFocus();
    expect(within(result).getByRole("link", { name: "Open My labs" })).toHaveAttribute("href", "/profiles/p1/dashboards/fasten-01");
    expect(within(within(result).getByRole("list", { name: /^Left out/ })).getByRole("listitem")).toHaveTextContent(
      "widgets[1]A map cannot be drawn.",
    );
    expect(within(within(result).getByRole("list", { name: /^Changed/ })).getByRole("listitem")).toHaveTextContent("widgets[0].queries[0].q.where");

    const post = seen.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/profiles/p1/dashboards/import");
    expect(post.body).toBe(text);
    expect(post.headers.get("Content-Type")).toBe("application/json");
    // The list is asked for again and shows the new dashboard.
    const shown = screen.getByRole("region", { name: "Shown" });
    expect(await within(shown).findByRole("link", { name: "My labs" })).toBeInTheDocument();
    expect(within(shown).getByText("Imported from a Fasten dashboard file")).toBeInTheDocument();
  });

  it("says why a file was not imported", async () => {
    stubFetch((req) =>
      req.method === "POST"
        ? {
            status: 422,
            body: { type: "urn:hearth:problem:invalid-body", status: 422, detail: "not a Fasten dashboard: it has no `widgets` list" },
          }
        : { status: 200, body: { dashboards: [DIABETES_ENTRY] } },
    );
    const { container } = open();
    await screen.findByRole("region", { name: "Shown" });
    await userEvent.upload(
      container.querySelector('input[type="file"]') as HTMLInputElement,
      new File(["{}"], "x.json", { type: "application/json" }),
    );
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not imported");
    expect(alert).toHaveTextContent("This is not a Fasten Health dashboard file. It has no `widgets` list.");
    expect(screen.queryByRole("region", { name: /^Imported/ })).not.toBeInTheDocument();
  });

  it("removes an imported dashboard only after asking", async () => {
    let dashboards = [DIABETES_ENTRY, IMPORTED];
    const seen = stubFetch((req) => {
      if (req.method === "DELETE") {
        dashboards = [DIABETES_ENTRY];
        return { status: 204 };
      }
      return { status: 200, body: { dashboards } };
    });
    open();
    const shown = await screen.findByRole("region", { name: "Shown" });
    // A plugin's dashboard can be hidden, not removed.
    expect(within(shown).queryByRole("button", { name: "Remove Diabetes" })).not.toBeInTheDocument();
    // An imported one is shown until hidden: there is no proposal to reset it to.
    expect(within(shown).queryByRole("button", { name: "Reset" })).not.toBeInTheDocument();
    await userEvent.click(within(shown).getByRole("button", { name: "Remove Lipids" }));
    const ask = screen.getByRole("group", { name: /Really remove Lipids\?/ });
    expect(within(ask).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await userEvent.click(within(ask).getByRole("button", { name: "Cancel" }));
    expect(seen.some((r) => r.method === "DELETE")).toBe(false);
    expect(within(shown).getByRole("button", { name: "Remove Lipids" })).toHaveFocus();

    await userEvent.click(within(shown).getByRole("button", { name: "Remove Lipids" }));
    await userEvent.click(within(screen.getByRole("group", { name: /Really remove Lipids\?/ })).getByRole("button", { name: "Remove" }));
    expect(seen.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/api/profiles/p1/dashboards/fasten-01"]);
    await waitFor(() => expect(within(shown).queryByRole("link", { name: "Lipids" })).not.toBeInTheDocument());
  });

  it("shows a viewer the dashboards without buttons", async () => {
    serve([DIABETES_ENTRY, ASTHMA, IMPORTED]);
    open("p2");
    expect(await screen.findByRole("link", { name: "Diabetes" })).toBeInTheDocument();
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Import a dashboard" })).not.toBeInTheDocument();
  });
});
