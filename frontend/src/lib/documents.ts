// Documents (DocumentReference): where a document's file is, what kind of
// file it is, and the text of a note typed into a visit.
import type { Resource } from "../api/types";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v : undefined);

/** A document's file, as its DocumentReference describes it. */
export interface Attachment {
  contentType?: string;
  /** Where the file is: `Binary/{id}` for a file stored in Hearth. */
  url?: string;
  /** The file itself, base64, when it travels inside the record. */
  data?: string;
  title?: string;
  size?: number;
}

/** The document's first file with something in it (a place or the bytes). */
export function attachmentOf(r: Resource): Attachment | undefined {
  const content = Array.isArray(r.content) ? r.content : [];
  for (const c of content) {
    const a = isObj(c) && isObj(c.attachment) ? c.attachment : undefined;
    if (a && (str(a.url) || str(a.data)))
      return {
        contentType: str(a.contentType),
        url: str(a.url),
        data: str(a.data),
        title: str(a.title),
        size: typeof a.size === "number" ? a.size : undefined,
      };
  }
  return undefined;
}

/** The Binary's id in `Binary/{id}` (or a URL ending so); undefined for anything else. */
export function binaryId(url: string | undefined): string | undefined {
  const m = /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(url ?? "");
  // "." and ".." are ids FHIR allows, but a URL would read them as folders.
  return m && !/^\.+$/.test(m[1]!) ? m[1] : undefined;
}

/** Where the host serves a stored file's bytes. */
export const attachmentPath = (profile: string, binary: string) =>
  `/api/profiles/${encodeURIComponent(profile)}/attachments/${encodeURIComponent(binary)}`;

export type DocumentKind = "pdf" | "image" | "text" | "other";

/** How a file is shown: PDFs in a frame, pictures as images, text as text; others only downloaded. */
export function documentKind(contentType: string | undefined): DocumentKind {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/pdf") return "pdf";
  if (/^image\/(png|jpeg|gif|webp)$/.test(type)) return "image";
  if (type === "text/plain") return "text";
  return "other";
}

/** Base64 bytes as UTF-8 text; undefined when they are not base64. */
export function decodeText(data: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(data.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}

/** A note's words: its plain-text file, else its description. */
export function noteText(r: Resource): string | undefined {
  const a = attachmentOf(r);
  if (a?.data && documentKind(a.contentType) === "text") {
    const text = decodeText(a.data);
    if (text?.trim()) return text;
  }
  return str(r.description);
}

const EXTENSIONS: Record<string, string> = {
  "application/pdf": ".pdf",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "text/plain": ".txt",
};

/** A file name to save a document as: its title, tidied, with its type's extension. */
export function downloadName(title: string, contentType: string | undefined): string {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const ext = EXTENSIONS[type] ?? "";
  const base =
    title
      .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 100) || "document";
  return base.toLowerCase().endsWith(ext) ? base : `${base}${ext}`;
}
