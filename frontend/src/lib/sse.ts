// Reading a server-sent event stream from a fetch body. EventSource cannot
// send a POST (nor the CSRF header), so asking a question reads the stream
// itself: bytes in, whole events out, however the bytes were cut.

/** One event: its name (`message` when the stream gave none) and its data lines joined. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Turns pieces of an event stream into whole events (the WHATWG rules, less `id` and `retry`). */
export class SseParser {
  private decoder = new TextDecoder();
  private buffer = "";
  private event = "";
  private data: string[] = [];

  /** The events completed by `chunk` (a character cut between chunks is kept for the next). */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** The events left when the stream ends (a last event needs its blank line, as in a browser). */
  finish(): SseEvent[] {
    this.buffer += this.decoder.decode();
    return this.drain(true);
  }

  private drain(end: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buffer.length - 1 && !end)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    if (end && this.buffer) {
      this.line(this.buffer);
      this.buffer = "";
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return null;
      }
      const done = { event: this.event || "message", data: this.data.join("\n") };
      this.event = "";
      this.data = [];
      return done;
    }
    // A comment (`: keep-alive`).
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    return null;
  }
}

/** Every event of a response body, in order, as it arrives. */
export async function* readEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const parser = new SseParser();
  const stop = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(value);
    }
    yield* parser.finish();
  } finally {
    signal?.removeEventListener("abort", stop);
    reader.releaseLock();
  }
}
