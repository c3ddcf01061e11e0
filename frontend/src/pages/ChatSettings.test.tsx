import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ChatSettings, ChatStatus } from "../api/types";
import { ME, renderPage, stubFetch, type Answer, type Seen } from "../test-utils";
import ChatSettingsPage, { settingsBody } from "./ChatSettings";

afterEach(() => vi.unstubAllGlobals());

const open = (me = ME) => renderPage(<ChatSettingsPage />, { path: "/admin/chat", route: "/admin/chat", me });

const plugin = (id: string, name: string, kind: string) => ({
  id,
  name,
  kind,
  version: "0.1.0",
  wit: `hearth:${kind}@0.1.0`,
  world_version: "0.1.0",
  sha256: "0".repeat(64),
  permissions: { outbound: "none" },
});
const PLUGINS = {
  plugins: [
    plugin("fhir-r4", "FHIR R4 connector", "connector"),
    plugin("llm-ollama", "Ollama chat", "llm"),
    plugin("llm-openai", "OpenAI-compatible chat", "llm"),
  ],
  failures: [],
};

const STORED: ChatSettings = {
  adapter: "llm-ollama",
  endpoint: "http://127.0.0.1:11434",
  model: "llama3.1:8b",
  offer_tools: false,
  reply_timeout_secs: 90,
  has_api_key: true,
  updated_at: "2026-02-01T09:00:00Z",
};

/** A host keeping the chat settings as the real one does; `put` may refuse; `local` is the model it serves itself. */
function serve(start: ChatSettings | null, put?: (req: Seen) => Answer | undefined, local: string | null = null) {
  let stored = start;
  let saves = 0;
  return stubFetch((req) => {
    if (req.path === "/api/plugins") return { status: 200, body: PLUGINS };
    if (req.path === "/api/chat") {
      const status: ChatStatus = { enabled: !!stored, adapter: null, model: null, endpoint_host: null, remote: false, local_endpoint: local };
      return { status: 200, body: status };
    }
    if (req.path === "/api/admin/chat" && req.method === "GET") return { status: 200, body: stored };
    if (req.path === "/api/admin/chat" && req.method === "PUT") {
      const refused = put?.(req);
      if (refused) return refused;
      const body = JSON.parse(req.body) as Record<string, unknown>;
      const key = "api_key" in body ? body.api_key !== "" : (stored?.has_api_key ?? false);
      saves += 1;
      stored = { ...(body as unknown as ChatSettings), has_api_key: key, updated_at: `2026-02-02T10:00:0${saves}Z` };
      return { status: 200, body: stored };
    }
    if (req.path === "/api/admin/chat" && req.method === "DELETE") {
      stored = null;
      return { status: 204 };
    }
    return { status: 404, body: { type: "urn:hearth:problem:not-found", status: 404, detail: "no such API route" } };
  });
}

const puts = (seen: Seen[]) => seen.filter((s) => s.method === "PUT").map((s) => JSON.parse(s.body) as Record<string, unknown>);

