// Records typed in by hand: one short form per type, turned into the FHIR
// resource the host checks and stores (`build`), and read back from it to be
// changed (`parse`). Field names are the form's; `paths` map the host's error
// paths back to the field that caused them. A measurement is chosen from
// presets (LOINC code, UCUM unit, category) so it joins that test's chart.
import { z } from "zod";
import type { Resource } from "../api/types";
import { pastDate } from "./forms";
import { DIASTOLIC, SYSTOLIC } from "./labgroups";

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
  /** Shown only when this says so, given the form's current values (always shown without it). */
  when?: (v: Record<string, string>) => boolean;
  /** A description that depends on the form's current values (instead of `description`). */
  describe?: (v: Record<string, string>) => string | undefined;
}

export interface RecordForm {
  type: string;
  title: string;
  intro: string;
  fields: Field[];
  schema: z.ZodType<Record<string, string>, Record<string, string>>;
  build: (v: Record<string, string>) => { resourceType: string; [k: string]: unknown };
  /** The form's values for a stored record (one this form built): what editing starts from. */
  parse: (r: Resource) => Record<string, string>;
}

const SNOMED = "http://snomed.info/sct";
const LOINC = "http://loinc.org";
const RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX = "http://hl7.org/fhir/sid/cvx";
const UCUM = "http://unitsofmeasure.org";
const ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
const CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical";

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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : undefined);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
/** A stored date or date-time as the form's YYYY-MM-DD. */
const day = (v: unknown) => str(v).slice(0, 10);
/** A quantity's number as typed. */
const amount = (q: unknown) => (isObj(q) && typeof q.value === "number" ? String(q.value) : "");
/** A concept's words: its text, else its first display. */
function words(cc: unknown): string {
  if (!isObj(cc)) return "";
  if (str(cc.text)) return str(cc.text);
  const coding = (Array.isArray(cc.coding) ? cc.coding : []).find((c) => isObj(c) && str(c.display)) as Obj | undefined;
  return str(coding?.display);
}
/** The code a concept carries from `system`, or "". */
function codeOf(cc: unknown, system: string): string {
  if (!isObj(cc) || !Array.isArray(cc.coding)) return "";
  const coding = cc.coding.find((c) => isObj(c) && c.system === system) as Obj | undefined;
  return str(coding?.code);
}
const optionalNumber = z
  .string()
  .trim()
  .refine((s) => !s || Number.isFinite(Number(s)), "Enter a number.");

/** A measurement with a known LOINC code and UCUM unit, so it joins that test's chart. */
export interface Measure {
  key: string;
  /** What people call it; the record's text. */
  label: string;
  /** LOINC code and its display name. */
  code: string;
  display: string;
  /** The UCUM unit code, and the unit as people write it. */
  ucum: string;
  unit: string;
  category: "vital-signs" | "laboratory";
}

const BP = "blood-pressure";
const OTHER = "other";
const isOther = (v: Record<string, string>) => v.measure === OTHER;

export const MEASURES: Measure[] = [
  { key: "body-weight", label: "Body weight", code: "29463-7", display: "Body weight", ucum: "kg", unit: "kg", category: "vital-signs" },
  { key: "body-height", label: "Body height", code: "8302-2", display: "Body height", ucum: "cm", unit: "cm", category: "vital-signs" },
  {
    key: BP,
    label: "Blood pressure",
    code: "85354-9",
    display: "Blood pressure panel with all children optional",
    ucum: "mm[Hg]",
    unit: "mmHg",
    category: "vital-signs",
  },
  {
    key: "body-temperature",
    label: "Body temperature",
    code: "8310-5",
    display: "Body temperature",
    ucum: "Cel",
    unit: "°C",
    category: "vital-signs",
  },
  { key: "heart-rate", label: "Heart rate", code: "8867-4", display: "Heart rate", ucum: "/min", unit: "beats/min", category: "vital-signs" },
  {
    key: "respiratory-rate",
    label: "Respiratory rate",
    code: "9279-1",
    display: "Respiratory rate",
    ucum: "/min",
    unit: "breaths/min",
    category: "vital-signs",
  },
  {
    key: "oxygen-saturation",
    label: "Oxygen saturation",
    code: "59408-5",
    display: "Oxygen saturation in Arterial blood by Pulse oximetry",
    ucum: "%",
    unit: "%",
    category: "vital-signs",
  },
  {
    key: "glucose",
    label: "Glucose",
    code: "2345-7",
    display: "Glucose [Mass/volume] in Serum or Plasma",
    ucum: "mg/dL",
    unit: "mg/dL",
    category: "laboratory",
  },
  {
    key: "hemoglobin-a1c",
    label: "Hemoglobin A1c",
    code: "4548-4",
    display: "Hemoglobin A1c/Hemoglobin.total in Blood",
    ucum: "%",
    unit: "%",
    category: "laboratory",
  },
];

