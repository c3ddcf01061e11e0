//! Each screening rule at its age and sex boundaries and its risk criteria,
//! with the records each judgement cites.

use hearth_rules_screenings::judge::{Facts, Found, Smoking, SmokingStatus, Status, judge};
use hearth_rules_screenings::rules::{RULES, Rule, Sex};

fn rule(key: &str, min_age: u32) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.key == key && r.ages.0 == min_age)
        .expect("rule")
}

fn first(key: &str) -> &'static Rule {
    RULES.iter().find(|r| r.key == key).expect("rule")
}

fn person(birth: (i32, u32, u32), sex: Sex) -> Facts {
    Facts {
        patient: "Patient/p".into(),
        birth: Some(birth),
        sex: Some(sex),
        ..Default::default()
    }
}

fn record(reference: &str, day: (i32, u32, u32), label: &str) -> Found {
    Found {
        reference: reference.into(),
        day,
        label: label.into(),
    }
}

const TODAY: (i32, u32, u32) = (2026, 12, 5);

#[test]
fn colorectal_screening_starts_on_the_45th_birthday_and_ends_after_75() {
    let crc = first("colorectal-cancer-screening");
    // 45 today: due, from today.
    let j = judge(crc, &person((1981, 12, 5), Sex::Male), TODAY).expect("applies");
    assert_eq!(j.status, Status::Due);
    assert_eq!(j.earliest, Some((2026, 12, 5)));
    assert_eq!(j.evidence, ["Patient/p"]);
    // 45 tomorrow: shown ahead, from the birthday.
    let j = judge(crc, &person((1981, 12, 6), Sex::Female), TODAY).expect("a year ahead");
    assert_eq!(j.status, Status::Upcoming);
    assert_eq!(j.earliest, Some((2026, 12, 6)));
    // 45 in a year and a day: not yet.
    assert!(judge(crc, &person((1982, 12, 6), Sex::Male), TODAY).is_none());
    // The last day of 75, then 76.
    assert!(judge(crc, &person((1950, 12, 6), Sex::Male), TODAY).is_some());
    assert!(judge(crc, &person((1950, 12, 5), Sex::Male), TODAY).is_none());
}

#[test]
fn a_colonoscopy_counts_ten_years_and_a_stool_test_one() {
    let crc = first("colorectal-cancer-screening");
    let mut f = person((1970, 1, 1), Sex::Male);
    f.latest_test = Some((0, record("Procedure/colo", (2020, 3, 1), "Colonoscopy")));
    let j = judge(crc, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Complete);
    assert_eq!(j.recommended, Some((2030, 3, 1)));
    assert_eq!(j.evidence, ["Patient/p", "Procedure/colo"]);
    f.latest_test = Some((1, record("Observation/fit", (2025, 8, 1), "FIT")));
    let j = judge(crc, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Due, "a year after the stool test");
    assert_eq!(j.recommended, Some((2026, 8, 1)));
    assert_eq!(j.past_due, Some((2027, 2, 1)));
    f.latest_test = Some((1, record("Observation/fit", (2025, 5, 1), "FIT")));
    assert_eq!(
        judge(crc, &f, TODAY).unwrap().status,
        Status::Overdue,
        "6 months past due"
    );
}

#[test]
fn mammograms_are_for_women_40_to_74_every_two_years() {
    let breast = first("breast-cancer-screening");
    assert!(judge(breast, &person((1980, 1, 1), Sex::Male), TODAY).is_none());
    let mut f = person((1986, 12, 5), Sex::Female);
    assert_eq!(judge(breast, &f, TODAY).unwrap().status, Status::Due);
    f.latest_test = Some((0, record("DiagnosticReport/mg", (2025, 12, 5), "Mammogram")));
    assert_eq!(judge(breast, &f, TODAY).unwrap().status, Status::Complete);
    f.latest_test = Some((
        0,
        record("DiagnosticReport/mg", (2024, 12, 20), "Mammogram"),
    ));
    assert_eq!(
        judge(breast, &f, TODAY).unwrap().status,
        Status::Upcoming,
        "due within a month"
    );
    // 75 today: past the ages.
    assert!(judge(breast, &person((1951, 12, 5), Sex::Female), TODAY).is_none());
}

#[test]
fn a_hysterectomy_ends_cervical_screening_and_is_cited() {
    let cervical = first("cervical-cancer-screening");
    let mut f = person((1990, 6, 1), Sex::Female);
    f.exclusion = Some(record("Procedure/hyst", (2022, 2, 2), "Total hysterectomy"));
    let j = judge(cervical, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::NotRecommended);
    assert_eq!(j.evidence, ["Patient/p", "Procedure/hyst"]);
    assert!(j.reason.contains("Total hysterectomy"), "{}", j.reason);
    // 20 and a half: shown from the 21st birthday.
    let j = judge(cervical, &person((2006, 6, 1), Sex::Female), TODAY).unwrap();
    assert_eq!(
        (j.status, j.earliest),
        (Status::Upcoming, Some((2027, 6, 1)))
    );
}

