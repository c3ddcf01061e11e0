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

  it("types in a blood pressure: the preset swaps the value for two numbers and sends a vital-signs panel", async () => {
    const seen = stubFetch(() => ({ status: 201, body: { resourceType: "Observation", id: "bp-1" } }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p1/add/Observation" });
    // A measurement starts as a body weight, in kg.
    expect(screen.getByLabelText(/What was measured/)).toHaveValue("body-weight");
    expect(screen.getByLabelText(/^Value/)).toHaveAccessibleDescription("In kg.");
    expect(screen.queryByLabelText(/^Unit/)).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText(/What was measured/), "Blood pressure (mmHg)");
    expect(screen.queryByLabelText(/^Value/)).toBeNull();
    await userEvent.type(screen.getByLabelText(/Systolic/), "131");
    await userEvent.type(screen.getByLabelText(/Diastolic/), "86");
    await userEvent.type(screen.getByLabelText(/Measured on/), "2024-05-02");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("navigated away");
    const sent = JSON.parse(seen[0]!.body);
    expect(sent.category[0].coding[0].code).toBe("vital-signs");
    expect(sent.code.coding[0].code).toBe("85354-9");
    expect(sent).not.toHaveProperty("valueQuantity");
    expect(
      sent.component.map((c: { code: { coding: { code: string }[] }; valueQuantity: { value: number; code: string } }) => [
        c.code.coding[0]!.code,
        c.valueQuantity.value,
        c.valueQuantity.code,
      ]),
    ).toEqual([
      ["8480-6", 131, "mm[Hg]"],
      ["8462-4", 86, "mm[Hg]"],
    ]);
  });

  it("asks for the name and unit only for “something else”", async () => {
    const seen = stubFetch(() => ({ status: 500 }));
    renderPage(<AddRecordPage />, { path: "/profiles/:profile/add/:type", route: "/profiles/p1/add/Observation" });
    await userEvent.selectOptions(screen.getByLabelText(/What was measured/), "Something else");
    await userEvent.type(screen.getByLabelText(/^Value/), "420");
    await userEvent.type(screen.getByLabelText(/Measured on/), "2024-05-02");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("What was measured is needed.");
    expect(screen.getByLabelText(/^Unit/)).toBeInTheDocument();
    expect(screen.getByLabelText(/LOINC code/)).toBeInTheDocument();
    expect(seen).toHaveLength(0);
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
