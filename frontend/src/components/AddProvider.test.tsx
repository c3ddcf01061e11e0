import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage, stubFetch } from "../test-utils";
import { AddProvider } from "./AddProvider";

afterEach(() => vi.unstubAllGlobals());

const FOUND = {
  fhir_base_url: "https://fhir.smallclinic.example/r4",
  name: "Small Clinic FHIR",
  fhir_version: "4.0.1",
  connector: "fhir-r4",
  authorization_endpoint: "https://auth.smallclinic.example/authorize",
  token_endpoint: "https://auth.smallclinic.example/token",
  registration_endpoint: "https://auth.smallclinic.example/register",
  scopes_supported: ["launch/patient", "offline_access", "patient/*.read"],
  capabilities: ["launch-standalone"],
  connect: "smart-register",
  problem: null,
};

describe("adding a provider by its address", () => {
  it("shows what Hearth found, then connects by the address and goes to the provider's sign-in", async () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, assign });
    const seen = stubFetch((req) =>
      req.path.endsWith("/providers/discover")
        ? { status: 200, body: FOUND }
        : { status: 201, body: { authorize_url: "https://auth.smallclinic.example/authorize?x=1", expires_at: "2026-12-04T22:00:00Z" } },
    );
    renderPage(<AddProvider profile="p1" />, { path: "/profiles/:profile/sources/connect", route: "/profiles/p1/sources/connect" });
    await userEvent.type(screen.getByLabelText(/FHIR address/), "https://fhir.smallclinic.example/r4/");
    await userEvent.click(screen.getByRole("button", { name: "Look it up" }));
    expect(await screen.findByText("Small Clinic FHIR")).toBeInTheDocument();
    expect(screen.getByText("FHIR version: 4.0.1")).toBeInTheDocument();
    expect(screen.getByText("Sign-in at: auth.smallclinic.example")).toBeInTheDocument();
    expect(screen.getByText(/registers itself with the provider first/)).toBeInTheDocument();
    expect(JSON.parse(seen[0]!.body)).toEqual({ url: "https://fhir.smallclinic.example/r4/" });
    await userEvent.click(screen.getByRole("button", { name: "Connect Small Clinic FHIR" }));
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith("https://auth.smallclinic.example/authorize?x=1"));
    expect(seen[1]!.path).toBe("/api/profiles/p1/connect");
    expect(JSON.parse(seen[1]!.body)).toEqual({ fhir_base_url: FOUND.fhir_base_url, name: "Small Clinic FHIR" });
  });

  it("says why a provider cannot be connected", async () => {
    stubFetch(() => ({
      status: 200,
      body: {
        ...FOUND,
        connect: "none",
        registration_endpoint: null,
        problem: "it offers no dynamic registration and the administrator has set no client id for custom providers ([clients.custom] client_id)",
      },
    }));
    renderPage(<AddProvider profile="p1" />, { path: "/profiles/:profile/sources/connect", route: "/profiles/p1/sources/connect" });
    await userEvent.type(screen.getByLabelText(/FHIR address/), "https://fhir.smallclinic.example/r4");
    await userEvent.click(screen.getByRole("button", { name: "Look it up" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("[clients.custom]");
    expect(screen.queryByRole("button", { name: /^Connect/ })).toBeNull();
  });

  it("shows a refused address in words", async () => {
    stubFetch(() => ({
      status: 422,
      body: {
        type: "urn:hearth:problem:provider-address-refused",
        status: 422,
        title: "Unprocessable Entity",
        detail:
          "http://192.168.1.5/fhir: 192.168.1.5 is 192.168.1.5, a private network address; providers must be on the public internet unless the administrator allows private addresses (allow_private_provider_addresses)",
      },
    }));
    renderPage(<AddProvider profile="p1" />, { path: "/profiles/:profile/sources/connect", route: "/profiles/p1/sources/connect" });
    await userEvent.type(screen.getByLabelText(/FHIR address/), "http://192.168.1.5/fhir");
    await userEvent.click(screen.getByRole("button", { name: "Look it up" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Hearth will not connect to this address. It is on a private network");
    // The address and the setting's name are for the administrator: under Details.
    expect(screen.getByText(/^Hearth will not connect/).textContent).not.toMatch(/192\.168|allow_private/);
    expect(screen.getByText("Details").closest("details")).toHaveTextContent("allow_private_provider_addresses");
  });
});
