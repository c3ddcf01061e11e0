// Dates and numbers as people read them: "12 Mar 2024", "3 years".

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Parts of a FHIR date or dateTime, read without any time-zone shift for plain dates. */
function parts(value: string): { y: number; m?: number; d?: number; time?: Date } | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(T.*)?$/.exec(value.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : undefined;
  const d = m[3] ? Number(m[3]) : undefined;
  if (m[4]) {
    const t = new Date(value);
    if (Number.isNaN(t.getTime())) return null;
    return { y, m: mo, d, time: t };
  }
  return { y, m: mo, d };
}

/** "12 Mar 2024" (or "Mar 2024", "2024" for partial dates); the input as is when unreadable. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  const p = parts(value);
  if (!p) return value;
  if (p.time) {
    const t = p.time;
    return `${t.getDate()} ${MONTHS[t.getMonth()]} ${t.getFullYear()}`;
  }
  if (p.m === undefined) return String(p.y);
  if (p.d === undefined) return `${MONTHS[p.m - 1]} ${p.y}`;
  return `${p.d} ${MONTHS[p.m - 1]} ${p.y}`;
}

/** "12 Mar 2024, 14:05" for date-times; a plain date stays a date. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "";
  const p = parts(value);
  if (!p?.time) return formatDate(value);
  const t = p.time;
  const hh = String(t.getHours()).padStart(2, "0");
  const mm = String(t.getMinutes()).padStart(2, "0");
  return `${formatDate(value)}, ${hh}:${mm}`;
}

/** Whole years between a birth date and `at` (today by default), or null. */
export function ageYears(birthDate: string | null | undefined, at: Date = new Date()): number | null {
  if (!birthDate) return null;
  const p = parts(birthDate);
  if (!p || p.m === undefined || p.d === undefined) return null;
  let age = at.getFullYear() - p.y;
  const beforeBirthday = at.getMonth() + 1 < p.m || (at.getMonth() + 1 === p.m && at.getDate() < p.d);
  if (beforeBirthday) age -= 1;
  return age >= 0 ? age : null;
}

/** "3 years", "1 year", "8 months" for young children. */
export function ageText(birthDate: string | null | undefined, at: Date = new Date()): string | null {
  const years = ageYears(birthDate, at);
  if (years === null) return null;
  if (years >= 2) return `${years} years`;
  const p = parts(birthDate ?? "");
  if (!p || p.m === undefined) return null;
  let months = (at.getFullYear() - p.y) * 12 + (at.getMonth() + 1 - p.m);
  if (p.d !== undefined && at.getDate() < p.d) months -= 1;
  if (months >= 12) return years === 1 ? "1 year" : `${years} years`;
  return months === 1 ? "1 month" : `${Math.max(months, 0)} months`;
}

/** "5 minutes ago", "in 3 hours", for times near now. */
export function relativeTime(value: string | null | undefined, now: Date = new Date()): string {
  if (!value) return "";
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) return value;
  const secs = Math.round((t.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(secs);
  const unit = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  let text: string;
  if (abs < 45) return secs <= 0 ? "just now" : "in a moment";
  else if (abs < 3600) text = unit(Math.round(abs / 60), "minute");
  else if (abs < 86400) text = unit(Math.round(abs / 3600), "hour");
  else if (abs < 86400 * 45) text = unit(Math.round(abs / 86400), "day");
  else return formatDate(value);
  return secs < 0 ? `${text} ago` : `in ${text}`;
}

/** A number without float noise: 16.499999 → "16.5". */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const rounded = Math.round(n * 1000) / 1000;
  return rounded.toLocaleString("en-GB", { maximumFractionDigits: 3 });
}

/** "1,500" */
export function formatCount(n: number): string {
  return n.toLocaleString("en-GB");
}
