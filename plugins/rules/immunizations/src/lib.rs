//! Immunization forecasts as a rules plugin: the person's Patient,
//! Immunization and Condition records are read through the host, CDC's CDSi
//! logic (`hearth-cdsi`) judges every dose and forecasts every vaccine group
//! over CDC's supporting data, which the plugin carries as a constant.

pub mod fhir;
pub mod forecast;

use hearth_cdsi::data::Schedule;
#[cfg(target_family = "wasm")]
use hearth_plugin_sdk::rules::export_rules;
use hearth_plugin_sdk::rules::{EvaluateRequest, Evaluation, Rules, RulesInfo};
use hearth_plugin_sdk::{ErrorKind, PluginError, records};

/// CDC's supporting data, built in by `build.rs` from `data/`.
pub static SCHEDULE: Schedule = include!(concat!(env!("OUT_DIR"), "/schedule.rs"));

/// The rules plugin.
pub struct Immunizations;

impl Rules for Immunizations {
    fn info() -> RulesInfo {
        RulesInfo {
            id: "immunizations".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Immunization forecast (CDC CDSi)".into(),
        }
    }

    fn evaluate(request: EvaluateRequest) -> Result<Evaluation, PluginError> {
        let as_of = hearth_cdsi::date::Date::parse(&request.as_of)
            .map_err(|e| PluginError::new(ErrorKind::InvalidInput, e.to_string()))?;
        let patients = records::search("Patient", &[("_count", "10")], 10)?;
        // The Patient with a birth date: a profile's typed-in records hang
        // off a stand-in Patient that may have none.
        let Some(patient) = patients
            .iter()
            .find(|p| p["birthDate"].is_string())
            .or(patients.first())
        else {
            // No Patient record: no birth date, so nothing can be judged.
            return Ok(Evaluation {
                recommendations: Vec::new(),
                doses: Vec::new(),
            });
        };
        let immunizations = records::search("Immunization", &[("_count", "100")], 10_000)?;
        let conditions = records::search("Condition", &[("_count", "100")], 10_000)?;
        let person = fhir::Person::read(&SCHEDULE, patient, &immunizations, &conditions)
            .map_err(|e| PluginError::new(ErrorKind::InvalidInput, e))?;
        Ok(forecast::evaluate(&SCHEDULE, &person, as_of))
    }
}

// Exported only in the component: a native build (for the tests) links no
// component exports.
#[cfg(target_family = "wasm")]
export_rules!(Immunizations);
