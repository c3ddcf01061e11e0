//! The person as CDSi reads them, from FHIR R4 records: birth date and
//! gender from the Patient; CVX, manufacturer, date and flaws from each
//! Immunization; CDSi observation codes from Conditions (coded in CDSi's own
//! system, or in SNOMED CT as CDC's observation table maps them).

use hearth_cdsi::data::{Gender, Schedule};
use hearth_cdsi::date::Date;
use hearth_cdsi::input::{Observation, Patient};
use hearth_cdsi::organize::DoseGiven;
use serde_json::Value;

/// CDSi's code system for its coded observations.
pub const CDSI_SYSTEM: &str = "https://www.cdc.gov/vaccines/programs/iis/cdsi.html";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const MVX: &str = "http://hl7.org/fhir/sid/mvx";
const SNOMED: &str = "http://snomed.info/sct";

/// What the logic reads, and which record each part came from.
#[derive(Debug, Clone)]
pub struct Person {
    /// `Patient/<id>`.
    pub patient_ref: String,
    /// Birth date, gender, observations.
    pub patient: Patient,
    /// Doses given, each with its `Immunization/<id>`.
    pub history: Vec<DoseGiven>,
}

/// The day a FHIR date or dateTime falls on (its first ten characters).
fn day(v: &Value) -> Option<Date> {
    let s = v.as_str()?;
    Date::parse(s.get(..10)?).ok()
}

fn codings(concept: &Value) -> impl Iterator<Item = (&str, &str)> {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["system"].as_str()?, c["code"].as_str()?)))
}

/// CDC writes one-digit CVX codes with a leading zero ("03"); records often do not.
fn cvx_code(code: &str) -> String {
    let code = code.trim();
    if code.len() == 1 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{code}")
    } else {
        code.to_string()
    }
}

impl Person {
    /// Reads the person from their Patient, Immunization and Condition records.
    pub fn read(
        schedule: &Schedule,
        patient: &Value,
        immunizations: &[Value],
        conditions: &[Value],
    ) -> Result<Person, String> {
        let id = patient["id"].as_str().unwrap_or_default();
        let birth = day(&patient["birthDate"])
            .ok_or_else(|| format!("Patient/{id} has no birth date: no vaccine can be judged"))?;
        let gender = match patient["gender"].as_str() {
            Some("female") => Gender::Female,
            Some("male") => Gender::Male,
            _ => Gender::Unknown,
        };
        let country_of_birth = patient["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["url"] == "http://hl7.org/fhir/StructureDefinition/patient-birthPlace")
            .and_then(|e| e["valueAddress"]["country"].as_str())
            .map(|c| match c.trim().to_ascii_uppercase().as_str() {
                "US" | "USA" | "U.S." | "U.S.A." | "UNITED STATES" => "U.S.".to_string(),
                other => other.to_string(),
            });
        let mut history: Vec<DoseGiven> = immunizations
            .iter()
            .filter(|i| !matches!(i["status"].as_str(), Some("not-done" | "entered-in-error")))
            .filter_map(|i| {
                let cvx = codings(&i["vaccineCode"]).find(|(s, _)| *s == CVX)?.1;
                let mvx = codings(&i["vaccineCode"])
                    .find(|(s, _)| *s == MVX)
                    .map(|(_, c)| c.to_string())
                    .or_else(|| {
                        let m = &i["manufacturer"]["identifier"];
                        (m["system"] == MVX).then(|| m["value"].as_str().map(str::to_string))?
                    });
                Some(DoseGiven {
                    id: format!("Immunization/{}", i["id"].as_str()?),
                    date: day(&i["occurrenceDateTime"])?,
                    cvx: cvx_code(cvx),
                    mvx,
                    lot_expiration: day(&i["expirationDate"]),
                    flawed: i["isSubpotent"].as_bool() == Some(true),
                })
            })
            .collect();
        history.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
        // SNOMED codes that CDC's observation table maps to a CDSi code.
        let from_snomed = |code: &str| {
            schedule
                .observations
                .iter()
                .find(|o| {
                    o.coded_values
                        .iter()
                        .any(|v| v.system == "SNOMED" && v.code == code)
                })
                .map(|o| o.observation.code.to_string())
        };
        let mut observations = Vec::new();
        for c in conditions {
            let inactive = codings(&c["clinicalStatus"])
                .any(|(_, code)| matches!(code, "inactive" | "resolved" | "remission"));
            let unconfirmed = codings(&c["verificationStatus"])
                .any(|(_, code)| matches!(code, "refuted" | "entered-in-error"));
            if inactive || unconfirmed {
                continue;
            }
            let source = c["id"].as_str().map(|id| format!("Condition/{id}"));
            let date = day(&c["onsetDateTime"]).or_else(|| day(&c["recordedDate"]));
            // CDSi's own code says exactly which observation; a SNOMED code is
            // mapped only when there is none (one SNOMED concept can stand for
            // several CDSi observations).
            let mut codes: Vec<String> = codings(&c["code"])
                .filter(|(system, _)| *system == CDSI_SYSTEM)
                .map(|(_, code)| code.to_string())
                .collect();
            if codes.is_empty() {
                codes = codings(&c["code"])
                    .filter(|(system, _)| *system == SNOMED)
                    .filter_map(|(_, code)| from_snomed(code))
                    .collect();
            }
            codes.sort();
            codes.dedup();
            for code in codes {
                observations.push(Observation {
                    code,
                    date,
                    source: source.clone(),
                });
            }
        }
        Ok(Person {
            patient_ref: format!("Patient/{id}"),
            patient: Patient {
                birth,
                gender,
                country_of_birth,
                observations,
            },
            history,
        })
    }
}
