//! Codes of the well-known systems: LOINC and SNOMED CT check digits, RxNorm, CVX and ICD-10 shapes.

use super::*;

/// Checks the code of every `system` + `code` pair (Codings, Quantities) in the tree.
pub(super) fn check_codes(value: &Value, path: &str) -> Result<(), Invalid> {
    match value {
        Value::Object(object) => {
            if let (Some(system), Some(code)) = (
                object.get("system").and_then(Value::as_str),
                object.get("code").and_then(Value::as_str),
            ) && let Err(reason) = check_code(system, code)
            {
                return invalid(at(path, "code"), reason);
            }
            for (key, child) in object {
                check_codes(child, &at(path, key))?;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_codes(item, &format!("{path}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Why `code` cannot be a code of `system`, for the well-known systems.
pub(super) fn check_code(system: &str, code: &str) -> Result<(), &'static str> {
    match system {
        "http://loinc.org" => loinc(code),
        "http://snomed.info/sct" => snomed(code),
        "http://www.nlm.nih.gov/research/umls/rxnorm" if !digits(code, 1..=10) => {
            Err("is not a valid RxNorm code")
        }
        "http://hl7.org/fhir/sid/cvx" if !digits(code, 1..=3) => Err("is not a valid CVX code"),
        "http://hl7.org/fhir/sid/icd-10-cm" | "http://hl7.org/fhir/sid/icd-10"
            if !is_icd10(code) =>
        {
            Err("is not a valid ICD-10 code")
        }
        _ => Ok(()),
    }
}

pub(super) fn digits(s: &str, len: RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn loinc(code: &str) -> Result<(), &'static str> {
    const FORMAT: &str = "is not a valid LOINC code (format)";
    let Some((body, check)) = code.split_once('-') else {
        return Err(FORMAT);
    };
    if !digits(check, 1..=1) {
        return Err(FORMAT);
    }
    // Answer (LA), part (LP), group (LG) and answer-list (LL) codes share the
    // system, but their check digit is not the mod 10 of the digits alone.
    if let Some(rest) = ["LA", "LP", "LG", "LL"]
        .iter()
        .find_map(|prefix| body.strip_prefix(prefix))
    {
        return if digits(rest, 1..=7) {
            Ok(())
        } else {
            Err(FORMAT)
        };
    }
    if !digits(body, 1..=7) {
        return Err(FORMAT);
    }
    if mod10(body) == u32::from(check.as_bytes()[0] - b'0') {
        Ok(())
    } else {
        Err("is not a valid LOINC code (check digit)")
    }
}

/// LOINC's mod 10 check digit of an all-digit `body` (the Luhn algorithm).
pub(super) fn mod10(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

pub(super) fn snomed(code: &str) -> Result<(), &'static str> {
    if !digits(code, 6..=18) || code.starts_with('0') {
        return Err("is not a valid SNOMED CT code (format)");
    }
    if verhoeff(code) {
        Ok(())
    } else {
        Err("is not a valid SNOMED CT code (check digit)")
    }
}

/// Whether an all-digit string ends in a correct Verhoeff check digit (SNOMED CT's).
pub(super) fn verhoeff(code: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let check = code.bytes().rev().enumerate().fold(0u8, |c, (i, b)| {
        D[usize::from(c)][usize::from(P[i % 8][usize::from(b - b'0')])]
    });
    check == 0
}

/// `A00`, `A00.0` to `A00.0000`: letter, digit, digit or letter, then 1-4 after a dot.
pub(super) fn is_icd10(code: &str) -> bool {
    let (head, tail) = match code.split_once('.') {
        Some((head, tail)) => (head.as_bytes(), Some(tail)),
        None => (code.as_bytes(), None),
    };
    let alnum = |b: &u8| b.is_ascii_digit() || b.is_ascii_uppercase();
    matches!(head, [a, b, c] if a.is_ascii_uppercase() && b.is_ascii_digit() && alnum(c))
        && tail.is_none_or(|t| (1..=4).contains(&t.len()) && t.as_bytes().iter().all(alnum))
}
