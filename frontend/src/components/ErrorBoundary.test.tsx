import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import { NetworkError } from "../api/client";
import { theme } from "../theme";
import { ErrorBoundary } from "./ErrorBoundary";

const CHUNK = new TypeError("Failed to fetch dynamically imported module: http://localhost/assets/Labs-1a2b3c.js");

function Throws({ error }: { error: Error }): React.ReactNode {
  throw error;
}

function renderFailing(error: Error) {
  return render(
    <MantineProvider theme={theme}>
      <ErrorBoundary resetKey="/a">
        <Throws error={error} />
      </ErrorBoundary>
    </MantineProvider>,
  );
}

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  sessionStorage.clear();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("a page that fails to show", () => {
  it("says Hearth was updated or is restarting when a part of the app does not load, with a Reload button", () => {
    const reload = vi.fn();
    vi.stubGlobal("location", { ...window.location, reload });
    vi.spyOn(performance, "now").mockReturnValue(5_000);
    renderFailing(CHUNK);
    expect(screen.getByRole("alert")).toHaveTextContent("Hearth was updated or is restarting");
    screen.getByRole("button", { name: "Reload" }).click();
    expect(reload).toHaveBeenCalledTimes(1);
    // The failing file's address is only under Details.
    expect(screen.getByText(/^This page could not be loaded/).textContent).not.toContain("assets");
  });

  it("reloads by itself once when the page has been open more than a minute", () => {
    const reload = vi.fn();
    vi.stubGlobal("location", { ...window.location, reload });
    vi.spyOn(performance, "now").mockReturnValue(120_000);
    const first = renderFailing(CHUNK);
    expect(reload).toHaveBeenCalledTimes(1);
    first.unmount();
    // The reload did not help (say the host is still down): no loop.
    renderFailing(CHUNK);
    expect(reload).toHaveBeenCalledTimes(1);
    expect(screen.getByRole("alert")).toHaveTextContent("Hearth was updated or is restarting");
  });

  it("says plainly when Hearth is not answering", () => {
    renderFailing(new NetworkError());
    expect(screen.getByRole("alert")).toHaveTextContent("Hearth is not answering. Check that it is running, then try again.");
  });

  it("keeps a programming error's message under Details", () => {
    renderFailing(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(screen.getByText(/^Something in Hearth went wrong/).textContent).not.toContain("undefined");
    expect(screen.getByText("Details").closest("details")).toHaveTextContent("Cannot read properties of undefined");
  });
});
