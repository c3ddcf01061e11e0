//! The function library.

use crate::EvalError;
use crate::ast::Expr;
use crate::eval::{
    Coll, Eval, Scope, compare, equals, fail, integer_arg, is_exactly, is_type, singleton, to_bool3,
};
use crate::temporal::{ComponentValue, Temporal, TemporalKind};
use crate::value::Item;
use rust_decimal::Decimal;
use rust_decimal::MathematicalOps;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde_json::Value;
use std::cmp::Ordering;

/// Calls function `name` on `input`.
pub fn call<'a>(
    ev: &Eval<'_, 'a>,
    name: &str,
    args: &[Expr],
    input: &[Item<'a>],
    scope: &Scope<'a>,
) -> Result<Coll<'a>, EvalError> {
    let f = Call {
        ev,
        name,
        args,
        input,
        scope,
    };
    f.run()
}

struct Call<'c, 'e, 'a> {
    ev: &'c Eval<'e, 'a>,
    name: &'c str,
    args: &'c [Expr],
    input: &'c [Item<'a>],
    scope: &'c Scope<'a>,
}

fn boolean<'a>(b: bool) -> Coll<'a> {
    vec![Item::Boolean(b)]
}

fn one<'a>(item: Option<Item<'a>>) -> Coll<'a> {
    item.into_iter().collect()
}

fn string<'a>(s: impl Into<String>) -> Coll<'a> {
    vec![Item::String(s.into())]
}