fn smoker(status: SmokingStatus, packs: Option<f64>, quit: Option<(i32, u32, u32)>) -> Smoking {
    Smoking {
        status: Some(status),
        status_record: Some("Observation/smoking".into()),
        pack_years: packs,
        pack_years_record: packs.map(|_| "Observation/packs".into()),
        quit,
    }
}

#[test]
fn lung_screening_needs_20_pack_years_and_smoking_within_15_years() {
    let lung = first("lung-cancer-screening");
    let mut f = person((1976, 12, 5), Sex::Male); // 50 today
    f.smoking = smoker(SmokingStatus::Current, Some(30.0), None);
    let j = judge(lung, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Due);
    assert_eq!(
        j.evidence,
        ["Patient/p", "Observation/smoking", "Observation/packs"]
    );
    // Eligible since 50 and never screened: overdue a year on.
    let mut older = f.clone();
    older.birth = Some((1966, 1, 1));
    assert_eq!(judge(lung, &older, TODAY).unwrap().status, Status::Overdue);
    f.smoking = smoker(SmokingStatus::Current, Some(19.5), None);
    assert!(judge(lung, &f, TODAY).is_none(), "under 20 pack-years");
    f.smoking = smoker(SmokingStatus::Current, None, None);
    assert!(judge(lung, &f, TODAY).is_none(), "pack-years unknown");
    f.smoking = smoker(SmokingStatus::Former, Some(25.0), Some((2011, 12, 6)));
    assert!(
        judge(lung, &f, TODAY).is_some(),
        "quit 14 years 364 days ago"
    );
    f.smoking = smoker(SmokingStatus::Former, Some(25.0), Some((2011, 12, 5)));
    assert!(judge(lung, &f, TODAY).is_none(), "quit 15 years ago");
    f.smoking = smoker(SmokingStatus::Never, Some(25.0), None);
    assert!(judge(lung, &f, TODAY).is_none());
}

#[test]
fn diabetes_screening_needs_a_bmi_of_25_and_no_diabetes() {
    let dm = first("diabetes-screening");
    let mut f = person((1980, 1, 1), Sex::Female);
    assert!(judge(dm, &f, TODAY).is_none(), "no BMI on record");
    f.bmi = Some((24.9, "Observation/bmi".into()));
    assert!(judge(dm, &f, TODAY).is_none());
    f.bmi = Some((25.0, "Observation/bmi".into()));
    let j = judge(dm, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Overdue, "eligible since 35, never tested");
    assert_eq!(j.evidence, ["Patient/p", "Observation/bmi"]);
    f.exclusion = Some(record(
        "Condition/dm",
        (2020, 1, 1),
        "Diabetes mellitus type 2",
    ));
    assert_eq!(judge(dm, &f, TODAY).unwrap().status, Status::NotRecommended);
}

#[test]
fn blood_pressure_every_three_years_until_40_then_every_year() {
    let young = rule("hypertension-screening", 18);
    let older = rule("hypertension-screening", 40);
    let mut f = person((1987, 12, 6), Sex::Male); // 38, 40 in a year and a day
    f.latest_test = Some((0, record("Observation/bp", (2025, 1, 1), "Blood pressure")));
    assert_eq!(judge(young, &f, TODAY).unwrap().status, Status::Complete);
    assert!(judge(older, &f, TODAY).is_none());
    let mut f = person((1986, 12, 5), Sex::Male); // 40 today
    f.latest_test = Some((0, record("Observation/bp", (2025, 9, 1), "Blood pressure")));
    assert!(judge(young, &f, TODAY).is_none());
    assert_eq!(judge(older, &f, TODAY).unwrap().status, Status::Due);
    f.exclusion = Some(record("Condition/htn", (2019, 1, 1), "Hypertension"));
    assert_eq!(
        judge(older, &f, TODAY).unwrap().status,
        Status::NotRecommended
    );
}

#[test]
fn once_in_a_lifetime_tests_stay_done() {
    let hiv = first("hiv-screening");
    let mut f = person((1990, 1, 1), Sex::Female);
    f.latest_test = Some((0, record("Observation/hiv", (2010, 5, 5), "HIV 1+2 Ab")));
    let j = judge(hiv, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Complete);
    assert_eq!(j.evidence, ["Patient/p", "Observation/hiv"]);
    // 14: a year ahead of 15; 66: past it.
    assert!(judge(hiv, &person((2012, 1, 1), Sex::Male), TODAY).is_some());
    assert!(judge(hiv, &person((2012, 12, 6), Sex::Male), TODAY).is_none());
    assert!(judge(hiv, &person((1960, 12, 5), Sex::Male), TODAY).is_none());
    let hcv = first("hepatitis-c-screening");
    assert!(
        judge(hcv, &person((1947, 12, 6), Sex::Male), TODAY).is_some(),
        "79"
    );
    assert!(
        judge(hcv, &person((1946, 12, 5), Sex::Male), TODAY).is_none(),
        "80"
    );
}

