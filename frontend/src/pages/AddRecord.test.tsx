import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage, stubFetch } from "../test-utils";
import AddRecordPage from "./AddRecord";

afterEach(() => vi.unstubAllGlobals());

describe("adding a record by hand", () => {
  it("sends the FHIR resource the form describes, with the CSRF header, and opens it", async () => {
    document.cookie = "hearth_csrf=tok123";
    const seen = stubFetch(() => ({ status: 201, body: { resourceType: "Immunization", id: "new-1" } }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p1/add/Immunization" });
    await userEvent.type(screen.getByLabelText(/Vaccine/), "Flu shot");
    await userEvent.type(screen.getByLabelText(/Given on/), "2024-10-01");
    await userEvent.type(screen.getByLabelText(/CVX code/), "140");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("navigated away");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.path).toBe("/api/profiles/p1/manual/Immunization");
    expect(seen[0]!.headers.get("X-CSRF-Token")).toBe("tok123");
    expect(JSON.parse(seen[0]!.body)).toEqual({
      resourceType: "Immunization",
      status: "completed",
      vaccineCode: { text: "Flu shot", coding: [{ system: "http://hl7.org/fhir/sid/cvx", code: "140", display: "Flu shot" }] },
      occurrenceDateTime: "2024-10-01",
    });
  });

  it("shows the host's refusal beside the field it names", async () => {
    stubFetch(() => ({
      status: 422,
      body: {
        type: "urn:hearth:problem:invalid-field",
        status: 422,
        detail: "code.coding[0].code: bad check digit",
        path: "code.coding[0].code",
        reason: "is not a valid SNOMED CT code (check digit)",
      },
    }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p1/add/Procedure" });
    await userEvent.type(screen.getByLabelText(/^Procedure/), "Appendectomy");
    await userEvent.type(screen.getByLabelText(/SNOMED CT code/), "80146003");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    const field = screen.getByLabelText(/SNOMED CT code/);
    await waitFor(() => expect(field).toHaveAccessibleDescription(/not a valid SNOMED CT code/));
    expect(screen.queryByText("navigated away")).toBeNull();
  });

  it("checks in the browser first: nothing is sent for a missing name", async () => {
    const seen = stubFetch(() => ({ status: 500 }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p1/add/Condition" });
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("The condition is needed.");
    expect(seen).toHaveLength(0);
  });

  it("tells a viewer they cannot add", () => {
    stubFetch(() => ({ status: 500 }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p2/add/Condition" });
    expect(screen.getByText("You can look at Sam's records but not add to them.")).toBeInTheDocument();
  });
});
