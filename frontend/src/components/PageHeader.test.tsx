import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, MemoryRouter, Route, Routes } from "react-router";
import { theme } from "../theme";
import { PageHeader, resetPageFocus } from "./PageHeader";

function App() {
  return (
    <MantineProvider theme={theme}>
      <MemoryRouter initialEntries={["/a"]}>
        <nav>
          <Link to="/b">Go to B</Link>
        </nav>
        <main>
          <Routes>
            <Route path="/a" element={<PageHeader title="Page A" />} />
            <Route path="/b" element={<PageHeader title="Page B" />} />
          </Routes>
        </main>
      </MemoryRouter>
    </MantineProvider>
  );
}

describe("moving to another page", () => {
  beforeEach(() => resetPageFocus());

  it("leaves focus alone on the page the app opened on, then focuses the new page's heading", async () => {
    render(<App />);
    expect(screen.getByRole("heading", { level: 1, name: "Page A" })).not.toHaveFocus();
    await userEvent.click(screen.getByRole("link", { name: "Go to B" }));
    const heading = await screen.findByRole("heading", { level: 1, name: "Page B" });
    expect(heading).toHaveFocus();
    expect(heading).toHaveAttribute("tabindex", "-1");
    expect(document.title).toBe("Page B · Hearth");
  });
});
