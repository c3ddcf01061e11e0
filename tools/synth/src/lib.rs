//! Deterministic synthetic FHIR R4 patient generator.
//!
//! Builds plausible longitudinal records (encounters, vital signs, labs with
//! reports, diagnoses, prescriptions, immunizations, procedures, allergies) for
//! load tests, demos and fixtures. Everything comes from a ChaCha8 stream seeded
//! by the caller and from a fixed reference date (2026-01-01), never from the
//! clock, so the same spec gives byte-identical JSON on every machine and day.
//!
//! Sizing is exact: resources are added until the requested count is reached,
//! and visits are spread over the history in proportion to progress, so small
//! targets give sparse records and huge ones give dense records over the same
//! span without ever running past the reference date.

use chrono::{DateTime, Datelike, Timelike};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// Options for one generated patient.
#[derive(Debug, Clone)]
pub struct PatientSpec {
    /// Seed for the random stream; equal seeds give identical patients.
    pub seed: u64,
    /// Number of resources to return, the Patient included (at least 1 is always returned).
    pub target_resources: usize,
}

/// Generate one patient's resources: the Patient first, then everything that refers to it.
/// Deterministic: the same spec always gives byte-identical JSON (serde_json::Value).
pub fn generate_patient(spec: &PatientSpec) -> Vec<Value> {
    let mut generator = Gen::new(spec);
    while generator.out.len() < generator.target {
        generator.encounter();
    }
    generator.out
}

/// Generate `count` patients from one seed (patient i uses a seed derived from `seed` and i), each about `resources_each` resources.
pub fn generate_patients(seed: u64, count: usize, resources_each: usize) -> Vec<Vec<Value>> {
    (0..count)
        .map(|i| {
            generate_patient(&PatientSpec {
                seed: derive_seed(seed, i as u64),
                target_resources: resources_each,
            })
        })
        .collect()
}

/// Wrap resources in a FHIR R4 Bundle of type `collection` with `fullUrl`s of the form `urn:uuid:<id>`.
pub fn collection_bundle(resources: &[Value]) -> Value {
    let entries: Vec<Value> = resources
        .iter()
        .map(
            |resource| match resource.get("id").and_then(Value::as_str) {
                Some(id) => json!({ "fullUrl": format!("urn:uuid:{id}"), "resource": resource }),
                // A resource without an id has no identity to put in a fullUrl; FHIR allows omitting it.
                None => json!({ "resource": resource }),
            },
        )
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": REF_INSTANT,
        "entry": entries,
    })
}

/// 2026-01-01T00:00:00Z: every date is relative to this, never to today.
const REF_TS: i64 = 1_767_225_600;
const REF_INSTANT: &str = "2026-01-01T00:00:00Z";
const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// A Julian year, so ages in years line up with birthdays on average.
const YEAR: i64 = 31_557_600;
/// Latest visit start: leaves room for a week-long admission and lab turnaround before REF_TS.
const LAST_START: i64 = REF_TS - 8 * DAY;
/// Rough resources per visit, used only to spread visits over the history.
const AVG_PER_ENCOUNTER: f64 = 12.0;
/// "Never happened" marker that cannot overflow when subtracted from a timestamp.
const NEVER: i64 = i64::MIN / 4;
/// 2020-03-01: no COVID-19 diagnoses before this.
const COVID_DISEASE_START: i64 = 1_583_020_800;
/// 2020-12-11: first mRNA COVID-19 vaccine authorization.
const COVID_VACCINE_START: i64 = 1_607_644_800;
/// 2017-10-20: recombinant zoster vaccine approval.
const ZOSTER_VACCINE_START: i64 = 1_508_457_600;

const UCUM: &str = "http://unitsofmeasure.org";
const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
const OBS_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
const DIAG_SERVICE: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";
const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VER: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const ALLERGY_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const ALLERGY_VER: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
const MRN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.19.5";

struct Place {
    city: &'static str,
    state: &'static str,
    zip3: &'static str,
    /// Standard-time offset; daylight saving is ignored so local times stay simple.
    utc_offset_hours: i64,
}

const PLACES: &[Place] = &[
    Place {
        city: "Springfield",
        state: "IL",
        zip3: "627",
        utc_offset_hours: -6,
    },
    Place {
        city: "Portland",
        state: "OR",
        zip3: "972",
        utc_offset_hours: -8,
    },
    Place {
        city: "Austin",
        state: "TX",
        zip3: "787",
        utc_offset_hours: -6,
    },
    Place {
        city: "Burlington",
        state: "VT",
        zip3: "054",
        utc_offset_hours: -5,
    },
    Place {
        city: "Madison",
        state: "WI",
        zip3: "537",
        utc_offset_hours: -6,
    },
    Place {
        city: "Boulder",
        state: "CO",
        zip3: "803",
        utc_offset_hours: -7,
    },
    Place {
        city: "Asheville",
        state: "NC",
        zip3: "288",
        utc_offset_hours: -5,
    },
    Place {
        city: "Salem",
        state: "MA",
        zip3: "019",
        utc_offset_hours: -5,
    },
    Place {
        city: "Tucson",
        state: "AZ",
        zip3: "857",
        utc_offset_hours: -7,
    },
    Place {
        city: "Sacramento",
        state: "CA",
        zip3: "958",
        utc_offset_hours: -8,
    },
    Place {
        city: "Ann Arbor",
        state: "MI",
        zip3: "481",
        utc_offset_hours: -5,
    },
    Place {
        city: "Savannah",
        state: "GA",
        zip3: "314",
        utc_offset_hours: -5,
    },
];

const GIVEN_FEMALE: &[&str] = &[
    "Emma", "Olivia", "Ava", "Sophia", "Mia", "Harper", "Grace", "Chloe", "Nora", "Lily", "Hannah",
    "Maya", "Ruth", "Clara", "Elena", "Aisha",
];
const GIVEN_MALE: &[&str] = &[
    "Liam", "Noah", "Oliver", "James", "Elijah", "Lucas", "Mateo", "Henry", "Owen", "Samuel",
    "David", "Omar", "Hiro", "Daniel", "Isaac", "Theo",
];
const FAMILY: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Nguyen", "Patel", "Kim", "Okafor", "Brown", "Martinez", "Lee",
    "Walker", "Hall", "Rivera", "Cohen", "Novak", "Silva", "Jensen", "Kowalski", "Haddad",
    "Tanaka", "O'Brien", "Fischer", "Ramirez", "Clark",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Lakeview Dr",
    "Hillside Ave",
    "River Rd",
    "Park Pl",
];
const CLINICIANS: &[&str] = &[
    "Dr. Alice Morgan",
    "Dr. Benjamin Osei",
    "Dr. Carmen Ruiz",
    "Dr. Deepa Raman",
    "Dr. Edward Lindqvist",
    "Dr. Fatima Zahra",
];
const HOSPITALISTS: &[&str] = &[
    "Dr. Grace Holloway",
    "Dr. Hector Alvarez",
    "Dr. Ingrid Sato",
    "Dr. Jamal Carter",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sex {
    Female,
    Male,
}

/// A quantity-valued measurement: LOINC code plus UCUM unit.
struct Measure {
    code: &'static str,
    display: &'static str,
    unit: &'static str,
    ucum: &'static str,
    decimals: u32,
}

const HEIGHT: Measure = Measure {
    code: "8302-2",
    display: "Body height",
    unit: "cm",
    ucum: "cm",
    decimals: 1,
};
const WEIGHT: Measure = Measure {
    code: "29463-7",
    display: "Body weight",
    unit: "kg",
    ucum: "kg",
    decimals: 1,
};
const BMI: Measure = Measure {
    code: "39156-5",
    display: "Body mass index (BMI) [Ratio]",
    unit: "kg/m2",
    ucum: "kg/m2",
    decimals: 1,
};
const HEART_RATE: Measure = Measure {
    code: "8867-4",
    display: "Heart rate",
    unit: "beats/minute",
    ucum: "/min",
    decimals: 0,
};
const RESP_RATE: Measure = Measure {
    code: "9279-1",
    display: "Respiratory rate",
    unit: "breaths/minute",
    ucum: "/min",
    decimals: 0,
};
const BODY_TEMP: Measure = Measure {
    code: "8310-5",
    display: "Body temperature",
    unit: "Cel",
    ucum: "Cel",
    decimals: 1,
};
const SYSTOLIC: Measure = Measure {
    code: "8480-6",
    display: "Systolic blood pressure",
    unit: "mmHg",
    ucum: "mm[Hg]",
    decimals: 0,
};
const DIASTOLIC: Measure = Measure {
    code: "8462-4",
    display: "Diastolic blood pressure",
    unit: "mmHg",
    ucum: "mm[Hg]",
    decimals: 0,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Analyte {
    Glucose,
    Hba1c,
    Cholesterol,
    Ldl,
    Hdl,
    Triglycerides,
    Creatinine,
    Hemoglobin,
    Potassium,
    Sodium,
    Egfr,
    Leukocytes,
    Platelets,
}

impl Analyte {
    fn measure(self) -> Measure {
        let (code, display, unit, decimals) = match self {
            Analyte::Glucose => (
                "2345-7",
                "Glucose [Mass/volume] in Serum or Plasma",
                "mg/dL",
                0,
            ),
            Analyte::Hba1c => ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 1),
            Analyte::Cholesterol => (
                "2093-3",
                "Cholesterol [Mass/volume] in Serum or Plasma",
                "mg/dL",
                0,
            ),
            Analyte::Ldl => (
                "18262-6",
                "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
                "mg/dL",
                0,
            ),
            Analyte::Hdl => (
                "2085-9",
                "Cholesterol in HDL [Mass/volume] in Serum or Plasma",
                "mg/dL",
                0,
            ),
            Analyte::Triglycerides => (
                "2571-8",
                "Triglyceride [Mass/volume] in Serum or Plasma",
                "mg/dL",
                0,
            ),
            Analyte::Creatinine => (
                "2160-0",
                "Creatinine [Mass/volume] in Serum or Plasma",
                "mg/dL",
                2,
            ),
            Analyte::Hemoglobin => ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 1),
            Analyte::Potassium => (
                "2823-3",
                "Potassium [Moles/volume] in Serum or Plasma",
                "mmol/L",
                1,
            ),
            Analyte::Sodium => (
                "2951-2",
                "Sodium [Moles/volume] in Serum or Plasma",
                "mmol/L",
                0,
            ),
            Analyte::Egfr => (
                "33914-3",
                "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)",
                "mL/min/{1.73_m2}",
                0,
            ),
            Analyte::Leukocytes => (
                "6690-2",
                "Leukocytes [#/volume] in Blood by Automated count",
                "10*3/uL",
                1,
            ),
            Analyte::Platelets => (
                "777-3",
                "Platelets [#/volume] in Blood by Automated count",
                "10*3/uL",
                0,
            ),
        };
        Measure {
            code,
            display,
            unit,
            ucum: unit,
            decimals,
        }
    }

    /// Adult reference interval; a missing bound means only the other side is flagged.
    fn range(self, sex: Sex) -> (Option<f64>, Option<f64>) {
        let female = sex == Sex::Female;
        match self {
            Analyte::Glucose => (Some(70.0), Some(99.0)),
            Analyte::Hba1c => (Some(4.0), Some(5.6)),
            Analyte::Cholesterol => (None, Some(199.0)),
            Analyte::Ldl => (None, Some(99.0)),
            Analyte::Hdl => (Some(if female { 50.0 } else { 40.0 }), None),
            Analyte::Triglycerides => (None, Some(149.0)),
            Analyte::Creatinine if female => (Some(0.5), Some(1.1)),
            Analyte::Creatinine => (Some(0.7), Some(1.3)),
            Analyte::Hemoglobin if female => (Some(12.0), Some(15.5)),
            Analyte::Hemoglobin => (Some(13.5), Some(17.5)),
            Analyte::Potassium => (Some(3.5), Some(5.1)),
            Analyte::Sodium => (Some(136.0), Some(145.0)),
            Analyte::Egfr => (Some(60.0), None),
            Analyte::Leukocytes => (Some(4.5), Some(11.0)),
            Analyte::Platelets => (Some(150.0), Some(400.0)),
        }
    }
}