impl<'c, 'e, 'a> Call<'c, 'e, 'a> {
    fn arity(&self, min: usize, max: usize) -> Result<(), EvalError> {
        if self.args.len() < min || self.args.len() > max {
            return fail(format!(
                "{}() takes {} argument(s), got {}",
                self.name,
                if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                },
                self.args.len()
            ));
        }
        Ok(())
    }

    /// Evaluates argument `i` in the scope the function was called from.
    fn arg(&self, i: usize) -> Result<Coll<'a>, EvalError> {
        let focus: Coll<'a> = self.scope.this.clone().into_iter().collect();
        self.ev.eval(&self.args[i], &focus, self.scope)
    }

    fn string_arg(&self, i: usize) -> Result<Option<String>, EvalError> {
        match singleton(&self.arg(i)?)?.and_then(Item::system) {
            None => Ok(None),
            Some(Item::String(s)) => Ok(Some(s)),
            Some(other) => fail(format!(
                "{}() needs a string argument, got {}",
                self.name,
                other.type_info().1
            )),
        }
    }

    fn int_arg(&self, i: usize) -> Result<Option<i64>, EvalError> {
        integer_arg(&self.arg(i)?)
    }

    /// Evaluates argument `i` once per input item, with `$this` and `$index` bound.
    fn per_item(&self, i: usize, item: &Item<'a>, index: usize) -> Result<Coll<'a>, EvalError> {
        let scope = Scope {
            this: Some(item.clone()),
            index: Some(index as i64),
            total: self.scope.total.clone(),
        };
        self.ev
            .eval(&self.args[i], std::slice::from_ref(item), &scope)
    }

    /// The input's single item as a System value (`None` when empty).
    fn single(&self) -> Result<Option<Item<'a>>, EvalError> {
        Ok(singleton(self.input)?.and_then(Item::system))
    }

    fn single_string(&self) -> Result<Option<String>, EvalError> {
        match self.single()? {
            None => Ok(None),
            Some(Item::String(s)) => Ok(Some(s)),
            Some(other) => fail(format!(
                "{}() applies to a string, not {}",
                self.name,
                other.type_info().1
            )),
        }
    }

    fn run(&self) -> Result<Coll<'a>, EvalError> {
        let input = self.input;
        match self.name {
            // Existence
            "empty" => {
                self.arity(0, 0)?;
                Ok(boolean(input.is_empty()))
            }
            "exists" => {
                self.arity(0, 1)?;
                if self.args.is_empty() {
                    return Ok(boolean(!input.is_empty()));
                }
                Ok(boolean(!self.filter()?.is_empty()))
            }
            "all" => {
                self.arity(1, 1)?;
                for (i, item) in input.iter().enumerate() {
                    if to_bool3(&self.per_item(0, item, i)?)? != Some(true) {
                        return Ok(boolean(false));
                    }
                }
                Ok(boolean(true))
            }
            "allTrue" | "anyTrue" | "allFalse" | "anyFalse" => {
                self.arity(0, 0)?;
                let mut values = Vec::new();
                for item in input {
                    match item.system() {
                        Some(Item::Boolean(b)) => values.push(b),
                        _ => return fail(format!("{}() needs booleans", self.name)),
                    }
                }
                Ok(boolean(match self.name {
                    "allTrue" => values.iter().all(|b| *b),
                    "anyTrue" => values.iter().any(|b| *b),
                    "allFalse" => values.iter().all(|b| !*b),
                    _ => values.iter().any(|b| !*b),
                }))
            }
            "subsetOf" | "supersetOf" => {
                self.arity(1, 1)?;
                let other = self.arg(0)?;
                let (small, big) = if self.name == "subsetOf" {
                    (input, &other[..])
                } else {
                    (&other[..], input)
                };
                Ok(boolean(
                    small
                        .iter()
                        .all(|s| big.iter().any(|b| equals(s, b) == Some(true))),
                ))
            }
            "count" => {
                self.arity(0, 0)?;
                Ok(vec![Item::Integer(input.len() as i64)])
            }
            "distinct" => {
                self.arity(0, 0)?;
                self.ev.distinct(input.to_vec())
            }
            "isDistinct" => {
                self.arity(0, 0)?;
                Ok(boolean(
                    self.ev.distinct(input.to_vec())?.len() == input.len(),
                ))
            }
            // Filtering and projection
            "where" => {
                self.arity(1, 1)?;
                self.filter()
            }
            "select" => {
                self.arity(1, 1)?;
                let mut out = Vec::new();
                for (i, item) in input.iter().enumerate() {
                    out.extend(self.per_item(0, item, i)?);
                }
                Ok(out)
            }
            "repeat" | "repeatAll" => {
                self.arity(1, 1)?;
                let mut out: Coll<'a> = Vec::new();
                let mut addresses = std::collections::HashSet::new();
                let mut frontier = input.to_vec();
                while !frontier.is_empty() {
                    let mut next = Vec::new();
                    for (i, item) in frontier.iter().enumerate() {
                        for found in self.per_item(0, item, i)? {
                            self.ev.tick(1)?;
                            let seen = self.name == "repeat"
                                && self.seen_before(&out, &found, &mut addresses)?;
                            if !seen {
                                out.push(found.clone());
                                next.push(found);
                            }
                        }
                    }
                    frontier = next;
                }
                Ok(out)
            }
            "ofType" => {
                self.arity(1, 1)?;
                let Some(ty) = self.args[0].as_type_name() else {
                    return fail("ofType() needs a type name");
                };
                let mut out = Vec::new();
                for item in input {
                    if is_exactly(item, &ty)? {
                        out.push(item.clone());
                    }
                }
                Ok(out)
            }
            "is" | "as" => {
                self.arity(1, 1)?;
                let Some(ty) = self.args[0].as_type_name() else {
                    return fail(format!("{}() needs a type name", self.name));
                };
                let Some(item) = singleton(input)? else {
                    return Ok(vec![]);
                };
                let is = if self.name == "is" {
                    is_type(item, &ty)?
                } else {
                    is_exactly(item, &ty)?
                };
                if self.name == "is" {
                    Ok(boolean(is))
                } else {
                    Ok(one(Some(item.clone()).filter(|_| is)))
                }
            }
            // Subsetting
            "single" => {
                self.arity(0, 0)?;
                Ok(one(singleton(input)?.cloned()))
            }
            "first" => {
                self.arity(0, 0)?;
                Ok(one(input.first().cloned()))
            }
            "last" => {
                self.arity(0, 0)?;
                Ok(one(input.last().cloned()))
            }
            "tail" => {
                self.arity(0, 0)?;
                Ok(input.iter().skip(1).cloned().collect())
            }
            "skip" | "take" => {
                self.arity(1, 1)?;
                let n = self.int_arg(0)?.unwrap_or(0).max(0) as usize;
                Ok(if self.name == "skip" {
                    input.iter().skip(n).cloned().collect()
                } else {
                    input.iter().take(n).cloned().collect()
                })
            }
            "intersect" => {
                self.arity(1, 1)?;
                let other = self.arg(0)?;
                let kept = input
                    .iter()
                    .filter(|i| other.iter().any(|o| equals(i, o) == Some(true)))
                    .cloned();
                self.ev.distinct(kept.collect())
            }
            "exclude" => {
                self.arity(1, 1)?;
                let other = self.arg(0)?;
                Ok(input
                    .iter()
                    .filter(|i| !other.iter().any(|o| equals(i, o) == Some(true)))
                    .cloned()
                    .collect())
            }
            // Combining
            "union" => {
                self.arity(1, 1)?;
                let mut all = input.to_vec();
                all.extend(self.arg(0)?);
                self.ev.distinct(all)
            }
            "combine" => {
                self.arity(1, 1)?;
                let mut all = input.to_vec();
                all.extend(self.arg(0)?);
                Ok(all)
            }
            // Boolean and conditional
            "not" => {
                self.arity(0, 0)?;
                match singleton(input)?.map(Item::system) {
                    None | Some(None) => Ok(vec![]),
                    Some(Some(Item::Boolean(b))) => Ok(boolean(!b)),
                    // Any other single item counts as true (singleton evaluation), so `not()` is false.
                    Some(Some(_)) => Ok(boolean(false)),
                }
            }
            "iif" => {
                self.arity(2, 3)?;
                if input.len() > 1 {
                    return fail("iif() applies to at most one item");
                }
                let scope = Scope {
                    this: input.first().cloned().or_else(|| self.scope.this.clone()),
                    ..self.scope.clone()
                };
                let focus: Coll<'a> = scope.this.clone().into_iter().collect();
                let criterion = self.ev.eval(&self.args[0], &focus, &scope)?;
                let truth = match singleton(&criterion)?.map(Item::system) {
                    None | Some(None) => false,
                    Some(Some(Item::Boolean(b))) => b,
                    Some(Some(_)) => return fail("iif() criterion must be a boolean"),
                };
                if truth {
                    self.ev.eval(&self.args[1], &focus, &scope)
                } else if self.args.len() == 3 {
                    self.ev.eval(&self.args[2], &focus, &scope)
                } else {
                    Ok(vec![])
                }
            }
            "trace" => {
                self.arity(1, 2)?;
                Ok(input.to_vec())
            }
            "defineVariable" => fail("defineVariable() is not supported"),
            // Conversions
            "toBoolean" | "convertsToBoolean" => self.convert(|item| match item {
                Item::Boolean(b) => Some(Item::Boolean(b)),
                Item::Integer(i) if i == 0 || i == 1 => Some(Item::Boolean(i == 1)),
                Item::Decimal(d) if d.is_zero() || d == Decimal::ONE => {
                    Some(Item::Boolean(d == Decimal::ONE))
                }
                Item::String(s) => match s.to_lowercase().as_str() {
                    "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(Item::Boolean(true)),
                    "false" | "f" | "no" | "n" | "0" | "0.0" => Some(Item::Boolean(false)),
                    _ => None,
                },
                _ => None,
            }),
            "toInteger" | "convertsToInteger" => self.convert(|item| match item {
                Item::Integer(i) => Some(Item::Integer(i)),
                Item::Boolean(b) => Some(Item::Integer(b as i64)),
                Item::String(s) => {
                    let digits = s.strip_prefix(['+', '-']).unwrap_or(&s);
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    s.parse().ok().map(Item::Integer)
                }
                _ => None,
            }),
            "toLong" | "convertsToLong" => self.convert(|item| match item {
                Item::Integer(i) | Item::Long(i) => Some(Item::Long(i)),
                Item::Boolean(b) => Some(Item::Long(b as i64)),
                Item::String(s) => s.parse().ok().map(Item::Long),
                _ => None,
            }),
            "toDecimal" | "convertsToDecimal" => self.convert(|item| match item {
                Item::Integer(i) | Item::Long(i) => Some(Item::Decimal(Decimal::from(i))),
                Item::Decimal(d) => Some(Item::Decimal(d)),
                Item::Boolean(b) => {
                    Some(Item::Decimal(if b { Decimal::ONE } else { Decimal::ZERO }))
                }
                Item::String(s) => parse_decimal_text(&s).map(Item::Decimal),
                _ => None,
            }),
            "toString" | "convertsToString" => {
                self.convert(|item| item.to_text().map(Item::String))
            }
            "toDate" | "convertsToDate" => self.convert(|item| match item {
                Item::Temporal(t) if t.kind != TemporalKind::Time => {
                    Some(Item::Temporal(t.date_part()))
                }
                Item::String(s) => Temporal::parse_date(&s)
                    .or_else(|| Temporal::parse_datetime(&s).map(|t| t.date_part()))
                    .map(Item::Temporal),
                _ => None,
            }),
            "toDateTime" | "convertsToDateTime" => self.convert(|item| match item {
                Item::Temporal(t) if t.kind != TemporalKind::Time => {
                    Some(Item::Temporal(t.to_datetime()))
                }
                Item::String(s) => Temporal::parse_datetime(&s).map(Item::Temporal),
                _ => None,
            }),
            "toTime" | "convertsToTime" => self.convert(|item| match item {
                Item::Temporal(t) if t.kind == TemporalKind::Time => Some(Item::Temporal(t)),
                Item::String(s) => {
                    Temporal::parse_time(s.strip_prefix('T').unwrap_or(&s)).map(Item::Temporal)
                }
                _ => None,
            }),
            "toQuantity" | "convertsToQuantity" => {
                self.arity(0, 1)?;
                let target = if self.args.is_empty() {
                    None
                } else {
                    self.string_arg(0)?
                };
                let converted =
                    singleton(input)?
                        .and_then(Item::system)
                        .and_then(|item| match item {
                            Item::Integer(i) | Item::Long(i) => {
                                Some((Decimal::from(i), "1".to_string()))
                            }
                            Item::Decimal(d) => Some((d, "1".to_string())),
                            Item::Quantity(v, u) => Some((v, u)),
                            Item::Boolean(b) => {
                                Some((if b { Decimal::ONE } else { Decimal::ZERO }, "1".into()))
                            }
                            Item::String(s) => parse_quantity_text(&s),
                            _ => None,
                        });
                let converted = match (converted, target) {
                    (Some((v, u)), Some(t)) if u != t => crate::arith::compare_quantities(
                        &Item::Quantity(v, u.clone()),
                        &Item::Quantity(v, t.clone()),
                    )
                    .ok()
                    .flatten()
                    .and_then(|_| {
                        ucum::convert(v.to_f64()?, &u, &t)
                            .ok()
                            .and_then(Decimal::from_f64)
                    })
                    .map(|v| (v.round_dp(12).normalize(), t)),
                    (c, _) => c,
                };
                if self.name.starts_with("converts") {
                    return Ok(if input.is_empty() {
                        vec![]
                    } else {
                        boolean(converted.is_some())
                    });
                }
                Ok(one(converted.map(|(v, u)| Item::Quantity(v, u))))
            }
            // Strings
            "indexOf" | "lastIndexOf" => {
                self.arity(1, 1)?;
                let (Some(s), Some(sub)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                let found = if self.name == "indexOf" {
                    s.find(&sub)
                } else {
                    s.rfind(&sub)
                };
                Ok(vec![Item::Integer(
                    found.map(|b| s[..b].chars().count() as i64).unwrap_or(-1),
                )])
            }
            "substring" => {
                self.arity(1, 2)?;
                let Some(s) = self.single_string()? else {
                    return Ok(vec![]);
                };
                let Some(start) = self.int_arg(0)? else {
                    return Ok(vec![]);
                };
                let chars: Vec<char> = s.chars().collect();
                if start < 0 || start as usize >= chars.len() {
                    return Ok(vec![]);
                }
                let len = if self.args.len() == 2 {
                    match self.int_arg(1)? {
                        Some(l) => l.max(0) as usize,
                        None => chars.len(),
                    }
                } else {
                    chars.len()
                };
                Ok(string(
                    chars
                        .iter()
                        .skip(start as usize)
                        .take(len)
                        .collect::<String>(),
                ))
            }
            "startsWith" | "endsWith" | "contains" => {
                self.arity(1, 1)?;
                let (Some(s), Some(sub)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                Ok(boolean(match self.name {
                    "startsWith" => s.starts_with(&sub),
                    "endsWith" => s.ends_with(&sub),
                    _ => s.contains(&sub),
                }))
            }
            "upper" | "lower" | "trim" | "toChars" | "length" => {
                self.arity(0, 0)?;
                let Some(s) = self.single_string()? else {
                    return Ok(vec![]);
                };
                Ok(match self.name {
                    "upper" => string(s.to_uppercase()),
                    "lower" => string(s.to_lowercase()),
                    "trim" => string(s.trim()),
                    "length" => vec![Item::Integer(s.chars().count() as i64)],
                    _ => s.chars().map(|c| Item::String(c.to_string())).collect(),
                })
            }
            "replace" => {
                self.arity(2, 2)?;
                let (Some(s), Some(from), Some(to)) = (
                    self.single_string()?,
                    self.string_arg(0)?,
                    self.string_arg(1)?,
                ) else {
                    return Ok(vec![]);
                };
                if from.is_empty() {
                    // Spec: an empty pattern inserts the substitution around every character.
                    let mut out = to.clone();
                    for c in s.chars() {
                        out.push(c);
                        out.push_str(&to);
                    }
                    return Ok(string(out));
                }
                Ok(string(s.replace(&from, &to)))
            }
            "matches" | "matchesFull" => {
                self.arity(1, 1)?;
                let (Some(s), Some(pattern)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                let pattern = if self.name == "matchesFull" {
                    format!("^(?:{pattern})$")
                } else {
                    pattern
                };
                Ok(boolean(regex(&format!("(?s){pattern}"))?.is_match(&s)))
            }
            "replaceMatches" => {
                self.arity(2, 2)?;
                let (Some(s), Some(pattern), Some(to)) = (
                    self.single_string()?,
                    self.string_arg(0)?,
                    self.string_arg(1)?,
                ) else {
                    return Ok(vec![]);
                };
                if pattern.is_empty() {
                    return Ok(string(s));
                }
                Ok(string(
                    regex(&pattern)?.replace_all(&s, to.as_str()).into_owned(),
                ))
            }
            "split" => {
                self.arity(1, 1)?;
                let (Some(s), Some(sep)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                Ok(s.split(sep.as_str())
                    .map(|p| Item::String(p.to_string()))
                    .collect())
            }
            "join" => {
                self.arity(0, 1)?;
                let sep = if self.args.is_empty() {
                    String::new()
                } else {
                    self.string_arg(0)?.unwrap_or_default()
                };
                let parts: Vec<String> = input.iter().filter_map(Item::to_text).collect();
                Ok(string(parts.join(&sep)))
            }
            "encode" | "decode" => {
                self.arity(1, 1)?;
                let (Some(s), Some(format)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                Ok(one(
                    codec(self.name == "encode", &s, &format).map(Item::String)
                ))
            }
            "escape" | "unescape" => {
                self.arity(1, 1)?;
                let (Some(s), Some(format)) = (self.single_string()?, self.string_arg(0)?) else {
                    return Ok(vec![]);
                };
                Ok(one(
                    escaping(self.name == "escape", &s, &format).map(Item::String)
                ))
            }
            // Math
            "abs" | "ceiling" | "floor" | "truncate" | "exp" | "ln" | "sqrt" => {
                self.arity(0, 0)?;
                self.math()
            }
            "round" => {
                self.arity(0, 1)?;
                let places = if self.args.is_empty() {
                    0
                } else {
                    self.int_arg(0)?.unwrap_or(0)
                };
                if places < 0 {
                    return fail("round() needs a non-negative precision");
                }
                let Some(n) = self.single_number()? else {
                    return Ok(vec![]);
                };
                Ok(vec![Item::Decimal(n.round_dp_with_strategy(
                    places as u32,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                ))])
            }
            "log" | "power" => {
                self.arity(1, 1)?;
                let Some(x) = self.single_number()? else {
                    return Ok(vec![]);
                };
                let arg = self.arg(0)?;
                let Some(y) = singleton(&arg)?
                    .and_then(Item::system)
                    .and_then(|i| match i {
                        Item::Integer(n) | Item::Long(n) => Some(Decimal::from(n)),
                        Item::Decimal(d) => Some(d),
                        _ => None,
                    })
                else {
                    return Ok(vec![]);
                };
                let (fx, fy) = (
                    x.to_f64().unwrap_or(f64::NAN),
                    y.to_f64().unwrap_or(f64::NAN),
                );
                let r = if self.name == "log" {
                    fx.ln() / fy.ln()
                } else {
                    fx.powf(fy)
                };
                if !r.is_finite() {
                    return Ok(vec![]);
                }
                let both_int = matches!(self.single()?, Some(Item::Integer(_)))
                    && matches!(
                        singleton(&arg)?.and_then(Item::system),
                        Some(Item::Integer(_))
                    );
                if self.name == "power" && both_int && r.fract() == 0.0 {
                    return Ok(vec![Item::Integer(r as i64)]);
                }
                Ok(one(
                    Decimal::from_f64(r).map(|d| Item::Decimal(d.round_dp(8).normalize()))
                ))
            }
            // Tree navigation
            "children" | "descendants" => {
                self.arity(0, 0)?;
                let mut out = Vec::new();
                let mut frontier = input.to_vec();
                loop {
                    let mut next = Vec::new();
                    for item in &frontier {
                        children_of(item, &mut next);
                    }
                    self.ev.tick(next.len() as u64)?;
                    out.extend(next.iter().cloned());
                    if self.name == "children" || next.is_empty() {
                        return Ok(out);
                    }
                    frontier = next;
                }
            }
            // Dates
            "now" | "today" | "timeOfDay" => {
                self.arity(0, 0)?;
                let kind = match self.name {
                    "now" => TemporalKind::DateTime,
                    "today" => TemporalKind::Date,
                    _ => TemporalKind::Time,
                };
                Ok(vec![Item::Temporal(Temporal::now(kind))])
            }
            "yearOf" | "monthOf" | "dayOf" | "hourOf" | "minuteOf" | "secondOf"
            | "millisecondOf" | "timezoneOffsetOf" => {
                self.arity(0, 0)?;
                let Some(Item::Temporal(t)) = self.single()? else {
                    return Ok(vec![]);
                };
                let component = self.name.trim_end_matches("Of");
                Ok(one(t.component(component).map(|c| match c {
                    ComponentValue::Int(i) => Item::Integer(i),
                    ComponentValue::Hours(h) => Item::Decimal(h),
                })))
            }
            "dateOf" | "timeOf" => {
                self.arity(0, 0)?;
                let Some(Item::Temporal(t)) = self.single()? else {
                    return Ok(vec![]);
                };
                Ok(one(if self.name == "dateOf" {
                    Some(t.date_part())
                } else {
                    t.time_part()
                }
                .map(Item::Temporal)))
            }
            "lowBoundary" | "highBoundary" => {
                self.arity(0, 1)?;
                let precision = if self.args.is_empty() {
                    None
                } else {
                    self.int_arg(0)?
                };
                let high = self.name == "highBoundary";
                match self.single()? {
                    None => Ok(vec![]),
                    Some(Item::Temporal(t)) => Ok(one(t
                        .boundary(high, precision.map(|p| p as u32))
                        .map(Item::Temporal))),
                    Some(Item::Decimal(d)) => {
                        Ok(one(decimal_boundary(d, high, precision).map(Item::Decimal)))
                    }
                    Some(Item::Integer(i)) => {
                        Ok(one(
                            decimal_boundary(Decimal::from(i), high, precision).map(Item::Decimal)
                        ))
                    }
                    Some(Item::Quantity(v, u)) => Ok(one(
                        decimal_boundary(v, high, precision).map(|d| Item::Quantity(d, u))
                    )),
                    Some(_) => Ok(vec![]),
                }
            }
            "precision" => {
                self.arity(0, 0)?;
                Ok(match self.single()? {
                    Some(Item::Temporal(t)) => vec![Item::Integer(t.precision_digits())],
                    Some(Item::Decimal(d)) => vec![Item::Integer(d.scale() as i64)],
                    Some(Item::Integer(_)) => vec![Item::Integer(0)],
                    _ => vec![],
                })
            }
            "comparable" => {
                self.arity(1, 1)?;
                let other = self.arg(0)?;
                let (Some(a), Some(b)) =
                    (self.single()?, singleton(&other)?.and_then(Item::system))
                else {
                    return Ok(vec![]);
                };
                Ok(boolean(crate::arith::compare_quantities(&a, &b)?.is_some()))
            }
            // Reflection
            "type" => {
                self.arity(0, 0)?;
                Ok(input
                    .iter()
                    .map(|item| {
                        let (namespace, name) = item.type_info();
                        Item::Type(namespace, name)
                    })
                    .collect())
            }
            "sort" => self.sort(),
            "aggregate" => {
                self.arity(1, 2)?;
                let mut total = if self.args.len() == 2 {
                    self.arg(1)?
                } else {
                    vec![]
                };
                for (i, item) in input.iter().enumerate() {
                    let scope = Scope {
                        this: Some(item.clone()),
                        index: Some(i as i64),
                        total: Some(total.clone()),
                    };
                    total = self
                        .ev
                        .eval(&self.args[0], std::slice::from_ref(item), &scope)?;
                }
                Ok(total)
            }
            "sum" | "min" | "max" | "avg" => self.aggregate_shortcut(),
            // FHIR-specific
            "extension" => {
                self.arity(1, 1)?;
                let Some(url) = self.string_arg(0)? else {
                    return Ok(vec![]);
                };
                let mut out = Vec::new();
                for item in input {
                    let mut exts = Vec::new();
                    self.ev.member(item, "extension", &mut exts);
                    out.extend(exts.into_iter().filter(|e| match e {
                        Item::Node(n) => {
                            n.value.get("url").and_then(Value::as_str) == Some(url.as_str())
                        }
                        _ => false,
                    }));
                }
                Ok(out)
            }
            "hasValue" => {
                self.arity(0, 0)?;
                Ok(boolean(
                    matches!(singleton(input)?, Some(Item::Node(n)) if !n.value.is_null() && !n.value.is_object()),
                ))
            }
            "getValue" => {
                self.arity(0, 0)?;
                Ok(one(singleton(input)?
                    .and_then(Item::system)
                    .filter(|i| !matches!(i, Item::Node(_)))))
            }
            "resolve" => Ok(vec![]),
            "htmlChecks" => Ok(boolean(true)),
            "conformsTo" => {
                self.arity(1, 1)?;
                let Some(url) = self.string_arg(0)? else {
                    return Ok(vec![]);
                };
                // Only the core resource profiles are known here: conforming means being of that type.
                let Some(ty) = url.strip_prefix("http://hl7.org/fhir/StructureDefinition/") else {
                    return fail(format!("conformsTo(): profile {url} is not known"));
                };
                if !crate::model::is_resource(ty) {
                    return fail(format!("conformsTo(): profile {url} is not known"));
                }
                Ok(one(singleton(input)?.map(|item| {
                    Item::Boolean(matches!(item, Item::Node(n) if n.value.get("resourceType").and_then(Value::as_str).is_some_and(|t| crate::model::derives_from(t, ty))))
                })))
            }
            "memberOf" | "subsumes" | "subsumedBy" => fail(format!(
                "{}() needs a terminology or profile server, which is not available",
                self.name
            )),
            // SQL-on-FHIR
            "getResourceKey" => {
                self.arity(0, 0)?;
                Ok(one(singleton(input)?.and_then(|item| match item {
                    Item::Node(n) => {
                        let ty = n.value.get("resourceType")?.as_str()?;
                        let id = n.value.get("id")?.as_str()?;
                        Some(Item::String(format!("{ty}/{id}")))
                    }
                    _ => None,
                })))
            }
            "getReferenceKey" => {
                self.arity(0, 1)?;
                let wanted = match self.args.first() {
                    None => None,
                    Some(arg) => match arg.as_type_name() {
                        Some(t) => Some(t.name),
                        None => return fail("getReferenceKey() takes a resource type name"),
                    },
                };
                let mut out = Vec::new();
                for item in input {
                    let Item::Node(n) = item else { continue };
                    let Some(reference) = n.value.get("reference").and_then(Value::as_str) else {
                        continue;
                    };
                    if let Some(key) = reference_key(reference)
                        && wanted
                            .as_deref()
                            .is_none_or(|w| key.starts_with(&format!("{w}/")))
                    {
                        out.push(Item::String(key));
                    }
                }
                Ok(out)
            }
            other => fail(format!("unknown function {other}()")),
        }
    }

    /// Whether `repeat()` has produced `found` already: by address for pieces of the input,
    /// by equality (counted as work) for values.
    fn seen_before(
        &self,
        out: &[Item<'a>],
        found: &Item<'a>,
        addresses: &mut std::collections::HashSet<usize>,
    ) -> Result<bool, EvalError> {
        if let Item::Node(n) = found
            && n.value.is_object()
        {
            return Ok(!addresses.insert(std::ptr::from_ref(n.value) as usize));
        }
        self.ev.tick(out.len() as u64)?;
        Ok(out.iter().any(|o| same_item(o, found)))
    }

    fn filter(&self) -> Result<Coll<'a>, EvalError> {
        let mut out = Vec::new();
        for (i, item) in self.input.iter().enumerate() {
            if to_bool3(&self.per_item(0, item, i)?)? == Some(true) {
                out.push(item.clone());
            }
        }
        Ok(out)
    }

    fn convert(&self, f: impl Fn(Item<'a>) -> Option<Item<'a>>) -> Result<Coll<'a>, EvalError> {
        self.arity(0, 0)?;
        let Some(item) = singleton(self.input)? else {
            return Ok(vec![]);
        };
        let converted = item.system().and_then(f);
        if self.name.starts_with("convertsTo") {
            return Ok(boolean(converted.is_some()));
        }
        Ok(one(converted))
    }

    fn single_number(&self) -> Result<Option<Decimal>, EvalError> {
        match self.single()? {
            None => Ok(None),
            Some(Item::Integer(i)) | Some(Item::Long(i)) => Ok(Some(Decimal::from(i))),
            Some(Item::Decimal(d)) => Ok(Some(d)),
            Some(other) => fail(format!(
                "{}() applies to a number, not {}",
                self.name,
                other.type_info().1
            )),
        }
    }

    fn math(&self) -> Result<Coll<'a>, EvalError> {
        let item = self.single()?;
        if let (Some(Item::Quantity(v, u)), "abs") = (&item, self.name) {
            return Ok(vec![Item::Quantity(v.abs(), u.clone())]);
        }
        let is_int = matches!(item, Some(Item::Integer(_)));
        let Some(n) = self.single_number()? else {
            return Ok(vec![]);
        };
        let out = match self.name {
            "abs" if is_int => Item::Integer(n.abs().to_i64().unwrap_or_default()),
            "abs" => Item::Decimal(n.abs()),
            "ceiling" => Item::Integer(n.ceil().to_i64().unwrap_or_default()),
            "floor" => Item::Integer(n.floor().to_i64().unwrap_or_default()),
            "truncate" => Item::Integer(n.trunc().to_i64().unwrap_or_default()),
            "exp" => match n.checked_exp() {
                Some(e) => Item::Decimal(e.round_dp(8).normalize()),
                None => return Ok(vec![]),
            },
            "ln" => match n.checked_ln() {
                Some(l) => Item::Decimal(l.round_dp(8).normalize()),
                None => return Ok(vec![]),
            },
            _ => match n.sqrt() {
                Some(s) => Item::Decimal(s.round_dp(8).normalize()),
                None => return Ok(vec![]),
            },
        };
        Ok(vec![out])
    }

    fn sort(&self) -> Result<Coll<'a>, EvalError> {
        let mut keyed = Vec::new();
        for (i, item) in self.input.iter().enumerate() {
            let mut keys = Vec::new();
            if self.args.is_empty() {
                keys.push((item.system(), false));
            }
            for (k, arg) in self.args.iter().enumerate() {
                let (expr, descending) = match arg {
                    Expr::Negate(inner) => (inner.as_ref(), true),
                    other => (other, false),
                };
                let scope = Scope {
                    this: Some(item.clone()),
                    index: Some(i as i64),
                    total: None,
                };
                let value = self.ev.eval(expr, std::slice::from_ref(item), &scope)?;
                let _ = k;
                keys.push((singleton(&value)?.and_then(Item::system), descending));
            }
            keyed.push((keys, item.clone()));
        }
        let mut error = None;
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, desc), (y, _)) in a.iter().zip(b) {
                let ordering = match (x, y) {
                    (None, None) => Ordering::Equal,
                    // An item without the key sorts after those with it.
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => match compare(x, y) {
                        Ok(o) => o.unwrap_or(Ordering::Equal),
                        Err(e) => {
                            error = Some(e);
                            Ordering::Equal
                        }
                    },
                };
                let ordering = if *desc { ordering.reverse() } else { ordering };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            Ordering::Equal
        });
        if let Some(e) = error {
            return Err(e);
        }
        Ok(keyed.into_iter().map(|(_, item)| item).collect())
    }

    fn aggregate_shortcut(&self) -> Result<Coll<'a>, EvalError> {
        self.arity(0, 0)?;
        let values: Vec<Item<'a>> = self.input.iter().filter_map(Item::system).collect();
        if values.is_empty() {
            return Ok(if self.name == "sum" {
                vec![Item::Integer(0)]
            } else {
                vec![]
            });
        }
        match self.name {
            "min" | "max" => {
                let mut best = values[0].clone();
                for v in &values[1..] {
                    let o = compare(v, &best)?;
                    if (self.name == "min" && o == Some(Ordering::Less))
                        || (self.name == "max" && o == Some(Ordering::Greater))
                    {
                        best = v.clone();
                    }
                }
                Ok(vec![best])
            }
            _ => {
                let mut total = values[0].clone();
                for v in &values[1..] {
                    let sum = crate::arith::apply(crate::ast::BinaryOp::Add, &total, v)?;
                    let Some(s) = sum.into_iter().next() else {
                        return Ok(vec![]);
                    };
                    total = s;
                }
                if self.name == "avg" {
                    return crate::arith::apply(
                        crate::ast::BinaryOp::Div,
                        &total,
                        &Item::Integer(values.len() as i64),
                    );
                }
                Ok(vec![total])
            }
        }
    }
}

