// Tests sorted the way people think of them: vital signs, then blood
// chemistry, cholesterol, hormones, blood count, urine. Kinds and short names
// come from the LOINC code where it is a common one; otherwise from words in
// the recorded name, which is never hidden (the test's own page shows it).
import type { LabTest } from "../api/types";
import { isFlagged } from "./labs";

export const LOINC = "http://loinc.org";
export const SYSTOLIC = "8480-6";
export const DIASTOLIC = "8462-4";

/** Where a test belongs on the lab results page. */
export type LabKind = "vitals" | "chemistry" | "lipids" | "endocrine" | "hematology" | "urine" | "other";

/** The kinds in page order, with their headings. */
export const KINDS: { kind: LabKind; heading: string }[] = [
  { kind: "vitals", heading: "Vital signs" },
  { kind: "chemistry", heading: "Blood chemistry" },
  { kind: "lipids", heading: "Cholesterol and lipids" },
  { kind: "endocrine", heading: "Hormones and diabetes" },
  { kind: "hematology", heading: "Blood count" },
  { kind: "urine", heading: "Urine" },
  { kind: "other", heading: "Other tests" },
];

/** A kind's heading: "Vital signs". */
export const kindHeading = (kind: LabKind): string => KINDS.find((k) => k.kind === kind)!.heading;