struct Panel {
    code: &'static str,
    display: &'static str,
    analytes: &'static [Analyte],
}

const CMP: Panel = Panel {
    code: "24323-8",
    display: "Comprehensive metabolic 2000 panel - Serum or Plasma",
    // Creatinine before eGFR: eGFR is computed from that creatinine.
    analytes: &[
        Analyte::Glucose,
        Analyte::Creatinine,
        Analyte::Sodium,
        Analyte::Potassium,
        Analyte::Egfr,
    ],
};
const LIPID: Panel = Panel {
    code: "57698-3",
    display: "Lipid panel with direct LDL - Serum or Plasma",
    analytes: &[
        Analyte::Cholesterol,
        Analyte::Ldl,
        Analyte::Hdl,
        Analyte::Triglycerides,
    ],
};
const CBC: Panel = Panel {
    code: "58410-2",
    display: "CBC panel - Blood by Automated count",
    analytes: &[Analyte::Hemoglobin, Analyte::Leukocytes, Analyte::Platelets],
};

struct Med {
    code: &'static str,
    display: &'static str,
    dosage: &'static str,
}

const METFORMIN: Med = Med {
    code: "860975",
    display: "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
    dosage: "Take 1 tablet by mouth once daily with the evening meal",
};
const LISINOPRIL: Med = Med {
    code: "314076",
    display: "lisinopril 10 MG Oral Tablet",
    dosage: "Take 1 tablet by mouth once daily",
};
const ATORVASTATIN: Med = Med {
    code: "617310",
    display: "atorvastatin 20 MG Oral Tablet",
    dosage: "Take 1 tablet by mouth once daily at bedtime",
};
const ALBUTEROL: Med = Med {
    code: "745679",
    display: "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    dosage: "Inhale 2 puffs every 4 to 6 hours as needed for wheezing",
};
const AMOXICILLIN: Med = Med {
    code: "308182",
    display: "amoxicillin 250 MG Oral Capsule",
    dosage: "Take 2 capsules by mouth every 8 hours for 10 days",
};
const AZITHROMYCIN: Med = Med {
    code: "308460",
    display: "azithromycin 250 MG Oral Tablet",
    dosage: "Take 2 tablets by mouth on day 1, then 1 tablet daily for 4 days",
};
const CIPROFLOXACIN: Med = Med {
    code: "309309",
    display: "ciprofloxacin 500 MG Oral Tablet",
    dosage: "Take 1 tablet by mouth every 12 hours for 3 days",
};
const ACETAMINOPHEN: Med = Med {
    code: "313782",
    display: "acetaminophen 325 MG Oral Tablet",
    dosage: "Take 2 tablets by mouth every 6 hours as needed for pain or fever",
};
const IBUPROFEN: Med = Med {
    code: "310965",
    display: "ibuprofen 200 MG Oral Tablet",
    dosage: "Take 2 tablets by mouth every 6 hours as needed for pain, with food",
};
const ASPIRIN: Med = Med {
    code: "243670",
    display: "aspirin 81 MG Oral Tablet",
    dosage: "Take 1 tablet by mouth once daily",
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chronic {
    Diabetes,
    Hypertension,
    Hyperlipidemia,
    Asthma,
}

impl Chronic {
    fn code(self) -> (&'static str, &'static str) {
        match self {
            Chronic::Diabetes => ("44054006", "Diabetes mellitus type 2 (disorder)"),
            Chronic::Hypertension => (
                "38341003",
                "Hypertensive disorder, systemic arterial (disorder)",
            ),
            Chronic::Hyperlipidemia => ("55822004", "Hyperlipidemia (disorder)"),
            Chronic::Asthma => ("195967001", "Asthma (disorder)"),
        }
    }

    fn med(self) -> &'static Med {
        match self {
            Chronic::Diabetes => &METFORMIN,
            Chronic::Hypertension => &LISINOPRIL,
            Chronic::Hyperlipidemia => &ATORVASTATIN,
            Chronic::Asthma => &ALBUTEROL,
        }
    }
}

struct ChronicState {
    kind: Chronic,
    onset: i64,
    /// Set once the Condition is written; treatment effects start then.
    diagnosed: Option<(i64, String)>,
    last_rx: i64,
}

#[derive(Clone, Copy)]
enum Treatment {
    Antibiotic,
    Ciprofloxacin,
    Analgesic,
    Nsaid,
    Aspirin,
}

struct Proc {
    code: &'static str,
    display: &'static str,
    /// Zero means a point in time (performedDateTime) rather than a period.
    minutes: i64,
}

/// A problem that brings the patient in: diagnosis, likely treatment and work-up.
struct Acute {
    code: &'static str,
    display: &'static str,
    weight: u32,
    min_age: f64,
    max_age: f64,
    since: i64,
    fever: f64,
    infection: bool,
    treatment: Option<(Treatment, f64)>,
    procedure: Option<(Proc, f64)>,
    resolve_days: (i64, i64),
}

const THROAT_CULTURE: Proc = Proc {
    code: "117015009",
    display: "Throat culture (procedure)",
    minutes: 0,
};
const CHEST_XRAY: Proc = Proc {
    code: "399208008",
    display: "Plain chest X-ray (procedure)",
    minutes: 15,
};

const fn acute(code: &'static str, display: &'static str, weight: u32) -> Acute {
    Acute {
        code,
        display,
        weight,
        min_age: 0.0,
        max_age: 200.0,
        since: NEVER,
        fever: 0.0,
        infection: false,
        treatment: None,
        procedure: None,
        resolve_days: (7, 14),
    }
}

const SICK_PROBLEMS: &[Acute] = &[
    Acute {
        fever: 0.4,
        infection: true,
        treatment: Some((Treatment::Analgesic, 0.5)),
        procedure: Some((THROAT_CULTURE, 0.5)),
        resolve_days: (5, 10),
        ..acute("195662009", "Acute viral pharyngitis (disorder)", 20)
    },
    Acute {
        min_age: 3.0,
        max_age: 60.0,
        fever: 0.8,
        infection: true,
        treatment: Some((Treatment::Antibiotic, 1.0)),
        procedure: Some((THROAT_CULTURE, 1.0)),
        ..acute("43878008", "Streptococcal sore throat (disorder)", 8)
    },
    Acute {
        fever: 0.3,
        infection: true,
        treatment: Some((Treatment::Analgesic, 0.3)),
        procedure: Some((CHEST_XRAY, 0.3)),
        resolve_days: (10, 21),
        ..acute("10509002", "Acute bronchitis (disorder)", 15)
    },
    Acute {
        min_age: 2.0,
        fever: 0.2,
        infection: true,
        ..acute("444814009", "Viral sinusitis (disorder)", 15)
    },
    Acute {
        min_age: 12.0,
        treatment: Some((Treatment::Antibiotic, 0.6)),
        resolve_days: (30, 90),
        ..acute("40055000", "Chronic sinusitis (disorder)", 4)
    },
    Acute {
        max_age: 12.0,
        fever: 0.6,
        infection: true,
        treatment: Some((Treatment::Antibiotic, 0.8)),
        ..acute("65363002", "Otitis media (disorder)", 12)
    },
    Acute {
        min_age: 18.0,
        fever: 0.2,
        infection: true,
        treatment: Some((Treatment::Ciprofloxacin, 1.0)),
        resolve_days: (5, 10),
        ..acute("68566005", "Urinary tract infectious disease (disorder)", 6)
    },
    Acute {
        since: COVID_DISEASE_START,
        fever: 0.7,
        infection: true,
        treatment: Some((Treatment::Analgesic, 0.6)),
        resolve_days: (10, 21),
        ..acute(
            "840539006",
            "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)",
            10,
        )
    },
    Acute {
        min_age: 6.0,
        treatment: Some((Treatment::Nsaid, 0.7)),
        resolve_days: (14, 42),
        ..acute("44465007", "Sprain of ankle (disorder)", 6)
    },
];

const EMERGENCY_PROBLEMS: &[Acute] = &[
    Acute {
        min_age: 2.0,
        treatment: Some((Treatment::Analgesic, 0.8)),
        resolve_days: (14, 30),
        ..acute(
            "62106007",
            "Concussion with no loss of consciousness (disorder)",
            4,
        )
    },
    Acute {
        min_age: 4.0,
        treatment: Some((Treatment::Nsaid, 0.8)),
        procedure: Some((
            Proc {
                code: "274474001",
                display: "Bone immobilization (procedure)",
                minutes: 30,
            },
            1.0,
        )),
        resolve_days: (42, 84),
        ..acute("263102004", "Fracture subluxation of wrist (disorder)", 4)
    },
    Acute {
        min_age: 30.0,
        procedure: Some((
            Proc {
                code: "29303009",
                display: "Electrocardiographic procedure (procedure)",
                minutes: 10,
            },
            1.0,
        )),
        resolve_days: (1, 3),
        ..acute("29857009", "Chest pain (finding)", 5)
    },
    Acute {
        min_age: 2.0,
        procedure: Some((
            Proc {
                code: "288086009",
                display: "Suture open wound (procedure)",
                minutes: 30,
            },
            1.0,
        )),
        resolve_days: (10, 14),
        ..acute("284551006", "Laceration of foot (disorder)", 4)
    },
    Acute {
        fever: 0.9,
        infection: true,
        treatment: Some((Treatment::Antibiotic, 1.0)),
        procedure: Some((CHEST_XRAY, 1.0)),
        resolve_days: (14, 28),
        ..acute("233604007", "Pneumonia (disorder)", 3)
    },
];

