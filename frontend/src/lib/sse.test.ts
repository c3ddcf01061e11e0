import { readEvents, SseParser } from "./sse";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("reading a server-sent event stream", () => {
  it("gives whole events however the bytes are cut, a character split between chunks included", () => {
    const stream =
      'event: text\ndata: {"text":"Ça "}\n\n: keep-alive\n\nevent: text\r\ndata: {"text":"va 😊"}\r\n\r\nevent: done\ndata: {"id":1}\n\n';
    const all = bytes(stream);
    // Every cut point, one byte at a time: the same events come out.
    for (let cut = 1; cut < all.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(all.slice(0, cut)), ...p.push(all.slice(cut)), ...p.finish()];
      expect(events).toEqual([
        { event: "text", data: '{"text":"Ça "}' },
        { event: "text", data: '{"text":"va 😊"}' },
        { event: "done", data: '{"id":1}' },
      ]);
    }
  });

  it("joins data lines, names unnamed events `message`, and drops an event the stream never finished", () => {
    const p = new SseParser();
    expect(p.push("data: one\ndata:two\n\ndata: {}\n\nevent: done\ndata: cut off")).toEqual([
      { event: "message", data: "one\ntwo" },
      { event: "message", data: "{}" },
    ]);
    expect(p.finish()).toEqual([]);
  });

  it("reads a response body as it arrives", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const events = readEvents(body);
    controller.enqueue(bytes("event: text\ndata: 1\n\n"));
    expect((await events.next()).value).toEqual({ event: "text", data: "1" });
    controller.enqueue(bytes("event: done\nda"));
    controller.enqueue(bytes("ta: 2\n\n"));
    controller.close();
    expect((await events.next()).value).toEqual({ event: "done", data: "2" });
    expect((await events.next()).done).toBe(true);
  });
});
