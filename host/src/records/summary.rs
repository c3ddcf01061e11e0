//! The health summary: what a person's record says about them now, the way
//! a clinician's summary sheet reads: active problems, current medicines,
//! allergies, immunizations (latest dose of each vaccine), the latest vital
//! signs, tests whose latest result is out of range, and recent and upcoming
//! visits. One call answers the whole page; every part is a handful of index
//! seeks, so it stays fast however long the record is.

use super::labs::LabTest;
use super::{RecordStore, StoreError};
use crate::auth::ProfileScope;
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

/// Most items listed per section; `total` says how many there are.
pub const SECTION_LIMIT: usize = 50;
/// Visits listed in each direction.
const VISITS: i64 = 5;
/// Out-of-range tests listed.
const ABNORMAL_LIMIT: usize = 10;

/// LOINC codes shown as vital signs, in the order a clinician reads them.
pub const VITAL_SIGNS: &[&str] = &[
    "8480-6",  // systolic blood pressure
    "8462-4",  // diastolic blood pressure
    "8867-4",  // heart rate
    "9279-1",  // respiratory rate
    "8310-5",  // body temperature
    "59408-5", // oxygen saturation (pulse oximetry)
    "2708-6",  // oxygen saturation (arterial)
    "29463-7", // body weight
    "8302-2",  // body height
    "39156-5", // body mass index
    "9843-4",  // head circumference
    "72514-3", // pain severity
];
const LOINC: &str = "http://loinc.org";

/// A profile's health summary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthSummary {
    /// Active problems (conditions that are active, recurring or relapsed).
    pub problems: Facts,
    /// Medicines currently prescribed or taken.
    pub medications: Facts,
    /// Allergies and intolerances not marked resolved or inactive.
    pub allergies: Facts,
    /// Vaccines received, each with its latest dose.
    pub immunizations: Facts,
    /// The latest result of each vital sign recorded, in reading order.
    pub vitals: Vec<LabTest>,
    /// Tests whose latest result is out of range, newest first.
    pub abnormal: Vec<LabTest>,
    /// How many tests have a latest result out of range.
    pub abnormal_total: u64,
    /// Visits.
    pub visits: Visits,
    /// The profile's sources, to name where each item came from.
    pub sources: Vec<SourceName>,
}

/// One section's items and how many there are in all.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Facts {
    /// Newest first, at most [`SECTION_LIMIT`].
    pub items: Vec<Fact>,
    /// Every item the section holds.
    pub total: u64,
}

/// One problem, medicine, allergy or vaccine; repeated records of the same
/// thing (a renewed prescription, a second dose) are one fact.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Fact {
    /// `resourceType` of the latest record of it.
    pub resource_type: String,
    /// That record's id.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// What it is, in the record's words.
    #[schema(required)]
    pub display: Option<String>,
    /// Its date (onset, prescribed, given).
    #[schema(required)]
    pub date: Option<String>,
    /// Its status as recorded.
    #[schema(required)]
    pub status: Option<String>,
    /// How many records say it (doses of a vaccine, renewals of a medicine).
    pub records: u64,
}

/// Visits before and after now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Visits {
    /// The latest past visits, newest first.
    pub recent: Vec<Visit>,
    /// Planned visits and appointments, soonest first.
    pub upcoming: Vec<Visit>,
}

/// An encounter or appointment, with what a person recognises it by.
#[derive(Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Visit {
    /// `Encounter` or `Appointment`.
    pub resource_type: String,
    /// Its id.
    pub id: String,
    /// The source it came from.
    pub source_id: String,
    /// When it starts.
    #[schema(required)]
    pub date: Option<String>,
    /// Its status as recorded.
    #[schema(required)]
    pub status: Option<String>,
    /// What kind of visit (its type).
    #[schema(required)]
    pub display: Option<String>,
    /// What the record says beyond the index.
    #[serde(flatten)]
    pub details: VisitDetails,
}

/// What a visit's record says about it beyond its type and date.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VisitDetails {
    /// When it ended, if recorded.
    #[schema(required)]
    pub end: Option<String>,
    /// Outpatient, emergency, inpatient, virtual, home.
    #[schema(required)]
    pub class: Option<String>,
    /// Why it happened.
    #[schema(required)]
    pub reason: Option<String>,
    /// Where: the location, else the organisation that provided it.
    #[schema(required)]
    pub place: Option<String>,
    /// Who was seen.
    #[schema(required)]
    pub clinician: Option<String>,
}