const INPATIENT_PROBLEMS: &[Acute] = &[
    Acute {
        fever: 0.9,
        infection: true,
        treatment: Some((Treatment::Antibiotic, 1.0)),
        procedure: Some((CHEST_XRAY, 1.0)),
        resolve_days: (14, 28),
        ..acute("233604007", "Pneumonia (disorder)", 5)
    },
    Acute {
        min_age: 5.0,
        max_age: 70.0,
        fever: 0.5,
        infection: true,
        treatment: Some((Treatment::Analgesic, 1.0)),
        procedure: Some((
            Proc {
                code: "80146002",
                display: "Appendectomy (procedure)",
                minutes: 90,
            },
            1.0,
        )),
        resolve_days: (21, 42),
        ..acute("74400008", "Appendicitis (disorder)", 3)
    },
    Acute {
        min_age: 45.0,
        treatment: Some((Treatment::Aspirin, 1.0)),
        procedure: Some((
            Proc {
                code: "415070008",
                display: "Percutaneous coronary intervention (procedure)",
                minutes: 120,
            },
            1.0,
        )),
        resolve_days: (60, 120),
        ..acute("22298006", "Myocardial infarction (disorder)", 3)
    },
];

/// A routine check-up procedure with its eligibility and repeat interval.
struct Screening {
    proc: Proc,
    min_age: f64,
    interval_days: i64,
    female_only: bool,
    needs_chronic: bool,
    probability: f64,
}

const SCREENINGS: &[Screening] = &[
    Screening {
        proc: Proc {
            code: "171207006",
            display: "Depression screening (procedure)",
            minutes: 0,
        },
        min_age: 12.0,
        interval_days: 330,
        female_only: false,
        needs_chronic: false,
        probability: 0.9,
    },
    Screening {
        proc: Proc {
            code: "710824005",
            display: "Assessment of health and social care needs (procedure)",
            minutes: 0,
        },
        min_age: 18.0,
        interval_days: 330,
        female_only: false,
        needs_chronic: false,
        probability: 0.7,
    },
    Screening {
        proc: Proc {
            code: "430193006",
            display: "Medication reconciliation (procedure)",
            minutes: 0,
        },
        min_age: 0.0,
        interval_days: 330,
        female_only: false,
        needs_chronic: true,
        probability: 0.9,
    },
    Screening {
        proc: Proc {
            code: "73761001",
            display: "Colonoscopy (procedure)",
            minutes: 45,
        },
        min_age: 45.0,
        interval_days: 3650,
        female_only: false,
        needs_chronic: false,
        probability: 0.5,
    },
    Screening {
        proc: Proc {
            code: "71651007",
            display: "Mammography (procedure)",
            minutes: 20,
        },
        min_age: 40.0,
        interval_days: 700,
        female_only: true,
        needs_chronic: false,
        probability: 0.7,
    },
];

/// A childhood vaccine series: CVX code and the age in days each dose is due.
struct Series {
    code: &'static str,
    display: &'static str,
    due_days: &'static [i64],
}

const CHILD_SERIES: &[Series] = &[
    Series {
        code: "08",
        display: "Hep B, adolescent or pediatric",
        due_days: &[0, 60, 180],
    },
    Series {
        code: "20",
        display: "DTaP",
        due_days: &[60, 120, 180, 450, 1460],
    },
    Series {
        code: "10",
        display: "IPV",
        due_days: &[60, 120, 180, 1460],
    },
    Series {
        code: "49",
        display: "Hib (PRP-OMP)",
        due_days: &[60, 120, 365],
    },
    Series {
        code: "133",
        display: "Pneumococcal conjugate PCV 13",
        due_days: &[60, 120, 180, 365],
    },
    Series {
        code: "03",
        display: "MMR",
        due_days: &[365, 1460],
    },
    Series {
        code: "21",
        display: "varicella",
        due_days: &[365, 1460],
    },
    Series {
        code: "83",
        display: "Hep A, ped/adol, 2 dose",
        due_days: &[365, 545],
    },
    Series {
        code: "115",
        display: "Tdap",
        due_days: &[4018],
    },
    Series {
        code: "62",
        display: "HPV, quadrivalent",
        due_days: &[4018, 4200],
    },
    Series {
        code: "114",
        display: "meningococcal MCV4P",
        due_days: &[4018, 5844],
    },
];

struct AllergyDef {
    code: &'static str,
    display: &'static str,
    category: &'static str,
    kind: &'static str,
    reaction: (&'static str, &'static str),
    severe: f64,
}

