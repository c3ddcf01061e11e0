//! CDC's CDSi test cases (`../shared/data/cdsi`) through the built
//! immunization forecaster plugin: each case's FHIR input served as the
//! profile's records, the plugin's recommendation for the case's vaccine
//! group and its judgement of each dose compared with CDC's expected results;
//! pass counts per vaccine group. Cases listed in the plugin's
//! `tests/known-wrong.tsv` (each with its reason) are allowed to fail, and
//! must.

mod common;

use common::Host;
use futures_util::future::BoxFuture;
use hearth_host::config::PluginLimits;
use hearth_host::plugins::ports::{
    ReadError, RecordsPage, RecordsQuery, RecordsReader, ViewQuery, ViewTable,
};
use hearth_host::plugins::rules::{DoseStatus, Evaluation, RecommendationStatus, SeriesStatus};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A profile's records held in memory: one case's FHIR input.
struct CaseRecords(Vec<Value>);

impl RecordsReader for CaseRecords {
    fn search(&self, query: RecordsQuery) -> BoxFuture<'_, Result<RecordsPage, ReadError>> {
        Box::pin(async move {
            Ok(RecordsPage {
                resources: self
                    .0
                    .iter()
                    .filter(|r| r["resourceType"] == query.resource_type.as_str())
                    .map(Value::to_string)
                    .collect(),
                next: None,
            })
        })
    }

    fn read<'a>(
        &'a self,
        resource_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ReadError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .find(|r| r["resourceType"] == resource_type && r["id"] == id)
                .map(Value::to_string))
        })
    }

    fn view(&self, _: ViewQuery) -> BoxFuture<'_, Result<ViewTable, ReadError>> {
        Box::pin(async { Err(ReadError::Invalid("no views in this test".into())) })
    }
}

