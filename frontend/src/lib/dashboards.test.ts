import { arrange, showAgain } from "./arrange";
import {
  chartSummary,
  citationParts,
  defaultSize,
  evidenceLabels,
  evidenceLink,
  layoutBody,
  placeCards,
  pointText,
  readableDates,
  seriesByUnit,
  targetsFor,
  targetText,
  trendText,
  type CardPlace,
  type Point,
  type StatCard,
} from "./dashboards";
import { DIABETES_BOARD } from "./dashboards.fixture";

const point = (over: Partial<Point>): Point => ({ date: "2026-09-20", value: 7, text: "7.0", unit: "%", evidence: ["Observation/a3"], ...over });
const stat = (over: Partial<StatCard>): StatCard => ({
  key: "s",
  widget: "stat",
  title: "Latest HbA1c",
  latest: point({}),
  previous: point({ date: "2025-09-15", value: 6.9, text: "6.90" }),
  trend: "steady",
  overdue: false,
  note: "",
  ...over,
});
const card = (key: string, widget: "stat" | "line-chart" | "table") => ({ key, widget });

describe("placing cards", () => {
  it("gives unplaced cards default places in board order, a stat beside a chart", () => {
    const { shown, hidden } = placeCards({ cards: [card("a", "stat"), card("b", "line-chart"), card("c", "stat"), card("d", "table")] }, []);
    expect(hidden).toEqual([]);
    expect(shown.map((s) => s.place)).toEqual([
      { key: "a", x: 0, y: 0, w: 4, h: 2 },
      { key: "b", x: 4, y: 0, w: 8, h: 4 },
      // The gap under the first stat is filled: it is still after the chart in reading order.
      { key: "c", x: 0, y: 2, w: 4, h: 2 },
      { key: "d", x: 0, y: 4, w: 6, h: 3 },
    ]);
  });

  it("keeps saved places, appends new cards below the last row, and sets hidden cards apart", () => {
    const layout: CardPlace[] = [
      { key: "b", x: 0, y: 0, w: 12, h: 4 },
      { key: "a", x: 0, y: 4, w: 6, h: 2 },
      { key: "c", x: 6, y: 4, w: 4, h: 2, hidden: true },
      { key: "gone", x: 0, y: 9, w: 4, h: 2 },
    ];
    const { shown, hidden } = placeCards({ cards: [card("a", "stat"), card("b", "line-chart"), card("c", "stat"), card("new", "stat")] }, layout);
    expect(shown.map((s) => [s.card.key, s.place.x, s.place.y, s.place.w, s.place.h])).toEqual([
      ["b", 0, 0, 12, 4],
      ["a", 0, 4, 6, 2],
      ["new", 0, 6, 4, 2],
    ]);
    expect(hidden.map((s) => s.place)).toEqual([{ key: "c", x: 6, y: 4, w: 4, h: 2, hidden: true }]);
  });

  it("places every card of a real board without overlaps", () => {
    const { shown } = placeCards(DIABETES_BOARD, []);
    expect(shown).toHaveLength(DIABETES_BOARD.cards.length);
    const places = shown.map((s) => s.place);
    for (const a of places)
      for (const b of places)
        if (a !== b) expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `${a.key} overlaps ${b.key}`).toBe(false);
    // Reading order is board order.
    expect(shown.map((s) => s.card.key)).toEqual(DIABETES_BOARD.cards.map((c) => c.key));
  });

  it("documents the default sizes", () => {
    expect(defaultSize({ widget: "stat" })).toEqual({ w: 4, h: 2 });
    expect(defaultSize({ widget: "line-chart" })).toEqual({ w: 8, h: 4 });
    expect(defaultSize({ widget: "status-list" })).toEqual({ w: 6, h: 3 });
  });

  it("writes the layout body: shown cards in reading order, hidden ones marked", () => {
    expect(
      layoutBody(
        [
          { key: "b", x: 4, y: 0, w: 8, h: 4 },
          { key: "a", x: 0, y: 0, w: 4, h: 2 },
        ],
        [{ key: "c", x: 0, y: 4, w: 4, h: 2, hidden: true }],
      ),
    ).toEqual([
      { key: "a", x: 0, y: 0, w: 4, h: 2 },
      { key: "b", x: 4, y: 0, w: 8, h: 4 },
      { key: "c", x: 0, y: 4, w: 4, h: 2, hidden: true },
    ]);
  });
});

