//! Chapter 5 (which series are relevant) and chapter 8 (which of them is best).

use crate::data::*;
use crate::date::{Date, EARLIEST, LATEST};
use crate::input::Patient;
use crate::series::{EvalStatus, PatientSeries, SeriesStatus, TargetStatus};

/// Table 5-5: whether `series` is relevant to the patient on `day`.
pub fn relevant(series: &Series, patient: &Patient, day: Date) -> bool {
    if !series.required_genders.is_empty() && !series.required_genders.contains(&patient.gender) {
        return false;
    }
    match series.series_type {
        SeriesType::Standard | SeriesType::EvaluationOnly => true,
        // Table 5-4: an indication applies when the person has its observation, within its ages.
        SeriesType::Risk => series.indications.iter().any(|i| {
            let begin = i.begin_age.map_or(EARLIEST, |a| patient.birth.plus(&a));
            let end = i.end_age.map_or(LATEST, |a| patient.birth.plus(&a));
            begin <= day && day < end && patient.has(&i.observation.code, day)
        }),
    }
}

fn status(ps: &PatientSeries) -> Option<SeriesStatus> {
    ps.forecast.as_ref().map(|f| f.status)
}

fn complete(ps: &PatientSeries) -> bool {
    status(ps) == Some(SeriesStatus::Complete)
}

fn in_process(ps: &PatientSeries) -> bool {
    ps.valid_doses() > 0 && status(ps) == Some(SeriesStatus::NotComplete)
}

/// The best series of one series group (8.1 to 8.7), as an index into `group`.
pub fn prioritized(group: &[&PatientSeries], patient: &Patient) -> Option<usize> {
    let contraindicated = |ps: &PatientSeries| status(ps) == Some(SeriesStatus::Contraindicated);
    let all_contraindicated = group.iter().all(|ps| contraindicated(ps));
    let candidate = |ps: &PatientSeries| !contraindicated(ps) || all_contraindicated;
    // The highest priority among series that can still be given: one the
    // person has aged out of does not outrank the series left to them.
    let aged_out = |ps: &PatientSeries| status(ps) == Some(SeriesStatus::AgedOut);
    let all_aged_out = group.iter().all(|ps| aged_out(ps));
    let best_priority = group
        .iter()
        .filter(|ps| all_aged_out || !aged_out(ps))
        .map(|ps| ps.series.select.priority.clone())
        .min()
        .unwrap_or_default();
    let none_valid = group.iter().all(|ps| ps.valid_doses() == 0);
    let default = group.iter().position(|ps| ps.series.select.default_series);
    // 8.1, SELECTSCORE-2
    let scorable: Vec<usize> = (0..group.len())
        .filter(|i| {
            let ps = group[*i];
            if !candidate(ps) {
                return false;
            }
            match ps.series.series_type {
                SeriesType::Risk => ps.series.select.priority <= best_priority,
                SeriesType::Standard => {
                    let limit = ps
                        .series
                        .select
                        .max_age_to_start
                        .map_or(LATEST, |a| patient.birth.plus(&a));
                    let started_in_time = first_valid_date(ps).is_some_and(|d| d < limit);
                    started_in_time || (none_valid && default.is_none())
                }
                SeriesType::EvaluationOnly => complete(ps),
            }
        })
        .collect();
    // Table 8-3
    let completes: Vec<usize> = scorable
        .iter()
        .copied()
        .filter(|i| complete(group[*i]))
        .collect();
    let in_processes: Vec<usize> = scorable
        .iter()
        .copied()
        .filter(|i| in_process(group[*i]))
        .collect();
    match scorable.len() {
        0 => return default,
        1 => return Some(scorable[0]),
        _ => {}
    }
    if completes.len() == 1 {
        return Some(completes[0]);
    }
    if completes.is_empty() && in_processes.len() == 1 {
        return Some(in_processes[0]);
    }
    if completes.is_empty() && in_processes.is_empty() && default.is_some() {
        return default;
    }
    // 8.3 to 8.7: score, then prefer the better-ranked series on a tie.
    let scored: Vec<usize> = if !completes.is_empty() {
        completes
    } else if !in_processes.is_empty() {
        in_processes
    } else {
        scorable
    };
    let points = score(group, &scored, patient);
    scored
        .iter()
        .zip(points)
        .max_by(|(a, pa), (b, pb)| {
            pa.cmp(pb).then_with(|| {
                // Lower preference wins the tie: reversed so max_by picks it.
                let pref = |i: usize| group[i].series.select.preference.unwrap_or(u32::MAX);
                pref(**b).cmp(&pref(**a)).then(b.cmp(a))
            })
        })
        .map(|(i, _)| *i)
}

