import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { LabTest } from "../api/types";
import { renderPage, stubFetch } from "../test-utils";
import LabsPage from "./Labs";

afterEach(() => vi.unstubAllGlobals());

const LOINC = "http://loinc.org";
const test = (code: string, name: string, last_date: string, latest: LabTest["latest"], count = 3): LabTest => ({
  system: LOINC,
  code,
  name,
  count,
  last_date,
  latest,
  panel: null,
});

const TESTS: LabTest[] = [
  test("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "2024-02-01", { id: "a1c", value: 6.181808595798641, unit: "%", flag: "high" }),
  test("8310-5", "Body temperature", "2024-03-01", { id: "t", value: 39.2, unit: "Cel", flag: null }),
  test("8480-6", "Systolic blood pressure", "2024-03-02", { id: "bp", value: 120, unit: "mm[Hg]", flag: "normal" }),
  test("8462-4", "Diastolic blood pressure", "2024-03-02", { id: "bp", value: 80, unit: "mm[Hg]", flag: "normal" }),
  test("718-7", "Hemoglobin [Mass/volume] in Blood", "2023-01-01", { id: "hb", value: 15, unit: "g/dL", flag: "normal" }),
  test("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "2024-01-05", { id: "cr", value: 0.9, unit: "mg/dL", flag: "normal" }),
  test("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "2024-02-05", { id: "glu", value: 98, unit: "mg/dL", flag: null }),
];

function render() {
  stubFetch((req) => (req.path === "/api/profiles/p1/labs" ? { status: 200, body: { tests: TESTS } } : { status: 404 }));
  return renderPage(<LabsPage />, { path: "/profiles/:profile/labs", route: "/profiles/p1/labs" });
}

const section = (name: RegExp) => screen.getByRole("region", { name });
const cardNames = (region: HTMLElement) =>
  within(region)
    .getAllByRole("link")
    .map((a) => a.textContent);

describe("the lab results page", () => {
  it("groups tests by kind, vital signs first, each newest first, with plain names and counts", async () => {
    render();
    await screen.findByRole("heading", { name: /Vital signs/ });
    expect(screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual([
      "Vital signs · 2 tests",
      "Blood chemistry · 2 tests",
      "Hormones and diabetes · 1 test",
      "Blood count · 1 test",
    ]);
    expect(cardNames(section(/Vital signs/))).toEqual(["Blood pressure", "Temperature"]);
    expect(cardNames(section(/Blood chemistry/))).toEqual(["Glucose", "Creatinine"]);
    expect(cardNames(section(/Hormones/))).toEqual(["A1c"]);
  });

  it("shows values rounded for their unit, written as people write them, and flags in words", async () => {
    render();
    await screen.findByRole("heading", { name: /Vital signs/ });
    const vitals = section(/Vital signs/);
    expect(within(vitals).getByText("39.2 °C")).toBeInTheDocument();
    expect(within(vitals).getByText("No reference range from the lab")).toBeInTheDocument();
    const a1c = section(/Hormones/);
    expect(within(a1c).getByText("6.2%")).toBeInTheDocument();
    expect(within(a1c).getByText("High")).toBeInTheDocument();
    expect(screen.queryByText(/6\.18180/)).not.toBeInTheDocument();
    expect(screen.queryByText(/Cel|mm\[Hg\]/)).not.toBeInTheDocument();
  });

  it("shows systolic and diastolic as one blood pressure card linking to both", async () => {
    render();
    const link = await screen.findByRole("link", { name: "Blood pressure" });
    expect(link).toHaveAttribute("href", `/profiles/p1/labs/test?code=${encodeURIComponent(`${LOINC}|8480-6`)}&pair=8462-4`);
    const card = link.closest("li")!;
    expect(within(card).getByText("120/80 mmHg")).toBeInTheDocument();
    expect(within(card).getByText("Systolic normal")).toBeInTheDocument();
    expect(within(card).getByText("Diastolic normal")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Systolic|Diastolic/ })).not.toBeInTheDocument();
  });

  it("says which half of a blood pressure reading has no reference range", async () => {
    const tests = TESTS.map((t) => (t.code === "8462-4" ? { ...t, latest: { ...t.latest!, flag: null } } : t));
    stubFetch(() => ({ status: 200, body: { tests } }));
    renderPage(<LabsPage />, { path: "/profiles/:profile/labs", route: "/profiles/p1/labs" });
    const card = (await screen.findByRole("link", { name: "Blood pressure" })).closest("li")!;
    expect(within(card).getByText("Systolic normal")).toBeInTheDocument();
    expect(within(card).getByText("Diastolic: no reference range from the lab")).toBeInTheDocument();
    expect(within(card).queryByText("Diastolic normal")).not.toBeInTheDocument();
  });

  it("filters to out-of-range results, and says so when nothing matches", async () => {
    render();
    const toggle = await screen.findByRole("switch", { name: "Out of range only" });
    await userEvent.click(toggle);
    expect(screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual(["Hormones and diabetes · 1 test"]);
    expect(screen.getByText("1 of 6 tests shown · 1 with the latest result out of range")).toBeInTheDocument();
    await userEvent.type(screen.getByRole("searchbox", { name: "Find a test" }), "glucose");
    expect(screen.getByRole("heading", { name: "No out-of-range test matches “glucose”" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Show all tests" }));
    expect(toggle).not.toBeChecked();
    expect(screen.getAllByRole("heading", { level: 2 })).toHaveLength(4);
  });

  it("searches plain names, recorded names and codes", async () => {
    render();
    const search = await screen.findByRole("searchbox", { name: "Find a test" });
    await userEvent.type(search, "Serum or Plasma");
    expect(cardNames(section(/Blood chemistry/))).toEqual(["Glucose", "Creatinine"]);
    expect(screen.getAllByRole("heading", { level: 2 })).toHaveLength(1);
    await userEvent.clear(search);
    await userEvent.type(search, "a1c");
    expect(cardNames(section(/Hormones/))).toEqual(["A1c"]);
    await userEvent.clear(search);
    await userEvent.type(search, "718-7");
    expect(cardNames(section(/Blood count/))).toEqual(["Hemoglobin"]);
    await userEvent.clear(search);
    await userEvent.type(search, "zzz");
    expect(screen.getByRole("heading", { name: "No test matches “zzz”" })).toBeInTheDocument();
  });

  it("gathers a kind's tests under the panel they were reported in, the others first", async () => {
    const panel = { id: "dr1", name: "Basic metabolic panel" };
    const tests = [
      ...TESTS.map((t) => (t.code === "2160-0" ? { ...t, panel } : t)),
      test("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "2024-01-05", { id: "na", value: 140, unit: "mmol/L", flag: "normal" }),
    ].map((t) => (t.code === "2951-2" ? { ...t, panel } : t));
    stubFetch(() => ({ status: 200, body: { tests } }));
    renderPage(<LabsPage />, { path: "/profiles/:profile/labs", route: "/profiles/p1/labs" });
    const chemistry = (await screen.findByRole("heading", { level: 2, name: /Blood chemistry/ })).closest("section")!;
    expect(within(chemistry).getByRole("heading", { level: 2 })).toHaveTextContent("Blood chemistry · 3 tests");
    expect(
      within(chemistry)
        .getAllByRole("heading", { level: 3 })
        .map((h) => h.textContent),
    ).toEqual(["Basic metabolic panel · 2 tests"]);
    const bmp = within(chemistry).getByRole("region", { name: /Basic metabolic panel/ });
    expect(cardNames(bmp)).toEqual(["Creatinine", "Sodium"]);
    // Glucose was reported in no panel: it comes first, under the kind's heading alone.
    expect(cardNames(chemistry)).toEqual(["Glucose", "Creatinine", "Sodium"]);
    // Other kinds have no panel headings.
    expect(within(section(/Vital signs/)).queryAllByRole("heading", { level: 3 })).toHaveLength(0);
  });
});