describe("arranging by keyboard", () => {
  const grid: CardPlace[] = [
    { key: "a", x: 0, y: 0, w: 4, h: 2 },
    { key: "c", x: 8, y: 0, w: 4, h: 2 },
    { key: "b", x: 0, y: 2, w: 8, h: 4 },
  ];
  const at = (places: CardPlace[], key: string) => places.find((p) => p.key === key);

  it("swaps a card with the one below or above", () => {
    const down = arrange(grid, "a", "down");
    expect(at(down, "b")).toMatchObject({ x: 0, y: 0 });
    expect(at(down, "a")).toMatchObject({ x: 0, y: 4 });
    const up = arrange(grid, "b", "up");
    expect(at(up, "b")).toMatchObject({ y: 0 });
    expect(at(up, "a")!.y).toBeGreaterThanOrEqual(4);
  });

  it("does nothing at an edge", () => {
    expect(arrange(grid, "a", "up")).toBe(grid);
    expect(arrange(grid, "a", "left")).toEqual(grid.slice().sort((p, q) => p.y - q.y || p.x - q.x));
  });

  it("shifts a card a column and changes its width within the grid", () => {
    expect(at(arrange(grid, "a", "right"), "a")).toMatchObject({ x: 1, y: 0, w: 4 });
    expect(at(arrange(grid, "c", "wider"), "c")).toMatchObject({ x: 7, w: 5 });
    expect(at(arrange(grid, "a", "narrower"), "a")).toMatchObject({ x: 0, w: 3 });
    const full = [{ key: "x", x: 0, y: 0, w: 12, h: 2 }];
    expect(arrange(full, "x", "wider")).toBe(full);
  });

  it("puts a card shown again at the bottom", () => {
    expect(showAgain(grid, { key: "d", x: 6, y: 1, w: 6, h: 3, hidden: true }).at(-1)).toEqual({ key: "d", x: 0, y: 6, w: 6, h: 3 });
  });
});

describe("words on cards", () => {
  it("links evidence to its record", () => {
    expect(evidenceLink("p1", "Observation/a3")).toBe("/profiles/p1/records/Observation/a3");
    expect(evidenceLink("p1", "MedicationRequest/m 1")).toBe("/profiles/p1/records/MedicationRequest/m%201");
    expect(evidenceLink("p1", "nonsense")).toBeNull();
    expect(evidenceLabels(["Observation/a", "Immunization/b", "Observation/c"])).toEqual(["Observation 1", "Immunization", "Observation 2"]);
  });

  it("shows the value exactly as recorded, with the unit as people write it", () => {
    expect(pointText(point({}))).toBe("7.0%");
    expect(pointText(point({ text: "128", value: 128, unit: "mm[Hg]" }))).toBe("128 mmHg");
    expect(pointText(point({ text: "74", unit: "mL/min/{1.73_m2}" }))).toBe("74 mL/min/1.73 m²");
    expect(pointText(point({ text: "96.50", unit: "" }))).toBe("96.50");
  });

  it("says the trend in words with what it compares with", () => {
    expect(trendText(stat({}))).toBe("Steady since 6.90% (15 Sep 2025)");
    expect(trendText(stat({ trend: "rising" }))).toBe("Up from 6.90% (15 Sep 2025)");
    expect(trendText(stat({ trend: "falling" }))).toBe("Down from 6.90% (15 Sep 2025)");
    expect(trendText(stat({ previous: null, trend: "indeterminate" }))).toBe("No earlier result to compare with");
    expect(trendText(stat({ latest: null, previous: null }))).toBe("");
    expect(trendText(stat({ latest: point({ text: "55", unit: "mmol/mol" }), previous: point({ text: "7.4" }), trend: "indeterminate" }))).toBe(
      "Can't compare: different units (before: 7.4% (20 Sep 2026))",
    );
  });

  it("writes dates in notes as people read them", () => {
    expect(readableDates("Overdue since 2026-01-10 (due every 12 months)")).toBe("Overdue since 10 Jan 2026 (due every 12 months)");
    expect(readableDates("No HbA1c on record; due every 6 months")).toBe("No HbA1c on record; due every 6 months");
  });

  it("describes a target and splits its citation into text and links", () => {
    expect(targetText({ low: 80, high: 130, label: "Before meals: 80–130 mg/dL", source: "" })).toBe("Before meals: 80–130 mg/dL");
    expect(targetText({ low: 80, high: 130, label: "", source: "" })).toBe("Target: 80–130");
    expect(citationParts("ADA 2024, https://diabetesjournals.org/care/issue/47/Supplement_1, section 6")).toEqual([
      { text: "ADA 2024, " },
      { text: "https://diabetesjournals.org/care/issue/47/Supplement_1", url: "https://diabetesjournals.org/care/issue/47/Supplement_1" },
      { text: ", section 6" },
    ]);
  });

  it("draws each unit on its own chart and a target only where its unit is named", () => {
    const kidney = DIABETES_BOARD.cards.find((c) => c.key === "kidney");
    if (kidney?.widget !== "line-chart") throw new Error("fixture");
    const groups = seriesByUnit(kidney.series);
    expect(groups.map((g) => g.unit)).toEqual(["mL/min/{1.73_m2}", "mg/g"]);
    expect(targetsFor(kidney.targets, "mg/g", 2).map((t) => t.label)).toEqual(["Albumin/creatinine below 30 mg/g"]);
    expect(targetsFor(kidney.targets, "mL/min/{1.73_m2}", 2)).toEqual([]);
    expect(targetsFor(kidney.targets, "mg/g", 1)).toHaveLength(2);
    expect(chartSummary("Kidney", kidney.series)).toBe(
      "Kidney. eGFR: 1 result, latest 74 mL/min/1.73 m² on 20 Sep 2026; Urine albumin/creatinine: 1 result, latest 12.0 mg/g on 10 Jan 2025.",
    );
  });
});
