//! Judging one rule for one person on a day, from the facts the records give.

use crate::rules::{Population, Rule, Sex};

/// A day as (year, month, day); ordered.
pub type Day = (i32, u32, u32);

/// Reads `YYYY-MM-DD` (the first ten characters of a FHIR date or dateTime).
pub fn day(text: &str) -> Option<Day> {
    let t = text.get(..10)?;
    let mut parts = t.split('-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// `YYYY-MM-DD`.
pub fn show(d: Day) -> String {
    format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `d` plus `months`, on the last day of a shorter month (31 Jan + 1 month = 28 Feb).
pub fn plus_months(d: Day, months: u32) -> Day {
    let total = d.0 * 12 + (d.1 as i32 - 1) + months as i32;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    (y, m, d.2.min(days_in_month(y, m)))
}

/// Completed years from `birth` to `on`.
pub fn age(birth: Day, on: Day) -> i32 {
    let mut years = on.0 - birth.0;
    if (on.1, on.2) < (birth.1, birth.2) {
        years -= 1;
    }
    years
}

/// A record and its day.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// `Type/id`.
    pub reference: String,
    /// Its day.
    pub day: Day,
    /// What it is, in words.
    pub label: String,
}

/// Smoking history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Smoking {
    /// The latest smoking status: current, former or never (`None`: unknown).
    pub status: Option<SmokingStatus>,
    /// Its record.
    pub status_record: Option<String>,
    /// Pack-years, when recorded.
    pub pack_years: Option<f64>,
    /// Its record.
    pub pack_years_record: Option<String>,
    /// When a former smoker quit, when known.
    pub quit: Option<Day>,
}

/// Whether someone smokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmokingStatus {
    /// Smokes now.
    Current,
    /// Used to.
    Former,
    /// Never did.
    Never,
}

/// What the records say that a rule needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// `Patient/<id>`.
    pub patient: String,
    /// Birth date.
    pub birth: Option<Day>,
    /// Sex.
    pub sex: Option<Sex>,
    /// The latest record of any of the rule's tests, with the test's index.
    pub latest_test: Option<(usize, Found)>,
    /// A record that takes the person out of the rule.
    pub exclusion: Option<Found>,
    /// The latest BMI and its record.
    pub bmi: Option<(f64, String)>,
    /// Smoking history.
    pub smoking: Smoking,
    /// Conditions that are cardiovascular risk factors.
    pub risk_factors: Vec<Found>,
    /// An active statin.
    pub statin: Option<Found>,
    /// Conditions on record that a rule's population names.
    pub indications: Vec<Found>,
}

/// Where a recommendation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Due now.
    Due,
    /// Past its due date by more than 6 months, or never done and long eligible.
    Overdue,
    /// Due within the year ahead.
    Upcoming,
    /// Done for now.
    Complete,
    /// Not for this person.
    NotRecommended,
}

/// The judgement of one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Where it stands.
    pub status: Status,
    /// Earliest day.
    pub earliest: Option<Day>,
    /// Recommended day.
    pub recommended: Option<Day>,
    /// Overdue after.
    pub past_due: Option<Day>,
    /// Why, in words.
    pub reason: String,
    /// `Type/id` of each record it rests on.
    pub evidence: Vec<String>,
}

/// Whether `rule` can be for the person by age and sex on `today` (a year
/// before its first age included), before any record is searched.
pub fn in_ages(rule: &Rule, birth: Day, sex: Option<Sex>, today: Day) -> bool {
    if rule.sex.is_some() && rule.sex != sex {
        return false;
    }
    let (from, to) = rule.ages;
    let years = age(birth, today);
    years <= to as i32 && age(birth, plus_months(today, 12)) >= from as i32
}

