// What the host answers for a person's recommendations, shaped as the
// immunization forecaster answers (CDC CDSi): for the page and card tests.
import type { Assessed, DoseEvaluation, Item, Recommendation } from "./recommendations";

const GUIDELINE = {
  name: "CDC Clinical Decision Support for Immunization (ACIP schedule)",
  version: "logic specification 4.6, supporting data 4.64",
  url: "https://www.cdc.gov/vaccines/programs/iis/cdsi.html",
};

const vaccine = (
  key: string,
  title: string,
  status: Recommendation["status"],
  group: string,
  cvx: string | null,
  more: Partial<Recommendation> = {},
): Recommendation => ({
  key,
  kind: "immunization",
  status,
  title,
  earliest: null,
  recommended: null,
  past_due: null,
  reason: `${title}: the reason.`,
  guideline: GUIDELINE,
  evidence: ["Patient/pat1"],
  immunization: {
    series_status: status === "complete" ? "complete" : status === "overdue" || status === "due" || status === "upcoming" ? "not-complete" : status,
    vaccine_group: group,
    vaccine_group_cvx: cvx,
    series: `${group} series`,
    dose_number: null,
    latest: null,
    vaccines: [],
    diseases: [group],
  },
  ...more,
});

const item = (recommendation: Recommendation, dismissed: Item["dismissed"] = null): Item => ({
  plugin: "immunizations",
  plugin_name: "Immunization forecast (CDC CDSi)",
  recommendation,
  dismissed,
});

export const HEPB = vaccine("immunization-hepb", "HepB vaccine, dose 2", "overdue", "HepB", "45", {
  earliest: "2025-11-10",
  recommended: "2025-12-08",
  past_due: "2026-01-06",
  reason: "Dose 2 of the HepB 3-dose series; 1 valid dose(s) on record.",
  evidence: ["Patient/pat1", "Immunization/hb1", "Immunization/hb0", "Condition/c1"],
  immunization: {
    series_status: "not-complete",
    vaccine_group: "HepB",
    vaccine_group_cvx: "45",
    series: "HepB 3-dose series",
    dose_number: 2,
    latest: null,
    vaccines: ["08", "43"],
    diseases: ["HepB"],
  },
});
export const PNEUMO = vaccine("immunization-pneumococcal", "Pneumococcal vaccine, dose 2", "due", "Pneumococcal", "109", {
  earliest: "2025-12-08",
  recommended: "2026-01-06",
});
export const COVID = vaccine("immunization-covid-19", "COVID-19 vaccine, dose 3", "upcoming", "COVID-19", "213", {
  earliest: "2026-03-01",
  recommended: "2026-04-01",
});
export const MMR = vaccine("immunization-mmr", "MMR vaccine", "complete", "MMR", "03");
export const FLU = vaccine("immunization-influenza", "Influenza vaccine", "not-recommended", "Influenza", "88");
export const HPV = vaccine("immunization-hpv", "HPV vaccine", "aged-out", "HPV", "137");
export const RSV = vaccine("immunization-rsv", "RSV vaccine, dose 1", "due", "RSV", null, { recommended: "2025-06-12" });

export const DOSES: DoseEvaluation[] = [
  {
    immunization: "Immunization/hb0",
    vaccine_group: "HepB",
    disease: "HepB",
    series: "HepB 3-dose series",
    dose_number: null,
    status: "not-valid",
    reasons: ["Age: Too Young"],
  },
  {
    immunization: "Immunization/hb1",
    vaccine_group: "HepB",
    disease: "HepB",
    series: "HepB 3-dose series",
    dose_number: 1,
    status: "valid",
    reasons: [],
  },
  {
    immunization: "Immunization/m1",
    vaccine_group: "MMR",
    disease: "Measles",
    series: "Measles 2-dose series",
    dose_number: 1,
    status: "valid",
    reasons: [],
  },
];

/** Overdue, due, upcoming, the three folded groups, and one set aside. */
export const ASSESSED: Assessed = {
  as_of: "2026-02-01",
  groups: [
    { status: "overdue", items: [item(HEPB)] },
    { status: "due", items: [item(PNEUMO)] },
    { status: "upcoming", items: [item(COVID)] },
    { status: "complete", items: [item(MMR)] },
    { status: "not-recommended", items: [item(FLU)] },
    { status: "aged-out", items: [item(HPV)] },
    { status: "dismissed", items: [item(RSV, { reason: "Not for me this year", at: "2026-01-20T10:00:00Z" })] },
  ],
  doses: DOSES,
  failures: [],
};

/** A screening, not a vaccine: "Done elsewhere" leads to the form for a record. */
export const SCREENING: Recommendation = {
  key: "colorectal-screening",
  kind: "screening",
  status: "due",
  title: "Colorectal cancer screening",
  earliest: null,
  recommended: "2026-01-01",
  past_due: null,
  reason: "Adults aged 45 to 75.",
  guideline: { name: "USPSTF", version: "2021", url: "https://www.uspreventiveservicestaskforce.org/" },
  evidence: ["Patient/pat1"],
  immunization: null,
};

export { item as recommendationItem };
