//! The rules as data: each USPSTF recommendation's population, the tests that
//! satisfy it and how long each counts, and what takes a person out of it.
//! Codes follow the CMS eCQM value sets for the same measure where one exists
//! (colonoscopy 2.16.840.1.113883.3.464.1003.108.12.1020, mammography
//! 108.12.1018, Pap 108.12.1017, HPV 110.12.1059, HIV lab tests
//! 2.16.840.1.113762.1.4.1056.50, glycemic screening 1160.5, DXA 113.12.1051);
//! the most used codes of each are listed, not the whole set.

/// A code: system URI and code.
pub type Code = (&'static str, &'static str);

/// LOINC.
pub const LN: &str = "http://loinc.org";
/// SNOMED CT.
pub const SCT: &str = "http://snomed.info/sct";
/// CPT.
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
/// ICD-10-CM.
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10-cm";

/// Sex a recommendation is for (FHIR administrative gender).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

/// Who, beyond age and sex, a recommendation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Population {
    /// Everyone of the ages and sex.
    Everyone,
    /// A BMI at or above this (the latest on record).
    BmiAtLeast(u32),
    /// At least this many pack-years, smoking now or quit within the years given.
    HeavySmoker {
        /// Pack-years.
        pack_years: u32,
        /// Years since quitting that still count.
        quit_within: u32,
    },
    /// Ever smoked.
    EverSmoked,
    /// At least one cardiovascular risk factor (diabetes, high blood
    /// pressure, dyslipidemia, smoking) and no cardiovascular disease.
    CardiovascularRisk,
    /// One of these conditions on record (a risk the recommendation names).
    HasCondition(&'static [Code]),
}

/// A test that satisfies a recommendation.
#[derive(Debug, Clone, Copy)]
pub struct Test {
    /// What it is, in words.
    pub name: &'static str,
    /// How long it counts, in months; `None`: once is enough.
    pub months: Option<u32>,
    /// Codes that record it (Observation, DiagnosticReport or Procedure).
    pub codes: &'static [Code],
}

/// One recommendation.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// A stable key.
    pub key: &'static str,
    /// What is recommended.
    pub title: &'static str,
    /// Its guideline: name, version, URL.
    pub guideline: (&'static str, &'static str, &'static str),
    /// The sex it is for, when only one.
    pub sex: Option<Sex>,
    /// Ages, in completed years, both included.
    pub ages: (u32, u32),
    /// Who else it is for.
    pub population: Population,
    /// Tests that satisfy it.
    pub tests: &'static [Test],
    /// Conditions or procedures that take a person out of it.
    pub exclusions: &'static [Code],
    /// Why, in plain words.
    pub why: &'static str,
}

const COLONOSCOPY: &[Code] = &[
    (SCT, "73761001"),
    (SCT, "444783004"),
    (CPT, "45378"),
    (CPT, "45380"),
    (CPT, "45385"),
];
const STOOL_TEST: &[Code] = &[
    (LN, "29771-3"),
    (LN, "57905-2"),
    (LN, "58453-2"),
    (LN, "2335-8"),
];
const STOOL_DNA: &[Code] = &[(LN, "77353-1"), (LN, "77354-9")];
const CT_COLONOGRAPHY: &[Code] = &[(LN, "79069-1"), (LN, "79101-2")];
const SIGMOIDOSCOPY: &[Code] = &[(SCT, "44441009"), (CPT, "45330")];
const MAMMOGRAPHY: &[Code] = &[
    (LN, "24606-6"),
    (LN, "26175-0"),
    (LN, "72142-3"),
    (SCT, "71651007"),
    (SCT, "24623002"),
    (SCT, "43204002"),
    (CPT, "77067"),
    (CPT, "77063"),
];
const PAP: &[Code] = &[
    (LN, "47528-5"),
    (LN, "47527-7"),
    (LN, "33717-0"),
    (LN, "10524-7"),
    (LN, "19762-4"),
];
const HPV: &[Code] = &[
    (LN, "30167-1"),
    (LN, "59420-0"),
    (LN, "82675-0"),
    (LN, "71431-1"),
    (LN, "21440-3"),
];
const LOW_DOSE_CT: &[Code] = &[(CPT, "71271"), (SCT, "16334891000119106")];
const BLOOD_PRESSURE: &[Code] = &[(LN, "85354-9"), (LN, "8480-6")];
const GLYCEMIC: &[Code] = &[
    (LN, "4548-4"),
    (LN, "1558-6"),
    (LN, "17856-6"),
    (LN, "2345-7"),
];
const HIV_TEST: &[Code] = &[
    (LN, "56888-1"),
    (LN, "58900-2"),
    (LN, "83101-6"),
    (LN, "31201-7"),
    (LN, "80387-4"),
    (LN, "75622-1"),
];
const HBV_TEST: &[Code] = &[(LN, "5196-1")];
const HIV_INFECTION: &[Code] = &[(SCT, "86406008"), (ICD10, "B20")];
const HCV_TEST: &[Code] = &[
    (LN, "13955-0"),
    (LN, "16128-1"),
    (LN, "11259-9"),
    (LN, "11011-4"),
];
const DEPRESSION_SCREEN: &[Code] = &[
    (LN, "73832-8"),
    (LN, "73831-0"),
    (LN, "44261-6"),
    (LN, "44249-1"),
    (LN, "55758-7"),
    (LN, "89204-2"),
];
const DXA: &[Code] = &[
    (LN, "38268-9"),
    (LN, "38261-4"),
    (LN, "38264-8"),
    (LN, "24966-4"),
    (CPT, "77080"),
    (CPT, "77081"),
];
const AORTA_ULTRASOUND: &[Code] = &[(CPT, "76706")];