fn shared() -> PathBuf {
    std::env::var_os("HEARTH_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
        .join("cdsi")
}

fn known_wrong() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/rules/immunizations/tests/known-wrong.tsv");
    std::fs::read_to_string(path)
        .expect("known-wrong.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

/// The case's records: the Patient, each Immunization and each Condition of its
/// FHIR Parameters (the conditions carry no id there: they get one).
fn records(case: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, p) in case["fhir_input"]["parameter"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut r = p["resource"].clone();
        if r.is_null() {
            continue;
        }
        if r.get("id").is_none() {
            r["id"] = Value::String(format!("c{i}"));
        }
        out.push(r);
    }
    out
}

fn loose(s: &str) -> String {
    s.to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// How one case came out.
struct Outcome {
    status: bool,
    forecast: bool,
    doses: usize,
    doses_right: usize,
    wrong: Vec<String>,
}

/// What the case got right, and what it got wrong.
fn compare(case: &Value, evaluation: &Evaluation) -> Outcome {
    let group = case["supporting_data_vaccine_group"].as_str().unwrap();
    let expected = &case["expected"];
    let mut wrong = Vec::new();
    let rec = evaluation.recommendations.iter().find(|r| {
        r.immunization
            .as_ref()
            .is_some_and(|f| f.vaccine_group == group)
    });
    let want_status = loose(expected["series_status"].as_str().unwrap());
    let status_ok = rec.is_some_and(|r| {
        let immune = r
            .immunization
            .as_ref()
            .is_some_and(|f| f.series_status == SeriesStatus::Immune);
        match want_status.as_str() {
            "not complete" => matches!(
                r.status,
                RecommendationStatus::Due
                    | RecommendationStatus::Overdue
                    | RecommendationStatus::Upcoming
            ),
            "complete" => r.status == RecommendationStatus::Complete && !immune,
            "immune" => r.status == RecommendationStatus::Complete && immune,
            "contraindicated" => r.status == RecommendationStatus::Contraindicated,
            "aged out" => r.status == RecommendationStatus::AgedOut,
            "not recommended" => r.status == RecommendationStatus::NotRecommended,
            _ => false,
        }
    });
    if !status_ok {
        wrong.push(format!(
            "status {:?} (want {want_status})",
            rec.map(|r| (r.status, r.reason.clone()))
        ));
    }
    let got = rec.map(|r| {
        (
            r.immunization
                .as_ref()
                .and_then(|f| f.dose_number)
                .filter(|_| status_ok && want_status == "not complete"),
            r.earliest.clone(),
            r.recommended.clone(),
            r.past_due.clone(),
        )
    });
    let s = |k: &str| expected[k].as_str().map(str::to_string);
    let want = (
        expected["forecast_dose_number"].as_u64().map(|n| n as u32),
        s("earliest"),
        s("recommended"),
        s("past_due"),
    );
    let forecast = got.as_ref() == Some(&want);
    if !forecast {
        wrong.push(format!("forecast {got:?} (want {want:?})"));
    }
    let doses = case["doses"].as_array().unwrap();
    let mut doses_right = 0;
    for (i, d) in doses.iter().enumerate() {
        let id = format!(
            "Immunization/{}_dose{}",
            case["id"].as_str().unwrap(),
            i + 1
        );
        let mine = evaluation
            .doses
            .iter()
            .find(|e| e.immunization == id && e.vaccine_group == group)
            .or_else(|| evaluation.doses.iter().find(|e| e.immunization == id));
        let status = mine.map(|e| match e.status {
            DoseStatus::Valid => "Valid",
            DoseStatus::NotValid => "Not Valid",
            DoseStatus::Extraneous => "Extraneous",
            DoseStatus::SubStandard => "Sub-standard",
        });
        let reason_ok = match d["expected_reason"].as_str() {
            None => true,
            Some(r) => mine.is_some_and(|e| e.reasons.iter().any(|x| loose(x) == loose(r))),
        };
        if status == d["expected_evaluation"].as_str() && reason_ok {
            doses_right += 1;
        } else {
            wrong.push(format!(
                "dose {}: {:?} (want {} {})",
                i + 1,
                mine.map(|e| (e.status, e.reasons.clone())),
                d["expected_evaluation"],
                d["expected_reason"]
            ));
        }
    }
    Outcome {
        status: status_ok,
        forecast,
        doses: doses.len(),
        doses_right,
        wrong,
    }
}

/// Cases, and how many were right in each part, for one vaccine group.
#[derive(Default)]
struct Tally {
    cases: usize,
    status: usize,
    forecast: usize,
    doses: usize,
    doses_right: usize,
    all: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdc_cases_through_the_built_plugin() {
    let dir = shared();
    if !dir.exists() {
        eprintln!("../shared/data/cdsi is absent (set HEARTH_SHARED_DATA): cases skipped");
        return;
    }
    let host = Host::start("plugins", PluginLimits::default()).await;
    let plugins = &host.state.plugins;
    let forecaster = plugins.get("immunizations").expect("the forecaster loads");
    let known = known_wrong();
    let mut unexpected = Vec::new();
    let mut passed_known = Vec::new();
    let (mut total, mut passed) = (0, 0);
    for file in ["healthy-cases.json", "conditions-cases.json"] {
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("cases"))
                .expect("json");
        let mut by_group: BTreeMap<String, Tally> = BTreeMap::new();
        for case in &cases {
            let reader: Arc<dyn RecordsReader> = Arc::new(CaseRecords(records(case)));
            let evaluation = plugins
                .evaluate_rules(
                    &forecaster,
                    case["assessment_date"].as_str().unwrap(),
                    vec![],
                    reader,
                )
                .await
                .expect("evaluated");
            let outcome = compare(case, &evaluation);
            let wrong = outcome.wrong;
            let id = case["id"].as_str().unwrap().to_string();
            let g = by_group
                .entry(
                    case["supporting_data_vaccine_group"]
                        .as_str()
                        .unwrap()
                        .into(),
                )
                .or_default();
            g.cases += 1;
            g.status += usize::from(outcome.status);
            g.forecast += usize::from(outcome.forecast);
            g.doses += outcome.doses;
            g.doses_right += outcome.doses_right;
            total += 1;
            if wrong.is_empty() {
                g.all += 1;
                passed += 1;
                if known.contains(&id) {
                    passed_known.push(id);
                }
            } else if !known.contains(&id) {
                unexpected.push(format!("{id} {}: {}", case["name"], wrong.join("; ")));
            }
        }
        println!("{file} through the plugin:");
        for (g, t) in &by_group {
            println!(
                "  {g:<22} {:>3} cases: series status {:>3}, forecast dates {:>3}, doses {:>3}/{:<3} (all right {:>3})",
                t.cases, t.status, t.forecast, t.doses_right, t.doses, t.all
            );
        }
    }
    println!(
        "CDSi cases through the plugin: {passed} of {total} right; {} known wrong",
        known.len()
    );
    assert!(
        unexpected.is_empty(),
        "cases failing:\n{}",
        unexpected.join("\n")
    );
    assert!(
        passed_known.is_empty(),
        "these pass now, take them out of known-wrong.tsv: {passed_known:?}"
    );
}
