import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { ME, stubFetch } from "../test-utils";
import { theme } from "../theme";
import { SetupPage } from "./Setup";

afterEach(() => vi.unstubAllGlobals());

describe("the first-run wizard", () => {
  it("offers the account's name for the first person, and saves their birth date on the new profile", async () => {
    const me = { ...ME, profiles: [{ ...ME.profiles[0]!, name: "Ann Example" }] };
    const seen = stubFetch((req) => {
      if (req.path === "/api/setup") return { status: 201, body: { user: ME.user, session_id: "s1" } };
      if (req.path === "/api/me") return { status: 200, body: me };
      if (req.path === "/api/profiles/p1") return { status: 200, body: { ...me.profiles[0], birth_date: "1980-02-03" } };
      return { status: 404 };
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <MantineProvider theme={theme}>
        <QueryClientProvider client={client}>
          <MemoryRouter initialEntries={["/setup"]}>
            <SetupPage />
          </MemoryRouter>
        </QueryClientProvider>
      </MantineProvider>,
    );
    await userEvent.type(screen.getByLabelText("Your name"), "Ann Example");
    await userEvent.type(screen.getByLabelText(/^Username/), "ann");
    await userEvent.type(screen.getByLabelText(/^Password \*?$/), "correct horse battery staple");
    await userEvent.type(screen.getByLabelText(/^Password again/), "correct horse battery staple");
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByLabelText(/^Their name/)).toHaveValue("Ann Example");
    await userEvent.type(screen.getByLabelText(/^Their birth date/), "1980-02-03");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await vi.waitFor(() => expect(seen.some((s) => s.method === "PATCH")).toBe(true));
    const setup = seen.find((s) => s.path === "/api/setup")!;
    expect(JSON.parse(setup.body)).toEqual({
      username: "ann",
      password: "correct horse battery staple",
      display_name: "Ann Example",
      profile_name: "Ann Example",
      use_cookies: true,
    });
    const patch = seen.find((s) => s.method === "PATCH")!;
    expect(patch.path).toBe("/api/profiles/p1");
    expect(JSON.parse(patch.body)).toEqual({ birth_date: "1980-02-03" });
  });
});
