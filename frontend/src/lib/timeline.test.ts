import type { TimelineItem } from "../api/types";
import { groupByDay, typesFor } from "./timeline";

const item = (id: string, date: string | null): TimelineItem =>
  ({ resource_type: "Observation", id, source_id: "s", date, status: null, display: id }) as TimelineItem;

describe("timeline grouping", () => {
  it("puts items of one day under one heading, keeping order", () => {
    const groups = groupByDay([item("a", "2025-12-23T12:00:00"), item("b", "2025-12-23T08:00:00"), item("c", "2025-11-02"), item("d", null)]);
    expect(groups.map((g) => [g.label, g.items.map((i) => i.id)])).toEqual([
      ["23 Dec 2025", ["a", "b"]],
      ["2 Nov 2025", ["c"]],
      ["No date", ["d"]],
    ]);
  });
  it("maps categories to FHIR types", () => {
    expect(typesFor(["medications", "visits"])).toEqual(["MedicationRequest", "MedicationStatement", "Encounter"]);
    expect(typesFor([])).toEqual([]);
  });
});
