//! Reading CDC's supporting data JSON into the typed [`Schedule`].
//!
//! The JSON mirrors CDC's XML: every value a string, every repeating element
//! an array, empty elements left out. Unknown keys are refused, so a new
//! release that adds a rule is noticed rather than silently ignored.

use super::*;
use serde::Deserialize;
use std::path::Path;

/// Why the supporting data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file is not the JSON expected.
    #[error("{file}: {message}")]
    Json {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A value is not what its key needs.
    #[error("{at}: {message}")]
    Value {
        /// Where (series and dose).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AntigenFile {
    antigen_supporting_data: RawAntigen,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAntigen {
    series: Vec<RawSeries>,
    contraindications: RawContraindications,
    immunity: Option<RawImmunity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawImmunity {
    #[serde(default)]
    clinical_history: Vec<RawGuideline>,
    date_of_birth: Option<RawBirthDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGuideline {
    guideline_code: String,
    guideline_title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBirthDate {
    immunity_birth_date: String,
    birth_country: Option<String>,
    #[serde(default)]
    exclusion: Vec<RawExclusion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawExclusion {
    exclusion_code: String,
    exclusion_title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawContraindications {
    vaccine_group: Option<RawContraindicationList>,
    vaccine: Option<RawContraindicationList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawContraindicationList {
    #[serde(default)]
    contraindication: Vec<RawContraindication>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawContraindication {
    observation_code: String,
    observation_title: String,
    contraindication_text: String,
    contraindication_guidance: Option<String>,
    begin_age: Option<String>,
    end_age: Option<String>,
    #[serde(default)]
    contraindicated_vaccine: Vec<RawVaccine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawVaccine {
    vaccine_type: String,
    cvx: String,
    begin_age: Option<String>,
    end_age: Option<String>,
    forecast_vaccine_type: Option<String>,
    volume: Option<String>,
    trade_name: Option<String>,
    mvx: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSeries {
    series_name: String,
    target_disease: String,
    vaccine_group: String,
    series_type: String,
    equivalent_series_groups: Option<String>,
    #[serde(default)]
    required_gender: Vec<String>,
    select_series: RawSelect,
    #[serde(default)]
    indication: Vec<RawIndication>,
    #[serde(default)]
    series_admin_guidance: Vec<String>,
    series_dose: Vec<RawDose>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSelect {
    default_series: String,
    product_path: String,
    series_group_name: String,
    series_group: String,
    series_priority: String,
    series_preference: Option<String>,
    max_age_to_start: Option<String>,
    min_age_to_start: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    code: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawIndication {
    observation_code: RawCode,
    description: String,
    begin_age: Option<String>,
    end_age: Option<String>,
    guidance: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDose {
    dose_number: String,
    recurring_dose: String,
    #[serde(default)]
    age: Vec<RawAge>,
    #[serde(default)]
    interval: Vec<RawInterval>,
    allowable_interval: Option<RawInterval>,
    #[serde(default)]
    preferable_vaccine: Vec<RawVaccine>,
    #[serde(default)]
    allowable_vaccine: Vec<RawVaccine>,
    #[serde(default)]
    inadvertent_vaccine: Vec<RawVaccine>,
    #[serde(default)]
    conditional_skip: Vec<RawSkip>,
    seasonal_recommendation: Option<RawSeason>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAge {
    abs_min_age: Option<String>,
    min_age: Option<String>,
    earliest_rec_age: Option<String>,
    latest_rec_age: Option<String>,
    max_age: Option<String>,
    effective_date: Option<String>,
    cessation_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawInterval {
    from_previous: String,
    from_target_dose: Option<String>,
    from_most_recent: Option<String>,
    from_relevant_obs: Option<RawCode>,
    abs_min_int: Option<String>,
    min_int: Option<String>,
    earliest_rec_int: Option<String>,
    latest_rec_int: Option<String>,
    interval_priority: Option<String>,
    effective_date: Option<String>,
    cessation_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSkip {
    context: String,
    set_logic: String,
    set: Vec<RawSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSet {
    #[serde(rename = "setID")]
    set_id: String,
    set_description: String,
    condition_logic: Option<String>,
    effective_date: Option<String>,
    cessation_date: Option<String>,
    condition: Vec<RawCondition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCondition {
    #[serde(rename = "conditionID")]
    condition_id: String,
    condition_type: String,
    begin_age: Option<String>,
    end_age: Option<String>,
    interval: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    dose_count: Option<String>,
    dose_type: Option<String>,
    dose_count_logic: Option<String>,
    vaccine_types: Option<String>,
    series_groups: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSeason {
    start_date: String,
    end_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScheduleFile {
    schedule_supporting_data: RawSchedule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSchedule {
    live_virus_conflicts: RawConflicts,
    vaccine_groups: RawGroups,
    vaccine_group_to_antigen_map: RawGroupMap,
    cvx_to_antigen_map: RawCvxMap,
    observations: RawObservations,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConflicts {
    live_virus_conflict: Vec<RawConflict>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConflict {
    previous: RawVaccine,
    current: RawVaccine,
    conflict_begin_interval: String,
    min_conflict_end_interval: String,
    conflict_end_interval: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGroups {
    vaccine_group: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGroup {
    name: String,
    administer_full_vaccine_group: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGroupMap {
    vaccine_group_map: Vec<RawGroupAntigens>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGroupAntigens {
    name: String,
    antigen: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCvxMap {
    cvx_map: Vec<RawCvx>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCvx {
    cvx: String,
    short_description: String,
    association: Vec<RawAssociation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAssociation {
    antigen: String,
    association_begin_age: Option<String>,
    association_end_age: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawObservations {
    observation: Vec<RawObservation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawObservation {
    observation_code: String,
    observation_title: String,
    indication_text: Option<String>,
    contraindication_text: Option<String>,
    clarifying_text: Option<String>,
    coded_values: Option<RawCodedValues>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCodedValues {
    coded_value: Vec<RawCodedValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCodedValue {
    code: String,
    code_system: String,
    text: String,
}

/// Where a conversion is, for error messages.
struct At<'a>(&'a str);

impl At<'_> {
    fn err(&self, message: impl Into<String>) -> LoadError {
        LoadError::Value {
            at: self.0.to_string(),
            message: message.into(),
        }
    }

    fn duration(&self, text: Option<String>) -> Result<Option<Duration>, LoadError> {
        text.map(|t| Duration::parse(&t).map_err(|e| self.err(e.to_string())))
            .transpose()
    }

    fn date(&self, text: Option<String>) -> Result<Option<Date>, LoadError> {
        text.map(|t| Date::parse(&t).map_err(|e| self.err(e.to_string())))
            .transpose()
    }

    fn yes_no(&self, text: &str) -> Result<bool, LoadError> {
        match text {
            "Yes" | "Y" => Ok(true),
            "No" | "N" => Ok(false),
            other => Err(self.err(format!("{other:?} is not Yes or No"))),
        }
    }

    fn validity(
        &self,
        effective: Option<String>,
        cessation: Option<String>,
    ) -> Result<Validity, LoadError> {
        Ok(Validity {
            effective: self.date(effective)?,
            cessation: self.date(cessation)?,
        })
    }
}

fn text(s: String) -> Text {
    Cow::Owned(s)
}

/// A `;`-separated CVX list ("09;28; 35").
fn cvx_list(s: Option<String>) -> List<Text> {
    s.map(|s| {
        s.split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| text(c.to_string()))
            .collect::<Vec<_>>()
    })
    .unwrap_or_default()
    .into()
}

fn vaccine(at: &At, v: RawVaccine) -> Result<VaccineAtAges, LoadError> {
    Ok(VaccineAtAges {
        cvx: text(v.cvx),
        vaccine_type: text(v.vaccine_type),
        begin_age: at.duration(v.begin_age)?,
        end_age: at.duration(v.end_age)?,
    })
}

fn interval(at: &At, i: RawInterval) -> Result<Interval, LoadError> {
    let from = if at.yes_no(&i.from_previous)? {
        IntervalFrom::Previous
    } else if let Some(n) = i.from_target_dose {
        IntervalFrom::TargetDose(
            n.trim()
                .parse()
                .map_err(|_| at.err(format!("fromTargetDose {n:?}")))?,
        )
    } else if i.from_most_recent.is_some() {
        IntervalFrom::MostRecent(cvx_list(i.from_most_recent))
    } else if let Some(obs) = i.from_relevant_obs {
        IntervalFrom::Observation(Coded {
            code: text(obs.code),
            title: text(obs.text),
        })
    } else {
        return Err(at.err("an interval not from the previous dose names nothing to measure from"));
    };
    let priority_override = match i.interval_priority.as_deref() {
        None => false,
        Some(p) if p.eq_ignore_ascii_case("override") => true,
        Some(other) => return Err(at.err(format!("intervalPriority {other:?}"))),
    };
    Ok(Interval {
        from,
        abs_min: at.duration(i.abs_min_int)?,
        min: at.duration(i.min_int)?,
        earliest_recommended: at.duration(i.earliest_rec_int)?,
        latest_recommended: at.duration(i.latest_rec_int)?,
        priority_override,
        validity: at.validity(i.effective_date, i.cessation_date)?,
    })
}

fn logic(at: &At, s: Option<&str>, single: Logic) -> Result<Logic, LoadError> {
    match s.map(str::to_ascii_uppercase).as_deref() {
        None | Some("N/A") => Ok(single),
        Some("AND") => Ok(Logic::And),
        Some("OR") => Ok(Logic::Or),
        Some(other) => Err(at.err(format!("logic {other:?}"))),
    }
}

fn condition(at: &At, c: RawCondition) -> Result<Condition, LoadError> {
    let kind = match c.condition_type.to_ascii_lowercase().as_str() {
        "age" => ConditionKind::Age,
        "interval" => ConditionKind::Interval,
        "completed series" => ConditionKind::CompletedSeries,
        "vaccine count by age" => ConditionKind::VaccineCountByAge,
        "vaccine count by date" => ConditionKind::VaccineCountByDate,
        "vaccine count by date and age" => ConditionKind::VaccineCountByDateAndAge,
        other => return Err(at.err(format!("conditionType {other:?}"))),
    };
    let dose_type = match c
        .dose_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("valid") => Some(DoseType::Valid),
        Some("total") => Some(DoseType::Total),
        Some(other) => return Err(at.err(format!("doseType {other:?}"))),
    };
    let count_logic = match c
        .dose_count_logic
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("greater than") => Some(CountLogic::GreaterThan),
        Some("equal to") => Some(CountLogic::EqualTo),
        Some("less than") => Some(CountLogic::LessThan),
        Some(other) => return Err(at.err(format!("doseCountLogic {other:?}"))),
    };
    let dose_count = c
        .dose_count
        .map(|n| {
            n.trim()
                .parse()
                .map_err(|_| at.err(format!("doseCount {n:?}")))
        })
        .transpose()?;
    Ok(Condition {
        id: text(c.condition_id),
        kind,
        begin_age: at.duration(c.begin_age)?,
        end_age: at.duration(c.end_age)?,
        interval: at.duration(c.interval)?,
        start_date: at.date(c.start_date)?,
        end_date: at.date(c.end_date)?,
        dose_count,
        dose_type,
        count_logic,
        vaccine_types: cvx_list(c.vaccine_types),
        series_groups: cvx_list(c.series_groups),
    })
}

fn dose(series: &str, d: RawDose) -> Result<SeriesDose, LoadError> {
    let place = format!("{series}, {}", d.dose_number);
    let at = At(&place);
    let number = d
        .dose_number
        .trim()
        .strip_prefix("Dose ")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| at.err("doseNumber is not \"Dose N\""))?;
    let ages = d
        .age
        .into_iter()
        .map(|a| {
            Ok(AgeRule {
                abs_min: at.duration(a.abs_min_age)?,
                min: at.duration(a.min_age)?,
                earliest_recommended: at.duration(a.earliest_rec_age)?,
                latest_recommended: at.duration(a.latest_rec_age)?,
                max: at.duration(a.max_age)?,
                validity: at.validity(a.effective_date, a.cessation_date)?,
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let intervals = d
        .interval
        .into_iter()
        .map(|i| interval(&at, i))
        .collect::<Result<Vec<_>, _>>()?;
    let preferable = d
        .preferable_vaccine
        .into_iter()
        .map(|v| {
            let forecast = at.yes_no(v.forecast_vaccine_type.as_deref().unwrap_or("N"))?;
            let (volume, trade_name, mvx) = (v.volume.clone(), v.trade_name.clone(), v.mvx.clone());
            Ok(PreferableVaccine {
                vaccine: vaccine(&at, v)?,
                forecast,
                volume: volume.map(text),
                trade_name: trade_name.map(text),
                mvx: mvx.map(text),
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let conditional_skips = d
        .conditional_skip
        .into_iter()
        .map(|k| {
            let context = match k.context.to_ascii_lowercase().as_str() {
                "evaluation" => SkipContext::Evaluation,
                "forecast" => SkipContext::Forecast,
                "both" => SkipContext::Both,
                other => return Err(at.err(format!("context {other:?}"))),
            };
            let sets = k
                .set
                .into_iter()
                .map(|s| {
                    Ok(SkipSet {
                        id: text(s.set_id),
                        description: text(s.set_description),
                        logic: logic(&at, s.condition_logic.as_deref(), Logic::And)?,
                        validity: at.validity(s.effective_date, s.cessation_date)?,
                        conditions: s
                            .condition
                            .into_iter()
                            .map(|c| condition(&at, c))
                            .collect::<Result<Vec<_>, _>>()?
                            .into(),
                    })
                })
                .collect::<Result<Vec<_>, LoadError>>()?;
            Ok(ConditionalSkip {
                context,
                set_logic: logic(&at, Some(&k.set_logic), Logic::Or)?,
                sets: sets.into(),
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    Ok(SeriesDose {
        number,
        recurring: at.yes_no(&d.recurring_dose)?,
        ages: ages.into(),
        intervals: intervals.into(),
        allowable_interval: d.allowable_interval.map(|i| interval(&at, i)).transpose()?,
        preferable: preferable.into(),
        allowable: d
            .allowable_vaccine
            .into_iter()
            .map(|v| vaccine(&at, v))
            .collect::<Result<Vec<_>, _>>()?
            .into(),
        inadvertent: d
            .inadvertent_vaccine
            .into_iter()
            .map(|v| vaccine(&at, v))
            .collect::<Result<Vec<_>, _>>()?
            .into(),
        conditional_skips: conditional_skips.into(),
        seasonal: d
            .seasonal_recommendation
            .map(|s| {
                Ok::<_, LoadError>(Seasonal {
                    start: at
                        .date(Some(s.start_date))?
                        .ok_or_else(|| at.err("no season start"))?,
                    end: at.date(s.end_date)?,
                })
            })
            .transpose()?,
    })
}

fn series(s: RawSeries) -> Result<Series, LoadError> {
    let name = s.series_name.clone();
    let at = At(&name);
    let series_type = match s.series_type.as_str() {
        "Standard" => SeriesType::Standard,
        "Risk" => SeriesType::Risk,
        "Evaluation Only" => SeriesType::EvaluationOnly,
        other => return Err(at.err(format!("seriesType {other:?}"))),
    };
    let required_genders = s
        .required_gender
        .iter()
        .map(|g| match g.as_str() {
            "Female" => Ok(Gender::Female),
            "Male" => Ok(Gender::Male),
            "Unknown" => Ok(Gender::Unknown),
            other => Err(at.err(format!("requiredGender {other:?}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let select = SelectSeries {
        default_series: at.yes_no(&s.select_series.default_series)?,
        product_path: at.yes_no(&s.select_series.product_path)?,
        group_name: text(s.select_series.series_group_name),
        group: text(s.select_series.series_group),
        priority: text(s.select_series.series_priority),
        preference: s
            .select_series
            .series_preference
            .map(|p| {
                p.trim()
                    .parse()
                    .map_err(|_| at.err(format!("seriesPreference {p:?}")))
            })
            .transpose()?,
        max_age_to_start: at.duration(s.select_series.max_age_to_start)?,
        min_age_to_start: at.duration(s.select_series.min_age_to_start)?,
    };
    let indications = s
        .indication
        .into_iter()
        .map(|i| {
            Ok(Indication {
                observation: Coded {
                    code: text(i.observation_code.code),
                    title: text(i.observation_code.text),
                },
                description: text(i.description),
                begin_age: at.duration(i.begin_age)?,
                end_age: at.duration(i.end_age)?,
                guidance: i.guidance.map(text),
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let doses = s
        .series_dose
        .into_iter()
        .map(|d| dose(&name, d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Series {
        name: text(s.series_name),
        target_disease: text(s.target_disease),
        vaccine_group: text(s.vaccine_group),
        series_type,
        equivalent_series_groups: cvx_list(s.equivalent_series_groups),
        required_genders: required_genders.into(),
        select,
        indications: indications.into(),
        admin_guidance: s
            .series_admin_guidance
            .into_iter()
            .map(text)
            .collect::<Vec<_>>()
            .into(),
        doses: doses.into(),
    })
}

fn antigen(file: &str, json: &str) -> Result<Antigen, LoadError> {
    let raw: AntigenFile = serde_json::from_str(json).map_err(|e| LoadError::Json {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    let raw = raw.antigen_supporting_data;
    let series = raw
        .series
        .into_iter()
        .map(series)
        .collect::<Result<Vec<_>, _>>()?;
    let name = match series.first() {
        Some(s) if series.iter().all(|o| o.target_disease == s.target_disease) => {
            s.target_disease.clone()
        }
        _ => {
            return Err(LoadError::Value {
                at: file.to_string(),
                message: "its series are not all of one antigen".into(),
            });
        }
    };
    let at = At(file);
    let immunity = raw
        .immunity
        .map(|i| {
            Ok::<_, LoadError>(Immunity {
                clinical_history: i
                    .clinical_history
                    .into_iter()
                    .map(|g| Coded {
                        code: text(g.guideline_code),
                        title: text(g.guideline_title),
                    })
                    .collect::<Vec<_>>()
                    .into(),
                birth_date: i
                    .date_of_birth
                    .map(|b| {
                        Ok::<_, LoadError>(BirthDateImmunity {
                            before: at
                                .date(Some(b.immunity_birth_date))?
                                .ok_or_else(|| at.err("no immunity birth date"))?,
                            birth_country: b.birth_country.map(text),
                            exclusions: b
                                .exclusion
                                .into_iter()
                                .map(|e| Coded {
                                    code: text(e.exclusion_code),
                                    title: text(e.exclusion_title),
                                })
                                .collect::<Vec<_>>()
                                .into(),
                        })
                    })
                    .transpose()?,
            })
        })
        .transpose()?;
    let contraindications = raw
        .contraindications
        .vaccine_group
        .map(|l| l.contraindication)
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            Ok(AntigenContraindication {
                observation: Coded {
                    code: text(c.observation_code),
                    title: text(c.observation_title),
                },
                text: text(c.contraindication_text),
                guidance: c.contraindication_guidance.map(text),
                begin_age: at.duration(c.begin_age)?,
                end_age: at.duration(c.end_age)?,
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    let vaccine_contraindications = raw
        .contraindications
        .vaccine
        .map(|l| l.contraindication)
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            Ok(VaccineContraindication {
                observation: Coded {
                    code: text(c.observation_code),
                    title: text(c.observation_title),
                },
                text: text(c.contraindication_text),
                guidance: c.contraindication_guidance.map(text),
                vaccines: c
                    .contraindicated_vaccine
                    .into_iter()
                    .map(|v| vaccine(&at, v))
                    .collect::<Result<Vec<_>, _>>()?
                    .into(),
            })
        })
        .collect::<Result<Vec<_>, LoadError>>()?;
    Ok(Antigen {
        name,
        series: series.into(),
        immunity,
        contraindications: contraindications.into(),
        vaccine_contraindications: vaccine_contraindications.into(),
    })
}

impl Schedule {
    /// Reads the schedule file's JSON and each antigen file's JSON, as
    /// `(file name, text)` pairs (names are for error messages).
    pub fn from_json<'a>(
        schedule: (&str, &str),
        antigens: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Schedule, LoadError> {
        let (file, json) = schedule;
        let raw: ScheduleFile = serde_json::from_str(json).map_err(|e| LoadError::Json {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let raw = raw.schedule_supporting_data;
        let at = At(file);
        let mut antigens = antigens
            .into_iter()
            .map(|(file, json)| antigen(file, json))
            .collect::<Result<Vec<_>, _>>()?;
        antigens.sort_by(|a, b| a.name.cmp(&b.name));
        let live_virus_conflicts = raw
            .live_virus_conflicts
            .live_virus_conflict
            .into_iter()
            .map(|c| {
                let need =
                    |d: Option<Duration>| d.ok_or_else(|| at.err("a conflict interval is empty"));
                Ok(LiveVirusConflict {
                    previous_cvx: text(c.previous.cvx),
                    current_cvx: text(c.current.cvx),
                    begin: need(at.duration(Some(c.conflict_begin_interval))?)?,
                    min_end: need(at.duration(Some(c.min_conflict_end_interval))?)?,
                    end: need(at.duration(Some(c.conflict_end_interval))?)?,
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let vaccine_groups = raw
            .vaccine_groups
            .vaccine_group
            .into_iter()
            .map(|g| {
                let antigens = raw
                    .vaccine_group_to_antigen_map
                    .vaccine_group_map
                    .iter()
                    .find(|m| m.name == g.name)
                    .ok_or_else(|| at.err(format!("vaccine group {:?} has no antigens", g.name)))?
                    .antigen
                    .iter()
                    .cloned()
                    .map(text)
                    .collect::<Vec<_>>();
                Ok(VaccineGroup {
                    administer_full_group: at
                        .yes_no(g.administer_full_vaccine_group.as_deref().unwrap_or("No"))?,
                    name: text(g.name),
                    antigens: antigens.into(),
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let cvx_map = raw
            .cvx_to_antigen_map
            .cvx_map
            .into_iter()
            .map(|c| {
                Ok(CvxAntigens {
                    cvx: text(c.cvx),
                    description: text(c.short_description),
                    antigens: c
                        .association
                        .into_iter()
                        .map(|a| {
                            Ok(Association {
                                antigen: text(a.antigen),
                                begin_age: at.duration(a.association_begin_age)?,
                                end_age: at.duration(a.association_end_age)?,
                            })
                        })
                        .collect::<Result<Vec<_>, LoadError>>()?
                        .into(),
                })
            })
            .collect::<Result<Vec<_>, LoadError>>()?;
        let observations = raw
            .observations
            .observation
            .into_iter()
            .map(|o| ObservationDef {
                observation: Coded {
                    code: text(o.observation_code),
                    title: text(o.observation_title),
                },
                indication_text: o.indication_text.map(text),
                contraindication_text: o.contraindication_text.map(text),
                clarifying_text: o.clarifying_text.map(text),
                coded_values: o
                    .coded_values
                    .map(|v| v.coded_value)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| CodedValue {
                        code: text(v.code),
                        system: text(v.code_system),
                        text: text(v.text),
                    })
                    .collect::<Vec<_>>()
                    .into(),
            })
            .collect::<Vec<_>>();
        Ok(Schedule {
            antigens: antigens.into(),
            live_virus_conflicts: live_virus_conflicts.into(),
            vaccine_groups: vaccine_groups.into(),
            cvx_map: cvx_map.into(),
            observations: observations.into(),
        })
    }

    /// Reads `ScheduleSupportingData.json` and every
    /// `AntigenSupportingData-*.json` in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Schedule, LoadError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| LoadError::Io {
                file: path.display().to_string(),
                source,
            })
        };
        let schedule = read(&dir.join("ScheduleSupportingData.json"))?;
        let mut antigens = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
            file: dir.display().to_string(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| LoadError::Io {
                    file: dir.display().to_string(),
                    source,
                })?
                .path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if name.starts_with("AntigenSupportingData-") && name.ends_with(".json") {
                antigens.push((name, read(&path)?));
            }
        }
        Schedule::from_json(
            ("ScheduleSupportingData.json", &schedule),
            antigens.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        )
    }
}