// Common LOINC codes: their kind and the short name people use.
const CODES: Record<string, [LabKind, string]> = {
  // Vital signs
  "85354-9": ["vitals", "Blood pressure"],
  "55284-4": ["vitals", "Blood pressure"],
  [SYSTOLIC]: ["vitals", "Systolic blood pressure"],
  [DIASTOLIC]: ["vitals", "Diastolic blood pressure"],
  "8478-0": ["vitals", "Mean blood pressure"],
  "8867-4": ["vitals", "Heart rate"],
  "8889-8": ["vitals", "Heart rate"],
  "9279-1": ["vitals", "Breathing rate"],
  "8310-5": ["vitals", "Temperature"],
  "8331-1": ["vitals", "Temperature (by mouth)"],
  "2708-6": ["vitals", "Oxygen saturation"],
  "59408-5": ["vitals", "Oxygen saturation"],
  "29463-7": ["vitals", "Weight"],
  "3141-9": ["vitals", "Weight"],
  "8302-2": ["vitals", "Height"],
  "8306-3": ["vitals", "Length (lying down)"],
  "39156-5": ["vitals", "BMI"],
  "59576-9": ["vitals", "BMI percentile"],
  "9843-4": ["vitals", "Head circumference"],
  "8287-5": ["vitals", "Head circumference"],
  "8280-0": ["vitals", "Waist circumference"],
  "72514-3": ["vitals", "Pain score"],
  // Blood chemistry
  "2345-7": ["chemistry", "Glucose"],
  "2339-0": ["chemistry", "Glucose"],
  "1558-6": ["chemistry", "Fasting glucose"],
  "2160-0": ["chemistry", "Creatinine"],
  "38483-4": ["chemistry", "Creatinine"],
  "33914-3": ["chemistry", "eGFR"],
  "48642-3": ["chemistry", "eGFR"],
  "48643-1": ["chemistry", "eGFR"],
  "62238-1": ["chemistry", "eGFR"],
  "88293-6": ["chemistry", "eGFR"],
  "88294-4": ["chemistry", "eGFR"],
  "98979-8": ["chemistry", "eGFR"],
  "3094-0": ["chemistry", "Urea nitrogen (BUN)"],
  "6299-2": ["chemistry", "Urea nitrogen (BUN)"],
  "2951-2": ["chemistry", "Sodium"],
  "2947-0": ["chemistry", "Sodium"],
  "2823-3": ["chemistry", "Potassium"],
  "6298-4": ["chemistry", "Potassium"],
  "2075-0": ["chemistry", "Chloride"],
  "2069-3": ["chemistry", "Chloride"],
  "2028-9": ["chemistry", "Carbon dioxide (CO2)"],
  "20565-8": ["chemistry", "Carbon dioxide (CO2)"],
  "1963-8": ["chemistry", "Bicarbonate"],
  "17861-6": ["chemistry", "Calcium"],
  "49765-1": ["chemistry", "Calcium"],
  "33037-3": ["chemistry", "Anion gap"],
  "1742-6": ["chemistry", "ALT"],
  "1920-8": ["chemistry", "AST"],
  "6768-6": ["chemistry", "Alkaline phosphatase"],
  "2324-2": ["chemistry", "GGT"],
  "1975-2": ["chemistry", "Bilirubin"],
  "1968-7": ["chemistry", "Direct bilirubin"],
  "1751-7": ["chemistry", "Albumin"],
  "2885-2": ["chemistry", "Total protein"],
  "10834-0": ["chemistry", "Globulin"],
  "19123-9": ["chemistry", "Magnesium"],
  "2777-1": ["chemistry", "Phosphate"],
  "3084-1": ["chemistry", "Uric acid"],
  "2532-0": ["chemistry", "LDH"],
  "2157-6": ["chemistry", "Creatine kinase"],
  "1988-5": ["chemistry", "CRP"],
  "30522-7": ["chemistry", "hs-CRP"],
  "2276-4": ["chemistry", "Ferritin"],
  "2498-4": ["chemistry", "Iron"],
  "2500-7": ["chemistry", "Iron binding capacity (TIBC)"],
  "1989-3": ["chemistry", "Vitamin D"],
  "62292-8": ["chemistry", "Vitamin D"],
  "2132-9": ["chemistry", "Vitamin B12"],
  "2284-8": ["chemistry", "Folate"],
  // Cholesterol and lipids
  "2093-3": ["lipids", "Total cholesterol"],
  "18262-6": ["lipids", "LDL cholesterol"],
  "13457-7": ["lipids", "LDL cholesterol"],
  "2089-1": ["lipids", "LDL cholesterol"],
  "2085-9": ["lipids", "HDL cholesterol"],
  "2571-8": ["lipids", "Triglycerides"],
  "43396-1": ["lipids", "Non-HDL cholesterol"],
  "9830-1": ["lipids", "Cholesterol/HDL ratio"],
  // Hormones and diabetes
  "4548-4": ["endocrine", "A1c"],
  "17856-6": ["endocrine", "A1c"],
  "3016-3": ["endocrine", "TSH"],
  "11580-8": ["endocrine", "TSH"],
  "3024-7": ["endocrine", "Free T4"],
  "3026-2": ["endocrine", "T4"],
  "3051-0": ["endocrine", "Free T3"],
  "20448-7": ["endocrine", "Insulin"],
  "2143-6": ["endocrine", "Cortisol"],
  "2986-8": ["endocrine", "Testosterone"],
  "2243-4": ["endocrine", "Estradiol"],
  "2731-8": ["endocrine", "Parathyroid hormone (PTH)"],
  // Blood count
  "718-7": ["hematology", "Hemoglobin"],
  "4544-3": ["hematology", "Hematocrit"],
  "6690-2": ["hematology", "White blood cells"],
  "26464-8": ["hematology", "White blood cells"],
  "789-8": ["hematology", "Red blood cells"],
  "26453-1": ["hematology", "Red blood cells"],
  "777-3": ["hematology", "Platelets"],
  "26515-7": ["hematology", "Platelets"],
  "787-2": ["hematology", "MCV"],
  "785-6": ["hematology", "MCH"],
  "786-4": ["hematology", "MCHC"],
  "788-0": ["hematology", "RDW"],
  "21000-5": ["hematology", "RDW"],
  "32623-1": ["hematology", "MPV"],
  "770-8": ["hematology", "Neutrophils (%)"],
  "751-8": ["hematology", "Neutrophils (count)"],
  "736-9": ["hematology", "Lymphocytes (%)"],
  "731-0": ["hematology", "Lymphocytes (count)"],
  "5905-5": ["hematology", "Monocytes (%)"],
  "742-7": ["hematology", "Monocytes (count)"],
  "713-8": ["hematology", "Eosinophils (%)"],
  "711-2": ["hematology", "Eosinophils (count)"],
  "706-2": ["hematology", "Basophils (%)"],
  "704-7": ["hematology", "Basophils (count)"],
  "6301-6": ["hematology", "INR"],
  "5902-2": ["hematology", "Prothrombin time"],
  "4537-7": ["hematology", "ESR"],
  "30341-2": ["hematology", "ESR"],
  // Urine
  "9318-7": ["urine", "Urine albumin/creatinine ratio"],
  "14959-1": ["urine", "Urine microalbumin/creatinine ratio"],
  "14957-5": ["urine", "Urine microalbumin"],
  "1754-1": ["urine", "Urine albumin"],
  "2161-8": ["urine", "Urine creatinine"],
  "5811-5": ["urine", "Urine specific gravity"],
  "2965-2": ["urine", "Urine specific gravity"],
  "5803-2": ["urine", "Urine pH"],
  "2756-5": ["urine", "Urine pH"],
  "5804-0": ["urine", "Urine protein"],
  "2888-6": ["urine", "Urine protein"],
  "5792-7": ["urine", "Urine glucose"],
  // Other
  "2857-1": ["other", "PSA"],
};

