// Units and numbers as people write them. Records carry UCUM codes ("Cel",
// "mm[Hg]", "10*3/uL") and values with whatever digits a conversion or a device
// produced (6.181808595798641); a page shows "39.2 °C", "120 mmHg", "6.2%".
//
// Precision rules (roundedText), by unit:
//   %                                        1 decimal   (A1c 6.181… → 6.2%)
//   Cel, [degF] (°C, °F)                     1 decimal
//   mm[Hg], /min, {beats}/min, {breaths}/min 0 decimals  (and their written forms: mmHg, bpm, beats/minute…)
//   kg, cm, [lb_av], [in_i], kg/m2           1 decimal   (body measures)
//   g, when the value is 100 or more         1 decimal   (a baby's weight in grams)
//   anything else                            3 significant figures, but integer digits are never
//                                            rounded away (1234.56 → 1,235) and at most 4 decimals
//                                            (0.012345 → 0.0123)
// Always: a rule only ever removes digits, never adds them (70 kg stays "70 kg", not "70.0"); a
// non-zero value that would round to 0 keeps one significant figure instead (0.00002 stays
// 0.00002, never "0"); numbers are written in the en-GB style of formatNumber ("1,235").

const SUPERSCRIPT: Record<string, string> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};
const superscript = (s: string) => [...s].map((c) => SUPERSCRIPT[c] ?? c).join("");

/** Whole units whose written form is not built from their parts. */
const WHOLE: Record<string, string> = {
  Cel: "°C",
  "[degF]": "°F",
  "mm[Hg]": "mmHg",
  "[pH]": "pH",
  "cm[H2O]": "cmH₂O",
  "1": "",
  "%": "%",
};

/** Bracketed UCUM atoms (customary and arbitrary units) by their usual names. */
const ATOMS: Record<string, string> = {
  "[lb_av]": "lb",
  "[oz_av]": "oz",
  "[in_i]": "in",
  "[ft_i]": "ft",
  "[iU]": "IU",
  "[IU]": "IU",
  "[HPF]": "HPF",
  "[LPF]": "LPF",
  "[degF]": "°F",
  "[pH]": "pH",
  "[Hg]": "Hg",
  "[ppm]": "ppm",
  "[ppb]": "ppb",
  "[drp]": "drop",
};

/** Annotation words that read better spelled out. */
const ANNOTATION_WORDS: Record<string, string> = { creat: "creatinine" };

// Only strings made of UCUM's characters are rewritten; free text ("beats per minute", or
// anything with spaces or markup) is shown exactly as recorded.
const UCUM_LIKE = /^[A-Za-z0-9.\/\[\]{}*^_%'+\-#]+$/;
// Micro is "u" in UCUM; only before a unit it can prefix, so free-text words stay as they are.
const MICRO = /^u(g|mol|L|l|m|U|IU|eq|Eq|kat|s|Pa|V|Ci)(-?\d)?$/;
// An exponent on a length, volume, time or mass: m2 → m², s-1 → s⁻¹.
const POWER = /^((?:[kcmdµ])?(?:m|s|g|L|l))(-?\d)$/;

/** Split at `sep` outside curly-brace annotations. */
function splitOutside(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** An annotation's text as words: {1.73_m2} → "1.73 m²", {beats} → "beats". */
function annotationWords(text: string): string {
  return text
    .split("_")
    .map((w) => ANNOTATION_WORDS[w] ?? w.replace(POWER, (_m, base: string, exp: string) => base + superscript(exp)))
    .join(" ");
}

/** One factor of a unit (no "/" or "." in it, outside annotations). */
function factorText(factor: string): string {
  const notes: string[] = [];
  let body = factor.replace(/\{([^{}]*)\}/g, (_m, text: string) => {
    notes.push(annotationWords(text));
    return "";
  });
  const power = /^10[*^](-?\d+)$/.exec(body);
  if (power) body = `×10${superscript(power[1]!)}`;
  else {
    body = body.replace(/\[[^\]]*\]/g, (atom) => ATOMS[atom] ?? atom.slice(1, -1).replace(/_.*$/, ""));
    body = body.replace(MICRO, (m) => `µ${m.slice(1)}`);
    body = body.replace(POWER, (_m, base: string, exp: string) => base + superscript(exp));
  }
  const words = notes.filter(Boolean).join(" ");
  return body && words ? `${body} ${words}` : body || words;
}

/** A unit as people write it: "Cel" → "°C", "10*3/uL" → "×10³/µL", "{score}" → "". */
export function humanUnit(unit: string | null | undefined): string {
  const s = (unit ?? "").trim();
  if (!s) return "";
  if (s in WHOLE) return WHOLE[s]!;
  if (!UCUM_LIKE.test(s)) return s;
  // A unit that is only an annotation ({score}, {ratio}) is a plain number.
  if (/^\{[^{}]*\}$/.test(s)) return "";
  return splitOutside(s, "/")
    .map((term) =>
      splitOutside(term, ".")
        .map(factorText)
        .filter((f, _i, all) => f || all.length === 1)
        .join("·"),
    )
    .join("/");
}

/** Options for roundedText. */
export interface RoundOptions {
  /** Every recorded digit, unrounded (for showing exactly what a record says). */
  exact?: boolean;
}

const ONE_DECIMAL = new Set(["%", "°C", "°F", "kg", "cm", "lb", "in", "kg/m²"]);
const NO_DECIMALS = new Set(["mmHg", "/min", "beats/min", "breaths/min", "beats/minute", "breaths/minute", "bpm"]);

/** The most decimals a value in `unit` is shown with (the rules at the top of this file). */
export function decimalsFor(value: number, unit?: string | null): number {
  const u = humanUnit(unit);
  if (NO_DECIMALS.has(u)) return 0;
  if (ONE_DECIMAL.has(u) || (u === "g" && Math.abs(value) >= 100)) return 1;
  if (value === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  return Math.min(4, Math.max(0, 2 - magnitude));
}

/** A value rounded to a sensible precision for its unit, en-GB style: 6.181808595798641 → "6.18". */
export function roundedText(value: number, unit?: string | null, opts: RoundOptions = {}): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const format = (o: Intl.NumberFormatOptions) => new Intl.NumberFormat("en-GB", o).format(value);
  if (opts.exact) return format({ maximumFractionDigits: 20 });
  const text = format({ maximumFractionDigits: decimalsFor(value, unit) });
  // A non-zero result is never shown as 0 (or "-0").
  return /^-?0$/.test(text) ? format({ maximumSignificantDigits: 1 }) : text;
}

/** A value with its unit as people write it: "39.2 °C", "120 mmHg", "6.2%". */
export function valueText(value: number, unit?: string | null, opts?: RoundOptions): string {
  const n = roundedText(value, unit, opts);
  const u = humanUnit(unit);
  if (!u) return n;
  // Clinical writing puts a percentage against its number: "6.2%".
  return u === "%" ? `${n}%` : `${n} ${u}`;
}

/** A reading with its unit as recorded. */
interface Reading {
  value: number;
  unit?: string | null;
}

/** "120/80 mmHg": systolic over diastolic, in one unit when they share it. */
export function pressureText(sys: Reading, dia: Reading): string {
  if (humanUnit(sys.unit) !== humanUnit(dia.unit)) return `${valueText(sys.value, sys.unit)} / ${valueText(dia.value, dia.unit)}`;
  const unit = humanUnit(sys.unit);
  return `${roundedText(sys.value, sys.unit)}/${roundedText(dia.value, dia.unit)}${unit ? ` ${unit}` : ""}`;
}
