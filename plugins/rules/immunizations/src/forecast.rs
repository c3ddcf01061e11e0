//! The engine's vaccine group forecasts as recommendations, and its dose
//! judgements as dose evaluations.

use crate::fhir::Person;
use hearth_cdsi::data::Schedule;
use hearth_cdsi::date::Date;
use hearth_cdsi::engine::{GroupForecast, assess, primary};
use hearth_cdsi::series::{EvalStatus, SeriesStatus};
use hearth_plugin_sdk::rules::{
    DoseEvaluation, DoseStatus, Evaluation, Guideline, ImmunizationForecast, Recommendation,
    RecommendationKind, RecommendationStatus, SeriesStatus as ForecastStatus,
};

/// The guideline every forecast follows.
fn guideline() -> Guideline {
    Guideline {
        name: "CDC Clinical Decision Support for Immunization (ACIP schedule)".into(),
        version: "logic specification 4.6, supporting data 4.64".into(),
        url: "https://www.cdc.gov/vaccines/programs/iis/cdsi.html".into(),
    }
}

/// CVX code for a vaccine group's unspecified formulation, for FHIR output.
fn group_cvx(group: &str) -> Option<&'static str> {
    Some(match group {
        "DTaP/Tdap/Td" => "107",
        "HepA" => "85",
        "HepB" => "45",
        "Hib" => "17",
        "HPV" => "137",
        "Influenza" => "88",
        "MMR" => "03",
        "Meningococcal" => "108",
        "Meningococcal B" => "164",
        "Pneumococcal" => "109",
        "Polio" => "89",
        "Rotavirus" => "122",
        "Varicella" => "21",
        "Zoster" => "188",
        "COVID-19" => "213",
        _ => return None,
    })
}

fn slug(group: &str) -> String {
    group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Judge `person` on `as_of`: one recommendation per vaccine group with a
/// forecast, and every dose of each as its series judged it.
pub fn evaluate(schedule: &Schedule, person: &Person, as_of: Date) -> Evaluation {
    let out = assess(schedule, &person.patient, &person.history, as_of);
    let mut recommendations = Vec::new();
    let mut doses = Vec::new();
    for vg in schedule.vaccine_groups.iter() {
        let forecasts: Vec<&GroupForecast> = out
            .groups
            .iter()
            .filter(|g| g.vaccine_group == vg.name)
            .collect();
        let Some(f) = primary(&forecasts, as_of) else {
            continue;
        };
        recommendations.push(recommendation(schedule, person, f, as_of));
        // Valid doses are numbered in the order given (the target dose a
        // dose met can run past skipped ones: an adult's first Td is target 7).
        let mut valid = 0;
        for d in &f.doses {
            if d.status == EvalStatus::Valid {
                valid += 1;
            }
            doses.push(DoseEvaluation {
                immunization: person.history[d.dose].id.clone(),
                vaccine_group: f.vaccine_group.clone(),
                disease: f.antigens.join(", "),
                series: d.series.clone(),
                dose_number: (d.status == EvalStatus::Valid).then_some(valid),
                status: match d.status {
                    EvalStatus::Valid => DoseStatus::Valid,
                    EvalStatus::NotValid => DoseStatus::NotValid,
                    EvalStatus::Extraneous => DoseStatus::Extraneous,
                    EvalStatus::SubStandard => DoseStatus::SubStandard,
                },
                reasons: d.reasons.iter().map(|r| r.text().to_string()).collect(),
            });
        }
    }
    Evaluation {
        recommendations,
        doses,
    }
}

fn recommendation(
    schedule: &Schedule,
    person: &Person,
    f: &GroupForecast,
    as_of: Date,
) -> Recommendation {
    let group = &f.vaccine_group;
    let status = match f.status {
        SeriesStatus::NotComplete => {
            if f.earliest.is_some_and(|e| e > as_of) {
                RecommendationStatus::Upcoming
            } else if f.past_due.is_some_and(|p| as_of > p) {
                RecommendationStatus::Overdue
            } else {
                RecommendationStatus::Due
            }
        }
        SeriesStatus::Complete | SeriesStatus::Immune => RecommendationStatus::Complete,
        SeriesStatus::Contraindicated => RecommendationStatus::Contraindicated,
        SeriesStatus::NotRecommended => RecommendationStatus::NotRecommended,
        SeriesStatus::AgedOut => RecommendationStatus::AgedOut,
    };
    let series = f.series.join("; ");
    let given: Vec<&str> = f
        .doses
        .iter()
        .map(|d| person.history[d.dose].id.as_str())
        .collect();
    let valid = f
        .doses
        .iter()
        .filter(|d| d.status == EvalStatus::Valid)
        .count();
    let last = f.doses.iter().map(|d| person.history[d.dose].date).max();
    let title = match (f.status, f.dose_number) {
        (SeriesStatus::NotComplete, Some(n)) => format!("{group} vaccine, dose {n}"),
        _ => format!("{group} vaccine"),
    };
    let reason = match f.status {
        SeriesStatus::NotComplete => {
            let mut r = format!(
                "Dose {} of the {series}",
                f.dose_number.map_or("?".to_string(), |n| n.to_string())
            );
            match last {
                Some(d) => r.push_str(&format!(
                    "; {valid} valid dose(s) on record, the last on {d}."
                )),
                None => r.push_str("; no dose on record."),
            }
            r
        }
        _ => {
            let why = f.reasons.first().map_or("", |r| r.text());
            format!("{why} ({series}; {valid} valid dose(s) on record).")
        }
    };
    // The records it rests on: the Patient (age), each dose, and each condition
    // that made a risk series apply or a vaccine contraindicated.
    let mut evidence = vec![person.patient_ref.clone()];
    evidence.extend(given.iter().map(|s| s.to_string()));
    let indications: Vec<&str> = schedule
        .antigens
        .iter()
        .filter(|a| f.antigens.contains(&a.name.to_string()))
        .flat_map(|a| a.series.iter())
        .filter(|s| f.series.contains(&s.name.to_string()))
        .flat_map(|s| s.indications.iter().map(|i| &*i.observation.code))
        .chain(f.contraindications.iter().map(String::as_str))
        .collect();
    for o in &person.patient.observations {
        if indications.contains(&o.code.as_str())
            && let Some(source) = &o.source
            && !evidence.contains(source)
        {
            evidence.push(source.clone());
        }
    }
    Recommendation {
        key: format!("immunization-{}", slug(group)),
        kind: RecommendationKind::Immunization,
        status,
        title,
        earliest: f.earliest.map(|d| d.to_string()),
        recommended: f.recommended.map(|d| d.to_string()),
        past_due: f.past_due.map(|d| d.to_string()),
        reason,
        guideline: guideline(),
        evidence,
        immunization: Some(ImmunizationForecast {
            series_status: match f.status {
                SeriesStatus::NotComplete => ForecastStatus::NotComplete,
                SeriesStatus::Complete => ForecastStatus::Complete,
                SeriesStatus::Immune => ForecastStatus::Immune,
                SeriesStatus::Contraindicated => ForecastStatus::Contraindicated,
                SeriesStatus::AgedOut => ForecastStatus::AgedOut,
                SeriesStatus::NotRecommended => ForecastStatus::NotRecommended,
            },
            vaccine_group: group.clone(),
            vaccine_group_cvx: group_cvx(group).map(str::to_string),
            series,
            dose_number: f.dose_number,
            latest: f.latest.map(|d| d.to_string()),
            vaccines: f.vaccines.clone(),
            diseases: f.antigens.clone(),
        }),
    }
}
