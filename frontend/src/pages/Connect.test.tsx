import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ME, renderPage, stubFetch } from "../test-utils";
import ConnectPage from "./Connect";

afterEach(() => vi.unstubAllGlobals());

const SANDBOX = { id: "b1", name: "Hearth Sandbox", aliases: [], locations: [], portals: [] };

function stub(brandsAfterReload = 1) {
  let brands = 1;
  return stubFetch((req) => {
    if (req.path === "/api/admin/catalog/reload") {
      brands = brandsAfterReload;
      return { status: 200, body: { plugins: 2, plugin_failures: 0, brands, endpoints: brands } };
    }
    if (req.path.startsWith("/api/catalog?q=&")) return { status: 200, body: { results: [SANDBOX], total: brands } };
    if (req.path.startsWith("/api/catalog")) return { status: 200, body: { results: [], total: 0 } };
    return { status: 404 };
  });
}

describe("searching the provider catalog", () => {
  it("says what was searched, and that the administrator can load the full list when only the sandbox is there", async () => {
    const seen = stub(1);
    renderPage(<ConnectPage />, { path: "/profiles/:profile/sources/connect", route: "/profiles/p1/sources/connect" });
    await userEvent.type(screen.getByLabelText(/Search for your provider/), "Mayo Clinic");
    expect(await screen.findByRole("heading", { name: "No provider found for “Mayo Clinic”" })).toBeInTheDocument();
    const small = await screen.findByTestId("catalog-small");
    expect(small).toHaveTextContent("it has only “Hearth Sandbox”");
    expect(small).toHaveTextContent("run “hearth catalog import” on the server, then reload the list here");
    await userEvent.click(screen.getByRole("button", { name: "Reload the provider list" }));
    expect(await screen.findByRole("status")).toHaveTextContent("The list now has 1 provider: still only a few.");
    expect(seen.filter((s) => s.path === "/api/admin/catalog/reload").map((s) => s.method)).toEqual(["POST"]);
  });

  it("tells someone who is not the administrator whom to ask", async () => {
    stub();
    renderPage(<ConnectPage />, {
      path: "/profiles/:profile/sources/connect",
      route: "/profiles/p1/sources/connect",
      me: { ...ME, user: { ...ME.user, role: "member" } },
    });
    await userEvent.type(screen.getByLabelText(/Search for your provider/), "Mayo");
    expect(await screen.findByTestId("catalog-small")).toHaveTextContent("Ask the person who looks after this Hearth to load the full list.");
    expect(screen.queryByRole("button", { name: "Reload the provider list" })).toBeNull();
  });
});