/// A source, named.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceName {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `provider`, `import` or `manual`.
    pub kind: String,
}

/// What needs a look in one person's record: the family view's line for them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Attention {
    /// Tests whose latest result is out of range.
    pub abnormal: u64,
    /// Active problems.
    pub problems: u64,
    /// Sources whose last sync failed or that need reconnecting.
    pub sources: Vec<SourceAttention>,
    /// The date of the newest dated record up to now.
    #[schema(required)]
    pub latest: Option<String>,
}

/// A source that needs a look.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceAttention {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `error` or `needs-reconnect`.
    pub status: String,
}

/// Which records of a type make up a section.
struct Section {
    types: &'static [&'static str],
    /// Statuses that count; `None` in the list admits records without one.
    statuses: &'static [Option<&'static str>],
}

const PROBLEMS: Section = Section {
    types: &["Condition"],
    statuses: &[Some("active"), Some("recurrence"), Some("relapse")],
};
const MEDICATIONS: Section = Section {
    types: &["MedicationRequest", "MedicationStatement"],
    statuses: &[Some("active"), Some("intended"), Some("on-hold")],
};
const ALLERGIES: Section = Section {
    types: &["AllergyIntolerance"],
    // An allergy with no clinical status is recorded, not resolved: it counts.
    statuses: &[None, Some("active")],
};
const IMMUNIZATIONS: Section = Section {
    types: &["Immunization"],
    statuses: &[None, Some("completed")],
};

impl RecordStore {
    /// The health summary of a profile as of `now` (an instant in the stored
    /// form, which splits recent from upcoming visits).
    pub async fn health_summary(
        &self,
        scope: &ProfileScope,
        now: &str,
    ) -> Result<HealthSummary, StoreError> {
        let tests = self.lab_tests(scope).await?;
        let mut vitals: Vec<LabTest> = Vec::new();
        let mut abnormal: Vec<LabTest> = Vec::new();
        for test in tests {
            if is_vital(&test) {
                vitals.push(test);
            } else if out_of_range(&test) {
                abnormal.push(test);
            }
        }
        let rank = |t: &LabTest| VITAL_SIGNS.iter().position(|c| *c == t.code);
        vitals.sort_by_key(rank);
        abnormal.sort_by(|a, b| b.last_date.cmp(&a.last_date));
        let abnormal_total = abnormal.len() as u64;
        abnormal.truncate(ABNORMAL_LIMIT);
        Ok(HealthSummary {
            problems: self.facts(scope, &PROBLEMS).await?,
            medications: self.facts(scope, &MEDICATIONS).await?,
            allergies: self.facts(scope, &ALLERGIES).await?,
            immunizations: self.facts(scope, &IMMUNIZATIONS).await?,
            vitals,
            abnormal,
            abnormal_total,
            visits: Visits {
                recent: self.visits(scope, now, false).await?,
                upcoming: self.visits(scope, now, true).await?,
            },
            sources: self.source_names(scope).await?,
        })
    }

    /// What needs a look in a profile as of `now`.
    pub async fn attention(
        &self,
        scope: &ProfileScope,
        now: &str,
    ) -> Result<Attention, StoreError> {
        let abnormal = self
            .lab_tests(scope)
            .await?
            .iter()
            .filter(|t| !is_vital(t) && out_of_range(t))
            .count() as u64;
        let sources = sqlx::query(
            "SELECT id, name, status FROM sources
             WHERE profile_id = ? AND status IN ('error', 'needs-reconnect') ORDER BY created_at, id",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(SourceAttention {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                status: r.try_get("status")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        let latest: Option<String> = sqlx::query_scalar(
            "SELECT sort_date FROM resources WHERE profile_id = ? AND sort_key <> '' AND sort_key <= ?
               AND resource_type <> 'Patient'
             ORDER BY sort_key DESC, id DESC LIMIT 1",
        )
        .bind(scope.id())
        .bind(now)
        .fetch_optional(&self.db)
        .await?
        .flatten();
        Ok(Attention {
            abnormal,
            problems: self.facts(scope, &PROBLEMS).await?.total,
            sources,
            latest,
        })
    }

