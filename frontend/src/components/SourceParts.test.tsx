import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import type { Job } from "../api/types";
import { theme } from "../theme";
import { SyncProgress } from "./SourceParts";

const running = { id: "j1", status: "running", attempts: 0, progress: null } as unknown as Job;

describe("a running sync's bar", () => {
  it("shows a true percentage when the connector said how much is coming", () => {
    const live = { job_id: "j1", source_id: "s1", fetched: { Observation: 300 }, stored: 300, emitted: 300, expected: 1200 };
    render(
      <MantineProvider theme={theme}>
        <SyncProgress job={running} live={live} label="Sync progress for Clinic" />
      </MantineProvider>,
    );
    expect(screen.getByText("300 of 1,200 records received (25%)")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Sync progress for Clinic" })).toHaveAttribute("aria-valuenow", "25");
  });

  it("shows a count and a moving bar when it did not", () => {
    const live = { job_id: "j1", source_id: "s1", fetched: { Observation: 300 }, stored: 300, emitted: 300 };
    render(
      <MantineProvider theme={theme}>
        <SyncProgress job={running} live={live} label="Sync progress for Clinic" />
      </MantineProvider>,
    );
    expect(screen.getByText("300 records received so far")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "Sync progress for Clinic" })).toHaveAttribute("aria-valuenow", "100");
  });
});
