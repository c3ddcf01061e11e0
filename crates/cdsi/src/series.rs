//! A patient series: one antigen series followed through a person's doses
//! (chapter 6, evaluation) and forecast (chapter 7).

use crate::data::*;
use crate::date::{Date, EARLIEST, LATEST};
use crate::input::Patient;
use crate::organize::{AntigenDose, DoseGiven};
use std::collections::HashSet;

/// Where a dose stands against a target dose (Table 3-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalStatus {
    /// Given as ACIP recommends.
    Valid,
    /// Not as ACIP recommends: to be repeated.
    NotValid,
    /// Not needed, but need not be repeated.
    Extraneous,
    /// A flawed dose (expired lot, sub-potent, recalled): to be repeated.
    SubStandard,
}

/// Why a dose was judged as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Before the absolute minimum age.
    TooYoung,
    /// Within the 4-day grace period of the minimum age.
    AgeGracePeriod,
    /// At or past the maximum age.
    TooOld,
    /// Before the absolute minimum interval.
    TooSoon,
    /// Within the grace period of the minimum interval.
    IntervalGracePeriod,
    /// A vaccine that must not be given for this dose.
    Inadvertent,
    /// Within a live virus conflict window after another live vaccine.
    LiveVirusConflict,
    /// Neither a preferable nor an allowable vaccine for the dose.
    NotAllowedVaccine,
    /// A preferable or allowable vaccine, but outside its ages.
    VaccineOutOfAgeRange,
    /// Given after every target dose was satisfied.
    SeriesComplete,
    /// The lot had expired.
    LotExpired,
    /// The record marks the dose as flawed.
    Flawed,
}

impl Reason {
    /// The reason as CDC's test cases write it.
    pub fn text(self) -> &'static str {
        match self {
            Reason::TooYoung => "Age: Too Young",
            Reason::AgeGracePeriod => "Age: Grace Period",
            Reason::TooOld => "Age: Too Old",
            Reason::TooSoon => "Interval: Too Soon",
            Reason::IntervalGracePeriod => "Interval: Grace Period",
            Reason::Inadvertent => "Inadvertent Vaccine",
            Reason::LiveVirusConflict => "Live Virus Conflict",
            Reason::NotAllowedVaccine => "Vaccine: Not Preferable or Allowable",
            Reason::VaccineOutOfAgeRange => "Vaccine: Out of Age Range",
            Reason::SeriesComplete => "Series Already Complete",
            Reason::LotExpired => "Lot Expired",
            Reason::Flawed => "Sub-standard Dose",
        }
    }
}

/// One dose judged against one target dose of a patient series.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Index of the dose in the history.
    pub dose: usize,
    /// The day it was given.
    pub date: Date,
    /// The target dose (1-based) it was judged against; none when the series was already complete.
    pub target: Option<u32>,
    /// Its status.
    pub status: EvalStatus,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// Where a target dose stands (Table 3-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// No valid dose yet.
    NotSatisfied,
    /// A valid dose met it.
    Satisfied,
    /// Not needed, by a conditional skip.
    Skipped,
}

/// A target dose: a series dose as this person has to meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Index of its series dose.
    pub series_dose: usize,
    /// Where it stands.
    pub status: TargetStatus,
    /// The dose (history index) that satisfied it.
    pub satisfied_by: Option<usize>,
}

/// Where a patient series stands (Table 3-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStatus {
    /// More doses are needed.
    NotComplete,
    /// Every target dose is met.
    Complete,
    /// Evidence of immunity.
    Immune,
    /// No more doses should be given.
    Contraindicated,
    /// Past the maximum age before completing.
    AgedOut,
    /// Nothing is recommended now.
    NotRecommended,
}

impl SeriesStatus {
    /// The status as the specification writes it.
    pub fn text(self) -> &'static str {
        match self {
            SeriesStatus::NotComplete => "Not Complete",
            SeriesStatus::Complete => "Complete",
            SeriesStatus::Immune => "Immune",
            SeriesStatus::Contraindicated => "Contraindicated",
            SeriesStatus::AgedOut => "Aged Out",
            SeriesStatus::NotRecommended => "Not Recommended",
        }
    }
}

