import { screen, within } from "@testing-library/react";
import type { Drawn } from "../lib/dashboards";
import { DIABETES_BOARD, DIABETES_ENTRY } from "../lib/dashboards.fixture";
import { renderPage, stubFetch } from "../test-utils";
import { DashboardSummaries } from "./DashboardSummaries";

afterEach(() => vi.unstubAllGlobals());

const KIDNEY = { ...DIABETES_ENTRY, id: "kidney", name: "Kidney disease", reason: "Chronic kidney disease is on record" };
const HIDDEN = { ...DIABETES_ENTRY, id: "asthma", name: "Asthma", shown: false, choice: "hidden" as const };

const show = () => renderPage(<DashboardSummaries profile="p1" />, { path: "/profiles/:profile", route: "/profiles/p1" });

describe("dashboards on the health summary", () => {
  it("shows each shown dashboard's latest values, and a failing one in one line", async () => {
    const seen = stubFetch((req) => {
      if (req.path === "/api/profiles/p1/dashboards") return { status: 200, body: { dashboards: [DIABETES_ENTRY, KIDNEY, HIDDEN] } };
      if (req.path === "/api/profiles/p1/dashboards/kidney")
        return { status: 502, body: { type: "urn:hearth:problem:dashboard-failed", status: 502, detail: "plugin stopped" } };
      const drawn: Drawn = {
        dashboard: DIABETES_ENTRY,
        board: DIABETES_BOARD,
        layout: [{ key: "bp-latest", x: 0, y: 0, w: 4, h: 2, hidden: true }],
        notes: [],
      };
      return { status: 200, body: drawn };
    });
    show();
    const diabetes = await screen.findByRole("region", { name: "Diabetes" });
    expect(await within(diabetes).findByRole("link", { name: "7.0%" })).toBeInTheDocument();
    expect(
      within(diabetes)
        .getAllByRole("heading", { level: 3 })
        .map((h) => h.textContent),
    ).toEqual(["Latest HbA1c", "Latest LDL cholesterol", "Latest urine albumin/creatinine", "Latest eGFR"]);
    expect(within(diabetes).getByText("Overdue")).toBeInTheDocument();
    expect(within(diabetes).getByRole("link", { name: "Open Diabetes dashboard" })).toHaveAttribute("href", "/profiles/p1/dashboards/diabetes");
    const kidney = screen.getByRole("region", { name: "Kidney disease" });
    expect(await within(kidney).findByText("Kidney disease could not be drawn: plugin stopped")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Asthma" })).not.toBeInTheDocument();
    expect(seen.map((r) => r.path)).not.toContain("/api/profiles/p1/dashboards/asthma");
  });
});