const measureFor = (key: string | undefined) => MEASURES.find((m) => m.key === key);

const CATEGORY_DISPLAY: Record<string, string> = { "vital-signs": "Vital Signs", laboratory: "Laboratory", survey: "Survey" };

/** A LOINC concept: the words people use, and the code with LOINC's name for it. */
const loinc = (text: string, code: string, display = text) => ({ text, coding: [{ system: LOINC, code, display }] });

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
        clinicalStatus: coded(CONDITION_CLINICAL, v.status!),
        onsetDateTime: opt(v.onset),
        abatementDateTime: opt(v.abatement),
      }),
    parse: (r) => ({
      name: words(r.code),
      status: codeOf(r.clinicalStatus, CONDITION_CLINICAL),
      onset: day(r.onsetDateTime),
      abatement: day(r.abatementDateTime),
      code: codeOf(r.code, SNOMED),
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
    parse: (r) => ({
      name: words(r.medicationCodeableConcept),
      status: str(r.status),
      dose: isObj(first(r.dosage)) ? str((first(r.dosage) as Obj).text) : "",
      start: isObj(r.effectivePeriod) ? day(r.effectivePeriod.start) : "",
      code: codeOf(r.medicationCodeableConcept, RXNORM),
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
    parse: (r) => {
      const reaction = first(r.reaction);
      return {
        name: words(r.code),
        category: str(first(r.category)),
        criticality: str(r.criticality),
        reaction: isObj(reaction) ? words(first(reaction.manifestation)) : "",
        onset: day(r.onsetDateTime),
      };
    },
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
    parse: (r) => ({ name: words(r.vaccineCode), date: day(r.occurrenceDateTime), code: codeOf(r.vaccineCode, CVX) }),
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
    parse: (r) => ({ name: words(r.code), date: day(r.performedDateTime), code: codeOf(r.code, SNOMED) }),
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
    parse: (r) => ({
      kind: isObj(r.class) ? str(r.class.code) : "",
      reason: words(first(r.reasonCode)),
      date: isObj(r.period) ? day(r.period.start) : "",
    }),
  },
  {
    type: "Observation",
    title: "Measurement",
    intro: "A number you measured or were told: weight, blood pressure, a test result…",
    fields: [
      {
        name: "measure",
        label: "What was measured",
        kind: "select",
        required: true,
        options: [...MEASURES.map((m) => ({ value: m.key, label: `${m.label} (${m.unit})` })), { value: OTHER, label: "Something else" }],
        paths: ["category"],
      },
      {
        name: "name",
        label: "Name",
        kind: "text",
        required: true,
        description: "e.g. “Peak flow”.",
        paths: ["code"],
        when: isOther,
      },
      {
        name: "value",
        label: "Value",
        kind: "number",
        required: true,
        paths: ["valueQuantity.value", "value[x]"],
        when: (v) => v.measure !== BP,
        describe: (v) => {
          const m = measureFor(v.measure);
          return m ? `In ${m.unit}.` : undefined;
        },
      },
      {
        name: "systolic",
        label: "Systolic (upper number)",
        kind: "number",
        required: true,
        description: "In mmHg, e.g. 120.",
        paths: ["component[0]"],
        when: (v) => v.measure === BP,
      },
      {
        name: "diastolic",
        label: "Diastolic (lower number)",
        kind: "number",
        required: true,
        description: "In mmHg, e.g. 80.",
        paths: ["component[1]"],
        when: (v) => v.measure === BP,
      },
      {
        name: "unit",
        label: "Unit",
        kind: "text",
        description: "UCUM where you can: kg, cm, mg/dL, mm[Hg]…",
        paths: ["valueQuantity"],
        when: isOther,
      },
      { name: "date", label: "Measured on", kind: "date", required: true, paths: ["effectiveDateTime"] },
      { name: "low", label: "Normal range from", kind: "number", paths: ["referenceRange"], when: (v) => v.measure !== BP },
      { name: "high", label: "Normal range to", kind: "number", paths: ["referenceRange"], when: (v) => v.measure !== BP },
      { ...codeField("LOINC", "29463-7", ["code.coding"]), when: isOther },
    ],
    schema: z
      .object({
        measure: z.string().min(1, "Choose what was measured."),
        name: optionalText,
        value: optionalNumber,
        systolic: optionalNumber,
        diastolic: optionalNumber,
        unit: z.string().trim().max(40, "At most 40 characters."),
        date: pastDate,
        low: optionalNumber,
        high: optionalNumber,
        code: optionalCode,
      })
      .superRefine((v, ctx) => {
        const need = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [field], message });
        if (v.measure === OTHER && !v.name) need("name", "What was measured is needed.");
        if (v.measure === BP) {
          if (!v.systolic) need("systolic", "Enter the upper number.");
          if (!v.diastolic) need("diastolic", "Enter the lower number.");
          if (v.systolic && v.diastolic && Number(v.systolic) <= Number(v.diastolic))
            need("diastolic", "The lower number is smaller than the upper one; are they swapped?");
        } else {
          if (!v.value) need("value", "Enter the value.");
          if (v.low && v.high && Number(v.low) > Number(v.high)) need("high", "The range must go from low to high.");
        }
      }),
    build: (v) => {
      const m = measureFor(v.measure);
      const unit = m ? m.ucum : opt(v.unit);
      const human = m ? m.unit : unit;
      const q = (n: string) => clean({ value: Number(n), unit: human, system: unit ? UCUM : undefined, code: unit });
      const range =
        m?.key !== BP && (opt(v.low) || opt(v.high))
          ? [clean({ low: opt(v.low) ? q(v.low!) : undefined, high: opt(v.high) ? q(v.high!) : undefined })]
          : undefined;
      const category = m ? m.category : opt(v.code) ? "laboratory" : "survey";
      return clean({
        resourceType: "Observation",
        status: "final",
        category: [{ coding: [{ system: OBS_CATEGORY, code: category, display: CATEGORY_DISPLAY[category] }] }],
        code: m ? loinc(m.label, m.code, m.display) : concept(v.name!, LOINC, v.code),
        valueQuantity: m?.key === BP ? undefined : q(v.value!),
        component:
          m?.key === BP
            ? [
                { code: loinc("Systolic blood pressure", SYSTOLIC), valueQuantity: q(v.systolic!) },
                { code: loinc("Diastolic blood pressure", DIASTOLIC), valueQuantity: q(v.diastolic!) },
              ]
            : undefined,
        effectiveDateTime: v.date,
        referenceRange: range,
      });
    },
    parse: (r) => {
      const m = MEASURES.find((x) => x.code === codeOf(r.code, LOINC));
      const range = first(r.referenceRange);
      const component = (code: string) =>
        (Array.isArray(r.component) ? r.component : []).find((c) => isObj(c) && codeOf(c.code, LOINC) === code) as Obj | undefined;
      return {
        measure: m ? m.key : OTHER,
        name: m ? "" : words(r.code),
        value: m?.key === BP ? "" : amount(r.valueQuantity),
        systolic: m?.key === BP ? amount(component(SYSTOLIC)?.valueQuantity) : "",
        diastolic: m?.key === BP ? amount(component(DIASTOLIC)?.valueQuantity) : "",
        unit: m || !isObj(r.valueQuantity) ? "" : str(r.valueQuantity.code) || str(r.valueQuantity.unit),
        date: day(r.effectiveDateTime),
        low: isObj(range) ? amount(range.low) : "",
        high: isObj(range) ? amount(range.high) : "",
        code: m ? "" : codeOf(r.code, LOINC),
      };
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
    parse: (r) => {
      const name = first(r.name);
      const telecom = (Array.isArray(r.telecom) ? r.telecom : []).filter(isObj);
      const contact = (system: string) => str(telecom.find((t) => t.system === system)?.value);
      const written = isObj(name)
        ? str(name.text) || [...(Array.isArray(name.given) ? name.given : []), name.family].filter((x) => typeof x === "string").join(" ")
        : "";
      return { name: written, phone: contact("phone"), email: contact("email") };
    },
  },
];

/** The form for a FHIR type. */
export const formFor = (type: string | undefined) => FORMS.find((f) => f.type === type);

/** A form's starting values: empty (a select's first option when one is needed), or a stored record's. */
export function initialValues(form: RecordForm, stored?: Resource): Record<string, string> {
  const parsed = stored ? form.parse(stored) : {};
  const empty = (f: Field) => (f.kind === "select" && f.required ? (f.options?.[0]?.value ?? "") : "");
  return Object.fromEntries(form.fields.map((f) => [f.name, parsed[f.name] || empty(f)]));
}

/** Whether a field is on the form, given what has been chosen so far. */
export const isShown = (f: Field, v: Record<string, string>) => !f.when || f.when(v);

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
