import { documentMediaType, explainUploadProblem, isDocument, nameFromFile, personText, uploadMediaType } from "./upload";

describe("uploads", () => {
  it("sends NDJSON files as NDJSON and everything else as a Bundle", () => {
    expect(uploadMediaType({ name: "export.ndjson", type: "" })).toBe("application/fhir+ndjson");
    expect(uploadMediaType({ name: "Patient.JSONL", type: "" })).toBe("application/fhir+ndjson");
    expect(uploadMediaType({ name: "bundle.json", type: "application/json" })).toBe("application/fhir+json");
  });

  it("names the wrong entry counting from one, with its path and reason", () => {
    const p = explainUploadProblem(422, {
      type: "urn:hearth:problem:invalid-entry",
      detail: "entry 2: Observation.status: must be one of …",
      entry: 2,
      path: "Bundle.entry[2].resource.status",
      reason: "must be one of registered, preliminary, final, amended",
    });
    expect(p.headline).toBe("Nothing was imported: entry 3 of the file is not valid FHIR.");
    expect(p.path).toBe("Bundle.entry[2].resource.status");
    expect(p.reason).toMatch(/must be one of/);
  });

  it("gives NDJSON line numbers too", () => {
    const p = explainUploadProblem(422, { type: "urn:hearth:problem:invalid-entry", entry: 0, line: 1, path: "resourceType", reason: "missing" });
    expect(p.where).toBe("entry 1, line 1");
  });

  it("explains whole-file refusals", () => {
    expect(explainUploadProblem(400, { type: "urn:hearth:problem:malformed-upload", detail: "expected value at line 1" }).headline).toMatch(
      /not readable/,
    );
    expect(explainUploadProblem(413, { type: "urn:hearth:problem:upload-too-large" }).headline).toMatch(/larger/);
  });
});

describe("documents and names", () => {
  it("tells a document from a records file", () => {
    expect(isDocument({ name: "letter.PDF", type: "" })).toBe(true);
    expect(isDocument({ name: "scan", type: "image/jpeg" })).toBe(true);
    expect(isDocument({ name: "export.json", type: "application/json" })).toBe(false);
    expect(documentMediaType({ name: "x.jpg", type: "" })).toBe("image/jpeg");
    expect(documentMediaType({ name: "x.pdf", type: "" })).toBe("application/pdf");
  });
  it("names a source after its file", () => {
    expect(nameFromFile("Clinic_export (March).json")).toBe("Clinic export (March)");
    expect(nameFromFile("records.ndjson")).toBe("records");
    expect(nameFromFile(".json")).toBe(".json");
  });
  it("says who a file is about", () => {
    expect(personText({ name: "Samuel O'Brien", birth_date: "1970-05-06", gender: "male" }, (d) => `[${d}]`)).toBe(
      "Samuel O'Brien, born [1970-05-06], male",
    );
    expect(personText({ name: null, gender: "unknown" }, (d) => d)).toBe("someone without a name");
  });
});
