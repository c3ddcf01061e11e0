// A drawn diabetes board for tests: the host's golden file
// host/tests/golden/diabetes-well-recorded.json, as the API sends it.
import type { Board, DashboardEntry } from "./dashboards";

export const DIABETES_ENTRY: DashboardEntry = {
  id: "diabetes",
  name: "Diabetes",
  version: "0.1.0",
  proposed: true,
  reason: "Diabetes mellitus type 2 is on record",
  shown: true,
  choice: "auto",
  settings: [],
  imported: false,
};

export const DIABETES_BOARD: Board = {
  cards: [
    {
      key: "a1c-latest",
      latest: {
        date: "2026-09-20",
        evidence: ["Observation/a3"],
        text: "7.0",
        unit: "%",
        value: 7.0,
      },
      note: "Next due by 2027-03-20",
      overdue: false,
      previous: {
        date: "2025-09-15",
        evidence: ["Observation/a2"],
        text: "6.90",
        unit: "%",
        value: 6.9,
      },
      title: "Latest HbA1c",
      trend: "steady",
      widget: "stat",
    },
    {
      key: "a1c-trend",
      series: [
        {
          name: "HbA1c",
          points: [
            {
              date: "2025-03-01",
              evidence: ["Observation/a1"],
              text: "7.20",
              unit: "%",
              value: 7.2,
            },
            {
              date: "2025-09-15",
              evidence: ["Observation/a2"],
              text: "6.90",
              unit: "%",
              value: 6.9,
            },
            {
              date: "2026-09-20",
              evidence: ["Observation/a3"],
              text: "7.0",
              unit: "%",
              value: 7.0,
            },
          ],
          unit: "%",
        },
      ],
      targets: [
        {
          high: 7.0,
          label: "Goal for many adults: below 7 %",
          low: null,
          source:
            "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 6",
        },
      ],
      title: "HbA1c",
      widget: "line-chart",
    },
    {
      key: "glucose",
      series: [
        {
          name: "Glucose",
          points: [
            {
              date: "2026-09-20",
              evidence: ["Observation/g1"],
              text: "131",
              unit: "mg/dL",
              value: 131.0,
            },
          ],
          unit: "mg/dL",
        },
      ],
      targets: [
        {
          high: 130.0,
          label: "Before meals: 80–130 mg/dL",
          low: 80.0,
          source:
            "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 6",
        },
      ],
      title: "Glucose",
      widget: "line-chart",
    },
    {
      key: "ldl-latest",
      latest: {
        date: "2026-09-20",
        evidence: ["Observation/l1"],
        text: "96.5",
        unit: "mg/dL",
        value: 96.5,
      },
      note: "Next due by 2027-09-20",
      overdue: false,
      previous: null,
      title: "Latest LDL cholesterol",
      trend: "indeterminate",
      widget: "stat",
    },
    {
      key: "lipids",
      series: [
        {
          name: "LDL cholesterol",
          points: [
            {
              date: "2026-09-20",
              evidence: ["Observation/l1"],
              text: "96.5",
              unit: "mg/dL",
              value: 96.5,
            },
          ],
          unit: "mg/dL",
        },
        {
          name: "HDL cholesterol",
          points: [
            {
              date: "2026-09-20",
              evidence: ["Observation/h1"],
              text: "48",
              unit: "mg/dL",
              value: 48.0,
            },
          ],
          unit: "mg/dL",
        },
      ],
      targets: [
        {
          high: 100.0,
          label: "LDL below 100 mg/dL (below 70 with cardiovascular risk)",
          low: null,
          source:
            "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 10",
        },
      ],
      title: "Cholesterol and triglycerides",
      widget: "line-chart",
    },
    {
      key: "uacr-latest",
      latest: {
        date: "2025-01-10",
        evidence: ["Observation/u1"],
        text: "12.0",
        unit: "mg/g",
        value: 12.0,
      },
      note: "Overdue since 2026-01-10 (due every 12 months)",
      overdue: true,
      previous: null,
      title: "Latest urine albumin/creatinine",
      trend: "indeterminate",
      widget: "stat",
    },
    {
      key: "egfr-latest",
      latest: {
        date: "2026-09-20",
        evidence: ["Observation/e1"],
        text: "74",
        unit: "mL/min/{1.73_m2}",
        value: 74.0,
      },
      note: "Next due by 2027-09-20",
      overdue: false,
      previous: null,
      title: "Latest eGFR",
      trend: "indeterminate",
      widget: "stat",
    },
    {
      key: "kidney",
      series: [
        {
          name: "eGFR",
          points: [
            {
              date: "2026-09-20",
              evidence: ["Observation/e1"],
              text: "74",
              unit: "mL/min/{1.73_m2}",
              value: 74.0,
            },
          ],
          unit: "mL/min/{1.73_m2}",
        },
        {
          name: "Urine albumin/creatinine",
          points: [
            {
              date: "2025-01-10",
              evidence: ["Observation/u1"],
              text: "12.0",
              unit: "mg/g",
              value: 12.0,
            },
          ],
          unit: "mg/g",
        },
      ],
      targets: [
        {
          high: null,
          label: "eGFR 60 or more",
          low: 60.0,
          source:
            "KDIGO 2022 Clinical Practice Guideline for Diabetes Management in CKD, https://kdigo.org/guidelines/diabetes-ckd/; American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 11",
        },
        {
          high: 30.0,
          label: "Albumin/creatinine below 30 mg/g",
          low: null,
          source:
            "KDIGO 2022 Clinical Practice Guideline for Diabetes Management in CKD, https://kdigo.org/guidelines/diabetes-ckd/; American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 11",
        },
      ],
      title: "Kidney",
      widget: "line-chart",
    },
    {
      key: "bp-latest",
      latest: {
        date: "2026-09-20T10:00:00Z",
        evidence: ["Observation/bp2"],
        text: "128",
        unit: "mm[Hg]",
        value: 128.0,
      },
      note: "Next due by 2027-09-20",
      overdue: false,
      previous: {
        date: "2026-06-01T09:30:00Z",
        evidence: ["Observation/bp1"],
        text: "138",
        unit: "mm[Hg]",
        value: 138.0,
      },
      title: "Latest systolic blood pressure",
      trend: "falling",
      widget: "stat",
    },
    {
      key: "blood-pressure",
      series: [
        {
          name: "Systolic",
          points: [
            {
              date: "2026-06-01T09:30:00Z",
              evidence: ["Observation/bp1"],
              text: "138",
              unit: "mm[Hg]",
              value: 138.0,
            },
            {
              date: "2026-09-20T10:00:00Z",
              evidence: ["Observation/bp2"],
              text: "128",
              unit: "mm[Hg]",
              value: 128.0,
            },
          ],
          unit: "mm[Hg]",
        },
        {
          name: "Diastolic",
          points: [
            {
              date: "2026-06-01T09:30:00Z",
              evidence: ["Observation/bp1"],
              text: "84",
              unit: "mm[Hg]",
              value: 84.0,
            },
            {
              date: "2026-09-20T10:00:00Z",
              evidence: ["Observation/bp2"],
              text: "78",
              unit: "mm[Hg]",
              value: 78.0,
            },
          ],
          unit: "mm[Hg]",
        },
      ],
      targets: [
        {
          high: 130.0,
          label: "Systolic below 130 mmHg",
          low: null,
          source:
            "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 10",
        },
        {
          high: 80.0,
          label: "Diastolic below 80 mmHg",
          low: null,
          source:
            "American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, section 10",
        },
      ],
      title: "Blood pressure",
      widget: "line-chart",
    },
    {
      key: "weight",
      series: [
        {
          name: "Weight",
          points: [
            {
              date: "2026-09-20",
              evidence: ["Observation/w1"],
              text: "82.30",
              unit: "kg",
              value: 82.3,
            },
          ],
          unit: "kg",
        },
      ],
      targets: [],
      title: "Weight and BMI",
      widget: "line-chart",
    },
    {
      items: [
        {
          detail: "In use: lisinopril 10 MG Oral Tablet",
          evidence: ["MedicationRequest/m1"],
          label: "ACE inhibitor or ARB",
          status: "ok",
        },
        {
          detail:
            "None active on record; recommended for most adults with diabetes aged 40 to 75 (American Diabetes Association, Standards of Care in Diabetes—2024 (Diabetes Care 47, Suppl. 1), https://diabetesjournals.org/care/issue/47/Supplement_1, sections 10 and 11)",
          evidence: [],
          label: "Statin",
          status: "indeterminate",
        },
        {
          detail: "Last on 2026-10-01",
          evidence: ["Immunization/flu1"],
          label: "Flu vaccine in the last 12 months",
          status: "ok",
        },
        {
          detail: "No pneumococcal vaccine on record",
          evidence: [],
          label: "Pneumococcal vaccine",
          status: "missing",
        },
      ],
      key: "care-checklist",
      title: "Medicines and vaccines",
      widget: "status-list",
    },
    {
      events: [
        {
          date: "2026-10-01",
          evidence: ["Immunization/flu1"],
          label: "Flu vaccine",
        },
      ],
      key: "vaccines",
      title: "Vaccines",
      widget: "timeline-strip",
    },
  ],
  title: "Diabetes",
};
