import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Assessed, Item } from "../lib/recommendations";
import { ASSESSED, recommendationItem, SCREENING } from "../lib/recommendations.fixture";
import { renderPage, stubFetch, type Answer, type Seen } from "../test-utils";
import RecommendationsPage from "./Recommendations";

afterEach(() => vi.unstubAllGlobals());

const open = (profile = "p1") =>
  renderPage(<RecommendationsPage />, { path: "/profiles/:profile/recommendations", route: `/profiles/${profile}/recommendations` });

const LIST = "/api/profiles/p1/recommendations";

/**
 * A host that keeps set-aside recommendations as the real one does: a PUT
 * moves the item to the "dismissed" group, a DELETE back to its status.
 */
function serve(start: Assessed, other?: (req: Seen) => Answer | undefined) {
  let groups = structuredClone(start.groups);
  const take = (key: string) => {
    let found: Item | undefined;
    groups = groups
      .map((g) => ({ ...g, items: g.items.filter((i) => (i.recommendation.key === key ? ((found = i), false) : true)) }))
      .filter((g) => g.items.length > 0);
    return found!;
  };
  const put = (status: string, i: Item) => {
    const g = groups.find((x) => x.status === status);
    if (g) g.items.push(i);
    else groups.push({ status: status as Item["recommendation"]["status"], items: [i] });
  };
  return stubFetch((req) => {
    const answer = other?.(req);
    if (answer) return answer;
    const dismissal = /\/recommendations\/immunizations\/([^/]+)\/dismissal$/.exec(req.path);
    if (dismissal && req.method === "PUT") {
      const d = { reason: (JSON.parse(req.body) as { reason: string }).reason, at: "2026-02-01T09:00:00Z" };
      put("dismissed", { ...take(dismissal[1]!), dismissed: d });
      return { status: 200, body: d };
    }
    if (dismissal && req.method === "DELETE") {
      const i = take(dismissal[1]!);
      put(i.recommendation.status, { ...i, dismissed: null });
      return { status: 204 };
    }
    return { status: 200, body: { ...start, groups } };
  });
}

const headings = () =>
  screen
    .getAllByRole("heading", { level: 2 })
    .map((h) => h.textContent)
    .filter((t) => t !== "What is due");