/// Why a forecast says what it says (Table 7-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForecastReason {
    /// Every target dose is met.
    Complete,
    /// Every remaining dose was skipped.
    PastHistory,
    /// Evidence of immunity.
    Immune,
    /// A contraindication.
    Contraindicated,
    /// Past the season's end.
    PastSeason,
    /// Past the maximum age.
    ExceededMaximumAge,
    /// Cannot finish before the maximum age.
    CannotFinish,
}

impl ForecastReason {
    /// The reason as the specification writes it.
    pub fn text(self) -> &'static str {
        match self {
            ForecastReason::Complete => "Patient series is complete",
            ForecastReason::PastHistory => {
                "Not recommended at this time due to past immunization history"
            }
            ForecastReason::Immune => "Patient has evidence of immunity",
            ForecastReason::Contraindicated => "Patient has a contraindication",
            ForecastReason::PastSeason => "Past seasonal recommendation end date",
            ForecastReason::ExceededMaximumAge => "Patient has exceeded the maximum age",
            ForecastReason::CannotFinish => {
                "Patient is unable to finish the series prior to the maximum age"
            }
        }
    }
}

/// A patient series' forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// The series' status.
    pub status: SeriesStatus,
    /// Why, when no dose is forecast.
    pub reason: Option<ForecastReason>,
    /// The target dose forecast (index into the targets).
    pub target: Option<usize>,
    /// The forecast dose number.
    pub dose_number: Option<u32>,
    /// Earliest date.
    pub earliest: Option<Date>,
    /// Recommended date (adjusted).
    pub recommended: Option<Date>,
    /// Past due date (adjusted).
    pub past_due: Option<Date>,
    /// Latest date.
    pub latest: Option<Date>,
    /// Recommended date before adjustment.
    pub unadjusted_recommended: Option<Date>,
    /// Past due date before adjustment.
    pub unadjusted_past_due: Option<Date>,
    /// CVX codes the forecast names.
    pub vaccines: Vec<String>,
    /// Observation codes of the contraindications that apply.
    pub contraindications: Vec<String>,
}

/// Everything evaluation and forecast read besides the series.
pub struct Context<'a> {
    /// The schedule.
    pub schedule: &'a Schedule,
    /// The person.
    pub patient: &'a Patient,
    /// Every dose given.
    pub history: &'a [DoseGiven],
    /// The day assessed.
    pub assessment: Date,
}

/// Which skip contexts apply now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Evaluation,
    Forecast,
}

/// A patient series.
#[derive(Debug, Clone)]
pub struct PatientSeries<'s> {
    /// The antigen series it follows.
    pub series: &'s Series,
    /// Its target doses, recurring copies included.
    pub targets: Vec<Target>,
    /// Each of the antigen's doses as judged here.
    pub evaluations: Vec<Evaluation>,
    /// Its forecast.
    pub forecast: Option<Forecast>,
}

fn within(day: Date, begin: Date, end: Date) -> bool {
    begin <= day && day < end
}

fn relevant(v: &Validity, anchor: Date) -> bool {
    v.effective.unwrap_or(EARLIEST) <= anchor && anchor <= v.cessation.unwrap_or(LATEST)
}

fn age_date(birth: Date, age: Option<crate::date::Duration>, default: Date) -> Date {
    age.map_or(default, |a| birth.plus(&a))
}

impl<'s> PatientSeries<'s> {
    /// A fresh patient series over `series`.
    pub fn new(series: &'s Series) -> Self {
        PatientSeries {
            series,
            targets: (0..series.doses.len())
                .map(|i| Target {
                    series_dose: i,
                    status: TargetStatus::NotSatisfied,
                    satisfied_by: None,
                })
                .collect(),
            evaluations: Vec::new(),
            forecast: None,
        }
    }