// Words in a recorded name, tried in this order: the specimen first (glucose in urine is a
// urine test), then hormones before blood count (hemoglobin A1c is a diabetes test).
const WORDS: [LabKind, RegExp][] = [
  ["urine", /\burine\b|urinalysis|\buacr\b|microalbumin/i],
  [
    "vitals",
    /blood pressure|systolic|diastolic|heart rate|pulse rate|respiratory rate|breathing rate|temperature|oxygen saturation|\bspo2\b|body weight|\bweight\b|body height|\bheight\b|body mass index|\bbmi\b|circumference|pain severity|pain score/i,
  ],
  ["lipids", /cholesterol|\bldl\b|\bhdl\b|triglycerid|lipoprotein|lipid/i],
  ["endocrine", /a1c|glycated|thyro|\btsh\b|\bt3\b|\bt4\b|insulin|cortisol|testosterone|estradiol|hormone|parathyr/i],
  [
    "hematology",
    /hemoglobin|haemoglobin|hematocrit|haematocrit|leukocyte|erythrocyte|platelet|\bwbc\b|\brbc\b|\bmcv\b|\bmchc?\b|\brdw\b|neutrophil|lymphocyte|monocyte|eosinophil|basophil|\binr\b|prothrombin|sedimentation/i,
  ],
  [
    "chemistry",
    /glucose|creatinine|sodium|potassium|chloride|carbon dioxide|bicarbonate|\burea\b|\bbun\b|calcium|glomerular|\begfr\b|\balt\b|\bast\b|aminotransferase|phosphatase|bilirubin|albumin|protein|magnesium|phosphate|uric acid|ferritin|\biron\b|vitamin|\bcrp\b|c reactive|creatine kinase|in serum or plasma/i,
  ],
];

/** The kind of a test: by its LOINC code when common, else by words in its name. */
export function labKind(system: string, code: string, name: string | null | undefined): LabKind {
  const known = system === LOINC ? CODES[code] : undefined;
  if (known) return known[0];
  const words = name ?? "";
  return WORDS.find(([, re]) => re.test(words))?.[0] ?? "other";
}

// A LOINC property in brackets ("[Mass/volume]", "[Presence]"): the mark of a LOINC long name.
const PROPERTY = /\s*\[[#A-Za-z][#A-Za-z. /]*\]/g;

/**
 * A LOINC long name without its boilerplate: "Glucose [Mass/volume] in Serum or Plasma" → "Glucose",
 * "Hemoglobin A1c/Hemoglobin.total in Blood" → "Hemoglobin A1c". Other names come back as they are.
 */
export function trimLoincName(name: string, isLoinc = false): string {
  const original = name.trim();
  if (!isLoinc && !new RegExp(PROPERTY.source).test(original)) return original;
  const ratio = /\[[^\]]*ratio[^\]]*\]/i.test(original);
  let s = original
    .replace(PROPERTY, "")
    // The method ("by Automated count") is detail for the test's own page.
    .replace(/\s+by\s+.*$/i, "")
    // The usual specimens go without saying; others stay, in lower case ("in urine").
    .replace(/\s+in\s+(?:Serum or Plasma|Serum|Plasma|Blood)$/i, "")
    .replace(/\s+in\s+([A-Z][a-z]+(?: [a-z]+)*)$/, (_m, specimen: string) => ` in ${specimen.toLowerCase()}`);
  // "X/X.total" (a share of the whole) and "X/1.73 sq M" (a normalisation) read as "X";
  // a ratio ("Albumin/Creatinine [Mass Ratio]") keeps both sides.
  const slash = s.indexOf("/");
  if (slash > 0 && !ratio) {
    const [top, bottom] = [s.slice(0, slash), s.slice(slash + 1)];
    const first = (t: string) => t.trim().split(/[\s.]/)[0]!.toLowerCase();
    if (/^\s*\d/.test(bottom) || first(top) === first(bottom)) s = top;
  }
  // LOINC joins sub-parts with dots: "Bilirubin.total" → "Bilirubin total".
  s = s
    .replace(/([A-Za-z])\.([A-Za-z])/g, "$1 $2")
    .replace(/\s+/g, " ")
    .trim();
  return s || original;
}