/// Whether two items are the same piece of the input (or equal values).
fn same_item(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::Node(x), Item::Node(y)) => {
            std::ptr::eq(x.value, y.value) || (x.value == y.value && x.ty == y.ty)
        }
        _ => equals(a, b) == Some(true),
    }
}

fn children_of<'a>(item: &Item<'a>, out: &mut Coll<'a>) {
    let Item::Node(node) = item else { return };
    let Value::Object(object) = node.value else {
        return;
    };
    let ty = node.type_name();
    let mut seen = Vec::new();
    for key in object.keys() {
        let name = key.strip_prefix('_').unwrap_or(key);
        if name == "resourceType" || seen.contains(&name) {
            continue;
        }
        seen.push(name);
        // A choice element is reached through its base name.
        let element = crate::model::element(ty, name);
        if element.is_none()
            && let Some(choice) = choice_base(ty, name)
        {
            if !seen.contains(&choice) {
                seen.push(choice);
                crate::eval::children(ty, object, choice, out);
            }
            continue;
        }
        crate::eval::children(ty, object, name, out);
    }
}

fn choice_base(ty: &str, key: &str) -> Option<&'static str> {
    let mut current = crate::model::type_def(ty);
    while let Some(t) = current {
        for e in t.elements {
            if e.types.len() > 1
                && key.starts_with(e.name)
                && e.types
                    .iter()
                    .any(|x| crate::eval::choice_key(e.name, x) == key)
            {
                return Some(e.name);
            }
        }
        current = t.base.and_then(crate::model::type_def);
    }
    None
}

