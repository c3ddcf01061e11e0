//! The whole assessment: history organized, every relevant series evaluated
//! and forecast, the best chosen (8.8), and forecasts per vaccine group (chapter 9).

use crate::data::*;
use crate::date::Date;
use crate::input::Patient;
use crate::organize::{AntigenDose, DoseGiven, organize};
use crate::select::{prioritized, relevant};
use crate::series::*;
use std::collections::{BTreeSet, HashSet};

/// One antigen's series as assessed.
#[derive(Debug, Clone)]
pub struct AntigenResult<'s> {
    /// The antigen.
    pub antigen: &'s Antigen,
    /// Its relevant patient series, evaluated and forecast.
    pub series: Vec<PatientSeries<'s>>,
    /// Indexes of its best patient series.
    pub best: Vec<usize>,
}

/// One dose as a vaccine group forecast judges it.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseResult {
    /// Index of the dose in the history.
    pub dose: usize,
    /// The target dose it was judged against (1-based), when it was.
    pub target: Option<u32>,
    /// Its status.
    pub status: EvalStatus,
    /// Why, in the order the logic found them.
    pub reasons: Vec<Reason>,
    /// The series that judged it.
    pub series: String,
}

/// A vaccine group's forecast for one series group (chapter 9).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupForecast {
    /// The vaccine group ("MMR").
    pub vaccine_group: String,
    /// The series group of its best series ("1").
    pub series_group: String,
    /// Its name ("Standard").
    pub series_group_name: String,
    /// Whether it holds a risk series (the person has an indication for it).
    pub risk: bool,
    /// The status.
    pub status: SeriesStatus,
    /// Why, when nothing is due.
    pub reasons: Vec<ForecastReason>,
    /// The next dose's number.
    pub dose_number: Option<u32>,
    /// Earliest date.
    pub earliest: Option<Date>,
    /// Recommended date.
    pub recommended: Option<Date>,
    /// Past due date.
    pub past_due: Option<Date>,
    /// Latest date.
    pub latest: Option<Date>,
    /// CVX codes recommended.
    pub vaccines: Vec<String>,
    /// The antigens whose best series it holds.
    pub antigens: Vec<String>,
    /// The series it holds (their names).
    pub series: Vec<String>,
    /// Each dose of the group's vaccines, as the best series judged it.
    pub doses: Vec<DoseResult>,
    /// Observation codes of contraindications that apply.
    pub contraindications: Vec<String>,
}

/// The assessment of one person.
#[derive(Debug, Clone)]
pub struct Assessment<'s> {
    /// Each antigen.
    pub antigens: Vec<AntigenResult<'s>>,
    /// Each vaccine group forecast.
    pub groups: Vec<GroupForecast>,
}

/// Assesses `patient`'s `history` on `assessment` against `schedule`.
pub fn assess<'s>(
    schedule: &'s Schedule,
    patient: &Patient,
    history: &[DoseGiven],
    assessment: Date,
) -> Assessment<'s> {
    let records = organize(schedule, patient.birth, history);
    let ctx = Context {
        schedule,
        patient,
        history,
        assessment,
    };
    let mut antigens = Vec::new();
    for antigen in schedule.antigens.iter() {
        let mine: Vec<&AntigenDose> = records
            .iter()
            .filter(|r| r.antigen == antigen.name)
            .collect();
        let mut series: Vec<PatientSeries> = antigen
            .series
            .iter()
            .filter(|s| relevant(s, patient, assessment))
            .map(PatientSeries::new)
            .collect();
        // Series groups that other series' skips ask about ("Completed Series") go first.
        let asked: HashSet<&str> = antigen
            .series
            .iter()
            .flat_map(|s| s.doses.iter())
            .flat_map(|d| d.conditional_skips.iter())
            .flat_map(|k| k.sets.iter())
            .flat_map(|s| s.conditions.iter())
            .flat_map(|c| c.series_groups.iter())
            .map(|g| &**g)
            .collect();
        series.sort_by_key(|ps| !asked.contains(&*ps.series.select.group));
        let mut completed = HashSet::new();
        for ps in series.iter_mut() {
            ps.evaluate(&ctx, &mine, &completed);
            ps.forecast(&ctx, antigen, &completed);
            if ps
                .forecast
                .as_ref()
                .is_some_and(|f| f.status == SeriesStatus::Complete)
            {
                completed.insert(ps.series.select.group.to_string());
            }
        }
        let best = best_series(&series, patient);
        antigens.push(AntigenResult {
            antigen,
            series,
            best,
        });
    }
    let groups = schedule
        .vaccine_groups
        .iter()
        .flat_map(|vg| group_forecasts(schedule, vg, &antigens, history))
        .collect();
    Assessment { antigens, groups }
}

