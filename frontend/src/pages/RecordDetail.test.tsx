import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Removal } from "../api/types";
import { renderPage, stubFetch, type Seen } from "../test-utils";
import RecordDetailPage from "./RecordDetail";

afterEach(() => vi.unstubAllGlobals());

const PATH = "/profiles/:profile/records/:type/:id";
const UCUM = "http://unitsofmeasure.org";
const WEIGHT = {
  resourceType: "Observation",
  id: "w1",
  status: "final",
  category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs", display: "Vital Signs" }] }],
  code: { text: "Body weight", coding: [{ system: "http://loinc.org", code: "29463-7", display: "Body weight" }] },
  valueQuantity: { value: 71.5, unit: "kg", system: UCUM, code: "kg" },
  effectiveDateTime: "2024-03-12",
  subject: { reference: "Patient/self" },
  meta: { lastUpdated: "2024-03-12T10:00:00Z" },
};
const copy = (kind: "manual" | "provider" | "import", name: string, id = "w1") => ({
  source_id: `s-${kind}`,
  source_name: name,
  source_kind: kind,
  id,
  stored_at: "2024-03-12T10:00:00Z",
  version: 1,
});
const NO_RELATED = { references: [], referenced_by: [] };
/** The host's answer to a hide or a delete of w1. */
const removal = (over: Partial<Removal>): Removal => ({
  id: "r1",
  profile_id: "p1",
  kind: "hidden-record",
  target: "Observation/w1",
  label: "Body weight",
  records: 1,
  removed_by: "Ann",
  removed_at: "2026-12-05T10:00:00Z",
  purge_after: over.kind === "deleted-record" ? "2027-01-04T10:00:00Z" : null,
  ...over,
});

/** A host that has `records` (by "Type/id"), with `kind` copies, answering writes with `write`. */
function host(
  records: Record<string, object>,
  kind: "manual" | "provider" | "import" = "manual",
  write?: (s: Seen) => { status: number; body?: unknown },
) {
  return stubFetch((s) => {
    const m = /^\/api\/profiles\/p\d\/records\/(\w+)\/([\w-]+)(\/\w+)?$/.exec(s.path);
    if (s.method === "GET" && m) {
      const [, type, id, sub] = m;
      if (sub === "/provenance") return { status: 200, body: { copies: [copy(kind, kind === "manual" ? "Added by hand" : "Riverside Clinic", id)] } };
      if (sub === "/related") return { status: 200, body: NO_RELATED };
      const r = records[`${type}/${id}`];
      return r ? { status: 200, body: r } : { status: 404, body: { type: "urn:hearth:problem:not-found", status: 404, detail: "no such record" } };
    }
    return write?.(s) ?? { status: 500 };
  });
}

