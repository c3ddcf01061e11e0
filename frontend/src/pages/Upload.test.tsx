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
    expect(seen[0]!.path).toBe("/api/profiles/p1/imports");
    expect(seen[0]!.headers.get("Content-Type")).toBe("application/fhir+json");
    // (The body itself is checked end to end: jsdom's File does not cross into Node's fetch.)
  });
});