/// The forecast to show first among a vaccine group's forecasts (one per
/// series group) on `day`: a dose a risk series asks for (the person has its
/// indication), then a dose due now, then a series complete, then a
/// dose due later (the soonest), immunity, a contraindication, nothing
/// recommended, and aged out last; on a tie a risk series' forecast, then the
/// soonest. A child who finished the childhood series
/// is shown as complete, not as due for the series that starts at 50.
pub fn primary<'a>(forecasts: &[&'a GroupForecast], day: Date) -> Option<&'a GroupForecast> {
    let rank = |f: &GroupForecast| match f.status {
        SeriesStatus::NotComplete if f.risk => 0,
        SeriesStatus::NotComplete if f.earliest.is_none_or(|e| e <= day) => 1,
        SeriesStatus::Complete => 2,
        SeriesStatus::NotComplete => 3,
        SeriesStatus::Immune => 4,
        SeriesStatus::Contraindicated => 5,
        SeriesStatus::NotRecommended => 6,
        SeriesStatus::AgedOut => 7,
    };
    forecasts
        .iter()
        .min_by_key(|f| (rank(f), !f.risk, f.earliest))
        .copied()
}

/// 8.8 (Table 8-14): the prioritized series of each series group that are best.
fn best_series(series: &[PatientSeries], patient: &Patient) -> Vec<usize> {
    let groups: BTreeSet<&str> = series.iter().map(|s| &*s.series.select.group).collect();
    let chosen: Vec<(&str, usize)> = groups
        .iter()
        .filter_map(|g| {
            let members: Vec<usize> = (0..series.len())
                .filter(|i| &*series[*i].series.select.group == *g)
                .collect();
            let refs: Vec<&PatientSeries> = members.iter().map(|i| &series[*i]).collect();
            prioritized(&refs, patient).map(|k| (*g, members[k]))
        })
        .collect();
    let complete = |i: usize| {
        series[i]
            .forecast
            .as_ref()
            .is_some_and(|f| f.status == SeriesStatus::Complete)
    };
    // The groups a series names as equivalent to its own: a complete series
    // there makes it redundant. The relation is read as written, one way: a
    // risk series names none, so a complete childhood series does not hide it.
    let equivalent = |a: (&str, usize), b: (&str, usize)| {
        a.0 != b.0
            && series[a.1]
                .series
                .equivalent_series_groups
                .iter()
                .any(|g| g == b.0)
    };
    chosen
        .iter()
        .filter(|p| {
            let ps = &series[p.1];
            if complete(p.1) {
                return true;
            }
            let others: Vec<&(&str, usize)> =
                chosen.iter().filter(|o| equivalent(**p, **o)).collect();
            if others.iter().any(|o| complete(o.1)) {
                return false;
            }
            match ps.series.series_type {
                SeriesType::EvaluationOnly => false,
                SeriesType::Risk => true,
                SeriesType::Standard => !others
                    .iter()
                    .any(|o| series[o.1].series.series_type == SeriesType::Risk),
            }
        })
        .map(|p| p.1)
        .collect()
}

fn earliest_of(dates: impl Iterator<Item = Option<Date>>) -> Option<Date> {
    dates.flatten().min()
}

fn latest_of(dates: impl Iterator<Item = Option<Date>>) -> Option<Date> {
    dates.flatten().max()
}

