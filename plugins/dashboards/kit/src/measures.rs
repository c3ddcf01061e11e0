//! The measures, medicine classes and vaccine codes the dashboards share.

use crate::{DrugClass, Measure};

/// HbA1c, in % (NGSP) or mmol/mol (IFCC).
pub const A1C: Measure = Measure {
    name: "HbA1c",
    codes: &[
        "http://loinc.org|4548-4",
        "http://loinc.org|17856-6",
        "http://loinc.org|59261-8",
    ],
    search: &[],
    steady_within: 0.2,
};
/// Glucose in serum, plasma or blood.
pub const GLUCOSE: Measure = Measure {
    name: "Glucose",
    codes: &[
        "http://loinc.org|2345-7",
        "http://loinc.org|2339-0",
        "http://loinc.org|1558-6",
    ],
    search: &[],
    steady_within: 10.0,
};
/// LDL cholesterol (measured or calculated).
pub const LDL: Measure = Measure {
    name: "LDL cholesterol",
    codes: &[
        "http://loinc.org|18262-6",
        "http://loinc.org|13457-7",
        "http://loinc.org|2089-1",
    ],
    search: &[],
    steady_within: 10.0,
};
/// HDL cholesterol.
pub const HDL: Measure = Measure {
    name: "HDL cholesterol",
    codes: &["http://loinc.org|2085-9"],
    search: &[],
    steady_within: 5.0,
};
/// Triglycerides.
pub const TRIGLYCERIDES: Measure = Measure {
    name: "Triglycerides",
    codes: &["http://loinc.org|2571-8"],
    search: &[],
    steady_within: 15.0,
};
/// Albumin/creatinine ratio in urine.
pub const UACR: Measure = Measure {
    name: "Urine albumin/creatinine",
    codes: &[
        "http://loinc.org|9318-7",
        "http://loinc.org|14959-1",
        "http://loinc.org|32294-1",
        "http://loinc.org|13705-9",
        "http://loinc.org|14585-4",
    ],
    search: &[],
    steady_within: 5.0,
};
/// Creatinine in serum or plasma.
pub const CREATININE: Measure = Measure {
    name: "Creatinine",
    codes: &["http://loinc.org|2160-0", "http://loinc.org|38483-4"],
    search: &[],
    steady_within: 0.1,
};
/// eGFR, by the formulas laboratories report.
pub const EGFR: Measure = Measure {
    name: "eGFR",
    codes: &[
        // MDRD, CKD-EPI (2009, with and without race, and 2021), cystatin C and
        // creatinine-cystatin C equations: each is eGFR in mL/min/1.73 m².
        "http://loinc.org|33914-3",
        "http://loinc.org|48642-3",
        "http://loinc.org|48643-1",
        "http://loinc.org|50044-7",
        "http://loinc.org|50210-4",
        "http://loinc.org|62238-1",
        "http://loinc.org|69405-9",
        "http://loinc.org|77147-7",
        "http://loinc.org|88293-6",
        "http://loinc.org|88294-4",
        "http://loinc.org|94677-2",
        "http://loinc.org|98979-8",
        "http://loinc.org|98980-6",
    ],
    search: &[],
    steady_within: 5.0,
};
/// Systolic blood pressure, alone or in a blood pressure panel.
pub const SYSTOLIC: Measure = Measure {
    name: "Systolic",
    codes: &["http://loinc.org|8480-6"],
    search: &[
        "http://loinc.org|85354-9",
        "http://loinc.org|55284-4",
        "http://loinc.org|8480-6",
    ],
    steady_within: 5.0,
};
/// Diastolic blood pressure, alone or in a blood pressure panel.
pub const DIASTOLIC: Measure = Measure {
    name: "Diastolic",
    codes: &["http://loinc.org|8462-4"],
    search: &[
        "http://loinc.org|85354-9",
        "http://loinc.org|55284-4",
        "http://loinc.org|8462-4",
    ],
    steady_within: 5.0,
};
/// Body weight.
pub const WEIGHT: Measure = Measure {
    name: "Weight",
    codes: &["http://loinc.org|29463-7", "http://loinc.org|3141-9"],
    search: &[],
    steady_within: 1.0,
};
/// Body mass index.
pub const BMI: Measure = Measure {
    name: "BMI",
    codes: &["http://loinc.org|39156-5"],
    search: &[],
    steady_within: 0.5,
};

/// ACE inhibitors and angiotensin receptor blockers.
pub const ACE_ARB: DrugClass = DrugClass {
    name: "ACE inhibitor or ARB",
    ingredients: &[
        "benazepril",
        "captopril",
        "enalapril",
        "fosinopril",
        "lisinopril",
        "moexipril",
        "perindopril",
        "quinapril",
        "ramipril",
        "trandolapril",
        "azilsartan",
        "candesartan",
        "eprosartan",
        "irbesartan",
        "losartan",
        "olmesartan",
        "telmisartan",
        "valsartan",
    ],
};
/// Statins.
pub const STATIN: DrugClass = DrugClass {
    name: "Statin",
    ingredients: &[
        "atorvastatin",
        "fluvastatin",
        "lovastatin",
        "pitavastatin",
        "pravastatin",
        "rosuvastatin",
        "simvastatin",
    ],
};
/// Influenza vaccines (CVX).
pub const FLU: &[&str] = &[
    "88", "111", "135", "140", "141", "144", "149", "150", "151", "153", "155", "158", "161",
    "166", "168", "171", "185", "186", "197", "200", "201", "205", "231",
];
/// Pneumococcal vaccines (CVX).
pub const PNEUMOCOCCAL: &[&str] = &["33", "100", "109", "133", "152", "215", "216"];