const USPSTF: &str = "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/";

/// Every recommendation, in the order shown.
pub const RULES: &[Rule] = &[
    Rule {
        key: "colorectal-cancer-screening",
        title: "Colorectal cancer screening",
        guideline: (
            "USPSTF: Colorectal Cancer Screening (A 50-75, B 45-49)",
            "2021-05-18",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/colorectal-cancer-screening",
        ),
        sex: None,
        ages: (45, 75),
        population: Population::Everyone,
        tests: &[
            Test {
                name: "colonoscopy",
                months: Some(120),
                codes: COLONOSCOPY,
            },
            Test {
                name: "stool test (FIT)",
                months: Some(12),
                codes: STOOL_TEST,
            },
            Test {
                name: "stool DNA test",
                months: Some(36),
                codes: STOOL_DNA,
            },
            Test {
                name: "CT colonography",
                months: Some(60),
                codes: CT_COLONOGRAPHY,
            },
            Test {
                name: "flexible sigmoidoscopy",
                months: Some(60),
                codes: SIGMOIDOSCOPY,
            },
        ],
        exclusions: &[(SCT, "363406005"), (SCT, "26390003"), (ICD10, "Z85.038")],
        why: "Adults 45 to 75 are screened for colorectal cancer",
    },
    Rule {
        key: "breast-cancer-screening",
        title: "Mammogram",
        guideline: (
            "USPSTF: Breast Cancer Screening (B)",
            "2024-04-30",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/breast-cancer-screening",
        ),
        sex: Some(Sex::Female),
        ages: (40, 74),
        population: Population::Everyone,
        tests: &[Test {
            name: "mammogram",
            months: Some(24),
            codes: MAMMOGRAPHY,
        }],
        exclusions: &[(SCT, "27865001"), (SCT, "428529004"), (ICD10, "Z90.13")],
        why: "Women 40 to 74 have a mammogram every 2 years",
    },
    Rule {
        key: "cervical-cancer-screening",
        title: "Cervical cancer screening",
        guideline: (
            "USPSTF: Cervical Cancer Screening (A)",
            "2018-08-21",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/cervical-cancer-screening",
        ),
        sex: Some(Sex::Female),
        ages: (21, 65),
        population: Population::Everyone,
        tests: &[
            Test {
                name: "Pap test",
                months: Some(36),
                codes: PAP,
            },
            Test {
                name: "HPV test",
                months: Some(60),
                codes: HPV,
            },
        ],
        exclusions: &[
            (SCT, "116140006"),
            (SCT, "428078001"),
            (ICD10, "Z90.710"),
            (CPT, "58150"),
            (CPT, "58570"),
        ],
        why: "Women 21 to 65 are screened for cervical cancer: a Pap test every 3 years, or from 30 an HPV test every 5 years",
    },
    Rule {
        key: "lung-cancer-screening",
        title: "Lung cancer screening (low-dose CT)",
        guideline: (
            "USPSTF: Lung Cancer Screening (B)",
            "2021-03-09",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/lung-cancer-screening",
        ),
        sex: None,
        ages: (50, 80),
        population: Population::HeavySmoker {
            pack_years: 20,
            quit_within: 15,
        },
        tests: &[Test {
            name: "low-dose CT of the chest",
            months: Some(12),
            codes: LOW_DOSE_CT,
        }],
        exclusions: &[(SCT, "363358000"), (SCT, "93880001"), (SCT, "254637007")],
        why: "Adults 50 to 80 who smoked 20 pack-years or more, and smoke now or quit within 15 years, have a low-dose CT every year",
    },
    Rule {
        key: "hypertension-screening",
        title: "Blood pressure check",
        guideline: (
            "USPSTF: Hypertension in Adults: Screening (A)",
            "2021-04-27",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/hypertension-in-adults-screening",
        ),
        sex: None,
        ages: (18, 39),
        population: Population::Everyone,
        tests: &[Test {
            name: "blood pressure reading",
            months: Some(36),
            codes: BLOOD_PRESSURE,
        }],
        exclusions: &[(SCT, "38341003"), (SCT, "59621000"), (ICD10, "I10")],
        why: "Adults 18 to 39 have their blood pressure checked every 3 to 5 years",
    },
    Rule {
        key: "hypertension-screening",
        title: "Blood pressure check",
        guideline: (
            "USPSTF: Hypertension in Adults: Screening (A)",
            "2021-04-27",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/hypertension-in-adults-screening",
        ),
        sex: None,
        ages: (40, 150),
        population: Population::Everyone,
        tests: &[Test {
            name: "blood pressure reading",
            months: Some(12),
            codes: BLOOD_PRESSURE,
        }],
        exclusions: &[(SCT, "38341003"), (SCT, "59621000"), (ICD10, "I10")],
        why: "Adults 40 and older have their blood pressure checked every year",
    },
    Rule {
        key: "diabetes-screening",
        title: "Diabetes screening (HbA1c or glucose)",
        guideline: (
            "USPSTF: Prediabetes and Type 2 Diabetes: Screening (B)",
            "2021-08-24",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/screening-for-prediabetes-and-type-2-diabetes",
        ),
        sex: None,
        ages: (35, 70),
        population: Population::BmiAtLeast(25),
        tests: &[Test {
            name: "HbA1c or glucose test",
            months: Some(36),
            codes: GLYCEMIC,
        }],
        exclusions: &[
            (SCT, "44054006"),
            (SCT, "73211009"),
            (SCT, "714628002"),
            (ICD10, "E11.9"),
            (ICD10, "R73.03"),
        ],
        why: "Adults 35 to 70 with overweight or obesity are screened for diabetes every 3 years",
    },
    Rule {
        key: "statin-discussion",
        title: "Talk about a statin",
        guideline: (
            "USPSTF: Statin Use for the Primary Prevention of Cardiovascular Disease in Adults (B)",
            "2022-08-23",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/statin-use-in-adults-preventive-medication",
        ),
        sex: None,
        ages: (40, 75),
        population: Population::CardiovascularRisk,
        tests: &[],
        exclusions: &[
            (SCT, "22298006"),
            (SCT, "415070008"),
            (SCT, "53741008"),
            (SCT, "230690007"),
        ],
        why: "Adults 40 to 75 with a cardiovascular risk factor and a 10-year risk of 10% or more are offered a statin",
    },
    Rule {
        key: "hiv-screening",
        title: "HIV test",
        guideline: (
            "USPSTF: HIV Infection: Screening (A)",
            "2019-06-11",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/human-immunodeficiency-virus-hiv-infection-screening",
        ),
        sex: None,
        ages: (15, 65),
        population: Population::Everyone,
        tests: &[Test {
            name: "HIV test",
            months: None,
            codes: HIV_TEST,
        }],
        exclusions: HIV_INFECTION,
        why: "Everyone 15 to 65 is tested for HIV at least once",
    },
    Rule {
        key: "hepatitis-b-screening",
        title: "Hepatitis B test",
        guideline: (
            "USPSTF: Hepatitis B Virus Infection in Adolescents and Adults: Screening (B)",
            "2020-12-15",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/hepatitis-b-virus-infection-screening",
        ),
        sex: None,
        ages: (12, 150),
        // Of the risks USPSTF names (birth in a country where hepatitis B is
        // common, HIV, injection drug use, sex between men, a household
        // contact), HIV infection is the one records code reliably.
        population: Population::HasCondition(HIV_INFECTION),
        tests: &[Test {
            name: "hepatitis B surface antigen test",
            months: None,
            codes: HBV_TEST,
        }],
        exclusions: &[(SCT, "66071002"), (ICD10, "B18.1")],
        why: "Adolescents and adults at increased risk, such as people living with HIV, are tested for hepatitis B",
    },
    Rule {
        key: "hepatitis-c-screening",
        title: "Hepatitis C test",
        guideline: (
            "USPSTF: Hepatitis C Virus Infection in Adolescents and Adults: Screening (B)",
            "2020-03-02",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/hepatitis-c-screening",
        ),
        sex: None,
        ages: (18, 79),
        population: Population::Everyone,
        tests: &[Test {
            name: "hepatitis C test",
            months: None,
            codes: HCV_TEST,
        }],
        exclusions: &[(SCT, "128302006")],
        why: "Adults 18 to 79 are tested for hepatitis C once",
    },
    Rule {
        key: "depression-screening",
        title: "Depression screening",
        guideline: (
            "USPSTF: Depression and Suicide Risk in Children and Adolescents: Screening (B)",
            "2022-10-11",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/screening-depression-suicide-risk-children-adolescents",
        ),
        sex: None,
        ages: (12, 18),
        population: Population::Everyone,
        tests: &[Test {
            name: "depression questionnaire",
            months: Some(12),
            codes: DEPRESSION_SCREEN,
        }],
        exclusions: &[(SCT, "370143000"), (SCT, "35489007"), (SCT, "13746004")],
        why: "Adolescents 12 to 18 are screened for depression",
    },
    Rule {
        key: "depression-screening",
        title: "Depression screening",
        guideline: (
            "USPSTF: Depression and Suicide Risk in Adults: Screening (B)",
            "2023-06-20",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/screening-depression-suicide-risk-adults",
        ),
        sex: None,
        ages: (19, 150),
        population: Population::Everyone,
        tests: &[Test {
            name: "depression questionnaire",
            months: Some(12),
            codes: DEPRESSION_SCREEN,
        }],
        exclusions: &[(SCT, "370143000"), (SCT, "35489007"), (SCT, "13746004")],
        why: "Adults are screened for depression",
    },
    Rule {
        key: "osteoporosis-screening",
        title: "Bone density scan (DXA)",
        guideline: (
            "USPSTF: Osteoporosis to Prevent Fractures: Screening (B)",
            "2025-01-14",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/osteoporosis-screening",
        ),
        sex: Some(Sex::Female),
        ages: (65, 150),
        population: Population::Everyone,
        tests: &[Test {
            name: "bone density scan",
            months: None,
            codes: DXA,
        }],
        exclusions: &[(SCT, "64859006"), (SCT, "102447009"), (ICD10, "M81.0")],
        why: "Women 65 and older are screened for osteoporosis",
    },
    Rule {
        key: "aaa-screening",
        title: "Abdominal aortic aneurysm ultrasound",
        guideline: (
            "USPSTF: Abdominal Aortic Aneurysm: Screening (B)",
            "2019-12-10",
            "https://www.uspreventiveservicestaskforce.org/uspstf/recommendation/abdominal-aortic-aneurysm-screening",
        ),
        sex: Some(Sex::Male),
        ages: (65, 75),
        population: Population::EverSmoked,
        tests: &[Test {
            name: "abdominal aorta ultrasound",
            months: None,
            codes: AORTA_ULTRASOUND,
        }],
        exclusions: &[(ICD10, "I71.4"), (ICD10, "I71.9")],
        why: "Men 65 to 75 who ever smoked have one ultrasound of the abdominal aorta",
    },
];

/// Base of every USPSTF recommendation's address (for tests).
pub const USPSTF_BASE: &str = USPSTF;