/// Chapter 9: one forecast per series group of the vaccine group's best series.
fn group_forecasts(
    schedule: &Schedule,
    vg: &VaccineGroup,
    antigens: &[AntigenResult],
    history: &[DoseGiven],
) -> Vec<GroupForecast> {
    let members: Vec<(&AntigenResult, &PatientSeries)> = antigens
        .iter()
        .filter(|a| vg.antigens.contains(&a.antigen.name))
        .flat_map(|a| a.best.iter().map(move |i| (a, &a.series[*i])))
        .collect();
    let groups: BTreeSet<&str> = members
        .iter()
        .map(|(_, ps)| &*ps.series.select.group)
        .collect();
    groups
        .into_iter()
        .filter_map(|g| {
            let contained: Vec<(&AntigenResult, &PatientSeries)> = members
                .iter()
                .filter(|(_, ps)| &*ps.series.select.group == g)
                .copied()
                .collect();
            let forecasts: Vec<&Forecast> = contained
                .iter()
                .filter_map(|(_, ps)| ps.forecast.as_ref())
                .collect();
            let first = forecasts.first()?;
            let statuses: Vec<SeriesStatus> = forecasts.iter().map(|f| f.status).collect();
            let status = if vg.antigens.len() == 1 {
                first.status
            } else if statuses.contains(&SeriesStatus::Contraindicated) {
                SeriesStatus::Contraindicated
            } else if statuses.contains(&SeriesStatus::AgedOut) {
                SeriesStatus::AgedOut
            } else if statuses.contains(&SeriesStatus::NotRecommended) {
                SeriesStatus::NotRecommended
            } else if statuses.contains(&SeriesStatus::NotComplete) {
                SeriesStatus::NotComplete
            } else if statuses.iter().all(|s| *s == SeriesStatus::Immune) {
                SeriesStatus::Immune
            } else {
                SeriesStatus::Complete
            };
            let due: Vec<&Forecast> = forecasts
                .iter()
                .copied()
                .filter(|f| f.status == SeriesStatus::NotComplete)
                .collect();
            let earliest = if vg.antigens.len() == 1 {
                earliest_of(due.iter().map(|f| f.earliest))
            } else {
                // MULTIANTVG-1: a forecast whose intervals take priority pulls the group forward.
                let priority = contained.iter().any(|(_, ps)| {
                    let f = ps.forecast.as_ref();
                    f.filter(|f| f.status == SeriesStatus::NotComplete)
                        .and_then(|f| f.target)
                        .map(|t| &ps.series.doses[ps.targets[t].series_dose])
                        .is_some_and(|d| {
                            !d.intervals.is_empty()
                                && d.intervals.iter().all(|i| i.priority_override)
                        })
                });
                if priority {
                    let last_given = history
                        .iter()
                        .filter(|d| {
                            schedule.cvx(&d.cvx).is_some_and(|m| {
                                m.antigens.iter().any(|a| vg.antigens.contains(&a.antigen))
                            })
                        })
                        .map(|d| d.date)
                        .max();
                    latest_of([earliest_of(due.iter().map(|f| f.earliest)), last_given].into_iter())
                } else {
                    latest_of(due.iter().map(|f| f.earliest))
                }
            };
            let (recommended, past_due) = if status == SeriesStatus::NotComplete {
                (
                    latest_of(
                        [earliest_of(due.iter().map(|f| f.recommended)), earliest].into_iter(),
                    ),
                    earliest_of(due.iter().map(|f| f.past_due))
                        .map(|p| earliest.map_or(p, |e| p.max(e))),
                )
            } else {
                (None, None)
            };
            let numbers = due.iter().filter_map(|f| f.dose_number);
            let dose_number = if status != SeriesStatus::NotComplete {
                None
            } else if vg.administer_full_group {
                numbers.min()
            } else {
                numbers.max()
            };
            let mut reasons: Vec<ForecastReason> =
                forecasts.iter().filter_map(|f| f.reason).collect();
            reasons.dedup();
            let mut vaccines: Vec<String> = due.iter().flat_map(|f| f.vaccines.clone()).collect();
            vaccines.sort();
            vaccines.dedup();
            let mut contraindications: Vec<String> = forecasts
                .iter()
                .flat_map(|f| f.contraindications.clone())
                .collect();
            contraindications.sort();
            contraindications.dedup();
            Some(GroupForecast {
                vaccine_group: vg.name.to_string(),
                series_group: g.to_string(),
                series_group_name: contained[0].1.series.select.group_name.to_string(),
                risk: contained
                    .iter()
                    .any(|(_, ps)| ps.series.series_type == SeriesType::Risk),
                status,
                reasons,
                dose_number,
                earliest: if status == SeriesStatus::NotComplete {
                    earliest
                } else {
                    None
                },
                recommended,
                past_due,
                latest: if status == SeriesStatus::NotComplete {
                    earliest_of(due.iter().map(|f| f.latest))
                } else {
                    None
                },
                vaccines,
                antigens: contained
                    .iter()
                    .map(|(a, _)| a.antigen.name.to_string())
                    .collect(),
                series: contained
                    .iter()
                    .map(|(_, ps)| ps.series.name.to_string())
                    .collect(),
                doses: dose_results(&contained),
                contraindications,
            })
        })
        .collect()
}

/// Each dose as the group's series judged it: one not valid in any antigen is not valid.
fn dose_results(contained: &[(&AntigenResult, &PatientSeries)]) -> Vec<DoseResult> {
    let mut doses: BTreeSet<usize> = BTreeSet::new();
    for (_, ps) in contained {
        doses.extend(ps.evaluations.iter().map(|e| e.dose));
    }
    let rank = |s: EvalStatus| match s {
        EvalStatus::SubStandard => 0,
        EvalStatus::NotValid => 1,
        EvalStatus::Extraneous => 2,
        EvalStatus::Valid => 3,
    };
    doses
        .into_iter()
        .filter_map(|dose| {
            contained
                .iter()
                .flat_map(|(_, ps)| {
                    ps.evaluations
                        .iter()
                        .filter(move |e| e.dose == dose)
                        .map(move |e| (e, ps.series.name.to_string()))
                })
                .min_by_key(|(e, _)| rank(e.status))
                .map(|(e, series)| DoseResult {
                    dose,
                    target: e.target,
                    status: e.status,
                    reasons: e.reasons.clone(),
                    series,
                })
        })
        .collect()
}