#[test]
fn a_statin_is_discussed_with_a_risk_factor_and_done_when_one_is_taken() {
    let statin = first("statin-discussion");
    let mut f = person((1970, 1, 1), Sex::Male);
    assert!(judge(statin, &f, TODAY).is_none(), "no risk factor");
    f.risk_factors = vec![record("Condition/htn", (2015, 1, 1), "Hypertension")];
    let j = judge(statin, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Due);
    assert_eq!(j.evidence, ["Patient/p", "Condition/htn"]);
    assert!(
        j.reason.contains("Hypertension") && j.reason.contains("10-year risk"),
        "{}",
        j.reason
    );
    f.statin = Some(record(
        "MedicationRequest/ator",
        (2020, 1, 1),
        "atorvastatin 20 mg",
    ));
    let j = judge(statin, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Complete);
    assert_eq!(
        j.evidence,
        ["Patient/p", "Condition/htn", "MedicationRequest/ator"]
    );
    f.exclusion = Some(record(
        "Condition/mi",
        (2019, 1, 1),
        "Myocardial infarction",
    ));
    assert_eq!(
        judge(statin, &f, TODAY).unwrap().status,
        Status::NotRecommended
    );
    // A current smoker with nothing else on record is a risk factor too.
    let mut f = person((1970, 1, 1), Sex::Female);
    f.smoking = smoker(SmokingStatus::Current, None, None);
    assert_eq!(
        judge(statin, &f, TODAY).unwrap().evidence,
        ["Patient/p", "Observation/smoking"]
    );
}

#[test]
fn aortic_ultrasound_for_men_65_to_75_who_ever_smoked() {
    let aaa = first("aaa-screening");
    let mut f = person((1960, 1, 1), Sex::Male);
    f.smoking = smoker(SmokingStatus::Former, None, Some((1990, 1, 1)));
    assert_eq!(judge(aaa, &f, TODAY).unwrap().status, Status::Overdue);
    f.smoking = smoker(SmokingStatus::Never, None, None);
    assert!(judge(aaa, &f, TODAY).is_none());
    let mut f = person((1960, 1, 1), Sex::Female);
    f.smoking = smoker(SmokingStatus::Current, None, None);
    assert!(
        judge(aaa, &f, TODAY).is_none(),
        "women are not in this recommendation"
    );
}

#[test]
fn depression_screening_from_12_and_osteoporosis_for_women_from_65() {
    let teen = rule("depression-screening", 12);
    assert!(
        judge(teen, &person((2014, 12, 5), Sex::Male), TODAY).is_some(),
        "12 today"
    );
    assert!(
        judge(teen, &person((2015, 12, 6), Sex::Male), TODAY).is_none(),
        "11 for another year"
    );
    let osteo = first("osteoporosis-screening");
    assert!(judge(osteo, &person((1961, 12, 5), Sex::Female), TODAY).is_some());
    assert!(judge(osteo, &person((1961, 12, 5), Sex::Male), TODAY).is_none());
}

#[test]
fn a_29_february_birthday_turns_a_year_older_on_28_february() {
    let crc = first("colorectal-cancer-screening");
    let j = judge(crc, &person((1980, 2, 29), Sex::Male), (2025, 2, 28)).unwrap();
    assert_eq!(j.earliest, Some((2025, 2, 28)));
}

#[test]
fn every_rule_cites_a_uspstf_recommendation() {
    for r in RULES {
        assert!(
            r.guideline
                .2
                .starts_with(hearth_rules_screenings::rules::USPSTF_BASE),
            "{}",
            r.key
        );
        assert!(r.ages.0 <= r.ages.1, "{}", r.key);
    }
}

#[test]
fn hepatitis_b_testing_for_people_living_with_hiv() {
    let hbv = first("hepatitis-b-screening");
    let mut f = person((1990, 1, 1), Sex::Male);
    assert!(judge(hbv, &f, TODAY).is_none(), "no risk on record");
    f.indications = vec![record("Condition/hiv", (2015, 1, 1), "HIV infection")];
    let j = judge(hbv, &f, TODAY).unwrap();
    assert_eq!(
        j.status,
        Status::Overdue,
        "at risk since 2015, never tested"
    );
    assert_eq!(j.evidence, ["Patient/p", "Condition/hiv"]);
    f.latest_test = Some((0, record("Observation/hbsag", (2016, 3, 1), "HBsAg")));
    let j = judge(hbv, &f, TODAY).unwrap();
    assert_eq!(j.status, Status::Complete);
    assert_eq!(
        j.evidence,
        ["Patient/p", "Condition/hiv", "Observation/hbsag"]
    );
    // 11: a year ahead of 12 only.
    let mut child = person((2015, 12, 6), Sex::Female);
    child.indications = f.indications.clone();
    assert!(judge(hbv, &child, TODAY).is_none());
}
