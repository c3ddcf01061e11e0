// Records typed in by hand: one short form per type, turned into the FHIR
// resource the host checks and stores. Field names are the form's; `paths`
// map the host's error paths back to the field that caused them.
import { z } from "zod";
import { pastDate } from "./forms";

export type FieldKind = "text" | "date" | "select" | "number";

export interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  description?: string;
  options?: { value: string; label: string }[];
  /** Host paths (prefixes) that point at this field. */
  paths: string[];
}

export interface RecordForm {
  type: string;
  title: string;
  intro: string;
  fields: Field[];
  schema: z.ZodType<Record<string, string>, Record<string, string>>;
  build: (v: Record<string, string>) => { resourceType: string; [k: string]: unknown };
}

const SNOMED = "http://snomed.info/sct";
const LOINC = "http://loinc.org";
const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX = "http://hl7.org/fhir/sid/cvx";
const UCUM = "http://unitsofmeasure.org";
const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";

const opt = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);
const optionalDate = z.union([z.literal(""), pastDate]);
const text = (label: string) => z.string().trim().min(1, `${label} is needed.`).max(500, "At most 500 characters.");
const optionalText = z.string().trim().max(500, "At most 500 characters.");
const optionalCode = z
  .string()
  .trim()
  .max(40, "At most 40 characters.")
  .regex(/^[A-Za-z0-9.\-]*$/, "Letters, digits, dots and dashes only.");

/** A CodeableConcept from what was typed: the words, and a code when given. */
function concept(words: string, system: string, code: string | undefined) {
  const c = opt(code);
  return { text: words.trim(), ...(c ? { coding: [{ system, code: c, display: words.trim() }] } : {}) };
}

/** A concept with a code from a fixed system (statuses). */
const coded = (system: string, code: string) => ({ coding: [{ system, code }] });

/** Drop keys whose value is undefined, so the host sees no empty elements. */
function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const codeField = (system: string, example: string, paths: string[]): Field => ({
  name: "code",
  label: `${system} code`,
  kind: "text",
  description: `Optional. If you know it (e.g. ${example}), Hearth checks it.`,
  paths,
});