fn first_valid_date(ps: &PatientSeries) -> Option<Date> {
    ps.evaluations
        .iter()
        .filter(|e| e.status == EvalStatus::Valid)
        .map(|e| e.date)
        .min()
}

/// Points of each scored series (Tables 8-7, 8-9, 8-11).
fn score(group: &[&PatientSeries], scored: &[usize], patient: &Patient) -> Vec<i32> {
    let n = |f: &dyn Fn(usize) -> bool| scored.iter().filter(|i| f(**i)).count();
    let pts = |holds: bool, count: usize, only: i32, shared: i32, not: i32| {
        if !holds {
            not
        } else if count == 1 {
            only
        } else {
            shared
        }
    };
    let valid = |i: usize| group[i].valid_doses();
    let most_valid = |i: usize| scored.iter().all(|j| valid(i) >= valid(*j));
    let max_age_of_last = |i: usize| {
        let ps = group[i];
        let last = ps.series.doses.last()?;
        last.ages.first()?.max.map(|m| patient.birth.plus(&m))
    };
    let finish = |i: usize| finish_date(group[i]);
    let completable = |i: usize| match (finish(i), max_age_of_last(i)) {
        (Some(f), Some(m)) => f < m,
        _ => true,
    };
    let all_valid = |i: usize| {
        group[i]
            .evaluations
            .iter()
            .filter(|e| e.target.is_some())
            .all(|e| e.status == EvalStatus::Valid)
    };
    let product = |i: usize| group[i].series.select.product_path;
    if scored.iter().all(|i| {
        group[*i]
            .forecast
            .as_ref()
            .is_some_and(|f| f.status == SeriesStatus::Complete)
    }) {
        let c = n(&most_valid);
        return scored
            .iter()
            .map(|i| pts(most_valid(*i), c, 1, 0, -1))
            .collect();
    }
    if scored.iter().all(|i| in_process(group[*i])) {
        let unsatisfied = |i: usize| {
            group[i]
                .targets
                .iter()
                .filter(|t| t.status == TargetStatus::NotSatisfied)
                .count()
        };
        let closest = |i: usize| {
            scored
                .iter()
                .all(|j| *j == i || unsatisfied(i) < unsatisfied(*j))
        };
        let earliest_finish = |i: usize| {
            completable(i)
                && scored
                    .iter()
                    .filter(|j| completable(**j))
                    .all(|j| finish(i) <= finish(*j) || finish(*j).is_none())
        };
        let (c_most, c_close, c_fin) = (n(&most_valid), n(&closest), n(&earliest_finish));
        return scored
            .iter()
            .map(|i| {
                let i = *i;
                (if product(i) && all_valid(i) { 2 } else { -2 })
                    + (if completable(i) { 3 } else { -3 })
                    + pts(most_valid(i), c_most, 2, 0, -2)
                    + pts(closest(i), c_close, 2, 0, -2)
                    + pts(earliest_finish(i), c_fin, 1, 0, -1)
            })
            .collect();
    }
    let start = |i: usize| group[i].forecast.as_ref().and_then(|f| f.earliest);
    let starts_first = |i: usize| {
        start(i).is_some_and(|s| {
            scored
                .iter()
                .all(|j| *j == i || start(*j).is_none_or(|o| s < o))
        })
    };
    let c_start = n(&starts_first);
    scored
        .iter()
        .map(|i| {
            let i = *i;
            pts(starts_first(i), c_start, 1, 0, -1)
                + (if completable(i) { 1 } else { -1 })
                + (if product(i) { -1 } else { 1 })
        })
        .collect()
}

/// SELECTB-12: the forecast's earliest date plus each remaining dose's longest minimum interval.
fn finish_date(ps: &PatientSeries) -> Option<Date> {
    let f = ps.forecast.as_ref()?;
    let mut day = f.earliest?;
    let from = f.target? + 1;
    for t in &ps.targets[from.min(ps.targets.len())..] {
        let dose = &ps.series.doses[t.series_dose];
        if let Some(longest) = dose
            .intervals
            .iter()
            .filter_map(|i| i.min)
            .map(|d| day.plus(&d))
            .max()
        {
            day = longest;
        }
    }
    Some(day)
}
