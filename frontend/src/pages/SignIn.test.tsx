import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { stubFetch } from "../test-utils";
import { theme } from "../theme";
import { SignInPage } from "./SignIn";

afterEach(() => vi.unstubAllGlobals());

function renderSignIn() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider theme={theme}>
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={["/sign-in"]}>
          <SignInPage signupAllowed={false} />
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return client;
}

describe("signing in", () => {
  it("asks for the authenticator code when the account has two-step sign-in, then sends it", async () => {
    const seen = stubFetch((req) => {
      const body = req.body ? JSON.parse(req.body) : {};
      if (req.path === "/api/auth/sign-in" && !body.totp_code) {
        return { status: 401, body: { type: "urn:hearth:problem:totp-required", status: 401, detail: "enter the code from your authenticator app" } };
      }
      if (req.path === "/api/auth/sign-in") return { status: 200, body: { user: {}, session_id: "s" } };
      return { status: 200, body: { user: { id: "u" }, session_id: "s", profiles: [] } };
    });
    const client = renderSignIn();
    await userEvent.type(screen.getByLabelText(/Username/), "ann");
    await userEvent.type(screen.getByLabelText(/Password/), "correct horse battery staple");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText(/Code from your authenticator app/);
    expect(screen.queryByRole("alert")).toBeNull();
    await userEvent.type(code, "123456");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await vi.waitFor(() => expect(client.getQueryData(["me"])).toBeTruthy());
    const signIns = seen.filter((s) => s.path === "/api/auth/sign-in").map((s) => JSON.parse(s.body));
    expect(signIns).toEqual([
      { username: "ann", password: "correct horse battery staple", use_cookies: true },
      { username: "ann", password: "correct horse battery staple", use_cookies: true, totp_code: "123456" },
    ]);
  });

  it("says why when the password is wrong, without refreshing", async () => {
    const seen = stubFetch(() => ({
      status: 401,
      body: { type: "urn:hearth:problem:invalid-credentials", status: 401, detail: "wrong username or password" },
    }));
    renderSignIn();
    await userEvent.type(screen.getByLabelText(/Username/), "ann");
    await userEvent.type(screen.getByLabelText(/Password/), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The username, password or code is not right. Check them and try again.");
    expect(seen.map((s) => s.path)).toEqual(["/api/auth/sign-in"]);
  });

  it("says how long to wait after too many attempts", async () => {
    stubFetch(() => ({
      status: 429,
      body: { type: "urn:hearth:problem:too-many-attempts", status: 429, detail: "too many failed sign-ins; try again in 120 s" },
    }));
    renderSignIn();
    await userEvent.type(screen.getByLabelText(/Username/), "ann");
    await userEvent.type(screen.getByLabelText(/Password/), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many sign-in attempts did not work. Wait 2 minutes, then try again.");
  });
});
