import type { CheckedAnswer } from "../api/types";
import { claimOver } from "./chat.fixture";
import { answerSpans, byteToIndex, citationParts, claimNote, endpointHost, isLoopback, listWords, recordLink } from "./chat";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe("UTF-8 offsets as JavaScript string indices", () => {
  it("agrees with TextEncoder at every character boundary, for 1- to 4-byte characters", () => {
    const text = "aÇé€😊b\u00a0日本 ok 🧪";
    const at = byteToIndex(text);
    for (let i = 0; i <= text.length; i++) {
      // Not inside a surrogate pair.
      if (i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]!)) continue;
      expect(at(utf8(text.slice(0, i)))).toBe(i);
    }
    expect(at(0)).toBe(0);
    expect(at(1_000)).toBe(text.length);
    // Inside a character: its end.
    expect(at(2)).toBe(2);
  });
});

describe("citations", () => {
  const citations = [
    { label: "R1", record: "Observation/a1c" },
    { label: "R7", record: null },
  ];
  it("splits out each label of a group, with the record it stands for, and leaves other brackets alone", () => {
    expect(citationParts("7.2 % [R1, r7] and [note] [R12]", citations)).toEqual([
      { kind: "text", text: "7.2 % [" },
      { kind: "cite", label: "R1", record: "Observation/a1c" },
      { kind: "text", text: ", " },
      { kind: "cite", label: "R7", record: null },
      { kind: "text", text: "] and [note] [" },
      { kind: "cite", label: "R12", record: null },
      { kind: "text", text: "]" },
    ]);
    expect(citationParts("nothing cited", citations)).toEqual([{ kind: "text", text: "nothing cited" }]);
  });

  it("links a record page, and nothing for a label without a record", () => {
    expect(recordLink("p1", "Observation/a 1")).toBe("/profiles/p1/records/Observation/a%201");
    expect(recordLink("p1", null)).toBeNull();
    expect(recordLink("p1", "Observation")).toBeNull();
  });
});

describe("what is said about a sentence the records do not back", () => {
  const base = { start: 0, end: 1, labels: ["R1"], unsupported: [] as string[] };
  const citations = [
    { label: "R1", record: "Observation/a1c" },
    { label: "R7", record: null },
    { label: "R8", record: null },
  ];
  it("names the numbers and the citations in words", () => {
    expect(claimNote({ ...base, status: "number-not-in-records", unsupported: ["6.5"] }, citations)).toBe("6.5 is not in the record it cites.");
    expect(claimNote({ ...base, labels: ["R1", "R2"], status: "number-not-in-records", unsupported: ["6.5", "7", "6.5"] }, citations)).toBe(
      "6.5 and 7 are not in the records it cites.",
    );
    expect(claimNote({ ...base, labels: [], status: "uncited", unsupported: ["80"] }, citations)).toBe("80 is stated without citing a record.");
    expect(claimNote({ ...base, labels: ["R1", "R7"], status: "unknown-citation" }, citations)).toBe(
      "It cites R7, but no record R7 was given for this answer.",
    );
    expect(claimNote({ ...base, labels: ["R7", "R8"], status: "unknown-citation" }, citations)).toBe(
      "It cites R7 and R8, but no such records were given for this answer.",
    );
    expect(claimNote({ ...base, status: "supported" }, citations)).toBeNull();
    expect(claimNote({ ...base, labels: [], status: "plain" }, citations)).toBeNull();
    expect(listWords(["a", "b", "c"])).toBe("a, b and c");
  });
});

describe("an answer cut into its checked sentences", () => {
  it("places each sentence by its byte offsets, multi-byte characters before it notwithstanding", () => {
    const content = "Ça va 😊: your HbA1c was 7.2 % on 2024-03-01 [R1]. Earlier it was 6.5 % [R1]. Your weight is 80 kg.";
    const first = "your HbA1c was 7.2 % on 2024-03-01 [R1].";
    const second = "Earlier it was 6.5 % [R1].";
    const third = "Your weight is 80 kg.";
    const checked: CheckedAnswer = {
      citations: [{ label: "R1", record: "Observation/a1c" }],
      claims: [
        claimOver(content, first, { labels: ["R1"], status: "supported", unsupported: [] }),
        claimOver(content, second, { labels: ["R1"], status: "number-not-in-records", unsupported: ["6.5"] }),
        claimOver(content, third, { labels: [], status: "uncited", unsupported: ["80"] }),
      ],
      abstained: false,
    };
    // Offsets are bytes: the emoji and the Ç put them past the JavaScript indices.
    expect(checked.claims[1]!.start).toBeGreaterThan(content.indexOf(second));
    const spans = answerSpans(content, checked);
    const text = (i: number) => spans[i]!.parts.map((p) => (p.kind === "text" ? p.text : `<${p.label}>`)).join("");
    expect(spans.map((s) => s.claim?.status ?? null)).toEqual([null, "supported", null, "number-not-in-records", null, "uncited"]);
    expect(text(0)).toBe("Ça va 😊: ");
    expect(text(1)).toBe("your HbA1c was 7.2 % on 2024-03-01 [<R1>].");
    expect(text(3)).toBe("Earlier it was 6.5 % [<R1>].");
    expect(text(5)).toBe(third);
    expect(spans.map((s) => s.note)).toEqual([null, null, null, "6.5 is not in the record it cites.", null, "80 is stated without citing a record."]);
    // Nothing lost or repeated.
    expect(spans.map((_, i) => text(i).replace(/<(R\d+)>/g, "$1")).join("")).toBe(content);
  });

  it("shows an answer without checks as it is", () => {
    expect(answerSpans("Hello [R1].", null)).toEqual([
      {
        claim: null,
        note: null,
        parts: [
          { kind: "text", text: "Hello [" },
          { kind: "cite", label: "R1", record: null },
          { kind: "text", text: "]." },
        ],
      },
    ]);
  });
});

describe("where an endpoint is", () => {
  it("is this machine for 127.0.0.0/8, ::1 and localhost, as the host judges it", () => {
    for (const u of ["http://127.0.0.1:11434", "http://127.5.6.7/v1", "http://[::1]:8080", "http://LOCALHOST:11434", "https://localhost/v1"])
      expect(isLoopback(u)).toBe(true);
    for (const u of ["https://api.openai.com/v1", "http://192.168.1.20:11434", "http://[::2]/", "http://127.example.com/"])
      expect(isLoopback(u)).toBe(false);
    for (const u of ["", "not a url", "ftp://127.0.0.1/", "127.0.0.1:11434"]) expect(isLoopback(u)).toBeNull();
    expect(endpointHost("http://127.0.0.1:8080/v1")).toBe("127.0.0.1:8080");
  });
});