/** A short plain name for a test: "A1c" for 4548-4; else its recorded name without LOINC boilerplate; else its code. */
export function plainName(system: string, code: string, name: string | null | undefined): string {
  const known = system === LOINC ? CODES[code] : undefined;
  if (known) return known[1];
  if (!name?.trim()) return code;
  return trimLoincName(name, system === LOINC);
}

/** Whether a test is one half of a blood pressure reading. */
export const isBloodPressurePart = (system: string, code: string) => system === LOINC && (code === SYSTOLIC || code === DIASTOLIC);

/** One card on the lab results page: a test, or systolic and diastolic together. */
export interface LabCard {
  key: string;
  kind: LabKind;
  name: string;
  /** The tests shown: one, or systolic then diastolic. */
  tests: LabTest[];
  /** The latest result date of any of them. */
  lastDate: string | null;
  /** Whether the latest result of any of them is out of range. */
  flagged: boolean;
  /** The name of the panel its latest result was reported in ("Lipid panel"), if that panel has one. */
  panel: string | null;
}

/** Cards of a section reported in one panel (by name), or the ones in none (`panel` null). */
export interface LabGroup {
  key: string;
  panel: string | null;
  cards: LabCard[];
}

/** A section of the lab results page. */
export interface LabSection {
  kind: LabKind;
  heading: string;
  /** All its cards, newest first. */
  cards: LabCard[];
  /** The same cards: first those in no panel, then each panel's (newest panel first), each newest first. */
  groups: LabGroup[];
}

/** What the page is filtered by. */
export interface LabFilter {
  query?: string;
  outOfRangeOnly?: boolean;
}

const newest = (dates: (string | null)[]): string | null => dates.reduce<string | null>((a, d) => (d && (!a || d > a) ? d : a), null);

/**
 * A panel's name without the usual specimen of a LOINC long name: "CBC panel - Blood by Automated count"
 * → "CBC panel". Other specimens stay ("Urinalysis panel - Urine").
 */
export function trimPanelName(name: string): string {
  const original = name.trim().replace(/\s+/g, " ");
  return original.replace(/\s+-\s+(?:Serum or Plasma|Serum|Plasma|Blood)(?:\s+by\s+.+)?$/i, "") || original;
}

/** A test's panel name, when its latest result was reported in a named panel. */
const panelName = (t: LabTest): string | null => (t.panel?.name?.trim() ? trimPanelName(t.panel.name) : null);

/** Cards for the tests: systolic and diastolic blood pressure become one card. */
export function labCards(tests: LabTest[]): LabCard[] {
  const systolic = tests.find((t) => t.system === LOINC && t.code === SYSTOLIC);
  const diastolic = tests.find((t) => t.system === LOINC && t.code === DIASTOLIC);
  const paired = systolic && diastolic;
  const cards: LabCard[] = [];
  if (paired) {
    cards.push({
      key: `${LOINC}|${SYSTOLIC}+${DIASTOLIC}`,
      kind: "vitals",
      name: "Blood pressure",
      tests: [systolic, diastolic],
      lastDate: newest([systolic.last_date, diastolic.last_date]),
      flagged: [systolic, diastolic].some((t) => t.latest && isFlagged(t.latest)),
      panel: panelName(systolic) ?? panelName(diastolic),
    });
  }
  for (const t of tests) {
    if (paired && (t === systolic || t === diastolic)) continue;
    cards.push({
      key: `${t.system}|${t.code}`,
      kind: labKind(t.system, t.code, t.name),
      name: plainName(t.system, t.code, t.name),
      tests: [t],
      lastDate: t.last_date,
      flagged: !!t.latest && isFlagged(t.latest),
      panel: panelName(t),
    });
  }
  return cards;
}

