import { screen, within } from "@testing-library/react";
import type { Card } from "../lib/dashboards";
import { DIABETES_BOARD } from "../lib/dashboards.fixture";
import { renderPage } from "../test-utils";
import { DashboardCard } from "./DashboardCard";

// ECharts draws in a browser (checked end to end); here a stand-in shows what the card hands it.
vi.mock("./DashboardChart", () => ({
  DashboardChart: ({ summary, targets }: { summary: string; targets: { label: string }[] }) => (
    <div role="img" aria-label={summary} data-targets={targets.map((t) => t.label).join("|")} />
  ),
}));

const cardOf = (key: string) => DIABETES_BOARD.cards.find((c) => c.key === key)!;
const show = (card: Card) =>
  renderPage(<DashboardCard card={card} profile="p1" />, { path: "/profiles/:profile/dashboards/x", route: "/profiles/p1/dashboards/x" });

describe("a dashboard card", () => {
  it("shows a stat's latest value exactly as recorded, its trend in words and its record", () => {
    show(cardOf("a1c-latest"));
    const section = screen.getByRole("region", { name: "Latest HbA1c" });
    const value = within(section).getByRole("link", { name: "7.0%" });
    expect(value).toHaveAttribute("href", "/profiles/p1/records/Observation/a3");
    expect(section).not.toHaveTextContent(/\b7%/);
    expect(section).toHaveTextContent("on 20 Sep 2026");
    expect(section).toHaveTextContent("Steady since 6.90% (15 Sep 2025)");
    expect(section).toHaveTextContent("Next due by 20 Mar 2027");
    expect(within(section).queryByText("Overdue")).not.toBeInTheDocument();
  });

  it("marks an overdue test with a worded badge and its note", () => {
    show(cardOf("uacr-latest"));
    const section = screen.getByRole("region", { name: "Latest urine albumin/creatinine" });
    expect(within(section).getByText("Overdue")).toBeInTheDocument();
    expect(section).toHaveTextContent("Overdue since 10 Jan 2026 (due every 12 months)");
    expect(within(section).getByRole("link", { name: "12.0 mg/g" })).toBeInTheDocument();
  });

  it("lists checklist items with their status in words and links to their records", () => {
    show(cardOf("care-checklist"));
    const items = within(screen.getByRole("region", { name: "Medicines and vaccines" })).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("OK");
    expect(items[0]).toHaveTextContent("ACE inhibitor or ARB");
    expect(within(items[0]!).getByRole("link", { name: "Prescription" })).toHaveAttribute("href", "/profiles/p1/records/MedicationRequest/m1");
    expect(within(items[2]!).getByRole("link", { name: "Immunization" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/flu1");
    expect(items[2]).toHaveTextContent("Last on 1 Oct 2026");
    expect(items[3]).toHaveTextContent("Not on record");
    expect(within(items[3]!).queryByRole("link")).not.toBeInTheDocument();
  });

  it("draws a chart per unit, lists its results and its targets with their sources", () => {
    show(cardOf("kidney"));
    const charts = screen.getAllByRole("img");
    expect(charts).toHaveLength(2);
    // The eGFR target names no unit, so it is drawn on neither chart (but listed).
    expect(charts.map((c) => c.getAttribute("data-targets"))).toEqual(["", "Albumin/creatinine below 30 mg/g"]);
    expect(screen.getByRole("link", { name: "74 mL/min/1.73 m²" })).toHaveAttribute("href", "/profiles/p1/records/Observation/e1");
    const targets = within(screen.getByRole("list", { name: "Targets" })).getAllByRole("listitem");
    expect(targets[0]).toHaveTextContent("Target: eGFR 60 or more");
    expect(targets[0]).toHaveTextContent(/^.*Source: KDIGO 2022/);
    expect(within(targets[0]!).getByRole("link", { name: "https://kdigo.org/guidelines/diabetes-ckd/" })).toHaveAttribute(
      "href",
      "https://kdigo.org/guidelines/diabetes-ckd/",
    );
  });

  it("says a chart with no results has none, and invents nothing", () => {
    show({ key: "a1c-trend", widget: "line-chart", title: "HbA1c", series: [], targets: [] });
    expect(screen.getByText("No results on record")).toBeInTheDocument();
    expect(screen.queryByRole("img")).not.toBeInTheDocument();
  });

  it("links a timeline's events and a table's rows to their records", () => {
    show(cardOf("vaccines"));
    expect(screen.getByRole("link", { name: "Flu vaccine" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/flu1");
    expect(screen.getByText("1 Oct 2026")).toBeInTheDocument();
  });

  it("links a table's rows to their records", () => {
    show({
      key: "t",
      widget: "table",
      title: "Eye exams",
      columns: ["Date", "Result"],
      rows: [{ cells: ["2026-02-03", "No retinopathy"], evidence: ["Procedure/e1"] }],
    });
    const row = screen.getAllByRole("row")[1]!;
    expect(row).toHaveTextContent("3 Feb 2026");
    expect(within(row).getByRole("link", { name: "Procedure" })).toHaveAttribute("href", "/profiles/p1/records/Procedure/e1");
  });
});
