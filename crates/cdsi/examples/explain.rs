//! Explains one CDC test case: every relevant series of the case's antigens,
//! how each dose was judged, the forecast, and which series were chosen.
//! `cargo run -p hearth-cdsi --example explain -- <case id>`

use hearth_cdsi::data::{Gender, Schedule};
use hearth_cdsi::date::Date;
use hearth_cdsi::engine::assess;
use hearth_cdsi::input::{Observation, Patient};
use hearth_cdsi::organize::DoseGiven;
use serde_json::Value;
use std::path::PathBuf;

fn main() {
    let id = std::env::args().nth(1).expect("a case id");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let schedule =
        Schedule::from_dir(&root.join("../../plugins/rules/immunizations/data")).unwrap();
    let shared = root.join("../../../shared/data/cdsi");
    let case = ["healthy-cases.json", "conditions-cases.json"]
        .iter()
        .flat_map(|f| {
            serde_json::from_str::<Vec<Value>>(&std::fs::read_to_string(shared.join(f)).unwrap())
                .unwrap()
        })
        .find(|c| c["id"] == id.as_str())
        .expect("no such case");
    let date = |v: &Value| v.as_str().map(|s| Date::parse(s).unwrap());
    let patient = Patient {
        birth: date(&case["dob"]).unwrap(),
        gender: if case["gender"] == "F" {
            Gender::Female
        } else {
            Gender::Male
        },
        country_of_birth: None,
        observations: case["observations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| Observation {
                code: o["code"].as_str().unwrap().into(),
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
            id: d["dose_number"].to_string(),
            date: date(&d["date"]).unwrap(),
            cvx: d["cvx"].as_str().unwrap().into(),
            mvx: d["mvx"].as_str().map(Into::into),
            lot_expiration: None,
            flawed: false,
        })
        .collect();
    let assessed = date(&case["assessment_date"]).unwrap();
    println!(
        "{} {}\n born {} assessed {} observations {:?}",
        case["id"],
        case["name"],
        patient.birth,
        assessed,
        patient
            .observations
            .iter()
            .map(|o| &o.code)
            .collect::<Vec<_>>()
    );
    for (i, d) in history.iter().enumerate() {
        println!(" dose {} {} cvx {}", i + 1, d.date, d.cvx);
    }
    println!(" expected {}", case["expected"]);
    let out = assess(&schedule, &patient, &history, assessed);
    let group = case["supporting_data_vaccine_group"].as_str().unwrap();
    let vg = schedule
        .vaccine_groups
        .iter()
        .find(|g| g.name == group)
        .unwrap();
    for a in out
        .antigens
        .iter()
        .filter(|a| vg.antigens.contains(&a.antigen.name))
    {
        println!("== {}", a.antigen.name);
        for (i, ps) in a.series.iter().enumerate() {
            let f = ps.forecast.as_ref().unwrap();
            println!(
                " {}[{}] {} ({:?}, group {}, priority {}): {} dose {:?} earliest {:?} recommended {:?} past due {:?}",
                if a.best.contains(&i) { "*" } else { " " },
                i,
                ps.series.name,
                ps.series.series_type,
                ps.series.select.group,
                ps.series.select.priority,
                f.status.text(),
                f.dose_number,
                f.earliest.map(|d| d.to_string()),
                f.recommended.map(|d| d.to_string()),
                f.past_due.map(|d| d.to_string()),
            );
            for e in &ps.evaluations {
                println!(
                    "      dose {} vs target {:?}: {:?} {:?}",
                    e.dose + 1,
                    e.target,
                    e.status,
                    e.reasons
                );
            }
            let targets: Vec<String> = ps
                .targets
                .iter()
                .map(|t| format!("{}:{:?}", t.series_dose + 1, t.status))
                .collect();
            println!("      targets {}", targets.join(" "));
        }
    }
    for g in out.groups.iter().filter(|g| g.vaccine_group == group) {
        println!(
            " group forecast {} ({}): {} dose {:?} earliest {:?}",
            g.series_group,
            g.series_group_name,
            g.status.text(),
            g.dose_number,
            g.earliest.map(|d| d.to_string())
        );
    }
}
