import { screen, within } from "@testing-library/react";
import { renderPage } from "../test-utils";
import { ImportReport } from "./ImportReport";

const show = (notes: Parameters<typeof ImportReport>[0]["notes"]) =>
  renderPage(<ImportReport notes={notes} />, { path: "/profiles/:profile/dashboards", route: "/profiles/p1/dashboards" });

describe("what an imported dashboard file lost", () => {
  it("lists the parts left out apart from the parts changed, each by its place in the file", () => {
    show([
      { path: "widgets[0].queries[0].q.where.subject", reason: "Only this person's records are looked at.", dropped: false },
      { path: "widgets[1]", reason: "A map cannot be drawn.", dropped: true },
      { path: "widgets[2].queries[1]", reason: "Claims are not kept in Hearth.", dropped: true },
    ]);
    const leftOut = screen.getByRole("list", { name: "Left out (2)" });
    const leftItems = within(leftOut).getAllByRole("listitem");
    expect(leftItems.map((li) => li.querySelector("code")?.textContent)).toEqual(["widgets[1]", "widgets[2].queries[1]"]);
    expect(leftItems[0]).toHaveTextContent("A map cannot be drawn.");
    expect(leftItems[1]).toHaveTextContent("Claims are not kept in Hearth.");

    const changed = within(screen.getByRole("list", { name: "Changed (1)" })).getAllByRole("listitem");
    expect(changed).toHaveLength(1);
    expect(within(changed[0]!).getByText("widgets[0].queries[0].q.where.subject").tagName).toBe("CODE");
    expect(changed[0]).toHaveTextContent("Only this person's records are looked at.");

    // Left out first: what is missing matters more than what changed.
    const lists = screen.getAllByRole("list");
    expect(lists).toEqual([leftOut, changed[0]!.closest("ul")]);
  });

  it("shows only the groups that have something, and nothing for an empty report", () => {
    const { unmount } = show([{ path: "widgets[0].title", reason: "Shortened.", dropped: false }]);
    expect(screen.queryByRole("list", { name: /Left out/ })).not.toBeInTheDocument();
    expect(screen.getByRole("list", { name: "Changed (1)" })).toBeInTheDocument();
    unmount();
    show([]);
    expect(screen.queryByRole("list")).not.toBeInTheDocument();
    expect(screen.queryByText(/Left out|Changed/)).not.toBeInTheDocument();
  });
});
