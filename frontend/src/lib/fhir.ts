// Plain words for FHIR resources: display text first, codes after.
import type { Resource } from "../api/types";
import { formatDate, formatDateTime } from "./format";
import { roundedText, valueText as unitValueText } from "./units";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v : undefined);

/** Well-known code systems by their URI. */
export const SYSTEM_NAMES: Record<string, string> = {
  "http://loinc.org": "LOINC",
  "http://snomed.info/sct": "SNOMED CT",
  "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
  "http://hl7.org/fhir/sid/cvx": "CVX",
  "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
  "http://hl7.org/fhir/sid/icd-10": "ICD-10",
  "http://unitsofmeasure.org": "UCUM",
  "http://www.ama-assn.org/go/cpt": "CPT",
};

/** The short name of a code system, or the URI itself. */
export function systemName(system: string | undefined): string {
  if (!system) return "no system";
  return SYSTEM_NAMES[system] ?? system;
}

/** A coding: {system, code, display}. */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

/** The codings of a CodeableConcept (or a bare Coding). */
export function codings(cc: unknown): Coding[] {
  if (!isObj(cc)) return [];
  if (Array.isArray(cc.coding)) return cc.coding.filter(isObj).map((c) => ({ system: str(c.system), code: str(c.code), display: str(c.display) }));
  if (cc.code !== undefined) return [{ system: str(cc.system), code: str(cc.code), display: str(cc.display) }];
  return [];
}

/** The words for a CodeableConcept: its text, else the first display, else the first code. */
export function conceptText(cc: unknown): string | undefined {
  if (!isObj(cc)) return str(cc);
  const text = str(cc.text);
  if (text) return text;
  const cs = codings(cc);
  return cs.find((c) => c.display)?.display ?? cs.find((c) => c.code)?.code;
}

/** A quantity's unit: the written one, else its code. */
const unitOf = (q: Obj): string => str(q.unit) ?? str(q.code) ?? "";

/** "16.5 g/dL", "39.2 °C", "6.2%": rounded for its unit, the unit as people write it. */
export function quantityText(q: unknown): string | undefined {
  if (!isObj(q) || typeof q.value !== "number") return undefined;
  const comparator = str(q.comparator) ?? "";
  return `${comparator}${unitValueText(q.value, unitOf(q))}`;
}

/** "13.5–17.5 g/dL", from a referenceRange entry. */
export function rangeText(range: unknown): string | undefined {
  if (!isObj(range)) return undefined;
  const low = quantityText(range.low);
  const high = quantityText(range.high);
  if (low && high && isObj(range.low) && isObj(range.high)) {
    const unit = unitOf(range.high);
    return `${roundedText(range.low.value as number, unit)}–${high}`;
  }
  if (low) return `at least ${low}`;
  if (high) return `at most ${high}`;
  return str(range.text);
}

/** The value of an Observation (or one of its components) in words. */
export function valueText(o: Obj): string | undefined {
  if (o.valueQuantity !== undefined) return quantityText(o.valueQuantity);
  if (o.valueCodeableConcept !== undefined) return conceptText(o.valueCodeableConcept);
  for (const k of ["valueString", "valueDateTime", "valueTime", "valueInteger", "valueBoolean"]) {
    if (o[k] !== undefined) return k === "valueDateTime" ? formatDateTime(String(o[k])) : String(o[k]);
  }
  if (isObj(o.valueRange)) return rangeText(o.valueRange);
  if (Array.isArray(o.component)) {
    const parts = o.component.filter(isObj).map((c) => {
      const v = valueText(c);
      return v ? `${conceptText(c.code) ?? "?"}: ${v}` : undefined;
    });
    const shown = parts.filter(Boolean);
    if (shown.length) return shown.join("; ");
  }
  if (isObj(o.dataAbsentReason)) return `not recorded (${conceptText(o.dataAbsentReason) ?? "no reason given"})`;
  return undefined;
}

/** A period or a date-time in words. */
export function periodText(v: unknown): string | undefined {
  if (typeof v === "string") return formatDateTime(v);
  if (!isObj(v)) return undefined;
  const start = str(v.start);
  const end = str(v.end);
  if (start && end) return formatDate(start) === formatDate(end) ? formatDateTime(start) : `${formatDate(start)} – ${formatDate(end)}`;
  if (start) return `from ${formatDate(start)}`;
  if (end) return `until ${formatDate(end)}`;
  return undefined;
}

/** The first of `keys` present on the resource, as a date or period. */
function when(r: Obj, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const t = periodText(r[k]);
    if (t) return t;
  }
  return undefined;
}