fn regex(pattern: &str) -> Result<regex::Regex, EvalError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| EvalError(format!("bad regular expression: {e}")))
}

fn parse_decimal_text(s: &str) -> Option<Decimal> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next()?;
    let frac = parts.next();
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(f) = frac
        && (f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Decimal::from_str_exact(s).ok()
}

fn parse_quantity_text(s: &str) -> Option<(Decimal, String)> {
    let s = s.trim();
    let (number, unit) = match s.find(' ') {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let value = parse_decimal_text(number)?;
    let unit = if unit.is_empty() {
        "1".to_string()
    } else if let Some(u) = unit.strip_prefix('\'').and_then(|u| u.strip_suffix('\'')) {
        u.to_string()
    } else if crate::temporal::calendar_unit(unit).is_some() && unit.len() > 2 {
        unit.to_string()
    } else {
        return None;
    };
    Some((value, unit))
}

fn decimal_boundary(d: Decimal, high: bool, precision: Option<i64>) -> Option<Decimal> {
    let target = precision.unwrap_or(8);
    if !(0..=28).contains(&target) {
        return None;
    }
    // The value stands for everything that rounds to it: ± half a unit in its last digit.
    let half = Decimal::new(5, d.scale() + 1);
    let edge = if high { d + half } else { d - half };
    let target = target as u32;
    let rounded = if target >= edge.scale() {
        let mut e = edge;
        e.rescale(target);
        e
    } else if high == (edge.is_sign_negative()) {
        edge.round_dp_with_strategy(target, rust_decimal::RoundingStrategy::ToZero)
    } else {
        edge.round_dp_with_strategy(target, rust_decimal::RoundingStrategy::AwayFromZero)
    };
    Some(rounded)
}

fn reference_key(reference: &str) -> Option<String> {
    let path = reference.split(['#', '?']).next()?;
    let parts: Vec<&str> = path.trim_end_matches('/').rsplit('/').take(4).collect();
    // `Type/id` or `.../Type/id/_history/v`.
    let (ty, id) = match parts.as_slice() {
        [_, "_history", id, ty, ..] => (*ty, *id),
        [id, ty, ..] => (*ty, *id),
        _ => return None,
    };
    (crate::model::is_resource(ty) && !id.is_empty()).then(|| format!("{ty}/{id}"))
}

fn unescape_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push_str(&hex),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn codec(encode: bool, s: &str, format: &str) -> Option<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    match (encode, format) {
        (true, "base64") => Some(STANDARD.encode(s)),
        (true, "urlbase64") => Some(URL_SAFE.encode(s)),
        (true, "hex") => Some(s.bytes().map(|b| format!("{b:02x}")).collect()),
        (false, "base64") => String::from_utf8(STANDARD.decode(s).ok()?).ok(),
        (false, "urlbase64") => String::from_utf8(URL_SAFE.decode(s).ok()?).ok(),
        (false, "hex") => {
            if !s.len().is_multiple_of(2) {
                return None;
            }
            let bytes: Option<Vec<u8>> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect();
            String::from_utf8(bytes?).ok()
        }
        _ => None,
    }
}

fn escaping(escape: bool, s: &str, format: &str) -> Option<String> {
    match (escape, format) {
        (true, "html") => Some(
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;"),
        ),
        (false, "html") => Some(
            s.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&"),
        ),
        (true, "json") => {
            let quoted = serde_json::to_string(s).ok()?;
            Some(quoted[1..quoted.len() - 1].to_string())
        }
        (false, "json") => Some(unescape_json(s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_keys_read_relative_absolute_and_versioned_references() {
        assert_eq!(reference_key("Patient/p1").as_deref(), Some("Patient/p1"));
        assert_eq!(
            reference_key("https://x.org/fhir/Patient/p1/_history/2").as_deref(),
            Some("Patient/p1")
        );
        assert_eq!(reference_key("#contained"), None);
        assert_eq!(reference_key("urn:uuid:1234"), None);
    }

    #[test]
    fn boundaries_follow_the_written_precision() {
        let d = Decimal::from_str_exact("1.587").unwrap();
        assert_eq!(
            decimal_boundary(d, false, None).unwrap().to_string(),
            "1.58650000"
        );
        assert_eq!(
            decimal_boundary(d, true, None).unwrap().to_string(),
            "1.58750000"
        );
    }
}
