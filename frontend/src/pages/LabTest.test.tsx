import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LabPoint, LabSeries } from "../api/types";
import type { ChartLine } from "../lib/chartOption";
import type { TimeWindow } from "../lib/labs";
import { renderPage, stubFetch } from "../test-utils";
import LabTestPage from "./LabTest";

// The chart itself is ECharts (drawn in a browser, checked end to end); here a stand-in shows
// what the page hands it and lets a test zoom it as a reader would.
vi.mock("../components/LabChart", () => ({
  LabChart: ({
    lines,
    summary,
    window,
    onWindow,
  }: {
    lines: ChartLine[];
    summary: string;
    window: TimeWindow;
    onWindow?: (w: TimeWindow) => void;
  }) => (
    <div role="img" aria-label={summary} data-testid="lab-chart" data-window={window ? `${window.start}-${window.end}` : "all"}>
      {lines.map((l) => (
        <span key={l.name} data-testid="chart-line">
          {l.name}: {l.data.points.map((p) => p.value).join(",")}
        </span>
      ))}
      <button type="button" onClick={() => onWindow?.({ start: Date.parse("2023-12-01T00:00:00Z"), end: Date.parse("2024-12-31T00:00:00Z") })}>
        zoom
      </button>
    </div>
  ),
}));

afterEach(() => vi.unstubAllGlobals());

const LOINC = "http://loinc.org";
const point = (over: Partial<LabPoint>): LabPoint => ({
  id: "x",
  source_id: "s",
  date: "2024-01-01T00:00:00Z",
  value: 120,
  unit: "mm[Hg]",
  original_value: 120,
  original_unit: "mm[Hg]",
  low: null,
  high: null,
  interpretation: null,
  flag: null,
  comparable: true,
  ...over,
});
const series = (code: string, name: string, unit: string, points: LabPoint[]): LabSeries => ({ system: LOINC, code, name, unit, points });

const SYSTOLIC = series("8480-6", "Systolic blood pressure", "mm[Hg]", [
  point({ id: "o1", date: "2015-06-01T09:00:00Z", value: 118, high: 120, flag: "normal" }),
  point({ id: "o2", date: "2024-05-01T09:00:00Z", value: 142, high: 120, flag: "high" }),
]);
const DIASTOLIC = series("8462-4", "Diastolic blood pressure", "mm[Hg]", [
  point({ id: "o1", date: "2015-06-01T09:00:00Z", value: 76, high: 80, flag: "normal" }),
  point({ id: "o2", date: "2024-05-01T09:00:00Z", value: 79, high: 80, flag: "normal" }),
]);
const A1C = series("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", [
  point({ id: "h1", date: "2023-01-01T00:00:00Z", value: 5.4, unit: "%", original_value: 5.4, original_unit: "%" }),
  point({ id: "h2", date: "2024-02-01T00:00:00Z", value: 6.181808595798641, unit: "%", original_value: 6.181808595798641, original_unit: "%" }),
]);

function serve(bySeries: Record<string, LabSeries>) {
  return stubFetch((req) => {
    const code = new URL(req.path, "http://x").searchParams.get("code") ?? "";
    const s = bySeries[code];
    return s ? { status: 200, body: s } : { status: 404, body: { type: "urn:hearth:problem:not-found", status: 404, detail: "no numeric results" } };
  });
}

const open = (query: string) => renderPage(<LabTestPage />, { path: "/profiles/:profile/labs/test", route: `/profiles/p1/labs/test?${query}` });