describe("a record typed in by hand", () => {
  it("is changed with the same form, filled in from what is stored, and replaced on the host", async () => {
    const seen = host({ "Observation/w1": WEIGHT }, "manual", (s) => {
      // The answer names the removal that puts back what it said before.
      if (s.method === "PUT") return { status: 200, body: { ...JSON.parse(s.body), id: "w1" }, headers: { "X-Hearth-Undo": "e1" } };
      if (s.method === "POST" && s.path === "/api/profiles/p1/removals/e1/undo")
        return { status: 200, body: removal({ id: "e1", kind: "edited-record", purge_after: "2027-01-04T10:00:00Z" }) };
      return { status: 500 };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Observation/w1" });
    await userEvent.click(await screen.findByRole("link", { name: "Edit" }));
    await screen.findByRole("heading", { name: "Change: Body weight" });
    expect(screen.getByLabelText(/What was measured/)).toHaveValue("body-weight");
    const value = screen.getByLabelText(/^Value/);
    expect(value).toHaveValue("71.5");
    expect(screen.getByLabelText(/Measured on/)).toHaveValue("2024-03-12");
    await userEvent.clear(value);
    await userEvent.type(value, "70.2");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(seen.some((s) => s.method === "PUT")).toBe(true));
    const put = seen.find((s) => s.method === "PUT")!;
    expect(put.path).toBe("/api/profiles/p1/manual/Observation/w1");
    expect(JSON.parse(put.body)).toMatchObject({
      resourceType: "Observation",
      code: { coding: [{ code: "29463-7" }] },
      valueQuantity: { value: 70.2, unit: "kg", system: UCUM, code: "kg" },
      effectiveDateTime: "2024-03-12",
    });
    // Back on the record, not the form.
    await screen.findByRole("button", { name: "Delete" });
    expect(screen.queryByRole("button", { name: "Save changes" })).toBeNull();
    // The change can be undone from its notice.
    const notice = (await screen.findByText("Your changes are saved.")).closest(".mantine-Notification-root") as HTMLElement;
    await userEvent.click(within(notice).getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("“Body weight” says again what it said before the change.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual(["/api/profiles/p1/removals/e1/undo"]);
  });

  it("is deleted after a confirmation that says how long it is kept, then the timeline opens with a notice that can undo it", async () => {
    const seen = host({ "Observation/w1": WEIGHT }, "manual", (s) => {
      // What is kept already says for how long: 14 days here.
      if (s.method === "GET" && s.path === "/api/profiles/p1/removals")
        return { status: 200, body: { removals: [removal({ id: "r0", removed_at: "2026-01-01T00:00:00Z", purge_after: "2026-01-15T00:00:00Z" })] } };
      if (s.method === "DELETE") return { status: 200, body: removal({ kind: "deleted-record" }) };
      if (s.method === "POST" && s.path === "/api/profiles/p1/removals/r1/undo") return { status: 200, body: removal({ kind: "deleted-record" }) };
      return { status: 500 };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Observation/w1" });
    await userEvent.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = await screen.findByRole("dialog", { name: "Delete “Body weight”?" });
    await waitFor(() =>
      expect(dialog).toHaveTextContent(/Hearth keeps it for 14 days, so until then you can bring it back from Hidden and removed\./),
    );
    expect(within(dialog).queryByText(/cannot be undone/)).toBeNull();
    expect(within(dialog).getByRole("link", { name: "Hidden and removed" })).toHaveAttribute("href", "/profiles/p1/removed");
    expect(seen.some((s) => s.method === "DELETE")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    await screen.findByText("navigated away");
    expect(seen.filter((s) => s.method === "DELETE").map((s) => s.path)).toEqual(["/api/profiles/p1/manual/Observation/w1"]);
    const notice = (await screen.findByText("“Body weight” is no longer in Ann's records. You can bring it back until 4 Jan 2027.")).closest(
      ".mantine-Notification-root",
    ) as HTMLElement;
    await userEvent.click(within(notice).getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("“Body weight” is back in Ann's records.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual(["/api/profiles/p1/removals/r1/undo"]);
  });

  it("offers no changes to someone who may only look", async () => {
    host({ "Observation/w1": WEIGHT }, "manual");
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p2/records/Observation/w1?edit=1" });
    await screen.findByRole("heading", { name: "Body weight" });
    await screen.findByText(/Added by hand/);
    expect(screen.queryByRole("link", { name: "Edit" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.queryByRole("textbox")).toBeNull();
  });
});

describe("a record from a provider", () => {
  it("is hidden after a confirmation that says it stays stored, then the timeline opens with a notice that can undo it", async () => {
    const seen = host({ "Observation/w1": WEIGHT }, "provider", (s) => {
      if (s.method === "POST" && s.path === "/api/profiles/p1/records/Observation/w1/hide") return { status: 201, body: removal({}) };
      if (s.method === "POST" && s.path === "/api/profiles/p1/removals/r1/undo") return { status: 200, body: removal({}) };
      return { status: 500 };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Observation/w1" });
    expect(await screen.findByText(/This came from/)).toHaveTextContent(
      "This came from Riverside Clinic; change it there. If it is wrong or not Ann's, hide it: it stays stored, and Hidden and removed shows it again.",
    );
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Hide this record" }));
    const dialog = await screen.findByRole("dialog", { name: "Hide “Body weight”?" });
    expect(dialog).toHaveTextContent(/It stays stored in Hearth, and you can show it again at any time from Hidden and removed\./);
    expect(seen.some((s) => s.method === "POST")).toBe(false);
    await userEvent.click(within(dialog).getByRole("button", { name: "Hide it" }));
    await screen.findByText("navigated away");
    const notice = (await screen.findByText("“Body weight” is hidden from Ann's records. It stays stored, and can be shown again.")).closest(
      ".mantine-Notification-root",
    ) as HTMLElement;
    await userEvent.click(within(notice).getByRole("button", { name: "Undo" }));
    expect(await screen.findByText("“Body weight” is shown again in Ann's records.")).toBeInTheDocument();
    expect(seen.filter((s) => s.method === "POST").map((s) => s.path)).toEqual([
      "/api/profiles/p1/records/Observation/w1/hide",
      "/api/profiles/p1/removals/r1/undo",
    ]);
  });

  it("shows another source's copy instead when asked, and opens it", async () => {
    const copies = [copy("provider", "Riverside Clinic"), copy("import", "Clinic export", "w2")];
    const seen = stubFetch((s) => {
      if (s.path.endsWith("/provenance")) return { status: 200, body: { copies } };
      if (s.path.endsWith("/related")) return { status: 200, body: NO_RELATED };
      if (s.method === "POST" && s.path === "/api/profiles/p1/records/Observation/w1/shown-copy")
        return { status: 200, body: { resource_type: "Observation", id: "w2" } };
      const id = s.path.split("/").pop();
      return { status: 200, body: { ...WEIGHT, id, code: { text: id === "w2" ? "Weight (from the export)" : "Body weight" } } };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Observation/w1" });
    const section = await screen.findByRole("region", { name: "Where this came from" });
    await within(section).findByText("2 sources sent this; the first copy is the one shown.");
    // Only the copy not shown has the button.
    const buttons = within(section).getAllByRole("button", { name: "Show this copy instead" });
    expect(buttons).toHaveLength(1);
    expect(buttons[0]).toHaveAccessibleDescription(/^Clinic export · uploaded/);
    await userEvent.click(buttons[0]!);
    await screen.findByRole("heading", { level: 1, name: "Weight (from the export)" });
    expect(JSON.parse(seen.find((s) => s.method === "POST")!.body)).toEqual({ source_id: "s-import", id: "w2" });
    expect(await screen.findByText("Ann's records now show the copy from Clinic export.")).toBeInTheDocument();
  });

  it("offers someone who may only look neither hiding nor another copy", async () => {
    const copies = [copy("provider", "Riverside Clinic"), copy("import", "Clinic export", "w2")];
    stubFetch((s) => {
      if (s.path.endsWith("/provenance")) return { status: 200, body: { copies } };
      if (s.path.endsWith("/related")) return { status: 200, body: NO_RELATED };
      return { status: 200, body: WEIGHT };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p2/records/Observation/w1" });
    expect(await screen.findByText(/This came from/)).toHaveTextContent("This came from Riverside Clinic; change it there.");
    await within(screen.getByRole("region", { name: "Where this came from" })).findByText(/Clinic export/);
    expect(screen.queryByRole("button", { name: "Hide this record" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Show this copy instead" })).toBeNull();
  });

  it("says where to change it, and offers neither edit nor delete", async () => {
    host({ "Observation/w1": WEIGHT }, "provider");
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Observation/w1?edit=1" });
    const line = await screen.findByText(/This came from/);
    expect(line).toHaveTextContent("This came from Riverside Clinic; change it there.");
    expect(screen.queryByRole("link", { name: "Edit" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    // Asking for the form by address shows the record instead.
    expect(screen.getByRole("heading", { level: 1, name: "Body weight" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Save changes" })).toBeNull();
  });
});

const DOC = (contentType: string) => ({
  resourceType: "DocumentReference",
  id: "d1",
  status: "current",
  description: "Discharge letter",
  date: "2024-03-12T10:00:00Z",
  content: [{ attachment: { contentType, url: "Binary/b1", title: "Discharge letter", size: 2048 } }],
});

describe("a document", () => {
  it("shows a PDF in a frame once the host has it, with a link to download it", async () => {
    const seen = host({ "DocumentReference/d1": DOC("application/pdf") }, "manual", (s) =>
      s.path === "/api/profiles/p1/attachments/b1" ? { status: 200 } : { status: 500 },
    );
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/DocumentReference/d1" });
    const frame = await screen.findByTitle("Discharge letter (PDF)");
    expect(frame.tagName).toBe("IFRAME");
    expect(frame).toHaveAttribute("src", "/api/profiles/p1/attachments/b1");
    expect(seen.find((s) => s.path === "/api/profiles/p1/attachments/b1")?.method).toBe("HEAD");
    const download = screen.getByRole("link", { name: "Download" });
    expect(download).toHaveAttribute("href", "/api/profiles/p1/attachments/b1");
    expect(download).toHaveAttribute("download", "Discharge letter.pdf");
    // Typed in here (an upload of a file): it can be deleted, but there is no form to edit it with.
    expect(screen.getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Edit" })).toBeNull();
  });

  it("shows a picture from its bytes, described by its title", async () => {
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:picture"), revokeObjectURL: vi.fn() }));
    const seen = host({ "DocumentReference/d1": DOC("image/png") }, "manual", (s) =>
      s.path === "/api/profiles/p1/attachments/b1" ? { status: 200, body: "png bytes" } : { status: 500 },
    );
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/DocumentReference/d1" });
    const img = await screen.findByRole("img", { name: "Discharge letter" });
    expect(img).toHaveAttribute("src", "blob:picture");
    expect(seen.find((s) => s.path === "/api/profiles/p1/attachments/b1")?.method).toBe("GET");
  });

  it("says so when the host does not have the file", async () => {
    host({ "DocumentReference/d1": DOC("application/pdf") }, "provider", () => ({ status: 404, body: { status: 404, detail: "no attachment" } }));
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/DocumentReference/d1" });
    expect(await screen.findByText("Hearth does not have this file.")).toBeInTheDocument();
    expect(screen.queryByTitle("Discharge letter (PDF)")).toBeNull();
  });
});

describe("a visit", () => {
  const VISIT = {
    resourceType: "Encounter",
    id: "e1",
    status: "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
    period: { start: "2024-03-12", end: "2024-03-12" },
  };
  const note = (id: string, text: string) => ({
    resourceType: "DocumentReference",
    id,
    description: text.slice(0, 5),
    date: "2024-03-12T11:00:00Z",
    content: [{ attachment: { contentType: "text/plain; charset=utf-8", data: Buffer.from(text).toString("base64") } }],
    context: { encounter: [{ reference: "Encounter/e1" }] },
  });

  it("lists the notes that name it, in full, and adds one", async () => {
    const records: Record<string, object> = { "Encounter/e1": VISIT, "DocumentReference/n1": note("n1", "Knee looks better.\nPhysio twice a week.") };
    const referencedBy = [
      { resource_type: "DocumentReference", id: "n1", source_id: "s", date: "2024-03-12T11:00:00Z", status: "current", display: "Knee " },
    ];
    const seen = stubFetch((s) => {
      if (s.path.endsWith("/related")) return { status: 200, body: { references: [], referenced_by: referencedBy } };
      if (s.path.endsWith("/provenance")) return { status: 200, body: { copies: [copy("manual", "Added by hand", "e1")] } };
      if (s.method === "POST" && s.path === "/api/profiles/p1/encounters/e1/notes") {
        const stored = note("n2", JSON.parse(s.body).text);
        records["DocumentReference/n2"] = stored;
        referencedBy.push({ ...referencedBy[0]!, id: "n2", date: "2024-03-13T09:00:00Z", display: "Call " });
        return { status: 201, body: stored };
      }
      const m = /records\/(\w+)\/(\w+)$/.exec(s.path);
      return m && records[`${m[1]}/${m[2]}`] ? { status: 200, body: records[`${m[1]}/${m[2]}`] } : { status: 404, body: {} };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p1/records/Encounter/e1" });
    const section = await screen.findByRole("region", { name: "Notes on this visit" });
    const list = await within(section).findByRole("list", { name: "Notes" });
    await within(list).findByText(/Knee looks better\.\s+Physio twice a week\./);
    await userEvent.type(within(section).getByLabelText("Add a note"), "Call if the swelling comes back.");
    await userEvent.click(within(section).getByRole("button", { name: "Save note" }));
    await within(list).findByText("Call if the swelling comes back.");
    expect(JSON.parse(seen.find((s) => s.method === "POST")!.body)).toEqual({ text: "Call if the swelling comes back." });
    expect(within(section).getByLabelText("Add a note")).toHaveValue("");
  });

  it("has no note box for a viewer", async () => {
    stubFetch((s) => {
      if (s.path.endsWith("/related")) return { status: 200, body: NO_RELATED };
      if (s.path.endsWith("/provenance")) return { status: 200, body: { copies: [copy("provider", "Riverside Clinic", "e1")] } };
      return { status: 200, body: VISIT };
    });
    renderPage(<RecordDetailPage />, { path: PATH, route: "/profiles/p2/records/Encounter/e1" });
    const section = await screen.findByRole("region", { name: "Notes on this visit" });
    await within(section).findByText("No notes yet.");
    expect(within(section).queryByLabelText("Add a note")).toBeNull();
  });
});
