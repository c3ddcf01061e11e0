import { screen, within } from "@testing-library/react";
import { ME, renderPage } from "../test-utils";
import { EVERYONE, Shell, switcherFor } from "./Shell";

describe("the app's frame", () => {
  it("shows Everyone in the switcher off a person's pages, never 'Choose a person'", () => {
    renderPage(<Shell>page</Shell>, { path: "/settings", route: "/settings" });
    const switcher = screen.getByLabelText("Whose records") as HTMLSelectElement;
    expect(switcher.value).toBe(EVERYONE);
    expect([...switcher.options].map((o) => o.text)).toEqual(["Everyone", "Ann", "Sam (viewer)"]);
    expect(screen.queryByText("Choose a person")).toBeNull();
  });

  it("has one name heading in the navigation, even when the account and the person share a name", () => {
    renderPage(<Shell>page</Shell>, { path: "/profiles/:profile", route: "/profiles/p1" });
    const nav = screen.getByRole("navigation", { name: "Main" });
    // The account is "Ann" and so is her profile: the name heads the navigation once.
    expect(within(nav).getAllByText("Ann")).toHaveLength(1);
    expect(within(nav).getByRole("link", { name: "Health summary" })).toHaveAttribute("aria-current", "page");
  });

  it("keeps one person's pages in the navigation everywhere when there is one person", () => {
    renderPage(<Shell>page</Shell>, { path: "/settings", route: "/settings", me: { ...ME, profiles: [ME.profiles[0]!] } });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Timeline" })).toHaveAttribute("href", "/profiles/p1/timeline");
    expect((screen.getByLabelText("Whose records") as HTMLSelectElement).value).toBe("p1");
  });
});

describe("switcherFor", () => {
  it("picks the person on their pages, Everyone elsewhere, the only one when there is one", () => {
    expect(switcherFor(ME.profiles, "p2")?.value).toBe("p2");
    expect(switcherFor(ME.profiles, undefined)?.value).toBe(EVERYONE);
    expect(switcherFor([ME.profiles[1]!], undefined)).toEqual({ value: "p2", options: [{ value: "p2", label: "Sam (viewer)" }] });
    expect(switcherFor([], undefined)).toBeNull();
  });
});