describe("a lab test's page", () => {
  it("titles the test by its plain name and keeps the full recorded name and code underneath", async () => {
    serve({ [`${LOINC}|4548-4`]: A1C });
    open(`code=${encodeURIComponent(`${LOINC}|4548-4`)}`);
    expect(await screen.findByRole("heading", { level: 1, name: "A1c" })).toBeInTheDocument();
    expect(screen.getByText(/Hemoglobin A1c\/Hemoglobin\.total in Blood \(LOINC 4548-4\)/)).toBeInTheDocument();
    expect(screen.getByTestId("lab-chart")).toHaveAccessibleName(/^A1c: 2 results from .*; latest 6\.2%; no reference range from the lab\.$/);
    expect(screen.getAllByText("No reference range from the lab").length).toBeGreaterThan(0);
  });

  it("shows each value rounded, with the exact recorded value beside it", async () => {
    serve({ [`${LOINC}|4548-4`]: A1C });
    open(`code=${encodeURIComponent(`${LOINC}|4548-4`)}`);
    const table = await screen.findByRole("table");
    const first = within(table).getAllByRole("row")[1]!;
    expect(first).toHaveTextContent("6.2%");
    expect(within(first).getByText("Recorded as 6.181808595798641%")).toBeInTheDocument();
    expect(within(first).getByTitle("Recorded as 6.181808595798641 %")).toBeInTheDocument();
    // A value shown as recorded needs no second line.
    const second = within(table).getAllByRole("row")[2]!;
    expect(second).toHaveTextContent("5.4%");
    expect(within(second).queryByText(/Recorded as/)).not.toBeInTheDocument();
  });

  it("marks only the result the address points at", async () => {
    serve({ [`${LOINC}|4548-4`]: A1C });
    open(`code=${encodeURIComponent(`${LOINC}|4548-4`)}&highlight=h1`);
    const rows = within(await screen.findByRole("table"))
      .getAllByRole("row")
      .slice(1);
    expect(rows.map((r) => r.getAttribute("aria-current"))).toEqual([null, "true"]);
  });

  it("draws systolic and diastolic on one chart and lists them side by side", async () => {
    const seen = serve({ [`${LOINC}|8480-6`]: SYSTOLIC, [`${LOINC}|8462-4`]: DIASTOLIC });
    open(`code=${encodeURIComponent(`${LOINC}|8480-6`)}&pair=8462-4`);
    expect(await screen.findByRole("heading", { level: 1, name: "Blood pressure" })).toBeInTheDocument();
    expect(seen.map((r) => decodeURIComponent(r.path)).sort()).toEqual([
      `/api/profiles/p1/labs/series?code=${LOINC}|8462-4`,
      `/api/profiles/p1/labs/series?code=${LOINC}|8480-6`,
    ]);
    expect(screen.getAllByTestId("chart-line").map((l) => l.textContent)).toEqual(["Systolic: 118,142", "Diastolic: 76,79"]);
    const chart = screen.getByTestId("lab-chart");
    expect(chart).toHaveAccessibleName(
      /^Systolic blood pressure: 2 results .*1 outside the normal range\. Diastolic blood pressure: 2 results .*all within the normal range\.$/,
    );
    const table = screen.getByRole("table");
    expect(
      within(table)
        .getAllByRole("columnheader")
        .map((h) => h.textContent),
    ).toEqual(["Date", "Systolic", "Diastolic", "Normal range", "Flag"]);
    const newest = within(table).getAllByRole("row")[1]!;
    expect(newest).toHaveTextContent("1 May 2024");
    expect(newest).toHaveTextContent("142 mmHg");
    expect(newest).toHaveTextContent("79 mmHg");
    expect(newest).toHaveTextContent("Systolic: at most 120 mmHg");
    expect(within(newest).getByText("Systolic high")).toBeInTheDocument();
    expect(within(newest).getByText("Diastolic normal")).toBeInTheDocument();
  });

  it("pairs blood pressure even when opened from the diastolic test, systolic first", async () => {
    serve({ [`${LOINC}|8480-6`]: SYSTOLIC, [`${LOINC}|8462-4`]: DIASTOLIC });
    open(`code=${encodeURIComponent(`${LOINC}|8462-4`)}`);
    expect(await screen.findByRole("heading", { level: 1, name: "Blood pressure" })).toBeInTheDocument();
    expect(screen.getAllByTestId("chart-line").map((l) => l.textContent)).toEqual(["Systolic: 118,142", "Diastolic: 76,79"]);
  });

  it("shows one half alone when the other has no results", async () => {
    serve({ [`${LOINC}|8480-6`]: SYSTOLIC });
    open(`code=${encodeURIComponent(`${LOINC}|8480-6`)}`);
    expect(await screen.findByRole("heading", { level: 1, name: "Systolic blood pressure" })).toBeInTheDocument();
    expect(screen.getAllByTestId("chart-line")).toHaveLength(1);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("narrows the chart and the table to a preset span or to where the chart was zoomed", async () => {
    serve({ [`${LOINC}|8480-6`]: SYSTOLIC, [`${LOINC}|8462-4`]: DIASTOLIC });
    open(`code=${encodeURIComponent(`${LOINC}|8480-6`)}&pair=8462-4`);
    const group = await screen.findByRole("group", { name: "Time span" });
    expect(within(group).getByRole("button", { name: "All" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByRole("table").querySelectorAll("tbody tr")).toHaveLength(2);

    await userEvent.click(within(group).getByRole("button", { name: "5 years" }));
    expect(within(group).getByRole("button", { name: "5 years" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("lab-chart")).toHaveAttribute(
      "data-window",
      `${Date.parse("2019-05-01T09:00:00Z")}-${Date.parse("2024-05-01T09:00:00Z")}`,
    );
    expect(screen.getByRole("table").querySelectorAll("tbody tr")).toHaveLength(1);
    expect(screen.getByText("Showing 1 May 2019 to 1 May 2024: 1 of 2 results.")).toBeInTheDocument();

    await userEvent.click(within(group).getByRole("button", { name: "All" }));
    expect(screen.getByRole("table").querySelectorAll("tbody tr")).toHaveLength(2);

    // Zooming the chart: no preset is pressed any more, and the table follows.
    await userEvent.click(screen.getByRole("button", { name: "zoom" }));
    expect(
      within(group)
        .getAllByRole("button")
        .every((b) => b.getAttribute("aria-pressed") === "false"),
    ).toBe(true);
    expect(screen.getByRole("table").querySelectorAll("tbody tr")).toHaveLength(1);
  });

  it("asks which test when the address names none", () => {
    stubFetch(() => ({ status: 500 }));
    open("");
    expect(screen.getByRole("heading", { name: "Which test?" })).toBeInTheDocument();
  });
});