/// Potassium in serum or plasma.
pub const POTASSIUM: Measure = Measure {
    name: "Potassium",
    codes: &["http://loinc.org|2823-3", "http://loinc.org|6298-4"],
    search: &[],
    steady_within: 0.2,
};

/// ACE inhibitors.
pub const ACE_INHIBITOR: DrugClass = DrugClass {
    name: "ACE inhibitor",
    ingredients: &[
        "benazepril",
        "captopril",
        "enalapril",
        "fosinopril",
        "lisinopril",
        "moexipril",
        "perindopril",
        "quinapril",
        "ramipril",
        "trandolapril",
    ],
};
/// Angiotensin receptor blockers.
pub const ARB: DrugClass = DrugClass {
    name: "Angiotensin receptor blocker (ARB)",
    ingredients: &[
        "azilsartan",
        "candesartan",
        "eprosartan",
        "irbesartan",
        "losartan",
        "olmesartan",
        "telmisartan",
        "valsartan",
    ],
};
/// Thiazide and thiazide-like diuretics.
pub const THIAZIDE: DrugClass = DrugClass {
    name: "Thiazide diuretic",
    ingredients: &[
        "chlorthalidone",
        "hydrochlorothiazide",
        "indapamide",
        "metolazone",
        "chlorothiazide",
    ],
};
/// Calcium channel blockers.
pub const CALCIUM_CHANNEL_BLOCKER: DrugClass = DrugClass {
    name: "Calcium channel blocker",
    ingredients: &[
        "amlodipine",
        "diltiazem",
        "felodipine",
        "isradipine",
        "nicardipine",
        "nifedipine",
        "nisoldipine",
        "verapamil",
    ],
};
/// Beta blockers.
pub const BETA_BLOCKER: DrugClass = DrugClass {
    name: "Beta blocker",
    ingredients: &[
        "atenolol",
        "bisoprolol",
        "carvedilol",
        "labetalol",
        "metoprolol",
        "nadolol",
        "nebivolol",
        "propranolol",
    ],
};
/// Mineralocorticoid receptor antagonists.
pub const MRA: DrugClass = DrugClass {
    name: "Mineralocorticoid receptor antagonist",
    ingredients: &["spironolactone", "eplerenone", "finerenone"],
};

/// Hemoglobin in blood (g/dL).
pub const HEMOGLOBIN: Measure = Measure {
    name: "Hemoglobin",
    codes: &["http://loinc.org|718-7", "http://loinc.org|20509-6"],
    search: &[],
    steady_within: 0.3,
};

/// Total cholesterol.
pub const TOTAL_CHOLESTEROL: Measure = Measure {
    name: "Total cholesterol",
    codes: &["http://loinc.org|2093-3"],
    search: &[],
    steady_within: 10.0,
};

/// Non-HDL cholesterol, as a laboratory reported it.
pub const NON_HDL: Measure = Measure {
    name: "Non-HDL cholesterol",
    codes: &["http://loinc.org|43396-1"],
    search: &[],
    steady_within: 10.0,
};

/// Non-steroidal anti-inflammatory drugs.
pub const NSAID: DrugClass = DrugClass {
    name: "Anti-inflammatory pain medicine (NSAID)",
    ingredients: &[
        "celecoxib",
        "diclofenac",
        "diflunisal",
        "etodolac",
        "flurbiprofen",
        "ibuprofen",
        "indomethacin",
        "ketoprofen",
        "ketorolac",
        "meloxicam",
        "nabumetone",
        "naproxen",
        "oxaprozin",
        "piroxicam",
        "sulindac",
    ],
};

/// Lithium.
pub const LITHIUM: DrugClass = DrugClass {
    name: "Lithium",
    ingredients: &["lithium"],
};

/// Aminoglycoside antibiotics.
pub const AMINOGLYCOSIDE: DrugClass = DrugClass {
    name: "Aminoglycoside antibiotic",
    ingredients: &[
        "amikacin",
        "gentamicin",
        "neomycin",
        "streptomycin",
        "tobramycin",
    ],
};

/// Calcineurin inhibitors.
pub const CALCINEURIN_INHIBITOR: DrugClass = DrugClass {
    name: "Calcineurin inhibitor",
    ingredients: &["cyclosporine", "ciclosporin", "tacrolimus"],
};

/// SGLT2 inhibitors.
pub const SGLT2_INHIBITOR: DrugClass = DrugClass {
    name: "SGLT2 inhibitor",
    ingredients: &[
        "canagliflozin",
        "dapagliflozin",
        "empagliflozin",
        "ertugliflozin",
        "sotagliflozin",
    ],
};

/// Metformin.
pub const METFORMIN: DrugClass = DrugClass {
    name: "Metformin",
    ingredients: &["metformin"],
};

/// Other lipid-lowering medicines.
pub const OTHER_LIPID_LOWERING: DrugClass = DrugClass {
    name: "Other lipid-lowering medicine",
    ingredients: &[
        "alirocumab",
        "bempedoic",
        "evolocumab",
        "ezetimibe",
        "fenofibrate",
        "gemfibrozil",
        "inclisiran",
        "icosapent",
    ],
};
