//! The shipped supporting data reads completely, and what it holds is typed
//! as the logic needs it.

use hearth_cdsi::data::*;
use hearth_cdsi::date::{Date, Duration};
use hearth_cdsi::organize::{DoseGiven, organize};
use std::path::PathBuf;

fn schedule() -> Schedule {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules/immunizations/data");
    Schedule::from_dir(&dir).expect("the shipped supporting data reads")
}

#[test]
fn every_antigen_series_and_table_is_read() {
    let s = schedule();
    assert_eq!(s.antigens.len(), 30);
    let series: Vec<&Series> = s.antigens.iter().flat_map(|a| a.series.iter()).collect();
    assert_eq!(series.len(), 143);
    assert_eq!(series.iter().map(|s| s.doses.len()).sum::<usize>(), 484);
    assert_eq!(s.live_virus_conflicts.len(), 625);
    assert_eq!(s.vaccine_groups.len(), 26);
    assert_eq!(s.cvx_map.len(), 218);
    assert_eq!(s.observations.len(), 277);
    let mmr = s.vaccine_groups.iter().find(|g| g.name == "MMR").unwrap();
    assert!(mmr.administer_full_group);
    assert_eq!(&*mmr.antigens, ["Measles", "Mumps", "Rubella"]);
    // Every series names an antigen that has a file, and a vaccine group the schedule knows.
    for x in &series {
        assert!(s.antigen(&x.target_disease).is_some(), "{}", x.name);
        assert!(
            s.vaccine_groups.iter().any(|g| g.name == x.vaccine_group),
            "{}",
            x.name
        );
        assert!(!x.doses.is_empty(), "{}", x.name);
    }
}

#[test]
fn intervals_skips_and_ages_are_typed() {
    let s = schedule();
    let doses: Vec<&SeriesDose> = s
        .antigens
        .iter()
        .flat_map(|a| a.series.iter())
        .flat_map(|x| x.doses.iter())
        .collect();
    let intervals: Vec<&Interval> = doses.iter().flat_map(|d| d.intervals.iter()).collect();
    let count = |f: &dyn Fn(&IntervalFrom) -> bool| intervals.iter().filter(|i| f(&i.from)).count();
    // Preferable intervals by what they are measured from (the allowable ones are apart).
    assert_eq!(count(&|f| matches!(f, IntervalFrom::Previous)), 388);
    assert_eq!(count(&|f| matches!(f, IntervalFrom::TargetDose(_))), 41);
    assert_eq!(count(&|f| matches!(f, IntervalFrom::MostRecent(_))), 55);
    assert_eq!(count(&|f| matches!(f, IntervalFrom::Observation(_))), 6);
    assert_eq!(
        doses
            .iter()
            .filter(|d| d.allowable_interval.is_some())
            .count(),
        19
    );
    let kinds: Vec<ConditionKind> = doses
        .iter()
        .flat_map(|d| d.conditional_skips.iter())
        .flat_map(|k| k.sets.iter())
        .flat_map(|s| s.conditions.iter())
        .map(|c| c.kind)
        .collect();
    // "Vaccine Count by Age" and "Vaccine Count By Age" are one kind.
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ConditionKind::VaccineCountByAge)
            .count(),
        278
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ConditionKind::CompletedSeries)
            .count(),
        25
    );
    // Hib dose 2 of the standard series: ages with their grace period kept as written.
    let hib = s.antigen("Hib").unwrap();
    let first = &hib.series[0];
    let age = &first.doses[0].ages[0];
    assert_eq!(
        age.abs_min,
        Some(Duration::parse("6 weeks - 4 days").unwrap())
    );
    assert_eq!(age.min, Some(Duration::parse("6 weeks").unwrap()));
    // The immunity birth date is the one MM/DD/YYYY date of the data.
    let measles = s.antigen("Measles").unwrap();
    let born = measles
        .immunity
        .as_ref()
        .unwrap()
        .birth_date
        .as_ref()
        .unwrap();
    assert_eq!(born.before, Date::parse("1957-01-01").unwrap());
}

#[test]
fn a_bad_file_is_refused_with_where_and_why() {
    let s = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../plugins/rules/immunizations/data/ScheduleSupportingData.json"),
    )
    .unwrap();
    let hib = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../plugins/rules/immunizations/data/AntigenSupportingData-Hib.json"),
    )
    .unwrap();
    let unknown_key = hib.replacen("\"doseNumber\"", "\"newRule\": \"x\", \"doseNumber\"", 1);
    let e =
        Schedule::from_json(("schedule", &s), [("Hib.json", unknown_key.as_str())]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Hib.json: unknown field `newRule`"),
        "{e}"
    );
    let bad_age = hib.replacen("\"6 weeks - 4 days\"", "\"6 wks\"", 1);
    let e = Schedule::from_json(("schedule", &s), [("Hib.json", bad_age.as_str())]).unwrap_err();
    assert!(
        e.to_string()
            .contains("Dose 1: duration \"6 wks\" is not understood"),
        "{e}"
    );
}

#[test]
fn a_dose_becomes_one_record_per_antigen_sorted_by_antigen_and_date() {
    let s = schedule();
    let birth = Date::parse("1960-03-01").unwrap();
    let given = |id: &str, date: &str, cvx: &str| DoseGiven {
        id: id.into(),
        date: Date::parse(date).unwrap(),
        cvx: cvx.into(),
        mvx: None,
        lot_expiration: None,
        flawed: false,
    };
    let history = [
        given("ProQuad", "2001-05-01", "94"),
        given("Pediarix", "2000-01-01", "110"),
        // Zoster live: varicella before 50 years, zoster from 50.
        given("Zostavax at 49", "2009-06-01", "121"),
        given("Zostavax at 50", "2010-03-01", "121"),
        given("unknown", "2000-01-01", "9999"),
    ];
    let records = organize(&s, birth, &history);
    let shown: Vec<(String, &str)> = records
        .iter()
        .map(|r| (r.antigen.clone(), history[r.dose].id.as_str()))
        .collect();
    let expect = [
        ("Diphtheria", "Pediarix"),
        ("HepB", "Pediarix"),
        ("Measles", "ProQuad"),
        ("Mumps", "ProQuad"),
        ("Pertussis", "Pediarix"),
        ("Polio", "Pediarix"),
        ("Rubella", "ProQuad"),
        ("Tetanus", "Pediarix"),
        ("Varicella", "ProQuad"),
        ("Varicella", "Zostavax at 49"),
        ("Zoster", "Zostavax at 50"),
    ];
    assert_eq!(
        shown,
        expect
            .iter()
            .map(|(a, d)| (a.to_string(), *d))
            .collect::<Vec<_>>()
    );
}
