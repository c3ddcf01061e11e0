import { attachmentOf, attachmentPath, binaryId, decodeText, documentKind, downloadName, noteText } from "./documents";

const note = (text: string) => ({
  resourceType: "DocumentReference",
  description: text.slice(0, 10),
  content: [{ attachment: { contentType: "text/plain; charset=utf-8", data: Buffer.from(text, "utf8").toString("base64") } }],
});

describe("documents", () => {
  it("finds the stored file of an uploaded document", () => {
    const doc = {
      resourceType: "DocumentReference",
      content: [{ attachment: { contentType: "application/pdf", url: "Binary/ab12", title: "Letter", size: 193 } }],
    };
    expect(attachmentOf(doc)).toEqual({ contentType: "application/pdf", url: "Binary/ab12", data: undefined, title: "Letter", size: 193 });
    expect(binaryId(attachmentOf(doc)?.url)).toBe("ab12");
    expect(attachmentPath("p1", "ab12")).toBe("/api/profiles/p1/attachments/ab12");
  });

  it("accepts Binary references, relative or absolute, and nothing else", () => {
    expect(binaryId("https://fhir.example.org/r4/Binary/x-1.2")).toBe("x-1.2");
    expect(binaryId("Binary/../../etc")).toBeUndefined();
    expect(binaryId("Binary/..")).toBeUndefined();
    expect(binaryId("https://example.org/report.pdf")).toBeUndefined();
    expect(binaryId(undefined)).toBeUndefined();
  });

  it("skips empty attachments for the first with content", () => {
    expect(
      attachmentOf({ resourceType: "DocumentReference", content: [{ attachment: { title: "x" } }, { attachment: { url: "Binary/b" } }] })?.url,
    ).toBe("Binary/b");
    expect(attachmentOf({ resourceType: "DocumentReference" })).toBeUndefined();
  });

  it("shows PDFs, common pictures and plain text; everything else only downloads", () => {
    expect(documentKind("application/pdf")).toBe("pdf");
    expect(documentKind("image/jpeg")).toBe("image");
    expect(documentKind("text/plain; charset=utf-8")).toBe("text");
    expect(documentKind("image/svg+xml")).toBe("other");
    expect(documentKind("text/html")).toBe("other");
    expect(documentKind(undefined)).toBe("other");
  });

  it("reads a note's whole text (UTF-8) from its file, not the shortened description", () => {
    expect(noteText(note("Blood pressure fine.\nBack in 3 months — café"))).toBe("Blood pressure fine.\nBack in 3 months — café");
    expect(noteText({ resourceType: "DocumentReference", description: "Scanned letter" })).toBe("Scanned letter");
    expect(decodeText("not base64!")).toBeUndefined();
  });

  it("names a download after the document, with its type's extension", () => {
    expect(downloadName("Discharge letter", "application/pdf")).toBe("Discharge letter.pdf");
    expect(downloadName("scan.JPG", "image/jpeg")).toBe("scan.JPG");
    expect(downloadName("a/b:c", "image/png")).toBe("a b c.png");
    expect(downloadName("  ", undefined)).toBe("document");
  });
});