const ALLERGIES: &[AllergyDef] = &[
    AllergyDef {
        code: "764146007",
        display: "Penicillin (substance)",
        category: "medication",
        kind: "allergy",
        reaction: ("271807003", "Eruption of skin (disorder)"),
        severe: 0.1,
    },
    AllergyDef {
        code: "387406002",
        display: "Sulfamethoxazole (substance)",
        category: "medication",
        kind: "allergy",
        reaction: ("271807003", "Eruption of skin (disorder)"),
        severe: 0.05,
    },
    AllergyDef {
        code: "387458008",
        display: "Aspirin (substance)",
        category: "medication",
        kind: "intolerance",
        reaction: ("267036007", "Dyspnea (finding)"),
        severe: 0.1,
    },
    AllergyDef {
        code: "762952008",
        display: "Peanut (substance)",
        category: "food",
        kind: "allergy",
        reaction: ("39579001", "Anaphylaxis (disorder)"),
        severe: 0.6,
    },
    AllergyDef {
        code: "102263004",
        display: "Eggs (edible) (substance)",
        category: "food",
        kind: "allergy",
        reaction: ("247472004", "Wheal (finding)"),
        severe: 0.1,
    },
    AllergyDef {
        code: "3718001",
        display: "Cow's milk (substance)",
        category: "food",
        kind: "intolerance",
        reaction: ("62315008", "Diarrhea (finding)"),
        severe: 0.0,
    },
    AllergyDef {
        code: "256277009",
        display: "Grass pollen (substance)",
        category: "environment",
        kind: "allergy",
        reaction: ("76067001", "Sneezing (finding)"),
        severe: 0.0,
    },
    AllergyDef {
        code: "260147004",
        display: "House dust mite (substance)",
        category: "environment",
        kind: "allergy",
        reaction: ("61582004", "Allergic rhinitis (disorder)"),
        severe: 0.0,
    },
    AllergyDef {
        code: "111088007",
        display: "Latex (substance)",
        category: "environment",
        kind: "allergy",
        reaction: ("247472004", "Wheal (finding)"),
        severe: 0.2,
    },
    AllergyDef {
        code: "264287008",
        display: "Animal dander (substance)",
        category: "environment",
        kind: "allergy",
        reaction: ("61582004", "Allergic rhinitis (disorder)"),
        severe: 0.0,
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    Checkup,
    Sick,
    FollowUp,
    Emergency,
    Inpatient,
}

/// Per-patient constants behind vital signs.
struct Body {
    adult_height: f64,
    bmi_base: f64,
    bmi_slope: f64,
    heart_rate: f64,
    resp_rate: f64,
    temperature: f64,
    systolic: f64,
    diastolic: f64,
}

/// Per-patient lab baselines; visits add trend, disease effects and noise.
struct LabBase {
    glucose: f64,
    hba1c: f64,
    cholesterol: f64,
    ldl: f64,
    hdl: f64,
    triglycerides: f64,
    creatinine: f64,
    hemoglobin: f64,
    potassium: f64,
    sodium: f64,
    leukocytes: f64,
    platelets: f64,
}

/// The visit that generated resources belong to.
struct EncCtx {
    reference: String,
    visit: Visit,
    start: i64,
    age: f64,
    fever: bool,
    infection: bool,
}

struct Gen {
    rng: ChaCha8Rng,
    target: usize,
    out: Vec<Value>,
    patient_ref: String,
    patient_name: String,
    sex: Sex,
    birth: i64,
    hist_start: i64,
    last_start: i64,
    encounters: usize,
    offset: i64,
    tz: String,
    clinician: &'static str,
    clinic: String,
    hospital: String,
    body: Body,
    labs: LabBase,
    last_creatinine: f64,
    chronic: Vec<ChronicState>,
    /// Allergies not yet recorded, with the earliest time they may be.
    pending_allergies: Vec<(&'static AllergyDef, i64)>,
    penicillin_allergy: bool,
    child_next: Vec<usize>,
    last_flu_season: i32,
    last_covid_vaccine: i64,
    last_td: i64,
    pneumococcal_done: bool,
    zoster_doses: u32,
    last_zoster: i64,
    last_screening: Vec<i64>,
}

impl Gen {
    fn new(spec: &PatientSpec) -> Gen {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let target = spec.target_resources.max(1);
        let sex = if rng.random_bool(0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        let female = sex == Sex::Female;
        // Age 1..90 years on the reference date.
        let age_days: i64 = rng.random_range(366..=32_872);
        let birth = (REF_TS / DAY - age_days) * DAY;
        let age_now = age_days as f64 / 365.25;
        // Adults' records cover adult life; children's (and young adults') cover all of it.
        let hist_start = if age_now < 21.0 {
            birth + 30 * DAY
        } else {
            birth + 18 * YEAR
        };

        let place = pick(&mut rng, PLACES);
        let given = *pick(&mut rng, if female { GIVEN_FEMALE } else { GIVEN_MALE });
        let middle = if rng.random_bool(0.5) {
            Some(*pick(
                &mut rng,
                if female { GIVEN_FEMALE } else { GIVEN_MALE },
            ))
        } else {
            None
        };
        let family = *pick(&mut rng, FAMILY);
        let clinician = *pick(&mut rng, CLINICIANS);
        let offset = place.utc_offset_hours * HOUR;
        let tz = format!(
            "{}{:02}:00",
            if offset < 0 { '-' } else { '+' },
            place.utc_offset_hours.abs()
        );

        let body = Body {
            adult_height: normal(&mut rng, if female { 163.0 } else { 176.0 }, 6.5)
                .clamp(145.0, 200.0),
            bmi_base: normal(&mut rng, 26.5, 4.0).clamp(18.5, 42.0),
            bmi_slope: normal(&mut rng, 0.08, 0.08),
            heart_rate: normal(&mut rng, 72.0, 7.0).clamp(55.0, 95.0),
            resp_rate: normal(&mut rng, 15.0, 1.5).clamp(11.0, 20.0),
            temperature: normal(&mut rng, 36.7, 0.15),
            systolic: normal(&mut rng, 114.0, 8.0),
            diastolic: normal(&mut rng, 73.0, 6.0),
        };
        let labs = LabBase {
            glucose: normal(&mut rng, 88.0, 6.0),
            hba1c: normal(&mut rng, 5.2, 0.22),
            cholesterol: normal(&mut rng, 180.0, 22.0),
            ldl: normal(&mut rng, 100.0, 18.0).max(40.0),
            hdl: normal(&mut rng, if female { 60.0 } else { 50.0 }, 9.0).max(25.0),
            triglycerides: normal(&mut rng, 115.0, 30.0).max(40.0),
            creatinine: normal(&mut rng, if female { 0.8 } else { 1.0 }, 0.1).max(0.5),
            hemoglobin: normal(&mut rng, if female { 13.6 } else { 15.0 }, 0.8),
            potassium: normal(&mut rng, 4.2, 0.2),
            sodium: normal(&mut rng, 140.0, 1.5),
            leukocytes: normal(&mut rng, 6.8, 1.2).max(3.5),
            platelets: normal(&mut rng, 250.0, 40.0).max(120.0),
        };

        // Lifetime risk with an onset age; only onsets already in the past count.
        let diabetes_risk = (0.12 + 0.03 * (body.bmi_base - 25.0).max(0.0)).min(0.6);
        let candidates = [
            (Chronic::Diabetes, diabetes_risk, 30.0, 75.0),
            (Chronic::Hypertension, 0.5, 30.0, 80.0),
            (Chronic::Hyperlipidemia, 0.4, 25.0, 75.0),
            (Chronic::Asthma, 0.1, 3.0, 40.0),
        ];
        let mut chronic = Vec::new();
        for (kind, risk, min_age, max_age) in candidates {
            let gets_it = rng.random_bool(risk);
            let onset_age = rng.random_range(min_age..max_age);
            if gets_it && onset_age < age_now {
                chronic.push(ChronicState {
                    kind,
                    onset: birth + (onset_age * YEAR as f64) as i64,
                    diagnosed: None,
                    last_rx: NEVER,
                });
            }
        }

        // Allergies get recorded early in the history so most records show them.
        let span = (LAST_START - hist_start).max(DAY) as f64;
        let allergy_count = rng.random_range(1..=3);
        let mut pending_allergies: Vec<(&'static AllergyDef, i64)> = Vec::new();
        while pending_allergies.len() < allergy_count {
            let def = pick(&mut rng, ALLERGIES);
            if pending_allergies.iter().all(|(d, _)| d.code != def.code) {
                let at = hist_start + (rng.random_range(0.0..0.5) * span) as i64;
                pending_allergies.push((def, at));
            }
        }
        let penicillin_allergy = pending_allergies.iter().any(|(d, _)| d.code == "764146007");

        // Childhood doses due before the record starts were given elsewhere.
        let age_at_start = (hist_start - birth) / DAY;
        let child_next = CHILD_SERIES
            .iter()
            .map(|s| s.due_days.iter().filter(|&&d| d < age_at_start).count())
            .collect();
        let last_td = if age_now < 21.0 {
            // The adolescent Tdap dose starts the ten-year Td clock.
            birth + 11 * YEAR
        } else {
            hist_start - rng.random_range(0..10 * YEAR)
        };

        let patient_id = new_id(&mut rng);
        let patient_name = match middle {
            Some(m) => format!("{given} {m} {family}"),
            None => format!("{given} {family}"),
        };
        let given_names: Vec<&str> = std::iter::once(given).chain(middle).collect();
        let phone = format!(
            "({:03}) 555-{:04}",
            rng.random_range(201..990),
            rng.random_range(100..10_000)
        );
        let email = format!(
            "{}.{}{}@example.com",
            given.to_lowercase(),
            family.to_lowercase().replace('\'', ""),
            rng.random_range(1..100)
        );
        let line = format!("{} {}", rng.random_range(1..9_999), pick(&mut rng, STREETS));
        let postal = format!("{}{:02}", place.zip3, rng.random_range(1..100));
        let mrn = format!("MRN{:08}", rng.random_range(0..100_000_000));
        let patient = json!({
            "resourceType": "Patient",
            "id": patient_id,
            "meta": { "lastUpdated": REF_INSTANT },
            "identifier": [{
                "use": "usual",
                "type": concept(IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": MRN_SYSTEM,
                "value": mrn,
            }],
            "active": true,
            "name": [{ "use": "official", "family": family, "given": given_names }],
            "telecom": [
                { "system": "phone", "value": phone, "use": "home" },
                { "system": "email", "value": email, "use": "home" },
            ],
            "gender": if female { "female" } else { "male" },
            "birthDate": fmt_date(birth),
            "address": [{
                "use": "home",
                "line": [line],
                "city": place.city,
                "state": place.state,
                "postalCode": postal,
                "country": "US",
            }],
        });
        let mut out = Vec::with_capacity(target.min(1 << 20));
        out.push(patient);

        Gen {
            rng,
            target,
            out,
            patient_ref: format!("Patient/{patient_id}"),
            patient_name,
            sex,
            birth,
            hist_start,
            last_start: hist_start,
            encounters: 0,
            offset,
            tz,
            clinician,
            clinic: format!("{} Family Medicine", place.city),
            hospital: format!("{} General Hospital", place.city),
            last_creatinine: labs.creatinine,
            body,
            labs,
            chronic,
            pending_allergies,
            penicillin_allergy,
            child_next,
            last_flu_season: i32::MIN,
            last_covid_vaccine: NEVER,
            last_td,
            pneumococcal_done: false,
            zoster_doses: 0,
            last_zoster: NEVER,
            last_screening: vec![NEVER; SCREENINGS.len()],
        }
    }

    fn room(&self) -> usize {
        self.target.saturating_sub(self.out.len())
    }

    fn age_at(&self, t: i64) -> f64 {
        (t - self.birth) as f64 / YEAR as f64
    }

    /// Local wall-clock time with the patient's UTC offset, as a FHIR dateTime.
    fn fmt_time(&self, ts: i64) -> String {
        let local = DateTime::from_timestamp(ts + self.offset, 0).unwrap_or_default();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute(),
            local.second(),
            self.tz
        )
    }

    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        normal(&mut self.rng, mean, sd)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn subject(&self) -> Value {
        json!({ "reference": self.patient_ref, "display": self.patient_name })
    }

    fn encounter(&mut self) {
        // Visits are placed by progress through the resource budget, so any target
        // spans the whole history and never runs past LAST_START.
        let span = (LAST_START - self.hist_start).max(DAY) as f64;
        let target = self.target as f64;
        let progress = self.out.len() as f64 / target;
        let step = span * AVG_PER_ENCOUNTER / target;
        let jitter: f64 = self.rng.random();
        let rough = ((self.hist_start as f64 + span * progress + jitter * step) as i64)
            .clamp(self.hist_start, LAST_START);
        let visit = if self.encounters == 0 {
            Visit::Checkup
        } else {
            self.pick_visit(self.age_at(rough))
        };
        let start = self.schedule(rough, visit);
        self.last_start = start;
        self.encounters += 1;
        let age = self.age_at(start);

        let problem = match visit {
            Visit::Sick => self.pick_problem(SICK_PROBLEMS, age, start),
            Visit::Emergency => self.pick_problem(EMERGENCY_PROBLEMS, age, start),
            Visit::Inpatient => self.pick_problem(INPATIENT_PROBLEMS, age, start),
            _ => None,
        };
        let duration = match visit {
            Visit::Checkup => self.rng.random_range(20..=40) * MINUTE,
            Visit::Sick | Visit::FollowUp => self.rng.random_range(15..=30) * MINUTE,
            Visit::Emergency => self.rng.random_range(120..=360) * MINUTE,
            Visit::Inpatient => self.rng.random_range(2 * 24..=6 * 24) * HOUR,
        };
        let fever =
            problem.is_some_and(|p| p.fever > 0.0) && self.chance(problem.map_or(0.0, |p| p.fever));
        let id = new_id(&mut self.rng);
        let hospital = matches!(visit, Visit::Emergency | Visit::Inpatient);
        let (class_code, class_display) = match visit {
            Visit::Emergency => ("EMER", "emergency"),
            Visit::Inpatient => ("IMP", "inpatient encounter"),
            _ => ("AMB", "ambulatory"),
        };
        let (type_code, type_display) = match visit {
            Visit::Checkup if age < 18.0 => ("410620009", "Well child visit (procedure)"),
            Visit::Checkup => ("185349003", "Encounter for check up (procedure)"),
            Visit::Sick => ("185345009", "Encounter for symptom (procedure)"),
            Visit::FollowUp => ("390906007", "Follow-up encounter (procedure)"),
            Visit::Emergency => ("50849002", "Emergency room admission (procedure)"),
            Visit::Inpatient => ("32485007", "Hospital admission (procedure)"),
        };
        let practitioner = if hospital {
            *pick(&mut self.rng, HOSPITALISTS)
        } else {
            self.clinician
        };
        let provider = if hospital {
            &self.hospital
        } else {
            &self.clinic
        };
        let mut resource = json!({
            "resourceType": "Encounter",
            "id": id,
            "status": "finished",
            "class": { "system": ACT_CODE, "code": class_code, "display": class_display },
            "type": [concept(SNOMED, type_code, type_display)],
            "subject": self.subject(),
            "participant": [{ "individual": { "display": practitioner } }],
            "period": { "start": self.fmt_time(start), "end": self.fmt_time(start + duration) },
            "serviceProvider": { "display": provider },
        });
        if let (Some(p), Some(map)) = (problem, resource.as_object_mut()) {
            map.insert(
                "reasonCode".into(),
                json!([concept(SNOMED, p.code, p.display)]),
            );
        }
        self.out.push(resource);

        let enc = EncCtx {
            reference: format!("Encounter/{id}"),
            visit,
            start,
            age,
            fever,
            infection: problem.is_some_and(|p| p.infection),
        };
        self.record_allergies(&enc);
        if visit != Visit::Emergency {
            self.diagnose_chronic(&enc);
            let renew_after = if visit == Visit::FollowUp { 80 } else { 330 };
            self.renew_chronic_meds(&enc, renew_after * DAY);
        }
        match visit {
            Visit::Checkup => self.checkup(&enc),
            Visit::FollowUp => self.follow_up(&enc),
            Visit::Sick => {
                self.vitals(&enc, false);
                if let Some(p) = problem {
                    self.treat_problem(&enc, p);
                }
            }
            Visit::Emergency => {
                self.vitals(&enc, false);
                if let Some(p) = problem {
                    self.treat_problem(&enc, p);
                }
                if self.chance(0.5) {
                    self.panel(&enc, &CBC);
                }
                if self.chance(0.3) {
                    self.panel(&enc, &CMP);
                }
            }
            Visit::Inpatient => {
                self.vitals(&enc, true);
                if let Some(p) = problem {
                    self.treat_problem(&enc, p);
                }
                self.panel(&enc, &CBC);
                self.panel(&enc, &CMP);
            }
        }
    }

    fn pick_visit(&mut self, age: f64) -> Visit {
        let has_chronic = self.chronic.iter().any(|c| c.diagnosed.is_some());
        let weights = [
            (Visit::Checkup, 30),
            (Visit::Sick, 35),
            (Visit::FollowUp, if has_chronic { 20 } else { 0 }),
            (Visit::Emergency, 8),
            (Visit::Inpatient, if age > 60.0 { 5 } else { 2 }),
        ];
        let total: u32 = weights.iter().map(|w| w.1).sum();
        let mut roll = self.rng.random_range(0..total);
        for (visit, weight) in weights {
            if roll < weight {
                return visit;
            }
            roll -= weight;
        }
        Visit::Checkup
    }

    /// Put the visit at a plausible local time: office hours on weekdays, or any hour for hospital care.
    fn schedule(&mut self, rough: i64, visit: Visit) -> i64 {
        let mut day = (rough + self.offset).div_euclid(DAY);
        let minute_of_day = match visit {
            Visit::Emergency | Visit::Inpatient => self.rng.random_range(0..24 * 60),
            _ => {
                // 1970-01-01 was a Thursday, so (day + 3) % 7 counts from Monday.
                match (day + 3).rem_euclid(7) {
                    5 => day += 2,
                    6 => day += 1,
                    _ => {}
                }
                8 * 60 + 5 * self.rng.random_range(0..8 * 12)
            }
        };
        let t = day * DAY - self.offset + minute_of_day * MINUTE;
        t.max(self.hist_start).max(self.last_start).min(LAST_START)
    }

    fn pick_problem(
        &mut self,
        table: &'static [Acute],
        age: f64,
        t: i64,
    ) -> Option<&'static Acute> {
        let eligible = |p: &Acute| age >= p.min_age && age <= p.max_age && t >= p.since;
        let total: u32 = table.iter().filter(|p| eligible(p)).map(|p| p.weight).sum();
        if total == 0 {
            return None;
        }
        let mut roll = self.rng.random_range(0..total);
        for p in table.iter().filter(|p| eligible(p)) {
            if roll < p.weight {
                return Some(p);
            }
            roll -= p.weight;
        }
        None
    }

    fn record_allergies(&mut self, enc: &EncCtx) {
        let mut i = 0;
        while i < self.pending_allergies.len() {
            let (def, at) = self.pending_allergies[i];
            if at > enc.start {
                i += 1;
                continue;
            }
            if self.room() == 0 {
                return;
            }
            self.pending_allergies.remove(i);
            let severe = self.chance(def.severe);
            let criticality = if severe {
                "high"
            } else if self.chance(0.85) {
                "low"
            } else {
                "unable-to-assess"
            };
            let severity = if severe {
                "severe"
            } else if self.chance(0.7) {
                "mild"
            } else {
                "moderate"
            };
            let id = new_id(&mut self.rng);
            let resource = json!({
                "resourceType": "AllergyIntolerance",
                "id": id,
                "clinicalStatus": coded(ALLERGY_CLINICAL, "active", "Active"),
                "verificationStatus": coded(ALLERGY_VER, "confirmed", "Confirmed"),
                "type": def.kind,
                "category": [def.category],
                "criticality": criticality,
                "code": concept(SNOMED, def.code, def.display),
                "patient": self.subject(),
                "encounter": { "reference": enc.reference },
                "recordedDate": self.fmt_time(enc.start + 5 * MINUTE),
                "reaction": [{
                    "manifestation": [concept(SNOMED, def.reaction.0, def.reaction.1)],
                    "severity": severity,
                }],
            });
            self.out.push(resource);
        }
    }

    fn diagnose_chronic(&mut self, enc: &EncCtx) {
        for i in 0..self.chronic.len() {
            let state = &self.chronic[i];
            if state.diagnosed.is_some() || state.onset > enc.start {
                continue;
            }
            if self.room() == 0 {
                return;
            }
            let (kind, onset) = (state.kind, state.onset);
            let id = self.condition(enc, kind.code(), "problem-list-item", onset, None);
            self.chronic[i].diagnosed = Some((enc.start, id));
        }
    }

    /// Prescribe (or renew) each diagnosed condition's drug when the last order is old enough.
    fn renew_chronic_meds(&mut self, enc: &EncCtx, interval: i64) {
        for i in 0..self.chronic.len() {
            let state = &self.chronic[i];
            let Some((_, condition_id)) = &state.diagnosed else {
                continue;
            };
            if enc.start - state.last_rx < interval {
                continue;
            }
            if self.room() == 0 {
                return;
            }
            let reason = condition_id.clone();
            let med = state.kind.med();
            self.med_request(enc, med, Some(&reason), 365);
            self.chronic[i].last_rx = enc.start;
        }
    }

    fn checkup(&mut self, enc: &EncCtx) {
        self.vitals(enc, true);
        if enc.age >= 18.0 {
            if self.chance(0.7) {
                self.panel(enc, &CMP);
            }
            let lipid_p = if self.diagnosed(Chronic::Hyperlipidemia) {
                0.9
            } else {
                0.45
            };
            if self.chance(lipid_p) {
                self.panel(enc, &LIPID);
            }
            if self.chance(0.35) {
                self.panel(enc, &CBC);
            }
            let a1c = self.diagnosed(Chronic::Diabetes) || (enc.age >= 40.0 && self.chance(0.25));
            if a1c {
                self.single_lab(enc, Analyte::Hba1c);
            }
        } else if self.chance(0.15) {
            self.panel(enc, &CBC);
        }
        self.immunize(enc);
        self.screen(enc);
    }

    fn follow_up(&mut self, enc: &EncCtx) {
        self.vitals(enc, false);
        if self.diagnosed(Chronic::Diabetes) {
            self.single_lab(enc, Analyte::Hba1c);
        }
        let kidney_check =
            self.diagnosed(Chronic::Diabetes) || self.diagnosed(Chronic::Hypertension);
        if kidney_check && self.chance(0.5) {
            self.panel(enc, &CMP);
        }
        if self.diagnosed(Chronic::Hyperlipidemia) && self.chance(0.6) {
            self.panel(enc, &LIPID);
        }
    }

    fn diagnosed(&self, kind: Chronic) -> bool {
        self.chronic
            .iter()
            .any(|c| c.kind == kind && c.diagnosed.is_some())
    }

    /// Disease activity 0..1: creeps up for three years before onset, fully present three years after.
    fn severity(&self, kind: Chronic, t: i64) -> f64 {
        let Some(state) = self.chronic.iter().find(|c| c.kind == kind) else {
            return 0.0;
        };
        let years = (t - state.onset) as f64 / YEAR as f64;
        let raw = if years < -3.0 {
            0.0
        } else if years < 0.0 {
            0.6 * (years + 3.0) / 3.0
        } else {
            (0.6 + 0.4 * years / 3.0).min(1.0)
        };
        // Treatment (prescribed at diagnosis) takes the edge off from then on;
        // statins work best, so treated lipids fall back near normal.
        let treated = state.diagnosed.as_ref().is_some_and(|(at, _)| *at <= t);
        let remaining = match kind {
            Chronic::Hyperlipidemia => 0.3,
            Chronic::Hypertension => 0.45,
            Chronic::Diabetes | Chronic::Asthma => 0.5,
        };
        if treated { raw * remaining } else { raw }
    }

    fn treat_problem(&mut self, enc: &EncCtx, p: &'static Acute) {
        if self.room() == 0 {
            return;
        }
        let onset = enc.start - self.rng.random_range(HOUR..5 * DAY);
        let resolve_days = self.rng.random_range(p.resolve_days.0..=p.resolve_days.1);
        let abatement = enc.start + resolve_days * DAY;
        let condition_id = self.condition(
            enc,
            (p.code, p.display),
            "encounter-diagnosis",
            onset,
            (abatement < REF_TS).then_some(abatement),
        );
        if let Some((treatment, probability)) = p.treatment
            && self.room() > 0
            && self.chance(probability)
        {
            let med = match treatment {
                // Penicillin allergy rules out amoxicillin.
                Treatment::Antibiotic if self.penicillin_allergy => &AZITHROMYCIN,
                Treatment::Antibiotic => &AMOXICILLIN,
                Treatment::Ciprofloxacin => &CIPROFLOXACIN,
                Treatment::Analgesic => &ACETAMINOPHEN,
                Treatment::Nsaid => &IBUPROFEN,
                Treatment::Aspirin => &ASPIRIN,
            };
            let course = if matches!(treatment, Treatment::Aspirin) {
                365
            } else {
                14
            };
            self.med_request(enc, med, Some(&condition_id), course);
        }
        if let Some((proc, probability)) = &p.procedure
            && self.room() > 0
            && self.chance(*probability)
        {
            self.procedure(enc, proc, Some(&condition_id));
        }
    }

    fn condition(
        &mut self,
        enc: &EncCtx,
        code: (&str, &str),
        category: &str,
        onset: i64,
        abatement: Option<i64>,
    ) -> String {
        let id = new_id(&mut self.rng);
        let category_display = if category == "problem-list-item" {
            "Problem List Item"
        } else {
            "Encounter Diagnosis"
        };
        let clinical = if abatement.is_some() {
            coded(CONDITION_CLINICAL, "resolved", "Resolved")
        } else {
            coded(CONDITION_CLINICAL, "active", "Active")
        };
        let mut resource = json!({
            "resourceType": "Condition",
            "id": id,
            "clinicalStatus": clinical,
            "verificationStatus": coded(CONDITION_VER, "confirmed", "Confirmed"),
            "category": [coded(CONDITION_CATEGORY, category, category_display)],
            "code": concept(SNOMED, code.0, code.1),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
            "onsetDateTime": self.fmt_time(onset),
            "recordedDate": self.fmt_time(enc.start + 10 * MINUTE),
        });
        if let (Some(at), Some(map)) = (abatement, resource.as_object_mut()) {
            map.insert("abatementDateTime".into(), Value::String(self.fmt_time(at)));
        }
        self.out.push(resource);
        id
    }

    fn med_request(&mut self, enc: &EncCtx, med: &Med, reason: Option<&str>, course_days: i64) {
        let id = new_id(&mut self.rng);
        let status = if enc.start + course_days * DAY < REF_TS {
            "completed"
        } else {
            "active"
        };
        let requester = match enc.visit {
            Visit::Emergency | Visit::Inpatient => *pick(&mut self.rng, HOSPITALISTS),
            _ => self.clinician,
        };
        let mut resource = json!({
            "resourceType": "MedicationRequest",
            "id": id,
            "status": status,
            "intent": "order",
            "medicationCodeableConcept": concept(RXNORM, med.code, med.display),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
            "authoredOn": self.fmt_time(enc.start + 15 * MINUTE),
            "requester": { "display": requester },
            "dosageInstruction": [{ "sequence": 1, "text": med.dosage }],
        });
        if let (Some(reason), Some(map)) = (reason, resource.as_object_mut()) {
            map.insert(
                "reasonReference".into(),
                json!([{ "reference": format!("Condition/{reason}") }]),
            );
        }
        self.out.push(resource);
    }

    fn procedure(&mut self, enc: &EncCtx, proc: &Proc, reason: Option<&str>) {
        let id = new_id(&mut self.rng);
        // Hospital procedures happen a few hours in; office ones during the visit.
        let at = match enc.visit {
            Visit::Inpatient => enc.start + self.rng.random_range(2..12) * HOUR,
            Visit::Emergency => enc.start + self.rng.random_range(20..90) * MINUTE,
            _ => enc.start + 10 * MINUTE,
        };
        let mut resource = json!({
            "resourceType": "Procedure",
            "id": id,
            "status": "completed",
            "code": concept(SNOMED, proc.code, proc.display),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
        });
        if let Some(map) = resource.as_object_mut() {
            if proc.minutes > 0 {
                map.insert(
                    "performedPeriod".into(),
                    json!({ "start": self.fmt_time(at), "end": self.fmt_time(at + proc.minutes * MINUTE) }),
                );
            } else {
                map.insert("performedDateTime".into(), Value::String(self.fmt_time(at)));
            }
            if let Some(reason) = reason {
                map.insert(
                    "reasonReference".into(),
                    json!([{ "reference": format!("Condition/{reason}") }]),
                );
            }
        }
        self.out.push(resource);
    }

    fn screen(&mut self, enc: &EncCtx) {
        let has_chronic = self.chronic.iter().any(|c| c.diagnosed.is_some());
        for (i, s) in SCREENINGS.iter().enumerate() {
            let eligible = enc.age >= s.min_age
                && (!s.female_only || self.sex == Sex::Female)
                && (!s.needs_chronic || has_chronic)
                && enc.start - self.last_screening[i] >= s.interval_days * DAY;
            if !eligible || !self.chance(s.probability) {
                continue;
            }
            if self.room() == 0 {
                return;
            }
            self.procedure(enc, &s.proc, None);
            self.last_screening[i] = enc.start;
        }
    }

    fn immunize(&mut self, enc: &EncCtx) {
        let age_days = (enc.start - self.birth) / DAY;
        // One dose per series per visit, catching up on anything overdue.
        for (i, series) in CHILD_SERIES.iter().enumerate() {
            let next = self.child_next[i];
            if series
                .due_days
                .get(next)
                .is_some_and(|&due| due <= age_days)
            {
                if self.room() == 0 {
                    return;
                }
                self.immunization(enc, series.code, series.display);
                self.child_next[i] += 1;
                if series.code == "115" {
                    self.last_td = enc.start;
                }
            }
        }
        let local = DateTime::from_timestamp(enc.start + self.offset, 0).unwrap_or_default();
        let season = match local.month() {
            9..=12 => Some(local.year()),
            1..=3 => Some(local.year() - 1),
            _ => None,
        };
        if let Some(season) = season
            && age_days >= 180
            && season > self.last_flu_season
            && self.room() > 0
        {
            self.immunization(
                enc,
                "140",
                "Influenza, seasonal, injectable, preservative free",
            );
            self.last_flu_season = season;
        }
        if enc.start >= COVID_VACCINE_START
            && enc.age >= 12.0
            && enc.start - self.last_covid_vaccine >= 300 * DAY
            && self.room() > 0
        {
            self.immunization(
                enc,
                "208",
                "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose",
            );
            self.last_covid_vaccine = enc.start;
        }
        if enc.age >= 19.0 && enc.start - self.last_td >= 10 * YEAR && self.room() > 0 {
            self.immunization(enc, "113", "Td (adult) preservative free");
            self.last_td = enc.start;
        }
        if enc.age >= 65.0 && !self.pneumococcal_done && self.room() > 0 {
            self.immunization(enc, "133", "Pneumococcal conjugate PCV 13");
            self.pneumococcal_done = true;
        }
        if enc.age >= 50.0
            && enc.start >= ZOSTER_VACCINE_START
            && self.zoster_doses < 2
            && enc.start - self.last_zoster >= 60 * DAY
            && self.room() > 0
        {
            self.immunization(enc, "187", "zoster vaccine recombinant");
            self.zoster_doses += 1;
            self.last_zoster = enc.start;
        }
    }

    fn immunization(&mut self, enc: &EncCtx, code: &str, display: &str) {
        let id = new_id(&mut self.rng);
        let resource = json!({
            "resourceType": "Immunization",
            "id": id,
            "status": "completed",
            "vaccineCode": concept(CVX, code, display),
            "patient": self.subject(),
            "encounter": { "reference": enc.reference },
            "occurrenceDateTime": self.fmt_time(enc.start + 20 * MINUTE),
            "primarySource": true,
        });
        self.out.push(resource);
    }

    fn vitals(&mut self, enc: &EncCtx, full: bool) {
        let t = enc.start;
        let age = enc.age;
        let b = &self.body;
        // Children grow along a rough fraction-of-adult-height curve; adults shrink a little late in life.
        let height = b.adult_height * growth_fraction(age) - 0.1 * (age - 50.0).max(0.0);
        let adult_bmi = |a: f64| b.bmi_base + b.bmi_slope * (a - 18.0).clamp(0.0, 40.0);
        let child_bmi = 16.0 + 0.3 * (b.bmi_base - 24.0);
        let bmi_target = if age >= 18.0 {
            adult_bmi(age)
        } else if age >= 12.0 {
            child_bmi + (adult_bmi(18.0) - child_bmi) * (age - 12.0) / 6.0
        } else {
            child_bmi
        };
        let (hr_base, rr_base, temp_base) = (b.heart_rate, b.resp_rate, b.temperature);
        let (sys_base, dia_base) = (b.systolic, b.diastolic);
        let height = height + self.normal(0.0, 0.3);
        let h_m = height / 100.0;
        let weight = rounded(bmi_target * h_m * h_m + self.normal(0.0, 0.5), 1);
        let height = rounded(height, 1);
        let bmi = weight / ((height / 100.0) * (height / 100.0));
        let fever_bump = if enc.fever { 1.0 } else { 0.0 };
        let heart_rate = if age < 12.0 {
            125.0 - 4.5 * age
        } else {
            hr_base
        } + 12.0 * fever_bump
            + self.normal(0.0, 4.0);
        let resp_rate = if age < 12.0 { 30.0 - age } else { rr_base }
            + 3.0 * fever_bump
            + self.normal(0.0, 1.2);
        let temperature = if enc.fever {
            self.rng.random_range(38.0..39.8)
        } else {
            temp_base + self.normal(0.0, 0.2)
        };
        let htn = self.severity(Chronic::Hypertension, t);
        let (systolic, diastolic) = if age < 18.0 {
            (90.0 + 1.2 * age, 55.0 + 0.9 * age)
        } else {
            (
                sys_base + 0.5 * (age - 30.0).max(0.0) + 30.0 * htn,
                dia_base + 0.2 * (age - 30.0).max(0.0) + 14.0 * htn,
            )
        };
        let systolic = systolic + self.normal(0.0, 6.0);
        let diastolic = (diastolic + self.normal(0.0, 4.0)).min(systolic - 25.0);

        let at = t + 5 * MINUTE;
        if full {
            self.vital(enc, &HEIGHT, height, at);
        }
        self.vital(enc, &WEIGHT, weight, at);
        if full {
            self.vital(enc, &BMI, bmi, at);
        }
        self.vital(enc, &HEART_RATE, heart_rate, at);
        self.vital(enc, &RESP_RATE, resp_rate, at);
        self.vital(enc, &BODY_TEMP, temperature, at);
        // Blood pressure is not routine in infants and toddlers.
        if age >= 3.0 && self.room() > 0 {
            let id = new_id(&mut self.rng);
            let resource = json!({
                "resourceType": "Observation",
                "id": id,
                "status": "final",
                "category": [vital_category()],
                "code": concept(LOINC, "85354-9", "Blood pressure panel with all children optional"),
                "subject": self.subject(),
                "encounter": { "reference": enc.reference },
                "effectiveDateTime": self.fmt_time(at),
                "issued": self.fmt_time(at),
                "component": [
                    {
                        "code": concept(LOINC, SYSTOLIC.code, SYSTOLIC.display),
                        "valueQuantity": quantity(&SYSTOLIC, systolic),
                    },
                    {
                        "code": concept(LOINC, DIASTOLIC.code, DIASTOLIC.display),
                        "valueQuantity": quantity(&DIASTOLIC, diastolic),
                    },
                ],
            });
            self.out.push(resource);
        }
    }

    fn vital(&mut self, enc: &EncCtx, m: &Measure, value: f64, at: i64) {
        if self.room() == 0 {
            return;
        }
        let id = new_id(&mut self.rng);
        let resource = json!({
            "resourceType": "Observation",
            "id": id,
            "status": "final",
            "category": [vital_category()],
            "code": concept(LOINC, m.code, m.display),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
            "effectiveDateTime": self.fmt_time(at),
            "issued": self.fmt_time(at),
            "valueQuantity": quantity(m, value),
        });
        self.out.push(resource);
    }

    /// A panel's observations plus the DiagnosticReport that lists them, or nothing if it does not fit.
    fn panel(&mut self, enc: &EncCtx, panel: &Panel) {
        let analytes: Vec<Analyte> = panel
            .analytes
            .iter()
            .copied()
            .filter(|&a| a != Analyte::Egfr || enc.age >= 18.0)
            .collect();
        if self.room() < analytes.len() + 1 {
            return;
        }
        let collected = enc.start + 10 * MINUTE;
        let issued = collected + self.rng.random_range(60..8 * 60) * MINUTE;
        let results: Vec<Value> = analytes
            .iter()
            .map(|&a| {
                let id = self.lab(enc, a, collected, issued);
                json!({ "reference": format!("Observation/{id}"), "display": a.measure().display })
            })
            .collect();
        let id = new_id(&mut self.rng);
        let resource = json!({
            "resourceType": "DiagnosticReport",
            "id": id,
            "status": "final",
            "category": [concept(DIAG_SERVICE, "LAB", "Laboratory")],
            "code": concept(LOINC, panel.code, panel.display),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
            "effectiveDateTime": self.fmt_time(collected),
            "issued": self.fmt_time(issued),
            "performer": [{ "display": format!("{} Laboratory", if matches!(enc.visit, Visit::Emergency | Visit::Inpatient) { &self.hospital } else { &self.clinic }) }],
            "result": results,
        });
        self.out.push(resource);
    }

    fn single_lab(&mut self, enc: &EncCtx, analyte: Analyte) {
        if self.room() == 0 {
            return;
        }
        let collected = enc.start + 10 * MINUTE;
        let issued = collected + self.rng.random_range(60..8 * 60) * MINUTE;
        self.lab(enc, analyte, collected, issued);
    }

    fn lab(&mut self, enc: &EncCtx, analyte: Analyte, collected: i64, issued: i64) -> String {
        let m = analyte.measure();
        let value = rounded(self.lab_value(analyte, enc), m.decimals);
        let (low, high) = analyte.range(self.sex);
        let (code, display) = match (low, high) {
            (Some(l), _) if value < l => ("L", "Low"),
            (_, Some(h)) if value > h => ("H", "High"),
            _ => ("N", "Normal"),
        };
        let bound = |v: f64| json!({ "value": v, "unit": m.unit, "system": UCUM, "code": m.ucum });
        let mut range = serde_json::Map::new();
        if let Some(l) = low {
            range.insert("low".into(), bound(l));
        }
        if let Some(h) = high {
            range.insert("high".into(), bound(h));
        }
        let id = new_id(&mut self.rng);
        let resource = json!({
            "resourceType": "Observation",
            "id": id,
            "status": "final",
            "category": [concept(OBS_CATEGORY, "laboratory", "Laboratory")],
            "code": concept(LOINC, m.code, m.display),
            "subject": self.subject(),
            "encounter": { "reference": enc.reference },
            "effectiveDateTime": self.fmt_time(collected),
            "issued": self.fmt_time(issued),
            "valueQuantity": quantity(&m, value),
            "interpretation": [concept(INTERPRETATION, code, display)],
            "referenceRange": [range],
        });
        self.out.push(resource);
        id
    }

    /// Baseline + slow age trend + chronic-disease shift (eased by treatment) + visit noise.
    fn lab_value(&mut self, analyte: Analyte, enc: &EncCtx) -> f64 {
        let t = enc.start;
        let age = enc.age;
        let adult_years = (age - 30.0).max(0.0);
        let dm = self.severity(Chronic::Diabetes, t);
        let hl = self.severity(Chronic::Hyperlipidemia, t);
        let htn = self.severity(Chronic::Hypertension, t);
        let l = &self.labs;
        let female = self.sex == Sex::Female;
        match analyte {
            Analyte::Glucose => {
                let base = l.glucose + 0.25 * adult_years + 110.0 * dm;
                (base + self.normal(0.0, 7.0)).max(55.0)
            }
            Analyte::Hba1c => {
                let base = l.hba1c + 0.008 * adult_years + 3.4 * dm;
                (base + self.normal(0.0, 0.15)).max(4.0)
            }
            Analyte::Cholesterol => {
                let base = l.cholesterol + 0.6 * (age - 20.0).max(0.0) + 90.0 * hl;
                (base + self.normal(0.0, 10.0)).max(90.0)
            }
            Analyte::Ldl => {
                let base = l.ldl + 0.45 * (age - 20.0).max(0.0) + 80.0 * hl;
                (base + self.normal(0.0, 8.0)).max(30.0)
            }
            Analyte::Hdl => {
                let base = l.hdl - 8.0 * dm;
                (base + self.normal(0.0, 4.0)).max(20.0)
            }
            Analyte::Triglycerides => {
                let base = l.triglycerides + 80.0 * dm + 70.0 * hl;
                (base + self.normal(0.0, 18.0)).max(35.0)
            }
            Analyte::Creatinine => {
                // Children have less muscle mass and lower creatinine.
                let child_factor = 0.35 + 0.65 * (age / 18.0).min(1.0);
                let base = l.creatinine * child_factor
                    + 0.004 * (age - 40.0).max(0.0)
                    + 0.2 * dm
                    + 0.15 * htn;
                let v = (base + self.normal(0.0, 0.05)).max(0.2);
                self.last_creatinine = v;
                v
            }
            Analyte::Egfr => {
                // MDRD from this visit's creatinine, matching the LOINC code's method.
                let scr = rounded(self.last_creatinine, 2).max(0.2);
                let sex_factor = if female { 0.742 } else { 1.0 };
                (175.0 * scr.powf(-1.154) * age.max(18.0).powf(-0.203) * sex_factor).min(150.0)
            }
            Analyte::Hemoglobin => {
                let base = l.hemoglobin - if age > 70.0 { 0.6 } else { 0.0 };
                base + self.normal(0.0, 0.4)
            }
            Analyte::Potassium => {
                // ACE inhibitors nudge potassium up.
                let on_ace = if self.diagnosed(Chronic::Hypertension) {
                    0.2
                } else {
                    0.0
                };
                l.potassium + on_ace + self.normal(0.0, 0.2)
            }
            Analyte::Sodium => l.sodium + self.normal(0.0, 1.5),
            Analyte::Leukocytes => {
                let base = l.leukocytes + if enc.infection { 5.0 } else { 0.0 };
                (base + self.normal(0.0, 0.8)).max(2.0)
            }
            Analyte::Platelets => (l.platelets + self.normal(0.0, 20.0)).max(80.0),
        }
    }
}

/// Fraction of adult height reached at an age, interpolated from a coarse growth table.
fn growth_fraction(age: f64) -> f64 {
    const TABLE: [(f64, f64); 8] = [
        (0.0, 0.30),
        (1.0, 0.44),
        (2.0, 0.51),
        (5.0, 0.64),
        (10.0, 0.80),
        (14.0, 0.93),
        (17.0, 0.99),
        (18.0, 1.0),
    ];
    for pair in TABLE.windows(2) {
        let ((a0, f0), (a1, f1)) = (pair[0], pair[1]);
        if age < a1 {
            return f0 + (f1 - f0) * ((age - a0) / (a1 - a0)).max(0.0);
        }
    }
    1.0
}

/// Normal deviate by Box–Muller (rand alone ships no normal distribution).
fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    // 1 - u is in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Uniform choice from a built-in, non-empty table.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Random version-4-shaped UUID: lowercase 8-4-4-4-12 hex, valid as a FHIR id and in `urn:uuid:`.
fn new_id(rng: &mut ChaCha8Rng) -> String {
    let raw: u128 = rng.random();
    let v = (raw & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (v >> 96) as u32,
        (v >> 80) as u16,
        (v >> 64) as u16,
        (v >> 48) as u16,
        v & 0xFFFF_FFFF_FFFF
    )
}

/// Mix the batch seed with the patient index so neighbouring patients get unrelated streams.
fn derive_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fmt_date(ts: i64) -> String {
    let d = DateTime::from_timestamp(ts, 0).unwrap_or_default();
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn rounded(v: f64, decimals: u32) -> f64 {
    let f = 10f64.powi(decimals as i32);
    (v * f).round() / f
}

fn quantity(m: &Measure, value: f64) -> Value {
    let v = rounded(value, m.decimals);
    // Whole-number measures print as integers ("72", not "72.0").
    let number = if m.decimals == 0 {
        json!(v as i64)
    } else {
        json!(v)
    };
    json!({ "value": number, "unit": m.unit, "system": UCUM, "code": m.ucum })
}

fn concept(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }], "text": display })
}

