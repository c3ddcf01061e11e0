//! CDC's CDSi test cases (`../shared/data/cdsi`), run through the logic:
//! series status, forecast dates and each dose's evaluation, with pass
//! counts per vaccine group.

use hearth_cdsi::data::{Gender, Schedule};
use hearth_cdsi::date::Date;
use hearth_cdsi::engine::{GroupForecast, assess};
use hearth_cdsi::input::{Observation, Patient};
use hearth_cdsi::organize::DoseGiven;
use hearth_cdsi::series::EvalStatus;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn shared() -> PathBuf {
    std::env::var_os("HEARTH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("cdsi")
}

fn schedule() -> Schedule {
    Schedule::from_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/rules/immunizations/data"),
    )
    .expect("supporting data")
}

fn date(v: &Value) -> Option<Date> {
    v.as_str().map(|s| Date::parse(s).expect("case date"))
}

fn loose(s: &str) -> String {
    s.to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Tally {
    cases: usize,
    status: usize,
    dates: usize,
    doses: usize,
    doses_right: usize,
}

/// What one case got wrong, for the report.
fn run_case(schedule: &Schedule, case: &Value) -> (bool, bool, usize, usize, Vec<String>) {
    let patient = Patient {
        birth: date(&case["dob"]).unwrap(),
        gender: match case["gender"].as_str() {
            Some("F") => Gender::Female,
            Some("M") => Gender::Male,
            _ => Gender::Unknown,
        },
        country_of_birth: None,
        observations: case["observations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| Observation {
                code: o["code"].as_str().unwrap().to_string(),
                date: date(&o["date"]),
                source: None,
            })
            .collect(),
    };
    let history: Vec<DoseGiven> = case["doses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| DoseGiven {
            id: format!("dose{}", d["dose_number"]),
            date: date(&d["date"]).unwrap(),
            cvx: d["cvx"].as_str().unwrap().to_string(),
            mvx: d["mvx"].as_str().map(str::to_string),
            lot_expiration: None,
            flawed: false,
        })
        .collect();
    let assessed = date(&case["assessment_date"]).unwrap();
    let out = assess(schedule, &patient, &history, assessed);
    let group = case["supporting_data_vaccine_group"].as_str().unwrap();
    let forecasts: Vec<&GroupForecast> = out
        .groups
        .iter()
        .filter(|g| g.vaccine_group == group)
        .collect();
    let expected = &case["expected"];
    let mut notes = Vec::new();
    let chosen = hearth_cdsi::engine::primary(&forecasts, assessed);
    let status_ok = match chosen {
        Some(f) => loose(f.status.text()) == loose(expected["series_status"].as_str().unwrap()),
        None => false,
    };
    if !status_ok {
        notes.push(format!(
            "status {} (want {})",
            chosen.map_or("none", |f| f.status.text()),
            expected["series_status"]
        ));
    }
    let dates_ok = chosen.is_some_and(|f| {
        let want_n = expected["forecast_dose_number"].as_u64().map(|n| n as u32);
        let got = (f.dose_number, f.earliest, f.recommended, f.past_due);
        let want = (
            want_n,
            date(&expected["earliest"]),
            date(&expected["recommended"]),
            date(&expected["past_due"]),
        );
        if got != want {
            notes.push(format!("forecast {got:?} (want {want:?})"));
        }
        got == want
    });
    let mut right = 0;
    let doses = case["doses"].as_array().unwrap();
    for (i, d) in doses.iter().enumerate() {
        let want = d["expected_evaluation"].as_str().unwrap();
        // A dose of another group's vaccine is judged in its own group.
        let got = chosen
            .and_then(|f| f.doses.iter().find(|x| x.dose == i))
            .or_else(|| {
                let own: Vec<&GroupForecast> = out
                    .groups
                    .iter()
                    .filter(|g| g.doses.iter().any(|x| x.dose == i))
                    .collect();
                hearth_cdsi::engine::primary(&own, assessed)
                    .and_then(|f| f.doses.iter().find(|x| x.dose == i))
            });
        let got_status = got.map(|g| match g.status {
            EvalStatus::Valid => "Valid",
            EvalStatus::NotValid => "Not Valid",
            EvalStatus::Extraneous => "Extraneous",
            EvalStatus::SubStandard => "Sub-standard",
        });
        let reason_ok = match d["expected_reason"].as_str() {
            None => true,
            // The sheets name one reason; the logic gives every one that applies.
            Some(r) => got.is_some_and(|g| g.reasons.iter().any(|x| loose(x.text()) == loose(r))),
        };
        if got_status == Some(want) && reason_ok {
            right += 1;
        } else {
            notes.push(format!(
                "dose {} {}: {:?} {:?} (want {} {})",
                i + 1,
                d["cvx"],
                got_status,
                got.map(|g| g.reasons.iter().map(|r| r.text()).collect::<Vec<_>>()),
                want,
                d["expected_reason"]
            ));
        }
    }
    (status_ok, dates_ok, doses.len(), right, notes)
}

/// Cases this implementation gets wrong, each with why (shared with the
/// plugin's run of the same cases).
fn known_wrong() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/rules/immunizations/tests/known-wrong.tsv");
    std::fs::read_to_string(path)
        .expect("known-wrong.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (id, why) = l.split_once('\t').expect("id<TAB>reason");
            (id.to_string(), why.to_string())
        })
        .collect()
}

#[test]
fn cdc_test_cases() {
    let dir = shared();
    if !dir.exists() {
        eprintln!("../shared/data/cdsi is absent (set HEARTH_SHARED_DATA): cases skipped");
        return;
    }
    let schedule = schedule();
    let verbose = std::env::var_os("CDSI_VERBOSE").is_some();
    let mut total = Tally::default();
    let mut unexpected = Vec::new();
    let known_wrong = known_wrong();
    for file in ["healthy-cases.json", "conditions-cases.json"] {
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let mut by_group: BTreeMap<String, Tally> = BTreeMap::new();
        for case in &cases {
            let (status, dates, doses, right, notes) = run_case(&schedule, case);
            let t = by_group
                .entry(
                    case["supporting_data_vaccine_group"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
                .or_default();
            for t in [t, &mut total] {
                t.cases += 1;
                t.status += usize::from(status);
                t.dates += usize::from(dates);
                t.doses += doses;
                t.doses_right += right;
            }
            let id = case["id"].as_str().unwrap();
            let known = known_wrong.iter().any(|(k, _)| k == id);
            if notes.is_empty() {
                assert!(!known, "{id} passes now: take it out of known-wrong.tsv");
            } else if !known {
                unexpected.push(format!("{id} {}: {}", case["name"], notes.join("; ")));
            }
            if verbose && !notes.is_empty() {
                eprintln!(
                    "{} {} [{}]: {}",
                    case["id"],
                    case["name"],
                    case["supporting_data_vaccine_group"],
                    notes.join("; ")
                );
            }
        }
        println!("{file}:");
        for (g, t) in &by_group {
            println!(
                "  {g:<16} {:>3} cases: status {:>3}, forecast {:>3}, doses {:>3}/{:<3}",
                t.cases, t.status, t.dates, t.doses_right, t.doses
            );
        }
    }
    println!(
        "CDSi cases: {} — series status {}, forecast {}, dose evaluations {}/{}; {} known wrong (plugins/rules/immunizations/tests/known-wrong.tsv)",
        total.cases,
        total.status,
        total.dates,
        total.doses_right,
        total.doses,
        known_wrong.len()
    );
    assert!(
        unexpected.is_empty(),
        "cases failing:\n{}",
        unexpected.join("\n")
    );
}
