import { screen, within } from "@testing-library/react";
import type { Job, Source } from "../api/types";
import { renderPage, stubFetch } from "../test-utils";
import SourceDetailPage from "./SourceDetail";
import SourcesPage from "./Sources";

afterEach(() => vi.unstubAllGlobals());

const RAW = "fhir-r4@0.1.0: GET https://fhir.example.org/r4/Observation failed: ErrorCode::ConnectionRefused";
const source = (over: Partial<Source> = {}): Source =>
  ({
    id: "s1",
    name: "Clinic portal",
    kind: "provider",
    connector: "fhir-r4",
    fhir_base_url: "https://fhir.example.org/r4",
    patient_id: "p",
    status: "error",
    last_error: RAW,
    last_sync_at: null,
    created_at: "2026-01-01T00:00:00Z",
    resumable: false,
    resources: 0,
    platform: null,
    endpoint_id: "e1",
    next_sync_at: null,
    scope: null,
    ...over,
  }) as Source;
const job = (over: Partial<Job> = {}): Job =>
  ({
    id: "j1",
    profile_id: "p1",
    source_id: "s1",
    source_name: "Clinic portal",
    kind: "sync",
    trigger: "connect",
    status: "failed",
    attempts: 5,
    max_attempts: 5,
    run_after: "2026-01-01T00:00:00Z",
    progress: null,
    error: RAW,
    error_kind: "upstream",
    cancel_requested: false,
    created_at: "2026-01-01T00:00:00Z",
    started_at: "2026-01-01T00:00:00Z",
    finished_at: "2026-01-01T00:01:00Z",
    ...over,
  }) as Job;

function stub(s: Source, jobs: Job[]) {
  stubFetch((req) => {
    if (req.path === "/api/profiles/p1/sources") return { status: 200, body: { sources: [s] } };
    if (req.path === "/api/profiles/p1/sources/s1") return { status: 200, body: s };
    if (req.path.startsWith("/api/profiles/p1/jobs")) return { status: 200, body: { jobs } };
    return { status: 404 };
  });
}

describe("a source's status", () => {
  it("reads the same in the list and on the source's page, the raw error only under Details", async () => {
    stub(source(), [job()]);
    const list = renderPage(<SourcesPage />, { path: "/profiles/:profile/sources", route: "/profiles/p1/sources" });
    const card = (await screen.findByRole("region", { name: "Clinic portal" })) as HTMLElement;
    const sentence = "The last sync did not finish: the provider did not answer as expected. Use “Sync now” to try again.";
    expect(within(card).getByText("Last sync failed")).toBeInTheDocument();
    expect(within(card).getByTestId("source-status")).toHaveTextContent(sentence);
    expect(within(card).getByText("Details").closest("details")).toHaveTextContent(RAW);
    expect(within(card).getByTestId("source-status").textContent).not.toMatch(/fhir-r4|ErrorCode|https/);
    list.unmount();

    renderPage(<SourceDetailPage />, { path: "/profiles/:profile/sources/:source", route: "/profiles/p1/sources/s1" });
    expect(await screen.findByRole("heading", { level: 1, name: "Clinic portal" })).toBeInTheDocument();
    expect(screen.getByText("Last sync failed")).toBeInTheDocument();
    expect(screen.getByTestId("source-status")).toHaveTextContent(sentence);
    // The failed sync in the history: words, the raw error folded away.
    expect(screen.getAllByText("Failed: the provider did not answer as expected.").length).toBeGreaterThan(0);
    for (const raw of screen.getAllByText(`Hearth said: ${RAW}`)) expect(raw.closest("details")).not.toBeNull();
  });

  it("says Connecting… rather than 0 records while the first sync starts", async () => {
    stub(source({ status: "new", last_error: null }), [job({ status: "running", attempts: 1, error: null, error_kind: null, finished_at: null })]);
    renderPage(<SourceDetailPage />, { path: "/profiles/:profile/sources/:source", route: "/profiles/p1/sources/s1" });
    await screen.findByRole("heading", { level: 1, name: "Clinic portal" });
    const records = screen.getAllByText("Records", { selector: "th" })[0]!;
    expect(records.closest("tr")).toHaveTextContent("Connecting…");
    expect(records.closest("tr")).not.toHaveTextContent(/\b0\b/);
    expect(screen.getByText("Connecting to the provider…")).toBeInTheDocument();
  });
});