/// A CodeableConcept with a coding but no text, as status elements usually are.
fn coded(system: &str, code: &str, display: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code, "display": display }] })
}

fn vital_category() -> Value {
    concept(OBS_CATEGORY, "vital-signs", "Vital Signs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use std::collections::{HashMap, HashSet};

    fn patient(seed: u64, target: usize) -> Vec<Value> {
        generate_patient(&PatientSpec {
            seed,
            target_resources: target,
        })
    }

    /// A spread of ages and histories, big enough to exercise every visit type.
    fn sample() -> Vec<Vec<Value>> {
        (0..12).map(|seed| patient(seed, 1_500)).collect()
    }

    fn kind(r: &Value) -> &str {
        r["resourceType"].as_str().unwrap_or("")
    }

    fn text<'a>(r: &'a Value, pointer: &str) -> Option<&'a str> {
        r.pointer(pointer).and_then(Value::as_str)
    }

    fn ts(date: (i32, u32, u32)) -> i64 {
        NaiveDate::from_ymd_opt(date.0, date.1, date.2)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
            .expect("valid calendar date")
    }

    fn is_uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
            && parts.iter().all(|p| {
                p.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            })
    }

    #[test]
    fn fixed_dates_match_the_calendar() {
        assert_eq!(REF_TS, ts((2026, 1, 1)));
        assert_eq!(COVID_DISEASE_START, ts((2020, 3, 1)));
        assert_eq!(COVID_VACCINE_START, ts((2020, 12, 11)));
        assert_eq!(ZOSTER_VACCINE_START, ts((2017, 10, 20)));
    }

    #[test]
    fn same_spec_is_byte_identical_and_seed_changes_output() {
        let a = serde_json::to_string(&patient(7, 3_000)).expect("serializes");
        let b = serde_json::to_string(&patient(7, 3_000)).expect("serializes");
        assert_eq!(a, b);
        let c = serde_json::to_string(&patient(8, 3_000)).expect("serializes");
        assert_ne!(a, c);
    }

    #[test]
    fn batches_are_deterministic_and_patients_differ() {
        let batch = generate_patients(99, 5, 60);
        assert_eq!(batch, generate_patients(99, 5, 60));
        assert_eq!(batch.len(), 5);
        let ids: HashSet<&str> = batch.iter().filter_map(|p| text(&p[0], "/id")).collect();
        assert_eq!(ids.len(), 5, "each patient gets its own stream");
        assert!(
            batch
                .iter()
                .all(|p| p.len() == 60 && kind(&p[0]) == "Patient")
        );
        assert_ne!(generate_patients(100, 5, 60), batch);
    }

    #[test]
    fn length_tracks_the_target() {
        assert_eq!(patient(1, 1).len(), 1);
        assert_eq!(kind(&patient(1, 1)[0]), "Patient");
        assert_eq!(patient(1, 0).len(), 1, "the Patient is always returned");
        for seed in 0..4 {
            for target in [5, 10, 100, 1_000] {
                let len = patient(seed, target).len();
                assert!(
                    (target..=target + 25).contains(&len),
                    "seed {seed} target {target} gave {len}"
                );
            }
        }
        let len = patient(3, 50_000).len();
        assert!((50_000..=50_025).contains(&len), "50k target gave {len}");
    }

    #[test]
    fn ids_are_unique_uuid_shaped_and_patient_comes_first() {
        let mut seen = HashSet::new();
        for resources in sample() {
            assert_eq!(kind(&resources[0]), "Patient");
            assert_eq!(resources.iter().filter(|r| kind(r) == "Patient").count(), 1);
            for r in &resources {
                assert!(!kind(r).is_empty(), "resourceType missing: {r}");
                let id = text(r, "/id").expect("every resource has an id");
                assert!(is_uuid(id), "not UUID-shaped: {id}");
                assert!(seen.insert(id.to_string()), "duplicate id {id}");
            }
        }
    }

    #[test]
    fn every_resource_references_its_patient_and_encounter() {
        for resources in sample() {
            let patient_ref = format!("Patient/{}", text(&resources[0], "/id").unwrap_or_default());
            let encounters: HashSet<String> = resources
                .iter()
                .filter(|r| kind(r) == "Encounter")
                .filter_map(|r| text(r, "/id").map(|id| format!("Encounter/{id}")))
                .collect();
            for r in resources.iter().skip(1) {
                let field = match kind(r) {
                    "Immunization" | "AllergyIntolerance" => "/patient/reference",
                    "Encounter" | "Observation" | "DiagnosticReport" | "Condition"
                    | "MedicationRequest" | "Procedure" => "/subject/reference",
                    other => panic!("unexpected resource type {other}"),
                };
                assert_eq!(text(r, field), Some(patient_ref.as_str()), "{r}");
                if kind(r) != "Encounter" {
                    let enc = text(r, "/encounter/reference").expect("linked to a visit");
                    assert!(encounters.contains(enc), "dangling {enc}");
                }
            }
        }
    }

    #[test]
    fn quantities_carry_ucum_system_and_code() {
        let mut checked = 0;
        for resources in sample() {
            for r in resources.iter().filter(|r| kind(r) == "Observation") {
                let mut quantities: Vec<&Value> = r.get("valueQuantity").into_iter().collect();
                for c in r["component"].as_array().into_iter().flatten() {
                    quantities.push(&c["valueQuantity"]);
                }
                for range in r["referenceRange"].as_array().into_iter().flatten() {
                    quantities.extend(range.get("low"));
                    quantities.extend(range.get("high"));
                }
                assert!(!quantities.is_empty(), "observation without a value: {r}");
                for q in quantities {
                    assert_eq!(q["system"], UCUM, "{r}");
                    assert!(q["code"].as_str().is_some_and(|c| !c.is_empty()), "{r}");
                    assert!(q["value"].is_number(), "{r}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000);
    }

    #[test]
    fn lab_interpretation_agrees_with_reference_range() {
        let mut flags: HashMap<String, usize> = HashMap::new();
        for resources in sample() {
            for r in resources.iter().filter(|r| kind(r) == "Observation") {
                if text(r, "/category/0/coding/0/code") != Some("laboratory") {
                    continue;
                }
                let value = r["valueQuantity"]["value"].as_f64().expect("numeric value");
                let low = r
                    .pointer("/referenceRange/0/low/value")
                    .and_then(Value::as_f64);
                let high = r
                    .pointer("/referenceRange/0/high/value")
                    .and_then(Value::as_f64);
                assert!(low.is_some() || high.is_some(), "range without bounds: {r}");
                let expected = if low.is_some_and(|l| value < l) {
                    "L"
                } else if high.is_some_and(|h| value > h) {
                    "H"
                } else {
                    "N"
                };
                assert_eq!(
                    text(r, "/interpretation/0/coding/0/system"),
                    Some(INTERPRETATION)
                );
                let got = text(r, "/interpretation/0/coding/0/code").expect("interpretation code");
                assert_eq!(got, expected, "{r}");
                *flags.entry(got.to_string()).or_default() += 1;
            }
        }
        for flag in ["H", "L", "N"] {
            assert!(
                flags.get(flag).is_some_and(|&n| n > 0),
                "no {flag} results in {flags:?}"
            );
        }
    }

    #[test]
    fn diagnostic_report_results_exist_and_are_labs() {
        for resources in sample() {
            let labs: HashMap<String, &Value> = resources
                .iter()
                .filter(|r| kind(r) == "Observation")
                .filter_map(|r| text(r, "/id").map(|id| (format!("Observation/{id}"), r)))
                .collect();
            for report in resources.iter().filter(|r| kind(r) == "DiagnosticReport") {
                assert_eq!(text(report, "/category/0/coding/0/code"), Some("LAB"));
                assert_eq!(text(report, "/status"), Some("final"));
                let results = report["result"].as_array().expect("result list");
                assert!(!results.is_empty());
                for res in results {
                    let reference = res["reference"].as_str().expect("reference");
                    let obs = labs
                        .get(reference)
                        .unwrap_or_else(|| panic!("missing {reference}"));
                    assert_eq!(text(obs, "/category/0/coding/0/code"), Some("laboratory"));
                    assert_eq!(obs["encounter"], report["encounter"]);
                }
            }
        }
    }

    #[test]
    fn collection_bundle_has_one_urn_entry_per_resource() {
        let resources = patient(11, 200);
        let bundle = collection_bundle(&resources);
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        let entries = bundle["entry"].as_array().expect("entries");
        assert_eq!(entries.len(), resources.len());
        for (entry, resource) in entries.iter().zip(&resources) {
            let id = text(resource, "/id").expect("id");
            assert_eq!(entry["fullUrl"], format!("urn:uuid:{id}"));
            assert_eq!(&entry["resource"], resource);
        }
        let odd = collection_bundle(&[json!({ "resourceType": "Basic" })]);
        assert!(
            odd["entry"][0].get("fullUrl").is_none(),
            "no id means no fullUrl"
        );
    }

    #[test]
    fn dates_parse_and_fall_between_birth_and_reference() {
        let limit = ts((2026, 1, 1));
        let mut patients = sample();
        patients.push(patient(5, 20_000));
        for resources in patients {
            let birth_text = text(&resources[0], "/birthDate").expect("birthDate");
            let birth = NaiveDate::parse_from_str(birth_text, "%Y-%m-%d")
                .expect("FHIR date")
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc().timestamp())
                .expect("midnight exists");
            let age = (limit - birth) as f64 / YEAR as f64;
            assert!((1.0..=90.0).contains(&age), "age {age}");
            for r in resources.iter().skip(1) {
                let (main, extra): (&[&str], &[&str]) = match kind(r) {
                    "Encounter" => (&["/period/start"], &["/period/end"]),
                    "Observation" | "DiagnosticReport" => (&["/effectiveDateTime"], &["/issued"]),
                    "Condition" => (
                        &["/onsetDateTime"],
                        &["/recordedDate", "/abatementDateTime"],
                    ),
                    "MedicationRequest" => (&["/authoredOn"], &[]),
                    "Immunization" => (&["/occurrenceDateTime"], &[]),
                    "Procedure" => (
                        &["/performedDateTime", "/performedPeriod/start"],
                        &["/performedPeriod/end"],
                    ),
                    "AllergyIntolerance" => (&["/recordedDate"], &[]),
                    other => panic!("unexpected {other}"),
                };
                let found: Vec<&str> = main.iter().filter_map(|p| text(r, p)).collect();
                assert_eq!(found.len(), 1, "main date missing: {r}");
                let optional = extra.iter().filter_map(|p| text(r, p));
                for value in found.into_iter().chain(optional) {
                    let t = DateTime::parse_from_rfc3339(value)
                        .unwrap_or_else(|e| panic!("{value}: {e}"))
                        .with_timezone(&Utc)
                        .timestamp();
                    assert!(
                        birth <= t && t <= limit,
                        "{value} outside {birth_text}..2026-01-01"
                    );
                }
            }
        }
    }

    #[test]
    fn two_thousand_resources_cover_every_type() {
        let wanted = [
            "Patient",
            "Encounter",
            "Observation",
            "Condition",
            "MedicationRequest",
            "Immunization",
            "Procedure",
            "DiagnosticReport",
            "AllergyIntolerance",
        ];
        for seed in 0..10 {
            let resources = patient(seed, 2_000);
            let present: HashSet<&str> = resources.iter().map(kind).collect();
            for t in wanted {
                assert!(present.contains(t), "seed {seed} lacks {t}");
            }
        }
    }

    #[test]
    fn codings_use_the_expected_systems() {
        for resources in sample() {
            for r in &resources {
                let (pointer, system) = match kind(r) {
                    "Encounter" => {
                        assert_eq!(r["class"]["system"], ACT_CODE);
                        let class = r["class"]["code"].as_str().unwrap_or_default();
                        assert!(["AMB", "EMER", "IMP"].contains(&class));
                        assert_eq!(r["status"], "finished");
                        ("/type/0/coding/0/system", SNOMED)
                    }
                    "Observation" => ("/code/coding/0/system", LOINC),
                    "DiagnosticReport" => ("/code/coding/0/system", LOINC),
                    "Condition" | "Procedure" | "AllergyIntolerance" => {
                        ("/code/coding/0/system", SNOMED)
                    }
                    "MedicationRequest" => {
                        assert_eq!(r["intent"], "order");
                        ("/medicationCodeableConcept/coding/0/system", RXNORM)
                    }
                    "Immunization" => ("/vaccineCode/coding/0/system", CVX),
                    _ => continue,
                };
                assert_eq!(text(r, pointer), Some(system), "{r}");
            }
        }
    }

    #[test]
    fn values_vary_and_diabetes_raises_glycemia() {
        let mut diabetic = Vec::new();
        let mut others = Vec::new();
        for resources in generate_patients(5, 24, 1_200) {
            let has_diabetes = resources.iter().any(|r| {
                kind(r) == "Condition" && text(r, "/code/coding/0/code") == Some("44054006")
            });
            let a1c = resources
                .iter()
                .filter(|r| text(r, "/code/coding/0/code") == Some("4548-4"))
                .filter_map(|r| r.pointer("/valueQuantity/value").and_then(Value::as_f64));
            if has_diabetes {
                diabetic.extend(a1c);
            } else {
                others.extend(a1c);
            }
            let heart_rates: HashSet<i64> = resources
                .iter()
                .filter(|r| text(r, "/code/coding/0/code") == Some("8867-4"))
                .filter_map(|r| r.pointer("/valueQuantity/value").and_then(Value::as_i64))
                .collect();
            assert!(
                heart_rates.len() > 5,
                "heart rate barely varies: {heart_rates:?}"
            );
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            diabetic.len() > 20 && others.len() > 20,
            "{} vs {}",
            diabetic.len(),
            others.len()
        );
        assert!(
            mean(&diabetic) > mean(&others) + 1.0,
            "diabetic HbA1c {} vs {}",
            mean(&diabetic),
            mean(&others)
        );
    }
}