describe("the chat settings", () => {
  it("turns chat on with the body the host expects, and sends no api_key when the key is left blank", async () => {
    const seen = serve(null);
    open();
    const adapter = (await screen.findByLabelText(/^Adapter/)) as HTMLSelectElement;
    expect(screen.getByText(/^Chat is off: nobody can ask questions/)).toBeInTheDocument();
    // Only llm adapters are offered.
    expect([...adapter.options].map((o) => o.value)).toEqual(["llm-ollama", "llm-openai"]);
    await userEvent.selectOptions(adapter, "llm-openai");
    await userEvent.type(screen.getByLabelText(/^Endpoint address/), "http://127.0.0.1:8080/v1");
    expect(screen.getByTestId("endpoint-where")).toHaveTextContent("127.0.0.1:8080 is this machine: questions and records stay here.");
    await userEvent.type(screen.getByLabelText(/^Model/), "  fake ");
    const timeout = screen.getByLabelText(/^Reply timeout/);
    await userEvent.clear(timeout);
    await userEvent.type(timeout, "30");
    // Tools are offered unless turned off.
    const tools = screen.getByLabelText("Let the model search the records itself (tools)");
    expect(tools).toBeChecked();
    await userEvent.click(tools);
    // No key stored yet: nothing to remove.
    expect(screen.queryByLabelText("Remove the stored key")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Turn chat on" }));
    await waitFor(() => expect(puts(seen)).toHaveLength(1));
    expect(puts(seen)[0]).toEqual({
      adapter: "llm-openai",
      endpoint: "http://127.0.0.1:8080/v1",
      model: "fake",
      offer_tools: false,
      reply_timeout_secs: 30,
    });
    expect("api_key" in puts(seen)[0]!).toBe(false);
    expect(seen.find((s) => s.method === "PUT")!.headers.get("Content-Type")).toBe("application/json");
    // Saved: the form shows what is stored, and offers to turn chat off.
    expect(await screen.findByRole("button", { name: "Turn chat off" })).toBeInTheDocument();
    expect(await screen.findByText("Questions are answered by fake at 127.0.0.1:8080.")).toBeInTheDocument();
  });

  it("keeps a stored key unless a new one is typed or it is removed, and never shows it", async () => {
    const seen = serve(STORED);
    open();
    const key = (await screen.findByLabelText(/^API key/)) as HTMLInputElement;
    expect(key.value).toBe("");
    expect(screen.getByText(/^A key is stored \(it is never shown\)/)).toBeInTheDocument();
    expect(screen.getByLabelText(/^Endpoint address/)).toHaveValue("http://127.0.0.1:11434");
    expect(screen.getByLabelText(/^Reply timeout/)).toHaveValue(90);
    expect(screen.getByLabelText("Let the model search the records itself (tools)")).not.toBeChecked();
    // Saved as it is: the key is kept (no api_key).
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(puts(seen)).toHaveLength(1));
    expect(puts(seen)[0]).toEqual({
      adapter: "llm-ollama",
      endpoint: "http://127.0.0.1:11434",
      model: "llama3.1:8b",
      offer_tools: false,
      reply_timeout_secs: 90,
    });
    // A new key replaces it.
    await userEvent.type(await screen.findByLabelText(/^API key/), "sk-new");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(puts(seen)).toHaveLength(2));
    expect(puts(seen)[1]!.api_key).toBe("sk-new");
    // Removing it sends an empty key.
    await waitFor(() => expect((screen.getByLabelText(/^API key/) as HTMLInputElement).value).toBe(""));
    await userEvent.click(screen.getByLabelText("Remove the stored key"));
    expect(screen.getByLabelText(/^API key/)).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(puts(seen)).toHaveLength(3));
    expect(puts(seen)[2]!.api_key).toBe("");
    expect(await screen.findByText(/^Only if the endpoint needs one/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Remove the stored key")).toBeNull();
  });

  it("warns in words when the endpoint is not this machine", async () => {
    serve(null);
    open();
    const endpoint = await screen.findByLabelText(/^Endpoint address/);
    await userEvent.type(endpoint, "https://api.openai.com/v1");
    const where = screen.getByTestId("endpoint-where");
    expect(where).toHaveTextContent("Records will leave this machine");
    expect(where).toHaveTextContent(
      "api.openai.com is not this machine. Each question, and the records that match it, will be sent there to be answered.",
    );
    for (const local of ["http://localhost:11434", "http://[::1]:8080/v1", "http://127.1.2.3:11434"]) {
      await userEvent.clear(endpoint);
      // `[` opens a key name for userEvent: doubled, it is typed.
      await userEvent.type(endpoint, local.replace("[", "[["));
      expect(screen.getByTestId("endpoint-where")).toHaveTextContent(/is this machine: questions and records stay here\.$/);
    }
    await userEvent.clear(endpoint);
    await userEvent.type(endpoint, "http://192.168.1.20:11434");
    expect(screen.getByTestId("endpoint-where")).toHaveTextContent("192.168.1.20:11434 is not this machine.");
  });

  it("shows the host's reason next to the form, and on the field it is about", async () => {
    serve(null, () => ({
      status: 422,
      body: { type: "urn:hearth:problem:invalid-body", status: 422, detail: "endpoint: put credentials in api_key, not in the URL" },
    }));
    open();
    await userEvent.type(await screen.findByLabelText(/^Endpoint address/), "https://me:secret@models.example/v1");
    await userEvent.type(screen.getByLabelText(/^Model/), "gpt-test");
    await userEvent.click(screen.getByRole("button", { name: "Turn chat on" }));
    const alert = (await screen.findByText("Not saved")).closest('[role="alert"]')!;
    expect(alert).toHaveTextContent("The settings were not saved. Endpoint address: Put credentials in api_key, not in the URL.");
    expect(screen.getByLabelText(/^Endpoint address/)).toHaveAccessibleDescription(/Put credentials in api_key, not in the URL\./);
  });

  it("says what is missing before asking the host", async () => {
    const seen = serve(null);
    open();
    await userEvent.type(await screen.findByLabelText(/^Endpoint address/), "127.0.0.1:11434");
    const timeout = screen.getByLabelText(/^Reply timeout/);
    await userEvent.clear(timeout);
    await userEvent.type(timeout, "2");
    await userEvent.click(screen.getByRole("button", { name: "Turn chat on" }));
    expect(await screen.findByText("Enter an http:// or https:// address, such as http://127.0.0.1:11434.")).toBeInTheDocument();
    expect(screen.getByText("Enter the model's name.")).toBeInTheDocument();
    expect(screen.getByText("Whole seconds, from 5 to 600.")).toBeInTheDocument();
    expect(puts(seen)).toHaveLength(0);
  });

  it("turns chat off once asked to confirm", async () => {
    const seen = serve(STORED);
    open();
    await userEvent.click(await screen.findByRole("button", { name: "Turn chat off" }));
    const dialog = await screen.findByRole("dialog", { name: "Turn chat off?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Turn chat off" }));
    await waitFor(() => expect(seen.some((s) => s.method === "DELETE" && s.path === "/api/admin/chat")).toBe(true));
    expect(await screen.findByRole("button", { name: "Turn chat on" })).toBeInTheDocument();
    expect(screen.getByText(/^Chat is off: nobody can ask questions/)).toBeInTheDocument();
  });

  it("offers the model on this machine in one click, with the settings a model that small needs", async () => {
    const seen = serve(null, undefined, "http://127.0.0.1:8089/v1");
    open();
    const section = await screen.findByRole("region", { name: "The model on this machine" });
    expect(section).toHaveTextContent("SmolLM2");
    expect(section).toHaveTextContent("It runs on this computer's processor, so nothing leaves the machine");
    expect(section).toHaveTextContent("slower and simpler than a large model's");
    expect(screen.queryByTestId("local-model-hint")).toBeNull();
    await userEvent.click(within(section).getByRole("button", { name: "Use the model on this machine" }));
    // Filled in, not yet saved: the administrator saves as usual.
    expect(puts(seen)).toHaveLength(0);
    expect(screen.getByTestId("local-model-filled")).toHaveTextContent("Press “Turn chat on” to save.");
    expect(screen.getByLabelText(/^Adapter/)).toHaveValue("llm-openai");
    expect(screen.getByLabelText(/^Endpoint address/)).toHaveValue("http://127.0.0.1:8089/v1");
    expect(screen.getByTestId("endpoint-where")).toHaveTextContent("127.0.0.1:8089 is this machine");
    expect(screen.getByLabelText(/^Model/)).toHaveValue("local");
    expect(screen.getByLabelText(/^Reply timeout/)).toHaveValue(300);
    expect(screen.getByLabelText("Let the model search the records itself (tools)")).not.toBeChecked();
    const save = screen.getByRole("button", { name: "Turn chat on" });
    expect(save).toHaveFocus();
    await userEvent.click(save);
    await waitFor(() => expect(puts(seen)).toHaveLength(1));
    expect(puts(seen)[0]).toEqual({
      adapter: "llm-openai",
      endpoint: "http://127.0.0.1:8089/v1",
      model: "local",
      offer_tools: false,
      reply_timeout_secs: 300,
    });
    expect(await screen.findByText("Questions are answered by local at 127.0.0.1:8089.")).toBeInTheDocument();
    expect(await screen.findByRole("region", { name: "The model on this machine" })).toHaveTextContent("Chat uses it now.");
  });

  it("replaces other settings with the model on this machine, and removes a stored key", async () => {
    const seen = serve(STORED, undefined, "http://127.0.0.1:8089/v1");
    open();
    await userEvent.click(await screen.findByRole("button", { name: "Use the model on this machine" }));
    expect(screen.getByLabelText("Remove the stored key")).toBeChecked();
    expect(screen.getByTestId("local-model-filled")).toHaveTextContent("Press “Save changes” to save.");
    await userEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(puts(seen)).toHaveLength(1));
    expect(puts(seen)[0]).toEqual({
      adapter: "llm-openai",
      endpoint: "http://127.0.0.1:8089/v1",
      model: "local",
      offer_tools: false,
      reply_timeout_secs: 300,
      api_key: "",
    });
  });

  it("says how to get a model on this machine when the host serves none", async () => {
    const seen = serve(null);
    open();
    expect(await screen.findByTestId("local-model-hint")).toHaveTextContent(
      "To have a model run on this machine, start Hearth with local_model set to a GGUF model file, or run make local-model",
    );
    expect(screen.queryByRole("region", { name: "The model on this machine" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Use the model on this machine" })).toBeNull();
    expect(seen.some((s) => s.path === "/api/chat")).toBe(true);
  });

  it("is for administrators only", async () => {
    const seen = serve(STORED);
    open({ ...ME, user: { ...ME.user, role: "member" } });
    expect(screen.getByText("Only administrators set up chat.")).toBeInTheDocument();
    expect(seen).toHaveLength(0);
  });
});

describe("settingsBody", () => {
  const form = { adapter: "llm-openai", endpoint: " http://127.0.0.1:8080/v1 ", model: "fake", offer_tools: true, reply_timeout_secs: "60" };
  it("sends a key only when one is typed, and an empty one to remove it", () => {
    expect(settingsBody({ ...form, api_key: "   ", remove_key: false })).toEqual({
      adapter: "llm-openai",
      endpoint: "http://127.0.0.1:8080/v1",
      model: "fake",
      offer_tools: true,
      reply_timeout_secs: 60,
    });
    expect(settingsBody({ ...form, api_key: " sk-1 ", remove_key: false }).api_key).toBe("sk-1");
    expect(settingsBody({ ...form, api_key: "sk-1", remove_key: true }).api_key).toBe("");
  });
});
