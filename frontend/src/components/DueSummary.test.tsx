import { screen, within } from "@testing-library/react";
import { ASSESSED, PNEUMO, recommendationItem, RSV } from "../lib/recommendations.fixture";
import { renderPage, stubFetch } from "../test-utils";
import { DueSummary } from "./DueSummary";

afterEach(() => vi.unstubAllGlobals());

const show = () => renderPage(<DueSummary profile="p1" />, { path: "/profiles/:profile", route: "/profiles/p1" });

describe("what is due, on the health summary", () => {
  it("counts what is overdue and due, lists the first few with their dates, and links to the page", async () => {
    const seen = stubFetch(() => ({
      status: 200,
      body: {
        ...ASSESSED,
        groups: [ASSESSED.groups[0]!, { status: "due", items: [recommendationItem(PNEUMO), recommendationItem(RSV)] }, ...ASSESSED.groups.slice(2)],
      },
    }));
    show();
    const card = await screen.findByRole("region", { name: "What is due" });
    expect(await within(card).findByText("1 overdue and 2 due now.")).toBeInTheDocument();
    const items = within(within(card).getByRole("list", { name: "Most pressing" })).getAllByRole("listitem");
    expect(items.map((i) => i.textContent)).toEqual([
      "HepB vaccine, dose 2Overdue since 6 Jan 2026",
      "Pneumococcal vaccine, dose 2Due since 6 Jan 2026",
      "RSV vaccine, dose 1Due since 12 Jun 2025",
    ]);
    expect(within(card).getByText("1 coming up later.")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "See all recommendations" })).toHaveAttribute("href", "/profiles/p1/recommendations");
    expect(seen.map((r) => r.path)).toEqual(["/api/profiles/p1/recommendations"]);
  });

  it("says when nothing is due", async () => {
    stubFetch(() => ({ status: 200, body: { ...ASSESSED, groups: ASSESSED.groups.slice(3) } }));
    show();
    expect(await screen.findByText("Nothing is due now.")).toBeInTheDocument();
    expect(screen.queryByRole("list", { name: "Most pressing" })).not.toBeInTheDocument();
  });

  it("says in one line when it could not be worked out, and still links to the page", async () => {
    stubFetch(() => ({ status: 500, body: { type: "urn:hearth:problem:internal", status: 500, detail: "boom" } }));
    show();
    const card = await screen.findByRole("region", { name: "What is due" });
    expect(await within(card).findByText(/^What is due could not be worked out:/)).toBeInTheDocument();
    expect(within(card).queryByRole("alert")).not.toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "See all recommendations" })).toBeInTheDocument();
  });

  it("says a birth date is needed when there are no recommendations", async () => {
    stubFetch(() => ({ status: 200, body: { as_of: "2026-02-01", groups: [], doses: [], failures: [] } }));
    show();
    expect(await screen.findByText("Recommendations need a birth date on record.")).toBeInTheDocument();
  });
});