    /// A section's facts: its records grouped by what they say, each group
    /// shown by its latest record.
    async fn facts(&self, scope: &ProfileScope, section: &Section) -> Result<Facts, StoreError> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            // A bare column beside MAX() comes from the row holding the maximum.
            "SELECT r.resource_type, r.resource_id, r.source_id, r.display, r.sort_date, r.status,
                    MAX(r.sort_key) AS latest, COUNT(*) AS n
             FROM resources r WHERE r.profile_id = ",
        );
        q.push_bind(scope.id().to_string());
        q.push(" AND r.resource_type IN (");
        let mut types = q.separated(", ");
        for t in section.types {
            types.push_bind(*t);
        }
        q.push(") AND (");
        let mut first = true;
        for status in section.statuses {
            if !first {
                q.push(" OR ");
            }
            first = false;
            match status {
                Some(s) => q.push("r.status = ").push_bind(*s),
                None => q.push("r.status IS NULL"),
            };
        }
        q.push(
            ") GROUP BY COALESCE(lower(r.display), r.resource_type || '/' || r.resource_id)
             ORDER BY latest DESC, r.display",
        );
        let rows = q.build().fetch_all(&self.db).await?;
        let total = rows.len() as u64;
        let items = rows
            .iter()
            .take(SECTION_LIMIT)
            .map(|r| {
                Ok(Fact {
                    resource_type: r.try_get("resource_type")?,
                    id: r.try_get("resource_id")?,
                    source_id: r.try_get("source_id")?,
                    display: r.try_get("display")?,
                    date: r.try_get("sort_date")?,
                    status: r.try_get("status")?,
                    records: r.try_get::<i64, _>("n")? as u64,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(Facts { items, total })
    }

    /// The visits before `now` (newest first) or after it (soonest first).
    async fn visits(
        &self,
        scope: &ProfileScope,
        now: &str,
        upcoming: bool,
    ) -> Result<Vec<Visit>, StoreError> {
        let sql = if upcoming {
            "SELECT resource_type, resource_id, source_id, sort_date, status, display, json FROM resources
             WHERE profile_id = ? AND resource_type IN ('Encounter', 'Appointment') AND sort_key > ?
               AND (status IS NULL OR status NOT IN ('cancelled', 'entered-in-error', 'noshow'))
             ORDER BY sort_key, id LIMIT ?"
        } else {
            "SELECT resource_type, resource_id, source_id, sort_date, status, display, json FROM resources
             WHERE profile_id = ? AND resource_type = 'Encounter' AND sort_key <> '' AND sort_key <= ?
               AND (status IS NULL OR status NOT IN ('cancelled', 'entered-in-error', 'planned'))
             ORDER BY sort_key DESC, id DESC LIMIT ?"
        };
        let rows = sqlx::query(sql)
            .bind(scope.id())
            .bind(now)
            .bind(VISITS)
            .fetch_all(&self.db)
            .await?;
        rows.iter()
            .map(|r| {
                let json: String = r.try_get("json")?;
                let value: Value = serde_json::from_str(&json)
                    .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
                Ok(Visit {
                    resource_type: r.try_get("resource_type")?,
                    id: r.try_get("resource_id")?,
                    source_id: r.try_get("source_id")?,
                    date: r.try_get("sort_date")?,
                    status: r.try_get("status")?,
                    display: r.try_get("display")?,
                    details: visit_details(&value),
                })
            })
            .collect()
    }

    async fn source_names(&self, scope: &ProfileScope) -> Result<Vec<SourceName>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, kind FROM sources WHERE profile_id = ? ORDER BY created_at, id",
        )
        .bind(scope.id())
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceName {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// The visit details of stored rows `ids` (Encounters), by row.
pub(super) async fn visit_details_of(
    db: &crate::db::Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, VisitDetails>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT id, json FROM resources WHERE id IN (");
        super::duplicates::push_ids(&mut q, chunk.iter().copied());
        for row in q.build().fetch_all(db).await? {
            let json: String = row.try_get("json")?;
            let value: Value = serde_json::from_str(&json)
                .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
            out.insert(row.try_get("id")?, visit_details(&value));
        }
    }
    Ok(out)
}

/// Whether a test is a vital sign (listed apart from the lab results).
fn is_vital(test: &LabTest) -> bool {
    test.system == LOINC && VITAL_SIGNS.contains(&test.code.as_str())
}

/// Whether a test's latest result is flagged out of range.
fn out_of_range(test: &LabTest) -> bool {
    test.latest
        .as_ref()
        .is_some_and(|l| matches!(l.flag, Some("high" | "low" | "abnormal")))
}

/// What a visit's JSON says beyond the index: its end, class, reason, place
/// and clinician.
fn visit_details(v: &Value) -> VisitDetails {
    let text = |c: &Value| -> Option<String> {
        c["text"]
            .as_str()
            .or_else(|| {
                c["coding"]
                    .as_array()?
                    .iter()
                    .find_map(|c| c["display"].as_str())
            })
            .map(str::to_string)
    };
    let first = |field: &str| v[field].as_array().and_then(|a| a.first()).cloned();
    let class = v["class"]["display"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            v["class"]["code"].as_str().map(|c| {
                match c {
                    "AMB" => "Outpatient",
                    "EMER" => "Emergency",
                    "IMP" | "ACUTE" | "NONAC" => "Inpatient",
                    "OBSENC" => "Observation stay",
                    "VR" => "Virtual",
                    "HH" => "Home visit",
                    "SS" => "Day surgery",
                    other => other,
                }
                .to_string()
            })
        });
    let reason = first("reasonCode")
        .as_ref()
        .and_then(text)
        .or_else(|| {
            first("reasonReference").and_then(|r| r["display"].as_str().map(str::to_string))
        })
        // An appointment names its reason in `description` or its service type.
        .or_else(|| v["description"].as_str().map(str::to_string));
    let place = first("location")
        .and_then(|l| l["location"]["display"].as_str().map(str::to_string))
        .or_else(|| v["serviceProvider"]["display"].as_str().map(str::to_string));
    let clinician = v["participant"].as_array().and_then(|ps| {
        ps.iter().find_map(|p| {
            p["individual"]["display"]
                .as_str()
                .or_else(|| p["actor"]["display"].as_str())
                .filter(|_| {
                    p["actor"]["reference"]
                        .as_str()
                        .is_none_or(|r| !r.starts_with("Patient/"))
                })
                .map(str::to_string)
        })
    });
    let end = v["period"]["end"]
        .as_str()
        .or_else(|| v["end"].as_str())
        .map(str::to_string);
    VisitDetails {
        end,
        class,
        reason,
        place,
        clinician,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RecordStore, parse};
    use crate::auth::ProfileScope;
    use serde_json::{Value, json};

    const SCT: &str = "http://snomed.info/sct";

    fn condition(id: &str, name: &str, status: &str, onset: &str) -> Value {
        json!({"resourceType": "Condition", "id": id, "onsetDateTime": onset,
               "clinicalStatus": {"coding": [{"code": status}]},
               "code": {"coding": [{"system": SCT, "code": id, "display": name}]}})
    }

    fn med(id: &str, name: &str, status: &str, on: &str) -> Value {
        json!({"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order", "authoredOn": on,
               "medicationCodeableConcept": {"text": name}})
    }

    fn vaccine(id: &str, name: &str, on: &str) -> Value {
        json!({"resourceType": "Immunization", "id": id, "status": "completed", "occurrenceDateTime": on,
               "vaccineCode": {"text": name}})
    }

    fn result(id: &str, code: &str, value: &str, unit: &str, on: &str, high: f64) -> Value {
        let text = format!(
            r#"{{"resourceType": "Observation", "id": "{id}", "status": "final", "effectiveDateTime": "{on}",
                "code": {{"coding": [{{"system": "http://loinc.org", "code": "{code}", "display": "T{code}"}}]}},
                "valueQuantity": {{"value": {value}, "unit": "{unit}", "system": "http://unitsofmeasure.org", "code": "{unit}"}},
                "referenceRange": [{{"low": {{"value": 0}}, "high": {{"value": {high}}}}}]}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    fn visit(id: &str, start: &str, status: &str) -> Value {
        json!({"resourceType": "Encounter", "id": id, "status": status, "class": {"code": "EMER"},
               "type": [{"text": "Emergency visit"}], "period": {"start": start, "end": "2030-01-01T00:00:00Z"},
               "reasonCode": [{"coding": [{"display": "Broken arm"}]}],
               "location": [{"location": {"display": "St Mary's ER"}}],
               "serviceProvider": {"display": "St Mary's"},
               "participant": [{"individual": {"display": "Dr. Okafor"}}]})
    }

    const NOW: &str = "2026-06-01T00:00:00.000Z";

    async fn store_with(resources: Vec<Value>) -> (RecordStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open_with_test_source(dir.path()).await;
        let store = RecordStore::new(db);
        let parsed: Vec<_> = resources
            .iter()
            .map(|r| parse(&r.to_string()).unwrap())
            .collect();
        store.upsert_batch("s", &parsed).await.unwrap();
        (store, dir)
    }

    async fn summary_of(resources: Vec<Value>) -> (super::HealthSummary, super::Attention) {
        let (store, _dir) = store_with(resources).await;
        let scope = ProfileScope::for_tests("p");
        (
            store.health_summary(&scope, NOW).await.unwrap(),
            store.attention(&scope, NOW).await.unwrap(),
        )
    }

    fn shown(facts: &super::Facts) -> Vec<(&str, u64)> {
        facts
            .items
            .iter()
            .map(|f| (f.display.as_deref().unwrap_or("?"), f.records))
            .collect()
    }

    #[tokio::test]
    async fn sections_hold_what_is_current_grouped_newest_first() {
        let (s, attention) = summary_of(vec![
            condition("c1", "Hypertension", "active", "2015-01-01"),
            condition("c2", "Sprained ankle", "resolved", "2024-01-01"),
            condition("c3", "Asthma", "recurrence", "2020-01-01"),
            med("m1", "Lisinopril 10 MG", "stopped", "2015-02-01"),
            med("m2", "Lisinopril 10 MG", "active", "2025-02-01"),
            med("m3", "lisinopril 10 mg", "active", "2024-02-01"),
            med("m4", "Amoxicillin 500 MG", "completed", "2025-03-01"),
            json!({"resourceType": "AllergyIntolerance", "id": "a1", "code": {"text": "Peanut"}, "recordedDate": "2010-01-01"}),
            json!({"resourceType": "AllergyIntolerance", "id": "a2", "code": {"text": "Cat dander"},
                   "clinicalStatus": {"coding": [{"code": "resolved"}]}}),
            vaccine("i1", "Influenza", "2024-10-01"),
            vaccine("i2", "Influenza", "2025-10-01"),
            vaccine("i3", "Tdap", "2019-05-01"),
        ])
        .await;
        assert_eq!(shown(&s.problems), [("Asthma", 1), ("Hypertension", 1)]);
        assert_eq!(s.problems.total, 2, "resolved problems are not current");
        // The same medicine renewed is one line, shown by its latest order; a finished course is gone.
        assert_eq!(shown(&s.medications), [("Lisinopril 10 MG", 2)]);
        assert_eq!(s.medications.items[0].id, "m2");
        assert_eq!(
            shown(&s.allergies),
            [("Peanut", 1)],
            "no status counts, resolved does not"
        );
        assert_eq!(shown(&s.immunizations), [("Influenza", 2), ("Tdap", 1)]);
        assert_eq!(s.immunizations.items[0].id, "i2", "the latest dose");
        assert_eq!(s.immunizations.items[0].date.as_deref(), Some("2025-10-01"));
        assert_eq!(s.sources.len(), 1);
        assert_eq!(s.sources[0].id, "s");
        assert_eq!(attention.problems, 2);
    }

    #[tokio::test]
    async fn the_family_view_names_sources_that_need_a_look() {
        let (store, _dir) = store_with(vec![vaccine("i1", "Influenza", "2027-10-01")]).await;
        let scope = ProfileScope::for_tests("p");
        let calm = store.attention(&scope, NOW).await.unwrap();
        assert!(calm.sources.is_empty());
        assert_eq!(
            calm.latest, None,
            "a record dated after now is not the latest news"
        );
        sqlx::query("UPDATE sources SET status = 'needs-reconnect'")
            .execute(store.db())
            .await
            .unwrap();
        let worried = store.attention(&scope, NOW).await.unwrap();
        let named: Vec<(&str, &str)> = worried
            .sources
            .iter()
            .map(|s| (s.name.as_str(), s.status.as_str()))
            .collect();
        assert_eq!(named, [("s", "needs-reconnect")]);
    }

    #[tokio::test]
    async fn vitals_come_in_reading_order_and_abnormal_means_the_latest_result() {
        let (s, attention) = summary_of(vec![
            result("w1", "29463-7", "80.25", "kg", "2025-01-01", 500.0),
            result("h1", "8867-4", "72", "/min", "2025-01-01", 100.0),
            result("h0", "8867-4", "130", "/min", "2024-01-01", 100.0),
            // Glucose high now; creatinine was high once and is normal now.
            result("g1", "2345-7", "180.0", "mg/dL", "2025-03-01", 99.0),
            result("k1", "2160-0", "2.1", "mg/dL", "2023-01-01", 1.3),
            result("k2", "2160-0", "0.90", "mg/dL", "2025-01-01", 1.3),
            result("a1", "4548-4", "7.10", "%", "2025-04-01", 5.6),
        ])
        .await;
        let vitals: Vec<&str> = s.vitals.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(vitals, ["8867-4", "29463-7"], "heart rate before weight");
        let weight = s.vitals[1].latest.as_ref().unwrap();
        assert_eq!(weight.value.to_string(), "80.25", "the digits as sent");
        assert_eq!(s.vitals[0].latest.as_ref().unwrap().id, "h1");
        let abnormal: Vec<(&str, &str)> = s
            .abnormal
            .iter()
            .map(|t| (t.code.as_str(), t.latest.as_ref().unwrap().flag.unwrap()))
            .collect();
        assert_eq!(abnormal, [("4548-4", "high"), ("2345-7", "high")]);
        assert_eq!(s.abnormal_total, 2);
        assert_eq!(attention.abnormal, 2, "the family view counts the same");
        assert_eq!(attention.latest.as_deref(), Some("2025-04-01"));
        assert!(attention.sources.is_empty());
        assert_eq!(
            s.abnormal[0].latest.as_ref().unwrap().value.to_string(),
            "7.10"
        );
    }

    #[tokio::test]
    async fn visits_split_at_now_with_their_reason_place_and_clinician() {
        let mut resources: Vec<Value> = (1..=7)
            .map(|i| {
                visit(
                    &format!("e{i}"),
                    &format!("2025-0{i}-10T09:00:00Z"),
                    "finished",
                )
            })
            .collect();
        resources.push(visit("cancelled", "2025-08-01T09:00:00Z", "cancelled"));
        resources.push(
            json!({"resourceType": "Appointment", "id": "ap1", "status": "booked",
            "start": "2026-07-01T10:00:00Z", "description": "Annual physical",
            "participant": [{"actor": {"reference": "Patient/p", "display": "Me"}},
                            {"actor": {"reference": "Practitioner/d", "display": "Dr. Lee"}}]}),
        );
        resources.push(
            json!({"resourceType": "Appointment", "id": "ap2", "status": "cancelled",
            "start": "2026-06-15T10:00:00Z"}),
        );
        let (s, _) = summary_of(resources).await;
        let recent: Vec<&str> = s.visits.recent.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(
            recent,
            ["e7", "e6", "e5", "e4", "e3"],
            "newest five, cancelled left out"
        );
        let v = &s.visits.recent[0];
        assert_eq!(v.details.class.as_deref(), Some("Emergency"));
        assert_eq!(v.details.reason.as_deref(), Some("Broken arm"));
        assert_eq!(v.details.place.as_deref(), Some("St Mary's ER"));
        assert_eq!(v.details.clinician.as_deref(), Some("Dr. Okafor"));
        assert_eq!(v.display.as_deref(), Some("Emergency visit"));
        assert_eq!(v.details.end.as_deref(), Some("2030-01-01T00:00:00Z"));
        let upcoming: Vec<&str> = s.visits.upcoming.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(upcoming, ["ap1"]);
        assert_eq!(
            s.visits.upcoming[0].details.reason.as_deref(),
            Some("Annual physical")
        );
        assert_eq!(
            s.visits.upcoming[0].details.clinician.as_deref(),
            Some("Dr. Lee"),
            "the patient is not the clinician"
        );
    }
}