/** Whether a card matches a search: its plain name, recorded names, codes or panel name. */
export function cardMatches(card: LabCard, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [card.name, card.panel ?? "", ...card.tests.flatMap((t) => [t.name ?? "", t.code])].some((s) => s.toLowerCase().includes(q));
}

/** Most recent first; undated last. */
const byDate = (a: string | null, b: string | null): number => (a === b ? 0 : !a ? 1 : !b ? -1 : a < b ? 1 : -1);

/**
 * A section's cards (newest first) by panel: the cards in no panel first, as they are,
 * then one group per panel name (the same name from different reports is one group),
 * the panel with the newest result first.
 */
export function labGroups(cards: LabCard[]): LabGroup[] {
  const loose: LabCard[] = [];
  const panels = new Map<string, LabGroup>();
  for (const c of cards) {
    if (!c.panel) {
      loose.push(c);
      continue;
    }
    const key = c.panel.toLowerCase();
    const group = panels.get(key);
    if (group) group.cards.push(c);
    else panels.set(key, { key, panel: c.panel, cards: [c] });
  }
  const grouped = [...panels.values()].sort((a, b) => byDate(a.cards[0]!.lastDate, b.cards[0]!.lastDate) || a.panel!.localeCompare(b.panel!));
  return [...(loose.length > 0 ? [{ key: "", panel: null, cards: loose }] : []), ...grouped];
}

/** The page's sections in order, each with its cards newest first, grouped by panel; empty sections left out. */
export function labSections(tests: LabTest[], filter: LabFilter = {}): LabSection[] {
  const cards = labCards(tests).filter((c) => (!filter.outOfRangeOnly || c.flagged) && cardMatches(c, filter.query ?? ""));
  return KINDS.map(({ kind, heading }) => {
    const mine = cards
      .filter((c) => c.kind === kind)
      // Most recent first; undated last; then by name.
      .sort((a, b) => byDate(a.lastDate, b.lastDate) || a.name.localeCompare(b.name));
    return { kind, heading, cards: mine, groups: labGroups(mine) };
  }).filter((s) => s.cards.length > 0);
}

/** A test asked for in a page address: `system|code`. */
export interface TestRef {
  system: string;
  code: string;
}

/** Read `system|code` (the system may itself hold "|"); a bare code borrows `system`. */
export function parseTestRef(value: string, system = ""): TestRef {
  const bar = value.lastIndexOf("|");
  return bar < 0 ? { system, code: value } : { system: value.slice(0, bar), code: value.slice(bar + 1) };
}

/** `system|code`, as the series route takes it. */
export const testRefText = (t: TestRef) => `${t.system}|${t.code}`;

/**
 * The tests a test page draws: the one asked for and, for blood pressure (or when `pair` names
 * one), its partner; systolic always comes first.
 */
export function chartedTests(code: string, pair?: string | null): TestRef[] {
  const main = parseTestRef(code);
  let partner: TestRef | undefined = pair ? parseTestRef(pair, main.system) : undefined;
  if (!partner && main.system === LOINC && main.code === SYSTOLIC) partner = { system: LOINC, code: DIASTOLIC };
  if (!partner && main.system === LOINC && main.code === DIASTOLIC) partner = { system: LOINC, code: SYSTOLIC };
  if (!partner || testRefText(partner) === testRefText(main)) return [main];
  return partner.system === LOINC && partner.code === SYSTOLIC ? [partner, main] : [main, partner];
}

/** The address of a card's test page: blood pressure opens systolic with diastolic as its pair. */
export function testPath(profile: string, card: LabCard): string {
  const [first, second] = card.tests;
  const code = `code=${encodeURIComponent(`${first!.system}|${first!.code}`)}`;
  return `/profiles/${profile}/labs/test?${code}${second ? `&pair=${encodeURIComponent(second.code)}` : ""}`;
}
