import { ageText, ageYears, formatDate, formatDateTime, formatNumber, relativeTime } from "./format";

describe("formatDate", () => {
  it("reads plain dates without shifting them by time zone", () => {
    expect(formatDate("2024-03-12")).toBe("12 Mar 2024");
    expect(formatDate("2024-12-01")).toBe("1 Dec 2024");
  });
  it("keeps partial dates partial", () => {
    expect(formatDate("2015")).toBe("2015");
    expect(formatDate("2015-07")).toBe("Jul 2015");
  });
  it("shows date-times in local time and leaves unreadable input alone", () => {
    const local = new Date(2025, 0, 5, 9, 7);
    expect(formatDateTime(local.toISOString())).toBe("5 Jan 2025, 09:07");
    expect(formatDate("not a date")).toBe("not a date");
    expect(formatDate(null)).toBe("");
  });
});

describe("ages", () => {
  const at = new Date(2026, 10, 28);
  it("counts whole years, before and after the birthday", () => {
    expect(ageYears("2000-11-28", at)).toBe(26);
    expect(ageYears("2000-11-29", at)).toBe(25);
    expect(ageYears("2030-01-01", at)).toBeNull();
    expect(ageYears("2000", at)).toBeNull();
  });
  it("uses months for babies", () => {
    expect(ageText("2026-03-01", at)).toBe("8 months");
    expect(ageText("2025-10-01", at)).toBe("1 year");
    expect(ageText("2019-01-01", at)).toBe("7 years");
  });
});

describe("numbers and relative times", () => {
  it("drops float noise", () => {
    expect(formatNumber(16.499999999)).toBe("16.5");
    expect(formatNumber(1500)).toBe("1,500");
  });
  it("says how long ago", () => {
    const now = new Date("2026-11-28T12:00:00Z");
    expect(relativeTime("2026-11-28T11:55:00Z", now)).toBe("5 minutes ago");
    expect(relativeTime("2026-11-28T15:00:00Z", now)).toBe("in 3 hours");
    expect(relativeTime("2026-11-28T11:59:50Z", now)).toBe("just now");
  });
});
