import { screen } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { ME, renderPage, stubFetch } from "../test-utils";
import { KnownProfile } from "./KnownProfile";

afterEach(() => vi.unstubAllGlobals());

const routes = (
  <Routes>
    <Route path="/profiles/:profile" element={<KnownProfile />}>
      <Route index element={<p>Ann's summary</p>} />
    </Route>
  </Routes>
);

describe("a profile address", () => {
  it("opens a profile the person can see", async () => {
    stubFetch(() => ({ status: 200, body: ME }));
    renderPage(routes, { path: "*", route: "/profiles/p1" });
    expect(await screen.findByText("Ann's summary")).toBeInTheDocument();
  });

  it("says plainly that someone else's record is not here, with a way back, never the id", async () => {
    stubFetch(() => ({ status: 200, body: ME }));
    const id = "ffffffffffffffffffffffffffffffff";
    const { container } = renderPage(routes, { path: "*", route: `/profiles/${id}` });
    expect(await screen.findByRole("heading", { name: "This person's record is not here." })).toBeInTheDocument();
    expect(screen.getByText("It may have been removed, or you may no longer have access.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Your family" })).toHaveAttribute("href", "/everyone");
    expect(container.textContent).not.toContain(id);
  });

  it("offers the one profile there is when there is only one", async () => {
    stubFetch(() => ({ status: 200, body: ME }));
    renderPage(routes, { path: "*", route: "/profiles/nope", me: { ...ME, profiles: [ME.profiles[1]!] } });
    expect(await screen.findByRole("link", { name: "Open Sam's record" })).toHaveAttribute("href", "/profiles/p2");
  });
});
