// Shaping the health summary for reading: vital signs as a clinician writes
// them (blood pressure as one "120/80 mmHg"), visits in a line of words.
import type { LabTest, SummaryVisit } from "../api/types";
import { DIASTOLIC, SYSTOLIC, plainName } from "./labgroups";
import { isFlagged } from "./labs";
import { pressureText, valueText } from "./units";

/** One line of the vital-signs card. */
export interface VitalRow {
  key: string;
  label: string;
  /** The reading, rounded for reading ("120/80 mmHg", "36.8 °C"). */
  text: string;
  /** The reading exactly as recorded, for a title/tooltip. */
  exact: string;
  date: string | null;
  /** high / low / abnormal when out of range. */
  flag: string | null;
  /** `system|code` of the test page to open, and its extra `pair` code. */
  code: string;
  pair?: string;
  /** The Observation to highlight on that page. */
  id: string;
}

const exactText = (t: LabTest) => (t.latest ? valueText(t.latest.value, t.latest.unit, { exact: true }) : "");

/** The vitals as rows: systolic and diastolic become one blood-pressure row. */
export function vitalRows(vitals: LabTest[]): VitalRow[] {
  const rows: VitalRow[] = [];
  const sys = vitals.find((t) => t.code === SYSTOLIC);
  const dia = vitals.find((t) => t.code === DIASTOLIC);
  for (const t of vitals) {
    if (!t.latest) continue;
    if ((t.code === SYSTOLIC || t.code === DIASTOLIC) && sys?.latest && dia?.latest) {
      if (t.code === DIASTOLIC) continue;
      const flagged = [sys.latest, dia.latest].find(isFlagged);
      rows.push({
        key: "blood-pressure",
        label: "Blood pressure",
        text: pressureText(sys.latest, dia.latest),
        exact: `${exactText(sys)} / ${exactText(dia)}`,
        // The two usually come from one reading; the older date is the honest one when not.
        date: [sys.last_date, dia.last_date].filter(Boolean).sort()[0] ?? null,
        flag: flagged?.flag ?? null,
        code: `${sys.system}|${sys.code}`,
        pair: dia.code,
        id: sys.latest.id,
      });
      continue;
    }
    rows.push({
      key: `${t.system}|${t.code}`,
      label: plainName(t.system, t.code, t.name),
      text: valueText(t.latest.value, t.latest.unit),
      exact: exactText(t),
      date: t.last_date ?? null,
      flag: isFlagged(t.latest) ? (t.latest.flag ?? null) : null,
      code: `${t.system}|${t.code}`,
      id: t.latest.id,
    });
  }
  return rows;
}

/** "Emergency · Broken arm · St Mary's ER · Dr. Okafor": what a visit was, in one line. */
export function visitLine(v: SummaryVisit): string {
  const kind = v.display ?? v.class ?? "Visit";
  const parts = [kind];
  if (v.class && v.display && !v.display.toLowerCase().includes(v.class.toLowerCase())) parts[0] = `${v.display} (${v.class.toLowerCase()})`;
  for (const p of [v.reason, v.place, v.clinician]) if (p && !parts.includes(p)) parts.push(p);
  return parts.join(" · ");
}
