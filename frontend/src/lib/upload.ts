// Uploads: which media type a file is sent as, and the import's refusal in words.
import type { ProblemBody } from "../api/client";

/** The media type the host expects for a file, from its name and type. */
export function uploadMediaType(file: { name: string; type: string }): string {
  const name = file.name.toLowerCase();
  if (name.endsWith(".ndjson") || name.endsWith(".jsonl") || file.type === "application/x-ndjson") return "application/fhir+ndjson";
  return "application/fhir+json";
}

/** Whether a file is a document to keep as is (a PDF or a picture), not FHIR records. */
export function isDocument(file: { name: string; type: string }): boolean {
  return /^(application\/pdf|image\/(png|jpeg|gif|webp))$/.test(file.type) || /\.(pdf|png|jpe?g|gif|webp)$/i.test(file.name);
}

/** The media type a document is sent as. */
export function documentMediaType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const ext = /\.([a-z]+)$/i.exec(file.name)?.[1]?.toLowerCase();
  return ext === "pdf" ? "application/pdf" : ext === "jpg" ? "image/jpeg" : `image/${ext ?? "png"}`;
}

/** A source's name from its file: "Clinic export (March).json" → "Clinic export (March)". */
export function nameFromFile(fileName: string): string {
  const base = fileName
    .replace(/\.[a-z0-9]{1,8}$/i, "")
    .replace(/[_]+/g, " ")
    .trim();
  return (base || fileName).slice(0, 200);
}

/** Who a refused file is about, in words: "Samuel O'Brien, born 6 May 1970, male". */
export function personText(
  p: { name?: string | null; birth_date?: string | null; gender?: string | null },
  formatDate: (d: string) => string,
): string {
  return [
    p.name ?? "someone without a name",
    p.birth_date ? `born ${formatDate(p.birth_date)}` : null,
    p.gender && p.gender !== "unknown" ? p.gender : null,
  ]
    .filter(Boolean)
    .join(", ");
}

/** What went wrong with an upload, for the person who chose the file. */
export interface UploadProblem {
  headline: string;
  /** Whether fixing an entry is the way forward (not for a file that is unreadable as a whole). */
  fixEntry?: boolean;
  /** Where in the file: "entry 3 (line 4)". */
  where?: string;
  /** The FHIR path that was wrong, e.g. `Observation.status`. */
  path?: string;
  reason?: string;
}

/** Turn the host's problem body into words; `entry` counts from 0 on the wire and from 1 for people. */
export function explainUploadProblem(status: number, p: ProblemBody): UploadProblem {
  const kind = (p.type ?? "").replace("urn:hearth:problem:", "");
  if (kind === "invalid-entry") {
    const entry = typeof p.entry === "number" ? p.entry + 1 : undefined;
    const where = [entry !== undefined ? `entry ${entry}` : null, typeof p.line === "number" ? `line ${p.line}` : null].filter(Boolean).join(", ");
    return {
      headline: `Nothing was imported: ${where ? `${where} of the file is` : "one entry is"} not valid FHIR.`,
      fixEntry: true,
      where: where || undefined,
      path: typeof p.path === "string" ? p.path : undefined,
      reason: typeof p.reason === "string" ? p.reason : p.detail,
    };
  }
  if (kind === "malformed-upload") return { headline: "Nothing was imported: the file is not readable FHIR JSON.", reason: p.detail };
  if (kind === "empty-upload") return { headline: "Nothing was imported: the file has no records in it.", reason: p.detail };
  if (kind === "upload-too-large" || status === 413)
    return { headline: "Nothing was imported: the file is larger than this Hearth accepts.", reason: p.detail };
  if (kind === "unsupported-media-type")
    return { headline: "Nothing was imported: Hearth reads FHIR Bundles (.json) and NDJSON files (.ndjson).", reason: p.detail };
  return { headline: "Nothing was imported.", reason: p.detail ?? p.title };
}