/** A human name: "Grace Harper Kowalski". */
export function humanName(v: unknown): string | undefined {
  const names = arr(v).filter(isObj);
  const n = names.find((x) => x.use === "official") ?? names[0];
  if (!n) return undefined;
  if (str(n.text)) return str(n.text);
  const given = arr(n.given).filter((g): g is string => typeof g === "string");
  return [...arr(n.prefix), ...given, n.family].filter((x) => typeof x === "string" && x).join(" ") || undefined;
}

const reference = (v: unknown): string | undefined => (isObj(v) ? (str(v.display) ?? str(v.reference)) : undefined);

/** Plain names for resource types, singular and plural. */
export const TYPE_NAMES: Record<string, [string, string]> = {
  AllergyIntolerance: ["Allergy", "Allergies"],
  Condition: ["Condition", "Conditions"],
  Observation: ["Observation", "Observations"],
  MedicationRequest: ["Prescription", "Prescriptions"],
  MedicationStatement: ["Medication", "Medications"],
  Immunization: ["Immunization", "Immunizations"],
  Procedure: ["Procedure", "Procedures"],
  Encounter: ["Visit", "Visits"],
  DiagnosticReport: ["Report", "Reports"],
  DocumentReference: ["Document", "Documents"],
  Patient: ["Patient", "Patients"],
  Practitioner: ["Practitioner", "Practitioners"],
  Organization: ["Organization", "Organizations"],
  CarePlan: ["Care plan", "Care plans"],
  CareTeam: ["Care team", "Care teams"],
  Claim: ["Claim", "Claims"],
  ExplanationOfBenefit: ["Insurance statement", "Insurance statements"],
  Device: ["Device", "Devices"],
  ImagingStudy: ["Imaging study", "Imaging studies"],
  Goal: ["Goal", "Goals"],
  Binary: ["File", "Files"],
};

/** "Prescription" for MedicationRequest; the type itself when unknown. */
export function typeName(type: string, plural = false): string {
  const names = TYPE_NAMES[type];
  return names ? names[plural ? 1 : 0] : type;
}

/** One labelled fact on a resource card. */
export interface Fact {
  label: string;
  value: string;
}

/** What a card shows for a resource: a title and the facts worth reading. */
export interface Card {
  title: string;
  facts: Fact[];
  /** The concept whose codes the detail view lists. */
  codes: Coding[];
}

/** FHIR status codes in plain words; unknown codes pass through. */
const STATUS_WORDS: Record<string, string> = {
  active: "Active",
  inactive: "Inactive",
  resolved: "Resolved",
  remission: "In remission",
  recurrence: "Came back",
  relapse: "Came back",
  final: "Final",
  preliminary: "Preliminary",
  amended: "Amended",
  corrected: "Corrected",
  registered: "Registered",
  cancelled: "Cancelled",
  "entered-in-error": "Entered in error",
  unknown: "Unknown",
  completed: "Completed",
  finished: "Completed",
  "in-progress": "In progress",
  planned: "Planned",
  arrived: "Arrived",
  stopped: "Stopped",
  "on-hold": "On hold",
  intended: "Planned",
  "not-taken": "Not taken",
  "not-done": "Not done",
  draft: "Draft",
  current: "Current",
  superseded: "Replaced by a newer version",
  confirmed: "Confirmed",
  unconfirmed: "Not confirmed",
  provisional: "Provisional",
  refuted: "Ruled out",
};

/** "Completed" for `finished`; the code itself when it has no words here. */
export function statusText(code: string | null | undefined): string | undefined {
  if (!code) return undefined;
  return STATUS_WORDS[code] ?? code;
}

const status = (v: unknown) => {
  const words = conceptText(v) ?? str(v);
  return words ? (statusText(words) ?? words) : undefined;
};

