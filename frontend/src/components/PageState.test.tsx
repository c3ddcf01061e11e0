import { MantineProvider } from "@mantine/core";
import { render, screen, within } from "@testing-library/react";
import { ApiError, NetworkError } from "../api/client";
import { theme } from "../theme";
import { ErrorState, Failure } from "./PageState";

const inTheme = (node: React.ReactNode) => render(<MantineProvider theme={theme}>{node}</MantineProvider>);

describe("errors on a page", () => {
  it("says a missing profile in words, with the host's own words only under Details", () => {
    const id = "ffffffffffffffffffffffffffffffff";
    inTheme(
      <ErrorState error={new ApiError(404, { type: "urn:hearth:problem:not-found", status: 404, detail: `no profile "${id}"` })} retry={() => {}} />,
    );
    const alert = screen.getByRole("alert");
    const sentence = within(alert).getByText(/^This person's record is not here\./);
    expect(sentence).toHaveTextContent("This person's record is not here. It may have been removed, or you may no longer have access.");
    expect(sentence.textContent).not.toContain(id);
    // The particulars are folded away under "Details".
    const details = within(alert).getByText("Details").closest("details")!;
    expect(details.open).toBe(false);
    expect(details).toHaveTextContent(`no profile "${id}"`);
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("says plainly when Hearth does not answer, with no empty Details", () => {
    inTheme(<Failure error={new NetworkError()} title="That did not work" />);
    expect(screen.getByRole("alert")).toHaveTextContent("Hearth is not answering. Check that it is running, then try again.");
    expect(screen.queryByText("Details")).toBeNull();
  });

  it("shows nothing when there is no failure", () => {
    inTheme(<Failure error={null} />);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
