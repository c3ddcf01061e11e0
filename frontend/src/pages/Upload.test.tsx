import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderPage, stubFetch } from "../test-utils";
import UploadPage from "./Upload";

afterEach(() => vi.unstubAllGlobals());

describe("uploading a bundle", () => {
  it("sends the file as FHIR JSON and shows which entry was wrong", async () => {
    const seen = stubFetch(() => ({
      status: 422,
      body: {
        type: "urn:hearth:problem:invalid-entry",
        status: 422,
        detail: "entry 1: entry[1].resource.status: must be one of …",
        entry: 1,
        path: "entry[1].resource.status",
        reason: "must be one of registered, preliminary, final, amended",
      },
    }));
    const { container } = renderPage(<UploadPage />, { path: "/profiles/:profile/upload", route: "/profiles/p1/upload" });
    const input = container.querySelector('input[type="file"]') as HTMLInputElement;
    await userEvent.upload(input, new File(['{"resourceType":"Bundle"}'], "export.json", { type: "application/json" }));
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    const alert = await screen.findByTestId("upload-error");
    expect(alert).toHaveTextContent("Nothing was imported: entry 2 of the file is not valid FHIR.");
    expect(alert).toHaveTextContent("entry[1].resource.status");
    expect(alert).toHaveTextContent("must be one of registered");
    // Named after its file unless a name is given.
    expect(seen[0]!.path).toBe("/api/profiles/p1/imports?name=export");
    expect(seen[0]!.headers.get("Content-Type")).toBe("application/fhir+json");
    // (The body itself is checked end to end: jsdom's File does not cross into Node's fetch.)
  });

  it("asks before storing a file about someone else, and stores it only when told to", async () => {
    const seen = stubFetch((req) =>
      req.path.includes("confirm_person=true")
        ? {
            status: 201,
            body: { source: { id: "s9" }, resources: 3, by_type: { Patient: 1, Observation: 2 }, fhir_version: "4.0", version_basis: "default" },
          }
        : {
            status: 409,
            body: {
              type: "urn:hearth:problem:different-person",
              status: 409,
              detail: "this file is about Samuel O'Brien, not the person it was uploaded for",
              patient: { name: "Samuel O'Brien", birth_date: "1970-05-06", gender: "male" },
              differences: ["name", "birth-date"],
            },
          },
    );
    const { container } = renderPage(<UploadPage />, { path: "/profiles/:profile/upload", route: "/profiles/p1/upload" });
    const input = container.querySelector('input[type="file"]') as HTMLInputElement;
    await userEvent.upload(input, new File(['{"resourceType":"Bundle"}'], "dad.json", { type: "application/json" }));
    await userEvent.click(screen.getByRole("button", { name: "Upload" }));
    const ask = await screen.findByTestId("different-person");
    expect(ask).toHaveTextContent("This file is about Samuel O'Brien, born 6 May 1970, male");
    expect(ask).toHaveTextContent("Nothing has been stored.");
    expect(seen).toHaveLength(1);
    await userEvent.click(screen.getByRole("button", { name: /anyway/ }));
    await screen.findByText("Imported 3 records");
    expect(seen[1]!.path).toBe("/api/profiles/p1/imports?name=dad&confirm_person=true");
  });
});