/** A readable card for any resource; well-known types get their own fields. */
export function resourceCard(resource: Resource): Card {
  const r = resource as Obj;
  const facts: Fact[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) facts.push({ label, value });
  };
  let title: string | undefined;
  let codes: Coding[] = codings(r.code);
  switch (resource.resourceType) {
    case "Observation": {
      title = conceptText(r.code);
      add("Result", valueText(r));
      const ranges = arr(r.referenceRange).map(rangeText).filter(Boolean);
      add("Normal range", ranges.join("; "));
      add("Flag", arr(r.interpretation).map(conceptText).filter(Boolean).join(", "));
      add("When", when(r, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"));
      add("Category", arr(r.category).map(conceptText).filter(Boolean).join(", "));
      add("Status", status(r.status));
      break;
    }
    case "Condition":
      title = conceptText(r.code);
      add("Clinical status", status(r.clinicalStatus));
      add("Verification", status(r.verificationStatus));
      add("Began", when(r, "onsetDateTime", "onsetPeriod") ?? str(r.onsetString));
      add("Ended", when(r, "abatementDateTime", "abatementPeriod") ?? str(r.abatementString));
      add("Recorded", when(r, "recordedDate"));
      add("Category", arr(r.category).map(conceptText).filter(Boolean).join(", "));
      break;
    case "MedicationRequest":
    case "MedicationStatement":
      title = conceptText(r.medicationCodeableConcept) ?? reference(r.medicationReference);
      codes = codings(r.medicationCodeableConcept);
      add("Status", status(r.status));
      add(
        "Dose",
        arr(r.dosageInstruction ?? r.dosage)
          .filter(isObj)
          .map((d) => str(d.text))
          .filter(Boolean)
          .join("; "),
      );
      add("Prescribed", when(r, "authoredOn"));
      add("Taken", when(r, "effectiveDateTime", "effectivePeriod"));
      add("Prescriber", reference(r.requester));
      add("Reason", arr(r.reasonCode).map(conceptText).filter(Boolean).join(", "));
      break;
    case "AllergyIntolerance":
      title = conceptText(r.code);
      add("Clinical status", status(r.clinicalStatus));
      add("Criticality", str(r.criticality));
      add("Type", str(r.type));
      add(
        "Category",
        arr(r.category)
          .filter((c): c is string => typeof c === "string")
          .join(", "),
      );
      add(
        "Reactions",
        arr(r.reaction)
          .filter(isObj)
          .flatMap((x) => arr(x.manifestation).map(conceptText))
          .filter(Boolean)
          .join(", "),
      );
      add("Recorded", when(r, "recordedDate", "onsetDateTime"));
      break;
    case "Immunization":
      title = conceptText(r.vaccineCode);
      codes = codings(r.vaccineCode);
      add("Given", when(r, "occurrenceDateTime") ?? str(r.occurrenceString));
      add("Status", status(r.status));
      add("Lot", str(r.lotNumber));
      add("Site", conceptText(r.site));
      break;
    case "Procedure":
      title = conceptText(r.code);
      add("When", when(r, "performedDateTime", "performedPeriod"));
      add("Status", status(r.status));
      add("Reason", arr(r.reasonCode).map(conceptText).filter(Boolean).join(", "));
      add("Where", reference(r.location));
      break;
    case "Encounter":
      title = arr(r.type).map(conceptText).find(Boolean) ?? (isObj(r.class) ? (str(r.class.display) ?? str(r.class.code)) : undefined);
      codes = arr(r.type).flatMap(codings);
      add("When", when(r, "period"));
      add("Kind", isObj(r.class) ? (str(r.class.display) ?? str(r.class.code)) : undefined);
      add("Reason", arr(r.reasonCode).map(conceptText).filter(Boolean).join(", "));
      add("Provider", reference(r.serviceProvider));
      add(
        "Seen by",
        arr(r.participant)
          .filter(isObj)
          .map((p) => reference(p.individual))
          .filter(Boolean)
          .join(", "),
      );
      add("Status", status(r.status));
      break;
    case "DiagnosticReport":
      title = conceptText(r.code);
      add("When", when(r, "effectiveDateTime", "effectivePeriod", "issued"));
      add("Results", arr(r.result).length ? `${arr(r.result).length} results` : undefined);
      add("Conclusion", str(r.conclusion));
      add("Status", status(r.status));
      break;
    case "DocumentReference":
      title = conceptText(r.type) ?? str(r.description);
      add("Date", when(r, "date"));
      add(
        "Files",
        arr(r.content)
          .filter(isObj)
          .map((c) => (isObj(c.attachment) ? (str(c.attachment.title) ?? str(c.attachment.contentType)) : undefined))
          .filter(Boolean)
          .join(", "),
      );
      add("Status", status(r.status));
      break;
    case "Patient":
    case "Practitioner":
    case "RelatedPerson":
      title = humanName(r.name);
      add("Born", r.birthDate ? formatDate(String(r.birthDate)) : undefined);
      add("Gender", str(r.gender));
      add(
        "Address",
        arr(r.address)
          .filter(isObj)
          .map((a) => [...arr(a.line), a.city, a.state, a.postalCode].filter((x) => typeof x === "string").join(", "))
          .find(Boolean),
      );
      add(
        "Contact",
        arr(r.telecom)
          .filter(isObj)
          .map((t) => str(t.value))
          .filter(Boolean)
          .join(", "),
      );
      break;
    case "Organization":
      title = str(r.name);
      break;
    default:
      title = conceptText(r.code) ?? str(r.name) ?? str(r.title) ?? str(r.description);
      add("Status", status(r.status));
      add("Date", when(r, "date", "effectiveDateTime", "period", "created", "authoredOn", "recordedDate"));
  }
  return { title: title ?? typeName(resource.resourceType), facts, codes };
}
