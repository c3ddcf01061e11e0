//! Arithmetic on numbers, quantities and dates, with exact decimals.

use crate::EvalError;
use crate::ast::BinaryOp;
use crate::eval::{Coll, fail};
use crate::value::Item;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::cmp::Ordering;

/// `a op b` for the arithmetic operators; empty when the result is undefined (division by zero,
/// overflow).
pub fn apply<'a>(op: BinaryOp, a: &Item<'a>, b: &Item<'a>) -> Result<Coll<'a>, EvalError> {
    use BinaryOp::*;
    let (Some(a), Some(b)) = (a.system(), b.system()) else {
        return Ok(vec![]);
    };
    let out = match (&a, &b) {
        (Item::String(x), Item::String(y)) if op == Add => Some(Item::String(format!("{x}{y}"))),
        (Item::Integer(x), Item::Integer(y)) if op != Div => {
            integers(op, *x, *y).map(Item::Integer)
        }
        (Item::Long(x), Item::Long(y))
        | (Item::Long(x), Item::Integer(y))
        | (Item::Integer(x), Item::Long(y))
            if op != Div =>
        {
            integers(op, *x, *y).map(Item::Long)
        }
        (Item::Temporal(t), Item::Quantity(v, u)) if matches!(op, Add | Sub) => {
            if matches!(u.as_str(), "a" | "mo") && !t.is_time() {
                return fail(format!(
                    "'{u}' is not a calendar duration; write years or months"
                ));
            }
            let v = if op == Sub { -*v } else { *v };
            match t.add(v, u) {
                Some(moved) => Some(Item::Temporal(moved)),
                None => return fail(format!("cannot add '{u}' to a date")),
            }
        }
        (Item::Quantity(x, ux), Item::Quantity(y, uy)) => quantities(op, *x, ux, *y, uy)?,
        (Item::Quantity(x, u), n) if matches!(op, Mul | Div) => {
            let Some(n) = number(n) else {
                return fail("a quantity multiplies only by a number");
            };
            decimals(op, *x, n).map(|v| Item::Quantity(v, u.clone()))
        }
        (n, Item::Quantity(x, u)) if op == Mul => {
            let Some(n) = number(n) else {
                return fail("a quantity multiplies only by a number");
            };
            decimals(op, n, *x).map(|v| Item::Quantity(v, u.clone()))
        }
        _ => match (number(&a), number(&b)) {
            (Some(x), Some(y)) => decimals(op, x, y).map(|d| {
                if op == IntDiv {
                    Item::Integer(d.to_i64().unwrap_or_default())
                } else {
                    Item::Decimal(d)
                }
            }),
            _ => {
                return fail(format!(
                    "operator {op:?} does not apply to {} and {}",
                    a.type_info().1,
                    b.type_info().1
                ));
            }
        },
    };
    Ok(out.into_iter().collect())
}

fn number(item: &Item) -> Option<Decimal> {
    match item {
        Item::Integer(i) | Item::Long(i) => Some(Decimal::from(*i)),
        Item::Decimal(d) => Some(*d),
        _ => None,
    }
}

fn integers(op: BinaryOp, x: i64, y: i64) -> Option<i64> {
    use BinaryOp::*;
    match op {
        Add => x.checked_add(y),
        Sub => x.checked_sub(y),
        Mul => x.checked_mul(y),
        IntDiv => x.checked_div(y),
        Mod => x.checked_rem(y),
        // `/` on integers is a decimal; handled by the caller.
        _ => None,
    }
}

fn decimals(op: BinaryOp, x: Decimal, y: Decimal) -> Option<Decimal> {
    use BinaryOp::*;
    match op {
        Add => x.checked_add(y),
        Sub => x.checked_sub(y),
        Mul => x.checked_mul(y),
        Div => {
            if y.is_zero() {
                return None;
            }
            let q = x.checked_div(y)?;
            // Keep division results readable: at most 8 decimal places, trailing zeros dropped.
            Some(q.round_dp(8).normalize())
        }
        IntDiv => {
            if y.is_zero() {
                return None;
            }
            Some(x.checked_div(y)?.trunc())
        }
        Mod => {
            if y.is_zero() {
                return None;
            }
            x.checked_rem(y)
        }
        _ => None,
    }
}

/// Value of a UCUM unit in the other's terms, for comparison; `None` when not commensurable.
fn convert(value: Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(value);
    }
    let converted = ucum::convert(value.to_f64()?, from, to).ok()?;
    Decimal::from_f64(converted).map(|d| d.round_dp(12).normalize())
}

/// A calendar word's UCUM equivalent, where the two mean the same fixed length.
fn definite(unit: &str) -> &str {
    match unit {
        "week" | "weeks" => "wk",
        "day" | "days" => "d",
        "hour" | "hours" => "h",
        "minute" | "minutes" => "min",
        "second" | "seconds" => "s",
        "millisecond" | "milliseconds" => "ms",
        "year" | "years" => "a",
        "month" | "months" => "mo",
        other => other,
    }
}

/// `~` on quantities: equal after conversion, at the precision of the less precise value.
pub fn equivalent_quantities(a: &Item, b: &Item) -> bool {
    let (Item::Quantity(x, ux), Item::Quantity(y, uy)) = (a, b) else {
        return false;
    };
    let Some(y) = convert(*y, definite(uy), definite(ux)) else {
        return false;
    };
    let scale = x.scale().min(y.scale());
    x.round_dp(scale) == y.round_dp(scale)
}

/// Orders two quantities after converting units; `Ok(None)` when the units do not compare.
pub fn compare_quantities(a: &Item, b: &Item) -> Result<Option<Ordering>, EvalError> {
    let (Item::Quantity(x, ux), Item::Quantity(y, uy)) = (a, b) else {
        return Ok(None);
    };
    // Years and months are calendar lengths; they equal only their own kind.
    let (cx, cy) = (
        crate::temporal::is_calendar_word(ux),
        crate::temporal::is_calendar_word(uy),
    );
    if (cx || cy) && matches!(definite(ux), "a" | "mo") != matches!(definite(uy), "a" | "mo") {
        return Ok(None);
    }
    if (cx != cy) && matches!(definite(ux), "a" | "mo") {
        return Ok(None);
    }
    let (ux, uy) = (definite(ux), definite(uy));
    Ok(convert(*y, uy, ux).map(|y| x.cmp(&y)))
}

fn quantities<'a>(
    op: BinaryOp,
    x: Decimal,
    ux: &str,
    y: Decimal,
    uy: &str,
) -> Result<Option<Item<'a>>, EvalError> {
    use BinaryOp::*;
    match op {
        Add | Sub => {
            let Some(y) = convert(y, definite(uy), definite(ux)) else {
                return Ok(None);
            };
            Ok(decimals(op, x, y).map(|v| Item::Quantity(v, ux.to_string())))
        }
        Mul | Div => {
            let unit = match (op, ux, uy) {
                (_, "1", u) if op == Mul => u.to_string(),
                (_, u, "1") => u.to_string(),
                (Div, a, b) if a == b => "1".to_string(),
                (Mul, a, b) if a == b => format!("{a}2"),
                (Mul, a, b) => format!("{a}.{b}"),
                (_, a, b) => format!("{a}/{b}"),
            };
            Ok(decimals(op, x, y).map(|v| Item::Quantity(v, unit)))
        }
        _ => fail("operator does not apply to quantities"),
    }
}
