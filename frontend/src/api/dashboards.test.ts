import { stubFetch } from "../test-utils";
import { ApiError } from "./client";
import { explainImportError, importDashboard, removeDashboard } from "./dashboards";

afterEach(() => vi.unstubAllGlobals());

const ENTRY = {
  id: "fasten-01",
  name: "My labs",
  version: "imported",
  proposed: false,
  reason: "Imported from a Fasten dashboard file",
  shown: true,
  choice: "auto",
  settings: [],
  imported: true,
};

describe("importing a Fasten dashboard", () => {
  it("sends the file's text exactly as it was given, as JSON", async () => {
    // Odd spacing, key order a parser would not keep, escapes and non-ASCII: all must arrive untouched.
    const text = '{\n  "widgets": [ {"title":"Lab\\u00e9s ✓", "queries":[{"q":{"select":["z","a","m"]}}]} ],\r\n\t"title" : "My labs"  }\n';
    const seen = stubFetch(() => ({ status: 201, body: { dashboard: ENTRY, report: [] } }));
    const imported = await importDashboard("p1", text);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.path).toBe("/api/profiles/p1/dashboards/import");
    expect(seen[0]!.headers.get("Content-Type")).toBe("application/json");
    expect(seen[0]!.body).toBe(text);
    expect(new TextEncoder().encode(seen[0]!.body)).toEqual(new TextEncoder().encode(text));
    expect(imported.dashboard.id).toBe("fasten-01");
  });

  it("says what is wrong with a file that is not a Fasten dashboard, in the host's words", async () => {
    stubFetch(() => ({
      status: 422,
      body: { type: "urn:hearth:problem:invalid-body", status: 422, detail: "not a Fasten dashboard: it has no `widgets` list" },
    }));
    const e = await importDashboard("p1", "{}").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    const explained = explainImportError(e);
    expect(explained.message).toBe("This is not a Fasten Health dashboard file.");
    expect(explained.action).toBe("It has no `widgets` list.");
    expect(explained.details.join(" ")).not.toContain("Hearth said");
  });

  it("blames the file, not the page, when it is not JSON", () => {
    const explained = explainImportError(
      new ApiError(400, { type: "urn:hearth:problem:malformed-json", status: 400, detail: "expected value at line 1 column 1" }),
    );
    expect(explained.message).toBe("Hearth could not read this file as a dashboard.");
    expect(explained.action).not.toMatch(/reload/i);
    expect(explained.details).toContain("Hearth said: expected value at line 1 column 1");
  });
});

describe("removing an imported dashboard", () => {
  it("deletes it by its id", async () => {
    const seen = stubFetch(() => ({ status: 204 }));
    await removeDashboard("p1", "fasten-01");
    expect(seen.map((r) => [r.method, r.path])).toEqual([["DELETE", "/api/profiles/p1/dashboards/fasten-01"]]);
  });
});