    fn dose_of(&self, target: usize) -> &'s SeriesDose {
        &self.series.doses[self.targets[target].series_dose]
    }

    fn status_of(&self, dose: usize) -> Option<EvalStatus> {
        self.evaluations
            .iter()
            .find(|e| e.dose == dose)
            .map(|e| e.status)
    }

    fn inadvertent(&self, dose: usize) -> bool {
        self.evaluations
            .iter()
            .any(|e| e.dose == dose && e.reasons.contains(&Reason::Inadvertent))
    }

    /// Number of target doses satisfied.
    pub fn valid_doses(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.status == TargetStatus::Satisfied)
            .count()
    }

    /// Evaluates the antigen's `records` against the target doses (Figure 4-6).
    pub fn evaluate(
        &mut self,
        ctx: &Context,
        records: &[&AntigenDose],
        completed: &HashSet<String>,
    ) {
        let mut t = 0;
        for rec in records {
            let given = &ctx.history[rec.dose];
            loop {
                if t >= self.targets.len() {
                    self.evaluations.push(Evaluation {
                        dose: rec.dose,
                        date: given.date,
                        target: None,
                        status: EvalStatus::Extraneous,
                        reasons: vec![Reason::SeriesComplete],
                    });
                    break;
                }
                let number = Some(t as u32 + 1);
                // 6.1: a flawed dose cannot be evaluated.
                if given.lot_expiration.is_some_and(|exp| given.date > exp) || given.flawed {
                    let why = if given.flawed {
                        Reason::Flawed
                    } else {
                        Reason::LotExpired
                    };
                    self.evaluations.push(Evaluation {
                        dose: rec.dose,
                        date: given.date,
                        target: number,
                        status: EvalStatus::SubStandard,
                        reasons: vec![why],
                    });
                    break;
                }
                // 6.2: a target dose that can be skipped is, and the same dose meets the next.
                if self.can_skip(
                    ctx,
                    t,
                    Phase::Evaluation,
                    given.date,
                    Some(rec.dose),
                    completed,
                ) {
                    self.targets[t].status = TargetStatus::Skipped;
                    t += 1;
                    continue;
                }
                let dose = self.dose_of(t);
                // 6.3
                if dose.inadvertent.iter().any(|v| v.cvx == given.cvx) {
                    self.evaluations.push(Evaluation {
                        dose: rec.dose,
                        date: given.date,
                        target: number,
                        status: EvalStatus::NotValid,
                        reasons: vec![Reason::Inadvertent],
                    });
                    break;
                }
                let (status, reasons) = self.judge(ctx, t, rec.dose);
                self.evaluations.push(Evaluation {
                    dose: rec.dose,
                    date: given.date,
                    target: number,
                    status,
                    reasons,
                });
                if status == EvalStatus::Valid {
                    self.targets[t].status = TargetStatus::Satisfied;
                    self.targets[t].satisfied_by = Some(rec.dose);
                    if dose.recurring {
                        let copy = Target {
                            series_dose: self.targets[t].series_dose,
                            status: TargetStatus::NotSatisfied,
                            satisfied_by: None,
                        };
                        self.targets.insert(t + 1, copy);
                    }
                    t += 1;
                }
                break;
            }
        }
    }

    /// 6.4 to 6.10 for one dose against target `t`.
    fn judge(&self, ctx: &Context, t: usize, dose_index: usize) -> (EvalStatus, Vec<Reason>) {
        let given = &ctx.history[dose_index];
        let dose = self.dose_of(t);
        let birth = ctx.patient.birth;
        let day = given.date;
        let mut reasons = Vec::new();
        // 6.4 age
        let mut too_old = false;
        let mut age_ok = true;
        if let Some(age) = dose.ages.iter().find(|a| relevant(&a.validity, day)) {
            let abs_min = age_date(birth, age.abs_min, EARLIEST);
            let min = age_date(birth, age.min, EARLIEST);
            let max = age_date(birth, age.max, LATEST);
            if day < abs_min {
                age_ok = false;
                reasons.push(Reason::TooYoung);
            } else if day >= max {
                age_ok = false;
                too_old = true;
                reasons.push(Reason::TooOld);
            } else if day < min {
                reasons.push(Reason::AgeGracePeriod);
            }
        }
        // 6.5 preferable intervals, then 6.6 the allowable one.
        let mut interval_reasons = Vec::new();
        let preferable_ok = dose
            .intervals
            .iter()
            .filter(|i| relevant(&i.validity, day))
            .all(|i| {
                let Some(reference) = self.reference(ctx, i, day, Some(dose_index)) else {
                    return true;
                };
                let abs_min = i.abs_min.map_or(EARLIEST, |d| reference.plus(&d));
                let min = i.min.map_or(EARLIEST, |d| reference.plus(&d));
                if day < abs_min {
                    false
                } else {
                    if day < min {
                        interval_reasons.push(Reason::IntervalGracePeriod);
                    }
                    true
                }
            });
        let interval_ok = preferable_ok
            || dose.allowable_interval.as_ref().is_some_and(|i| {
                self.reference(ctx, i, day, Some(dose_index))
                    .is_none_or(|r| day >= i.abs_min.map_or(EARLIEST, |d| r.plus(&d)))
            });
        if interval_ok {
            if preferable_ok {
                reasons.extend(interval_reasons);
            }
        } else {
            reasons.push(Reason::TooSoon);
        }
        // 6.7 live virus conflicts with earlier doses of the whole history.
        let conflict = self.in_conflict(ctx, dose_index);
        if conflict {
            reasons.push(Reason::LiveVirusConflict);
        }
        // 6.8 / 6.9 preferable, then allowable vaccine.
        let in_ages = |v: &VaccineAtAges| {
            within(
                day,
                age_date(birth, v.begin_age, EARLIEST),
                age_date(birth, v.end_age, LATEST),
            )
        };
        let preferable = dose.preferable.iter().any(|p| {
            p.vaccine.cvx == given.cvx
                && in_ages(&p.vaccine)
                && p.mvx
                    .as_ref()
                    .is_none_or(|m| given.mvx.as_deref() == Some(m))
        });
        let allowable = !preferable
            && dose
                .allowable
                .iter()
                .any(|v| v.cvx == given.cvx && in_ages(v));
        let vaccine_ok = preferable || allowable;
        if !vaccine_ok {
            let named = dose.preferable.iter().any(|p| p.vaccine.cvx == given.cvx)
                || dose.allowable.iter().any(|v| v.cvx == given.cvx);
            reasons.push(if named {
                Reason::VaccineOutOfAgeRange
            } else {
                Reason::NotAllowedVaccine
            });
        }
        // 6.10 (Table 6-31), in table order: a dose too old is extraneous whatever else failed.
        let status = if age_ok && interval_ok && !conflict && vaccine_ok {
            EvalStatus::Valid
        } else if too_old {
            EvalStatus::Extraneous
        } else {
            EvalStatus::NotValid
        };
        (status, reasons)
    }

    /// The date an interval is measured from (CALCDTINT-1, -2, -8, -9), for a
    /// dose given on `day` (`current` is that dose; none when forecasting).
    fn reference(
        &self,
        ctx: &Context,
        interval: &Interval,
        day: Date,
        current: Option<usize>,
    ) -> Option<Date> {
        match &interval.from {
            IntervalFrom::Previous => {
                // The latest earlier dose of this series that was Valid or Not Valid, not inadvertent.
                let until = match current {
                    Some(c) => self
                        .evaluations
                        .iter()
                        .position(|e| e.dose == c)
                        .unwrap_or(self.evaluations.len()),
                    None => self.evaluations.len(),
                };
                self.evaluations[..until]
                    .iter()
                    .rev()
                    .find(|e| {
                        matches!(e.status, EvalStatus::Valid | EvalStatus::NotValid)
                            && !e.reasons.contains(&Reason::Inadvertent)
                    })
                    .map(|e| ctx.history[e.dose].date)
            }
            IntervalFrom::TargetDose(n) => self
                .targets
                .get((*n as usize).checked_sub(1)?)
                .and_then(|t| t.satisfied_by)
                .map(|d| ctx.history[d].date),
            IntervalFrom::MostRecent(cvx) => ctx
                .history
                .iter()
                .enumerate()
                .filter(|(i, d)| {
                    Some(*i) != current
                        && d.date <= day
                        && cvx.iter().any(|c| *c == d.cvx)
                        && !self.inadvertent(*i)
                })
                .map(|(_, d)| d.date)
                .max(),
            // The latest such observation on record: a dose given before it
            // (before antiviral therapy began) falls short of the interval.
            IntervalFrom::Observation(obs) => ctx.patient.latest(&obs.code, ctx.assessment),
        }
    }

    /// Whether dose `current` was given inside a live virus conflict window (6.7).
    fn in_conflict(&self, ctx: &Context, current: usize) -> bool {
        let given = &ctx.history[current];
        ctx.history.iter().enumerate().any(|(i, previous)| {
            if i == current || previous.date > given.date {
                return false;
            }
            ctx.schedule.live_virus_conflicts.iter().any(|c| {
                if c.previous_cvx != previous.cvx || c.current_cvx != given.cvx {
                    return false;
                }
                let begin = previous.date.plus(&c.begin);
                // CALCDTCONFLICT-2: the shorter end after a valid (or unjudged) earlier dose.
                let end = match self.status_of(i) {
                    None | Some(EvalStatus::Valid) => previous.date.plus(&c.min_end),
                    Some(_) => previous.date.plus(&c.end),
                };
                within(given.date, begin, end)
            })
        })
    }

    /// Whether target `t` can be skipped (6.2, 7.1, 7.6) judged on `reference`.
    fn can_skip(
        &self,
        ctx: &Context,
        t: usize,
        phase: Phase,
        reference: Date,
        current: Option<usize>,
        completed: &HashSet<String>,
    ) -> bool {
        let dose = self.dose_of(t);
        dose.conditional_skips.iter().any(|skip| {
            let applies = matches!(
                (phase, skip.context),
                (_, SkipContext::Both)
                    | (Phase::Evaluation, SkipContext::Evaluation)
                    | (Phase::Forecast, SkipContext::Forecast)
            );
            if !applies {
                return false;
            }
            let anchor = match phase {
                Phase::Evaluation => reference,
                Phase::Forecast => ctx.assessment,
            };
            let sets: Vec<bool> = skip
                .sets
                .iter()
                .filter(|s| relevant(&s.validity, anchor))
                .map(|s| {
                    let mut met = s
                        .conditions
                        .iter()
                        .map(|c| self.condition_met(ctx, c, reference, current, completed));
                    match s.logic {
                        Logic::And => met.all(|m| m),
                        Logic::Or => met.any(|m| m),
                    }
                })
                .collect();
            match skip.set_logic {
                Logic::And => !sets.is_empty() && sets.iter().all(|m| *m),
                Logic::Or => sets.iter().any(|m| *m),
            }
        })
    }

    fn condition_met(
        &self,
        ctx: &Context,
        c: &Condition,
        reference: Date,
        current: Option<usize>,
        completed: &HashSet<String>,
    ) -> bool {
        let birth = ctx.patient.birth;
        let begin_age = age_date(birth, c.begin_age, EARLIEST);
        let end_age = age_date(birth, c.end_age, LATEST);
        match c.kind {
            ConditionKind::Age => within(reference, begin_age, end_age),
            ConditionKind::CompletedSeries => {
                c.series_groups.iter().any(|g| completed.contains(&**g))
            }
            ConditionKind::Interval => {
                // From the dose that satisfied the latest satisfied target dose.
                let last = self
                    .targets
                    .iter()
                    .filter(|t| t.status == TargetStatus::Satisfied)
                    .filter_map(|t| t.satisfied_by)
                    .filter(|d| Some(*d) != current)
                    .map(|d| ctx.history[d].date)
                    .max();
                match (last, c.interval) {
                    (Some(last), Some(interval)) => reference >= last.plus(&interval),
                    _ => false,
                }
            }
            ConditionKind::VaccineCountByAge
            | ConditionKind::VaccineCountByDate
            | ConditionKind::VaccineCountByDateAndAge => {
                let start = c.start_date.unwrap_or(EARLIEST);
                let end = c.end_date.unwrap_or(LATEST);
                // In evaluation only doses before the one judged count.
                let before = |i: usize| match current {
                    Some(cur) => {
                        let (a, b) = (&ctx.history[i], &ctx.history[cur]);
                        i != cur && (a.date, i) < (b.date, cur)
                    }
                    None => true,
                };
                let counted = |i: usize| {
                    let d = &ctx.history[i];
                    before(i)
                        && within(d.date, begin_age, end_age)
                        && within(d.date, start, end)
                        && match c.dose_type {
                            Some(DoseType::Valid) => self.status_of(i) == Some(EvalStatus::Valid),
                            _ => true,
                        }
                };
                let n = if c.vaccine_types.is_empty() {
                    self.evaluations.iter().filter(|e| counted(e.dose)).count()
                } else {
                    (0..ctx.history.len())
                        .filter(|i| c.vaccine_types.iter().any(|v| *v == ctx.history[*i].cvx))
                        .filter(|i| counted(*i))
                        .count()
                };
                let want = c.dose_count.unwrap_or(0) as usize;
                match c.count_logic {
                    Some(CountLogic::GreaterThan) => n > want,
                    Some(CountLogic::LessThan) => n < want,
                    Some(CountLogic::EqualTo) | None => n == want,
                }
            }
        }
    }

    /// Chapter 7: the series' status and, when a dose is due, its dates.
    pub fn forecast(&mut self, ctx: &Context, antigen: &Antigen, completed: &HashSet<String>) {
        let birth = ctx.patient.birth;
        let mut t = self.next_unsatisfied(0);
        loop {
            if let Some(ti) = t
                && self.can_skip(ctx, ti, Phase::Forecast, ctx.assessment, None, completed)
            {
                self.targets[ti].status = TargetStatus::Skipped;
                t = self.next_unsatisfied(ti + 1);
                continue;
            }
            let immune = immune(ctx, antigen);
            let contraindications = self.contraindications(ctx, antigen, t);
            let dose = t.map(|ti| self.dose_of(ti));
            let age = dose.and_then(|d| {
                d.ages
                    .iter()
                    .find(|a| relevant(&a.validity, ctx.assessment))
            });
            let max_age = age.and_then(|a| a.max).map(|m| birth.plus(&m));
            let earliest = t.map(|ti| self.candidate_earliest(ctx, ti));
            let season_end = dose.and_then(|d| d.seasonal).and_then(|s| s.end);
            let satisfied = self.valid_doses() > 0;
            let (status, reason) = if immune {
                (SeriesStatus::Immune, Some(ForecastReason::Immune))
            } else if t.is_none() && satisfied {
                (SeriesStatus::Complete, Some(ForecastReason::Complete))
            } else if t.is_none() {
                (
                    SeriesStatus::NotRecommended,
                    Some(ForecastReason::PastHistory),
                )
            } else if contraindications.1 {
                (
                    SeriesStatus::Contraindicated,
                    Some(ForecastReason::Contraindicated),
                )
            } else if season_end.is_some_and(|end| ctx.assessment > end) {
                (
                    SeriesStatus::NotRecommended,
                    Some(ForecastReason::PastSeason),
                )
            } else if max_age.is_some_and(|m| ctx.assessment >= m) {
                (
                    SeriesStatus::AgedOut,
                    Some(ForecastReason::ExceededMaximumAge),
                )
            } else if earliest.is_some_and(|e| e >= max_age.unwrap_or(LATEST)) {
                // Nothing bounds the dose (no age, interval or earlier dose):
                // the earliest date is the 12/31/2999 default, past any maximum.
                (SeriesStatus::AgedOut, Some(ForecastReason::CannotFinish))
            } else {
                (SeriesStatus::NotComplete, None)
            };
            let mut forecast = Forecast {
                status,
                reason,
                target: None,
                dose_number: None,
                earliest: None,
                recommended: None,
                past_due: None,
                latest: None,
                unadjusted_recommended: None,
                unadjusted_past_due: None,
                vaccines: Vec::new(),
                contraindications: contraindications.0,
            };
            if status == SeriesStatus::NotComplete
                && let (Some(ti), Some(earliest)) = (t, earliest)
            {
                // 7.6: a dose that would be skipped on its earliest date is not the one due.
                if self.can_skip(ctx, ti, Phase::Forecast, earliest, None, completed) {
                    self.targets[ti].status = TargetStatus::Skipped;
                    t = self.next_unsatisfied(ti + 1);
                    continue;
                }
                self.dates(ctx, ti, earliest, &mut forecast);
            }
            self.forecast = Some(forecast);
            return;
        }
    }

    fn next_unsatisfied(&self, from: usize) -> Option<usize> {
        (from..self.targets.len()).find(|i| self.targets[*i].status == TargetStatus::NotSatisfied)
    }

    /// FORECASTDTCAN-1: the latest of every date the next dose must wait for.
    fn candidate_earliest(&self, ctx: &Context, t: usize) -> Date {
        let birth = ctx.patient.birth;
        let dose = self.dose_of(t);
        let mut dates = Vec::new();
        if let Some(age) = dose
            .ages
            .iter()
            .find(|a| relevant(&a.validity, ctx.assessment))
            && let Some(min) = age.min
        {
            dates.push(birth.plus(&min));
        }
        for i in dose
            .intervals
            .iter()
            .filter(|i| relevant(&i.validity, ctx.assessment))
        {
            if let (Some(r), Some(min)) = (self.reference(ctx, i, ctx.assessment, None), i.min) {
                dates.push(r.plus(&min));
            }
        }
        for previous in ctx.history {
            for c in ctx.schedule.live_virus_conflicts.iter() {
                if c.previous_cvx == previous.cvx
                    && dose
                        .preferable
                        .iter()
                        .any(|p| p.vaccine.cvx == c.current_cvx)
                {
                    dates.push(previous.date.plus(&c.end));
                }
            }
        }
        if let Some(s) = dose.seasonal {
            dates.push(s.start);
        }
        dates.extend(
            self.evaluations
                .iter()
                .filter(|e| e.target.is_some())
                .map(|e| ctx.history[e.dose].date),
        );
        // Nothing to wait for: from birth (the specification's 12/31/2999 would age the series out).
        dates.into_iter().max().unwrap_or(crate::date::LATEST)
    }

    /// 7.5: the dates and vaccines of target `t`'s forecast.
    fn dates(&self, ctx: &Context, t: usize, earliest: Date, f: &mut Forecast) {
        let birth = ctx.patient.birth;
        let dose = self.dose_of(t);
        let age = dose
            .ages
            .iter()
            .find(|a| relevant(&a.validity, ctx.assessment));
        let intervals: Vec<&Interval> = dose
            .intervals
            .iter()
            .filter(|i| relevant(&i.validity, ctx.assessment))
            .collect();
        let interval_dates = |pick: fn(&Interval) -> Option<crate::date::Duration>| {
            intervals
                .iter()
                .filter_map(|i| {
                    Some(
                        self.reference(ctx, i, ctx.assessment, None)?
                            .plus(&pick(i)?),
                    )
                })
                .max()
        };
        let rec_age = age
            .and_then(|a| a.earliest_recommended)
            .map(|d| birth.plus(&d));
        let unadjusted_recommended = rec_age
            .or_else(|| interval_dates(|i| i.earliest_recommended))
            .unwrap_or(earliest);
        let late_age = age
            .and_then(|a| a.latest_recommended)
            .map(|d| birth.plus(&d));
        let unadjusted_past_due = late_age
            .or_else(|| interval_dates(|i| i.latest_recommended))
            .map(|d| d.plus_days(-1));
        f.target = Some(t);
        f.earliest = Some(earliest);
        f.unadjusted_recommended = Some(unadjusted_recommended);
        f.recommended = Some(unadjusted_recommended.max(earliest));
        f.unadjusted_past_due = unadjusted_past_due;
        f.past_due = unadjusted_past_due.map(|d| d.max(earliest));
        f.latest = age
            .and_then(|a| a.max)
            .map(|m| birth.plus(&m).plus_days(-1));
        // FORECASTDN-1: satisfied target doses, a seasonal one only if given in its season.
        let satisfied = self
            .targets
            .iter()
            .filter(|x| x.status == TargetStatus::Satisfied)
            .filter(|x| match self.series.doses[x.series_dose].seasonal {
                Some(s) => x
                    .satisfied_by
                    .is_some_and(|d| ctx.history[d].date >= s.start),
                None => true,
            })
            .count();
        f.dose_number = Some(satisfied as u32 + 1);
        let recommended = f.recommended.unwrap_or(earliest);
        f.vaccines = dose
            .preferable
            .iter()
            .filter(|p| p.forecast)
            .filter(|p| {
                let begin = age_date(birth, p.vaccine.begin_age, EARLIEST);
                let end = age_date(birth, p.vaccine.end_age, LATEST);
                within(earliest, begin, end) || within(recommended, begin, end)
            })
            .map(|p| p.vaccine.cvx.to_string())
            .collect();
    }

    /// 7.3: the contraindications that apply, and whether they make the series contraindicated.
    fn contraindications(
        &self,
        ctx: &Context,
        antigen: &Antigen,
        t: Option<usize>,
    ) -> (Vec<String>, bool) {
        let birth = ctx.patient.birth;
        let day = ctx.assessment;
        let mut found = Vec::new();
        let mut whole = false;
        for c in antigen.contraindications.iter() {
            let begin = age_date(birth, c.begin_age, EARLIEST);
            let end = age_date(birth, c.end_age, LATEST);
            if within(day, begin, end) && ctx.patient.has(&c.observation.code, day) {
                found.push(c.observation.code.to_string());
                whole = true;
            }
        }
        if let Some(ti) = t {
            let preferable = &self.dose_of(ti).preferable;
            let blocked = |cvx: &str| {
                antigen.vaccine_contraindications.iter().any(|c| {
                    ctx.patient.has(&c.observation.code, day)
                        && c.vaccines.iter().any(|v| {
                            v.cvx == cvx
                                && within(
                                    day,
                                    age_date(birth, v.begin_age, EARLIEST),
                                    age_date(birth, v.end_age, LATEST),
                                )
                        })
                })
            };
            for c in antigen.vaccine_contraindications.iter() {
                if ctx.patient.has(&c.observation.code, day)
                    && preferable
                        .iter()
                        .any(|p| c.vaccines.iter().any(|v| v.cvx == p.vaccine.cvx))
                {
                    found.push(c.observation.code.to_string());
                }
            }
            if !preferable.is_empty() && preferable.iter().all(|p| blocked(&p.vaccine.cvx)) {
                whole = true;
            }
        }
        found.sort();
        found.dedup();
        (found, whole)
    }
}

/// 7.2 (Table 7-3): evidence of immunity to `antigen`.
fn immune(ctx: &Context, antigen: &Antigen) -> bool {
    let Some(immunity) = &antigen.immunity else {
        return false;
    };
    let day = ctx.assessment;
    if immunity
        .clinical_history
        .iter()
        .any(|g| ctx.patient.has(&g.code, day))
    {
        return true;
    }
    let Some(born) = &immunity.birth_date else {
        return false;
    };
    if ctx.patient.birth >= born.before
        || born
            .exclusions
            .iter()
            .any(|e| ctx.patient.has(&e.code, day))
    {
        return false;
    }
    match &born.birth_country {
        None => true,
        Some(country) => ctx.patient.country_of_birth.as_deref() == Some(&**country),
    }
}