export const FORMS: RecordForm[] = [
  {
    type: "Condition",
    title: "Condition",
    intro: "An illness, diagnosis or health problem.",
    fields: [
      { name: "name", label: "Condition", kind: "text", required: true, description: "In your words, e.g. “Asthma”.", paths: ["code"] },
      {
        name: "status",
        label: "Is it still going on?",
        kind: "select",
        required: true,
        options: [
          { value: "active", label: "Yes, active" },
          { value: "remission", label: "In remission" },
          { value: "resolved", label: "No, resolved" },
        ],
        paths: ["clinicalStatus"],
      },
      { name: "onset", label: "Began on", kind: "date", paths: ["onsetDateTime"] },
      { name: "abatement", label: "Ended on", kind: "date", paths: ["abatementDateTime"] },
      codeField("SNOMED CT", "195967001", ["code.coding"]),
    ],
    schema: z
      .object({ name: text("The condition"), status: z.string().min(1), onset: optionalDate, abatement: optionalDate, code: optionalCode })
      .refine((v) => !v.onset || !v.abatement || v.abatement >= v.onset, { message: "It cannot end before it began.", path: ["abatement"] }),
    build: (v) =>
      clean({
        resourceType: "Condition",
        code: concept(v.name!, SNOMED, v.code),
        clinicalStatus: coded("http://terminology.hl7.org/CodeSystem/condition-clinical", v.status!),
        onsetDateTime: opt(v.onset),
        abatementDateTime: opt(v.abatement),
      }),
  },
  {
    type: "MedicationStatement",
    title: "Medication",
    intro: "A medicine taken now or in the past.",
    fields: [
      {
        name: "name",
        label: "Medicine",
        kind: "text",
        required: true,
        description: "Name and strength, e.g. “Ibuprofen 200 mg”.",
        paths: ["medicationCodeableConcept"],
      },
      {
        name: "status",
        label: "Taking it?",
        kind: "select",
        required: true,
        options: [
          { value: "active", label: "Yes, taking it" },
          { value: "completed", label: "Finished the course" },
          { value: "stopped", label: "Stopped" },
          { value: "intended", label: "About to start" },
        ],
        paths: ["status"],
      },
      { name: "dose", label: "How much and how often", kind: "text", description: "e.g. “1 tablet twice a day”.", paths: ["dosage"] },
      { name: "start", label: "Started on", kind: "date", paths: ["effectivePeriod"] },
      codeField("RxNorm", "310965", ["medicationCodeableConcept.coding"]),
    ],
    schema: z.object({ name: text("The medicine"), status: z.string().min(1), dose: optionalText, start: optionalDate, code: optionalCode }),
    build: (v) =>
      clean({
        resourceType: "MedicationStatement",
        status: v.status,
        medicationCodeableConcept: concept(v.name!, RXNORM, v.code),
        dosage: opt(v.dose) ? [{ text: opt(v.dose) }] : undefined,
        effectivePeriod: opt(v.start) ? { start: opt(v.start) } : undefined,
      }),
  },
  {
    type: "AllergyIntolerance",
    title: "Allergy",
    intro: "Something that causes a reaction: a food, a medicine, pollen…",
    fields: [
      { name: "name", label: "Allergic to", kind: "text", required: true, paths: ["code"] },
      {
        name: "category",
        label: "Kind",
        kind: "select",
        required: true,
        options: [
          { value: "food", label: "Food" },
          { value: "medication", label: "Medicine" },
          { value: "environment", label: "Environment (pollen, dust, animals…)" },
          { value: "biologic", label: "Biologic (blood products, vaccines…)" },
        ],
        paths: ["category"],
      },
      {
        name: "criticality",
        label: "How serious",
        kind: "select",
        options: [
          { value: "", label: "Not sure" },
          { value: "low", label: "Mild" },
          { value: "high", label: "Serious" },
        ],
        paths: ["criticality"],
      },
      { name: "reaction", label: "What happens", kind: "text", description: "e.g. “Hives”.", paths: ["reaction"] },
      { name: "onset", label: "First noticed", kind: "date", paths: ["onsetDateTime"] },
    ],
    schema: z.object({
      name: text("What you are allergic to"),
      category: z.string().min(1),
      criticality: z.string(),
      reaction: optionalText,
      onset: optionalDate,
    }),
    build: (v) =>
      clean({
        resourceType: "AllergyIntolerance",
        code: { text: v.name!.trim() },
        clinicalStatus: coded("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
        category: [v.category],
        criticality: opt(v.criticality),
        reaction: opt(v.reaction) ? [{ manifestation: [{ text: opt(v.reaction) }] }] : undefined,
        onsetDateTime: opt(v.onset),
      }),
  },
  {
    type: "Immunization",
    title: "Immunization",
    intro: "A vaccine that was given.",
    fields: [
      { name: "name", label: "Vaccine", kind: "text", required: true, description: "e.g. “Flu shot”.", paths: ["vaccineCode"] },
      { name: "date", label: "Given on", kind: "date", required: true, paths: ["occurrenceDateTime"] },
      codeField("CVX", "140", ["vaccineCode.coding"]),
    ],
    schema: z.object({ name: text("The vaccine"), date: pastDate, code: optionalCode }),
    build: (v) =>
      clean({ resourceType: "Immunization", status: "completed", vaccineCode: concept(v.name!, CVX, v.code), occurrenceDateTime: v.date }),
  },
  {
    type: "Procedure",
    title: "Procedure",
    intro: "An operation, scan or treatment.",
    fields: [
      { name: "name", label: "Procedure", kind: "text", required: true, description: "e.g. “Appendectomy”.", paths: ["code"] },
      { name: "date", label: "Done on", kind: "date", paths: ["performedDateTime"] },
      codeField("SNOMED CT", "80146002", ["code.coding"]),
    ],
    schema: z.object({ name: text("The procedure"), date: optionalDate, code: optionalCode }),
    build: (v) => clean({ resourceType: "Procedure", status: "completed", code: concept(v.name!, SNOMED, v.code), performedDateTime: opt(v.date) }),
  },
  {
    type: "Encounter",
    title: "Visit",
    intro: "A visit to a doctor, clinic or hospital.",
    fields: [
      {
        name: "kind",
        label: "Kind of visit",
        kind: "select",
        required: true,
        options: [
          { value: "AMB", label: "Office or clinic visit" },
          { value: "EMER", label: "Emergency" },
          { value: "IMP", label: "Hospital stay" },
          { value: "VR", label: "Video or phone" },
          { value: "HH", label: "Home visit" },
        ],
        paths: ["class"],
      },
      { name: "reason", label: "Reason", kind: "text", description: "e.g. “Check-up”.", paths: ["reasonCode"] },
      { name: "date", label: "Date", kind: "date", required: true, paths: ["period"] },
    ],
    schema: z.object({ kind: z.string().min(1), reason: optionalText, date: pastDate }),
    build: (v) =>
      clean({
        resourceType: "Encounter",
        status: "finished",
        class: { system: ACT_CODE, code: v.kind },
        reasonCode: opt(v.reason) ? [{ text: opt(v.reason) }] : undefined,
        period: { start: v.date, end: v.date },
      }),
  },
  {
    type: "Observation",
    title: "Measurement",
    intro: "A number you measured or were told: weight, blood pressure, a test result…",
    fields: [
      { name: "name", label: "What was measured", kind: "text", required: true, description: "e.g. “Body weight”.", paths: ["code"] },
      { name: "value", label: "Value", kind: "number", required: true, paths: ["valueQuantity.value", "value[x]"] },
      { name: "unit", label: "Unit", kind: "text", description: "UCUM where you can: kg, cm, mg/dL, mm[Hg]…", paths: ["valueQuantity"] },
      { name: "date", label: "Measured on", kind: "date", required: true, paths: ["effectiveDateTime"] },
      { name: "low", label: "Normal range from", kind: "number", paths: ["referenceRange"] },
      { name: "high", label: "Normal range to", kind: "number", paths: ["referenceRange"] },
      codeField("LOINC", "29463-7", ["code.coding"]),
    ],
    schema: z
      .object({
        name: text("What was measured"),
        value: z
          .string()
          .trim()
          .min(1, "Enter the value.")
          .refine((s) => Number.isFinite(Number(s)), "Enter a number."),
        unit: z.string().trim().max(40, "At most 40 characters."),
        date: pastDate,
        low: z
          .string()
          .trim()
          .refine((s) => !s || Number.isFinite(Number(s)), "Enter a number."),
        high: z
          .string()
          .trim()
          .refine((s) => !s || Number.isFinite(Number(s)), "Enter a number."),
        code: optionalCode,
      })
      .refine((v) => !v.low || !v.high || Number(v.low) <= Number(v.high), { message: "The range must go from low to high.", path: ["high"] }),
    build: (v) => {
      const unit = opt(v.unit);
      const q = (n: string) => clean({ value: Number(n), unit, system: unit ? UCUM : undefined, code: unit });
      const range =
        opt(v.low) || opt(v.high) ? [clean({ low: opt(v.low) ? q(v.low!) : undefined, high: opt(v.high) ? q(v.high!) : undefined })] : undefined;
      return clean({
        resourceType: "Observation",
        status: "final",
        category: [coded(OBS_CATEGORY, "survey")],
        code: concept(v.name!, LOINC, v.code),
        valueQuantity: q(v.value!),
        effectiveDateTime: v.date,
        referenceRange: range,
      });
    },
  },
  {
    type: "Practitioner",
    title: "Doctor or carer",
    intro: "Someone who looks after this person's health.",
    fields: [
      { name: "name", label: "Name", kind: "text", required: true, description: "e.g. “Dr. Amara Okafor”.", paths: ["name"] },
      { name: "phone", label: "Phone", kind: "text", paths: ["telecom"] },
      { name: "email", label: "Email", kind: "text", paths: ["telecom"] },
    ],
    schema: z.object({
      name: text("The name"),
      phone: z.string().trim().max(40, "At most 40 characters."),
      email: z.union([z.literal(""), z.string().trim().email("Enter an email address, or leave it empty.")]),
    }),
    build: (v) => {
      const telecom = [opt(v.phone) && { system: "phone", value: opt(v.phone) }, opt(v.email) && { system: "email", value: opt(v.email) }].filter(
        Boolean,
      );
      return clean({ resourceType: "Practitioner", name: [{ text: v.name!.trim() }], telecom: telecom.length ? telecom : undefined });
    },
  },
];

/** The form for a FHIR type. */
export const formFor = (type: string | undefined) => FORMS.find((f) => f.type === type);

/** Which field a host error path belongs to (most specific match), if any. */
export function fieldForPath(form: RecordForm, path: string | undefined): string | undefined {
  if (!path) return undefined;
  let best: { name: string; len: number } | undefined;
  for (const f of form.fields) {
    for (const p of f.paths) {
      if ((path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) && (!best || p.length > best.len))
        best = { name: f.name, len: p.length };
    }
  }
  return best?.name;
}