describe("the recommendations page", () => {
  it("answers what is due: groups in plain words with counts, most pressing first, the rest folded away", async () => {
    serve(ASSESSED);
    open();
    expect(await screen.findByRole("heading", { level: 1, name: "What is due" })).toBeInTheDocument();
    expect(await screen.findByText("1 overdue and 1 due now.")).toBeInTheDocument();
    expect(screen.getByText("Recommendations for Ann's record, as of 1 Feb 2026")).toBeInTheDocument();
    expect(headings()).toEqual([
      "Overdue (1)",
      "Due now (1)",
      "Coming up (1)",
      "Done (1)",
      "Not recommended (1)",
      "Past the age for it (1)",
      "Set aside (1)",
    ]);
    // What needs doing is open; what does not is folded away.
    for (const name of [/^Overdue/, /^Due now/, /^Coming up/, /^Set aside/]) {
      const region = screen.getByRole("region", { name });
      expect(region.querySelector("details.recommendation-group")).toBeNull();
    }
    for (const name of [/^Done/, /^Not recommended/, /^Past the age for it/]) {
      const details = screen.getByRole("region", { name }).querySelector("details.recommendation-group") as HTMLDetailsElement;
      expect(details.open).toBe(false);
    }
    expect(within(screen.getByRole("region", { name: /^Done/ })).getByText("MMR vaccine")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Download as FHIR" })).toHaveAttribute(
      "href",
      "/api/profiles/p1/$immds-forecast?assessmentDate=2026-02-01",
    );
  });

  it("shows each item's dates, reason, guideline, the records it rests on, and how each dose was judged", async () => {
    serve(ASSESSED);
    open();
    const hepb = within(await screen.findByRole("listitem", { name: "HepB vaccine, dose 2" }));
    expect(hepb.getByText("Overdue")).toBeInTheDocument();
    expect(hepb.getByText("Due since 8 Dec 2025 · overdue since 6 Jan 2026")).toBeInTheDocument();
    expect(hepb.getByText("Dose 2 of the HepB 3-dose series; 1 valid dose(s) on record.")).toBeInTheDocument();
    expect(hepb.getByRole("link", { name: "CDC Clinical Decision Support for Immunization (ACIP schedule)" })).toHaveAttribute(
      "href",
      "https://www.cdc.gov/vaccines/programs/iis/cdsi.html",
    );
    // Evidence: each record, named by its type, opens its record page.
    expect(hepb.getByRole("link", { name: "Patient" })).toHaveAttribute("href", "/profiles/p1/records/Patient/pat1");
    expect(hepb.getByRole("link", { name: "Immunization 1" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/hb1");
    expect(hepb.getByRole("link", { name: "Immunization 2" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/hb0");
    expect(hepb.getByRole("link", { name: "Condition" })).toHaveAttribute("href", "/profiles/p1/records/Condition/c1");
    // The HepB doses only (not the MMR one), each with its judgement and a link to it.
    const doses = within(hepb.getByRole("list", { name: "HepB doses on record" })).getAllByRole("listitem");
    expect(doses.map((d) => d.textContent)).toEqual(["A dose: Not valid — Age: Too Young", "Dose 1: Valid"]);
    expect(within(doses[0]!).getByRole("link", { name: "A dose" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/hb0");
    expect(within(doses[1]!).getByRole("link", { name: "Dose 1" })).toHaveAttribute("href", "/profiles/p1/records/Immunization/hb1");
    // Coming up: from the earliest day, due on the recommended one.
    const covid = within(screen.getByRole("listitem", { name: "COVID-19 vaccine, dose 3" }));
    expect(covid.getByText("From 1 Mar 2026 · due 1 Apr 2026")).toBeInTheDocument();
    // A set-aside one says when and why.
    const rsv = within(screen.getByRole("listitem", { name: "RSV vaccine, dose 1" }));
    expect(rsv.getByText("Set aside on 20 Jan 2026: “Not for me this year”")).toBeInTheDocument();
  });

  it("sets an item aside with the reason it asks for, and the item moves to Set aside", async () => {
    const seen = serve(ASSESSED);
    open();
    const overdue = await screen.findByRole("region", { name: /^Overdue/ });
    const hepb = within(overdue).getByRole("listitem", { name: "HepB vaccine, dose 2" });
    await userEvent.click(within(hepb).getByRole("button", { name: "Set aside" }));
    const form = within(hepb).getByRole("form", { name: "Set aside: HepB vaccine, dose 2" });
    const reason = within(form).getByLabelText(/Why set it aside\?/);
    expect(reason).toHaveFocus();
    // A reason is needed.
    await userEvent.click(within(form).getByRole("button", { name: "Set aside" }));
    expect(await within(form).findByText("Say why in a few words.")).toBeInTheDocument();
    expect(seen.some((r) => r.method === "PUT")).toBe(false);
    await userEvent.type(reason, "  Given at the travel clinic  ");
    await userEvent.click(within(form).getByRole("button", { name: "Set aside" }));
    await waitFor(() => expect(seen.some((r) => r.method === "PUT")).toBe(true));
    const put = seen.find((r) => r.method === "PUT")!;
    expect(put.path).toBe("/api/profiles/p1/recommendations/immunizations/immunization-hepb/dismissal");
    expect(JSON.parse(put.body)).toEqual({ reason: "Given at the travel clinic" });
    // Asked for again: it is listed under Set aside, with why, and no longer overdue.
    const setAside = screen.getByRole("region", { name: /^Set aside/ });
    const moved = await within(setAside).findByRole("listitem", { name: "HepB vaccine, dose 2" });
    expect(moved).toHaveTextContent("Set aside on 1 Feb 2026: “Given at the travel clinic”");
    expect(screen.getByRole("heading", { level: 2, name: "Set aside (2)" })).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: /^Overdue/ })).not.toBeInTheDocument();
  });

  it("brings a set-aside item back", async () => {
    const seen = serve(ASSESSED);
    open();
    const setAside = await screen.findByRole("region", { name: /^Set aside/ });
    const rsv = within(setAside).getByRole("listitem", { name: "RSV vaccine, dose 1" });
    // A set-aside item is brought back, not set aside again or marked done.
    expect(within(rsv).queryByRole("button", { name: "Set aside" })).not.toBeInTheDocument();
    expect(within(rsv).queryByRole("button", { name: "Done elsewhere" })).not.toBeInTheDocument();
    await userEvent.click(within(rsv).getByRole("button", { name: "Bring back" }));
    await waitFor(() => expect(seen.some((r) => r.method === "DELETE")).toBe(true));
    expect(seen.find((r) => r.method === "DELETE")!.path).toBe("/api/profiles/p1/recommendations/immunizations/immunization-rsv/dismissal");
    const due = screen.getByRole("region", { name: /^Due now/ });
    expect(await within(due).findByRole("listitem", { name: "RSV vaccine, dose 1" })).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: /^Set aside/ })).not.toBeInTheDocument();
  });

  it("records a vaccine done elsewhere as a typed-in Immunization with its CVX code and date, then judges again", async () => {
    const seen = serve(ASSESSED, (req) =>
      req.method === "POST" ? { status: 201, body: { resourceType: "Immunization", id: "new1", status: "completed" } } : undefined,
    );
    open();
    const hepb = await screen.findByRole("listitem", { name: "HepB vaccine, dose 2" });
    await userEvent.click(within(hepb).getByRole("button", { name: "Done elsewhere" }));
    const form = within(hepb).getByRole("form", { name: "Done elsewhere: HepB vaccine, dose 2" });
    const date = within(form).getByLabelText(/Given on/);
    expect(date).toHaveAttribute("type", "date");
    expect(date).toHaveAttribute("max", new Date().toISOString().slice(0, 10));
    // Not in the future.
    fireEvent.change(date, { target: { value: "2999-01-01" } });
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("The date cannot be in the future.")).toBeInTheDocument();
    expect(seen.some((r) => r.method === "POST")).toBe(false);

    const gets = seen.filter((r) => r.path === LIST).length;
    fireEvent.change(date, { target: { value: "2026-01-15" } });
    await userEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(seen.some((r) => r.method === "POST")).toBe(true));
    const post = seen.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/profiles/p1/manual/Immunization");
    expect(JSON.parse(post.body)).toEqual({
      resourceType: "Immunization",
      status: "completed",
      vaccineCode: { text: "HepB", coding: [{ system: "http://hl7.org/fhir/sid/cvx", code: "45", display: "HepB" }] },
      occurrenceDateTime: "2026-01-15",
    });
    // The recommendations are asked for again, and the form closes.
    await waitFor(() => expect(seen.filter((r) => r.path === LIST).length).toBeGreaterThan(gets));
    await waitFor(() => expect(within(hepb).queryByRole("form")).not.toBeInTheDocument());
  });

  it("codes a vaccine group without a CVX code by its name only", async () => {
    const rsv = { ...ASSESSED.groups[6]!.items[0]!, dismissed: null };
    const seen = serve({ ...ASSESSED, groups: [{ status: "due", items: [rsv] }] }, (req) =>
      req.method === "POST" ? { status: 201, body: { resourceType: "Immunization", id: "new2" } } : undefined,
    );
    open();
    const item = await screen.findByRole("listitem", { name: "RSV vaccine, dose 1" });
    await userEvent.click(within(item).getByRole("button", { name: "Done elsewhere" }));
    fireEvent.change(within(item).getByLabelText(/Given on/), { target: { value: "2026-01-10" } });
    await userEvent.click(within(item).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(seen.some((r) => r.method === "POST")).toBe(true));
    expect(JSON.parse(seen.find((r) => r.method === "POST")!.body).vaccineCode).toEqual({ text: "RSV" });
  });

  it("leads to the add-a-record page for something done elsewhere that is not a vaccine", async () => {
    serve({ ...ASSESSED, groups: [{ status: "due", items: [recommendationItem(SCREENING)] }] });
    open();
    const item = await screen.findByRole("listitem", { name: "Colorectal cancer screening" });
    expect(within(item).getByRole("link", { name: "Done elsewhere" })).toHaveAttribute("href", "/profiles/p1/add");
  });

  it("offers no changes to someone who can only look", async () => {
    const seen = stubFetch(() => ({ status: 200, body: ASSESSED }));
    open("p2");
    await screen.findByRole("listitem", { name: "HepB vaccine, dose 2" });
    expect(seen[0]!.path).toBe("/api/profiles/p2/recommendations");
    for (const name of ["Set aside", "Done elsewhere", "Bring back"]) expect(screen.queryByRole("button", { name })).not.toBeInTheDocument();
    // The records are still there to open.
    expect(screen.getAllByRole("link", { name: "Patient" })[0]).toHaveAttribute("href", "/profiles/p2/records/Patient/pat1");
  });

  it("says quietly which rules could not run, and shows the others' recommendations", async () => {
    stubFetch(() => ({ status: 200, body: { ...ASSESSED, failures: [{ plugin: "screenings", message: "the plugin ran out of time" }] } }));
    open();
    const notice = (await screen.findByText(/^Some rules could not run/)).closest('[role="status"]');
    expect(notice).toHaveTextContent("Some rules could not run: screenings. What they would recommend is missing here.");
    // The plugin's own words are there, folded away under Details.
    expect(within(notice as HTMLElement).getByText("screenings: the plugin ran out of time")).toBeInTheDocument();
    // Not an error: the page is not in an alert.
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByRole("listitem", { name: "HepB vaccine, dose 2" })).toBeInTheDocument();
  });

  it("says nothing could be worked out when the only rules failed, not that a birth date is missing", async () => {
    const message = "Patient/self-1 has no birth date: no vaccine can be judged";
    stubFetch(() => ({ status: 200, body: { as_of: "2026-02-01", groups: [], doses: [], failures: [{ plugin: "immunizations", message }] } }));
    open();
    expect(await screen.findByRole("heading", { name: "What is due could not be worked out" })).toBeInTheDocument();
    expect(screen.getByText(/^Some rules could not run: immunizations\./)).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Recommendations need a birth date" })).not.toBeInTheDocument();
  });

  it("says recommendations need a birth date when there are none", async () => {
    stubFetch(() => ({ status: 200, body: { as_of: "2026-02-01", groups: [], doses: [], failures: [] } }));
    open();
    expect(await screen.findByRole("heading", { name: "Recommendations need a birth date" })).toBeInTheDocument();
    expect(screen.getByText(/no Patient record with a birth date/)).toBeInTheDocument();
  });

  it("says what went wrong when the host fails, with a way to try again", async () => {
    stubFetch(() => ({ status: 500, body: { type: "urn:hearth:problem:internal", status: 500, detail: "boom" } }));
    open();
    expect(await screen.findByRole("alert")).toHaveTextContent("This could not be loaded");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