/// Judge `rule` for the person the facts describe, on `today`. `None` when
/// the rule is not for them (age, sex, or a risk the records do not show).
pub fn judge(rule: &Rule, facts: &Facts, today: Day) -> Option<Judged> {
    let birth = facts.birth?;
    if !in_ages(rule, birth, facts.sex, today) {
        return None;
    }
    let years = age(birth, today);
    let from = rule.ages.0;
    // The first eligible birthday (29 February falls to the 28th).
    let starts = plus_months((birth.0, birth.1, birth.2), from * 12);
    let mut evidence = vec![facts.patient.clone()];
    if let Some(excluded) = &facts.exclusion {
        evidence.push(excluded.reference.clone());
        return Some(Judged {
            status: Status::NotRecommended,
            earliest: None,
            recommended: None,
            past_due: None,
            reason: format!(
                "Not needed: {} is on record ({}).",
                excluded.label,
                show(excluded.day)
            ),
            evidence,
        });
    }
    let mut why = rule.why.to_string();
    match rule.population {
        Population::Everyone => {}
        Population::BmiAtLeast(min) => {
            let (bmi, record) = facts.bmi.as_ref()?;
            if *bmi < f64::from(min) {
                return None;
            }
            evidence.push(record.clone());
            why.push_str(&format!("; your latest BMI is {bmi}"));
        }
        Population::HeavySmoker {
            pack_years,
            quit_within,
        } => {
            let s = &facts.smoking;
            let packs = s.pack_years?;
            if packs < f64::from(pack_years) {
                return None;
            }
            match s.status? {
                SmokingStatus::Never => return None,
                SmokingStatus::Current => {}
                SmokingStatus::Former => {
                    if let Some(quit) = s.quit
                        && age(quit, today) >= quit_within as i32
                    {
                        return None;
                    }
                }
            }
            evidence.extend(s.status_record.iter().cloned());
            evidence.extend(s.pack_years_record.iter().cloned());
            why.push_str(&format!("; {packs} pack-years on record"));
        }
        Population::EverSmoked => {
            let s = &facts.smoking;
            let ever = matches!(
                s.status,
                Some(SmokingStatus::Current | SmokingStatus::Former)
            ) || s.pack_years.is_some_and(|p| p > 0.0);
            if !ever {
                return None;
            }
            evidence.extend(s.status_record.iter().cloned());
            evidence.extend(s.pack_years_record.iter().cloned());
        }
        Population::HasCondition(_) => {
            if facts.indications.is_empty() {
                return None;
            }
            let names: Vec<&str> = facts.indications.iter().map(|f| f.label.as_str()).collect();
            evidence.extend(facts.indications.iter().map(|f| f.reference.clone()));
            why.push_str(&format!("; on record: {}", names.join(", ")));
        }
        Population::CardiovascularRisk => {
            let smoker = facts.smoking.status == Some(SmokingStatus::Current);
            if facts.risk_factors.is_empty() && !smoker {
                return None;
            }
            evidence.extend(facts.risk_factors.iter().map(|f| f.reference.clone()));
            if smoker {
                evidence.extend(facts.smoking.status_record.iter().cloned());
            }
            if let Some(statin) = &facts.statin {
                evidence.push(statin.reference.clone());
                return Some(Judged {
                    status: Status::Complete,
                    earliest: None,
                    recommended: None,
                    past_due: None,
                    reason: format!("{why}: {} is in use.", statin.label),
                    evidence,
                });
            }
            let names: Vec<&str> = facts
                .risk_factors
                .iter()
                .map(|f| f.label.as_str())
                .collect();
            let mut factors = names.join(", ");
            if smoker {
                factors = if factors.is_empty() {
                    "smoking".into()
                } else {
                    format!("{factors}, smoking")
                };
            }
            return Some(Judged {
                status: if years < from as i32 {
                    Status::Upcoming
                } else {
                    Status::Due
                },
                earliest: Some(starts.max(today)),
                recommended: Some(starts.max(today)),
                past_due: None,
                reason: format!(
                    "{why}. Risk factors on record: {factors}. Whether a statin is for you depends on your 10-year risk, which your clinician estimates."
                ),
                evidence,
            });
        }
    }
    match &facts.latest_test {
        Some((i, found)) => {
            let test = &rule.tests[*i];
            evidence.push(found.reference.clone());
            match test.months {
                None => Some(Judged {
                    status: Status::Complete,
                    earliest: None,
                    recommended: None,
                    past_due: None,
                    reason: format!("{why}: {} on {}.", test.name, show(found.day)),
                    evidence,
                }),
                Some(months) => {
                    let next = plus_months(found.day, months);
                    let overdue_after = plus_months(next, 6);
                    // Done and not due for a while: complete; due within a
                    // month: coming up; then due, and overdue 6 months on.
                    let status = if today < next {
                        if plus_months(today, 1) >= next {
                            Status::Upcoming
                        } else {
                            Status::Complete
                        }
                    } else if today > overdue_after {
                        Status::Overdue
                    } else {
                        Status::Due
                    };
                    Some(Judged {
                        status,
                        earliest: Some(next),
                        recommended: Some(next),
                        past_due: Some(overdue_after),
                        reason: format!(
                            "{why}. Last {} on {}; the next is due {}.",
                            test.name,
                            show(found.day),
                            show(next)
                        ),
                        evidence,
                    })
                }
            }
        }
        None => {
            // Never done: due from the first eligible birthday.
            let due_from = starts.max(birth);
            let overdue_after = plus_months(due_from, 12);
            let status = if today < due_from {
                Status::Upcoming
            } else if today > overdue_after {
                Status::Overdue
            } else {
                Status::Due
            };
            let tests: Vec<&str> = rule.tests.iter().map(|t| t.name).collect();
            Some(Judged {
                status,
                earliest: Some(due_from),
                recommended: Some(due_from),
                past_due: Some(overdue_after),
                reason: format!("{why}. No {} on record.", tests.join(" or ")),
                evidence,
            })
        }
    }
}
