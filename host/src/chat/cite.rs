//! Checking an answer against what it was shown: each `[R<n>]` must be a
//! label the answer's tools handed out, and each number in a sentence must
//! appear in a record that sentence cites. What fails is marked, not hidden,
//! so the person sees which statements their records do not support.

use super::context::Context;
use serde::Serialize;

/// A record an answer cites.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Citation {
    /// The label as written (`R3`).
    pub label: String,
    /// `Type/id` of the record, when the label is one the answer was given.
    pub record: Option<String>,
}

/// How a sentence of an answer stands against the records it cites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimStatus {
    /// Cites records, and every number in it is in one of them.
    Supported,
    /// States no number and cites nothing (a link between sentences, a caveat).
    Plain,
    /// States a number without citing a record.
    Uncited,
    /// Cites a label the answer was never given.
    UnknownCitation,
    /// A number in it is in none of the records it cites.
    NumberNotInRecords,
}

/// One sentence of an answer, checked.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Claim {
    /// Byte offset of its start in the answer text.
    pub start: usize,
    /// Byte offset of its end.
    pub end: usize,
    /// The labels it cites.
    pub labels: Vec<String>,
    /// How it stands.
    pub status: ClaimStatus,
    /// Numbers it states that the cited records do not hold.
    pub unsupported: Vec<String>,
}

/// An answer, checked.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Checked {
    /// Each distinct label cited, in order of first use.
    pub citations: Vec<Citation>,
    /// Each sentence.
    pub claims: Vec<Claim>,
    /// Whether the answer says the records do not hold the answer.
    pub abstained: bool,
    /// Every record the answer was shown, by label.
    #[serde(default)]
    pub shown: Vec<Citation>,
}

impl Checked {
    /// Whether every citation is known and every sentence that states a number is supported.
    pub fn all_supported(&self) -> bool {
        self.claims
            .iter()
            .all(|c| matches!(c.status, ClaimStatus::Supported | ClaimStatus::Plain))
    }
}

/// Phrases with which an answer says the records hold nothing on the question.
const ABSTAINING: &[&str] = &[
    "not in your records",
    "not in your record",
    "no record of",
    "no records of",
    "nothing in your records",
    "couldn't find",
    "could not find",
    "don't see any",
    "do not see any",
];

/// Check `text` against the records `context` holds.
pub fn check(text: &str, context: &Context) -> Checked {
    let mut citations: Vec<Citation> = Vec::new();
    let mut claims = Vec::new();
    let shown = context.shown();
    for (start, end) in sentences(text) {
        let sentence = &text[start..end];
        let (labels, rest) = labels_in(sentence);
        for label in &labels {
            if !citations.iter().any(|c| c.label == *label) {
                citations.push(Citation {
                    label: label.clone(),
                    record: context.resolve(label),
                });
            }
        }
        let numbers = numbers_in(&rest);
        let unknown = labels.iter().any(|l| context.resolve(l).is_none());
        let cited_text: Vec<&str> = labels
            .iter()
            .filter_map(|l| shown.iter().find(|s| s.label.eq_ignore_ascii_case(l)))
            .map(|s| s.text.as_str())
            .collect();
        let held: Vec<String> = cited_text.iter().flat_map(|t| numbers_in(t)).collect();
        let unsupported: Vec<String> = numbers
            .iter()
            .filter(|n| !held.iter().any(|h| same_number(h, n)))
            // "3 medicines [R1][R2][R3]": a count of what it cites.
            .filter(|n| n.parse::<usize>().ok() != Some(labels.len()) || labels.len() < 2)
            .cloned()
            .collect();
        let status = if unknown {
            ClaimStatus::UnknownCitation
        } else if labels.is_empty() {
            if numbers.is_empty() {
                ClaimStatus::Plain
            } else {
                ClaimStatus::Uncited
            }
        } else if unsupported.is_empty() {
            ClaimStatus::Supported
        } else {
            ClaimStatus::NumberNotInRecords
        };
        claims.push(Claim {
            start,
            end,
            labels,
            status,
            unsupported: if status == ClaimStatus::Uncited {
                numbers
            } else {
                unsupported
            },
        });
    }
    let lowered = text.to_lowercase();
    let abstained = citations.is_empty() && ABSTAINING.iter().any(|p| lowered.contains(p));
    Checked {
        citations,
        claims,
        abstained,
        shown: shown
            .iter()
            .map(|s| Citation {
                label: s.label.clone(),
                record: Some(s.id.clone()),
            })
            .collect(),
    }
}

/// Sentence spans: ends at `.`, `!`, `?` followed by space or the end (so
/// `7.2` is not an end), or at a line break. Labels that open a sentence
/// belong to the one before (`… 7.2 %. [R1] Next …`).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let end_here = b == b'\n'
            || (matches!(b, b'.' | b'!' | b'?')
                && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()));
        if end_here {
            let mut end = i + 1;
            // Citations right after the full stop go with this sentence.
            loop {
                let after = skip_spaces(bytes, end);
                match label_group_end(bytes, after) {
                    Some(e) => end = e,
                    None => break,
                }
            }
            push_span(text, &mut spans, start, end);
            start = end;
            i = end;
            continue;
        }
        i += 1;
    }
    push_span(text, &mut spans, start, bytes.len());
    spans
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    i
}

fn push_span(text: &str, spans: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if piece.trim().is_empty() {
        return;
    }
    spans.push((start + lead, end - trail));
}

/// The end of a `[R1]` / `[R1, R2]` group starting at `i`, if one does.
fn label_group_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    let close = bytes[i..].iter().position(|&b| b == b']')? + i;
    let inner = std::str::from_utf8(&bytes[i + 1..close]).ok()?;
    let ok = !inner.trim().is_empty()
        && inner
            .split([',', ' ', ';'])
            .filter(|p| !p.is_empty())
            .all(is_label);
    ok.then_some(close + 1)
}

fn is_label(p: &str) -> bool {
    let p = p.trim();
    p.len() > 1
        && (p.starts_with('R') || p.starts_with('r'))
        && p[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The labels a sentence cites (upper-cased, in order, once each) and the
/// sentence with them taken out.
fn labels_in(sentence: &str) -> (Vec<String>, String) {
    let bytes = sentence.as_bytes();
    let mut labels: Vec<String> = Vec::new();
    let mut rest = String::with_capacity(sentence.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if let Some(end) = label_group_end(bytes, i) {
            rest.push_str(&sentence[copied..i]);
            rest.push(' ');
            for p in sentence[i + 1..end - 1].split([',', ' ', ';']) {
                if !p.is_empty() {
                    let label = p.trim().to_uppercase();
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
            }
            i = end;
            copied = end;
            continue;
        }
        i += 1;
    }
    rest.push_str(&sentence[copied..]);
    (labels, rest)
}

/// The numbers written in `text`: digit runs with at most one decimal point,
/// not part of a word (`A1c`, `B12` name things, they state nothing).
fn numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            let mut seen_point = false;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (chars[i] == '.'
                        && !seen_point
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                seen_point |= chars[i] == '.';
                i += 1;
            }
            let in_word = (start > 0 && chars[start - 1].is_alphabetic())
                || chars
                    .get(i)
                    .is_some_and(|c| c.is_alphabetic() && !is_unit_start(&chars[i..]));
            if !in_word {
                out.push(chars[start..i].iter().collect());
            }
            continue;
        }
        i += 1;
    }
    out
}

/// Whether letters right after a number are a unit (`7mg`, `120mmHg`), which
/// keep it a number, rather than part of a name (`4th` is still a number too).
fn is_unit_start(rest: &[char]) -> bool {
    let word: String = rest.iter().take_while(|c| c.is_alphabetic()).collect();
    let word = word.to_lowercase();
    matches!(
        word.as_str(),
        "mg" | "g"
            | "kg"
            | "lb"
            | "lbs"
            | "mmhg"
            | "ml"
            | "l"
            | "cm"
            | "mm"
            | "m"
            | "in"
            | "st"
            | "nd"
            | "rd"
            | "th"
            | "am"
            | "pm"
            | "y"
            | "yr"
            | "yrs"
            | "d"
            | "h"
            | "min"
            | "mcg"
            | "iu"
            | "u"
    )
}

/// Two written numbers are the same if their digits are, or their values
/// (`7.20` states what `7.2` states; `03` in a date is `3`).
fn same_number(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        let c = Context::default();
        c.show(
            "Observation/a1c",
            "[R1] Observation/a1c, 2024-03-01: Hemoglobin A1c; value 7.20 %; status final.",
        );
        c.show("Condition/dm", "Diabetes mellitus type 2 (2019-06-01)");
        c
    }

    #[test]
    fn numbers_must_be_in_the_records_a_sentence_cites() {
        let c = context();
        let checked = check(
            "Your latest HbA1c was 7.2 % on March 1, 2024 [R1]. You have had diabetes since 2019. [R2] It was 8.1 % before [R1].",
            &c,
        );
        let statuses: Vec<ClaimStatus> = checked.claims.iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [
                ClaimStatus::Supported,
                ClaimStatus::Supported,
                ClaimStatus::NumberNotInRecords
            ],
            "{checked:?}"
        );
        assert_eq!(checked.claims[2].unsupported, ["8.1"]);
        assert_eq!(
            checked.citations,
            [
                Citation {
                    label: "R1".into(),
                    record: Some("Observation/a1c".into())
                },
                Citation {
                    label: "R2".into(),
                    record: Some("Condition/dm".into())
                }
            ]
        );
        assert!(!checked.abstained);
        assert!(!checked.all_supported());
    }

    #[test]
    fn unknown_labels_uncited_numbers_and_abstentions_are_marked() {
        let c = context();
        let checked = check("Your LDL was 130 mg/dL [R7]. Your weight is 80 kg.", &c);
        assert_eq!(checked.claims[0].status, ClaimStatus::UnknownCitation);
        assert_eq!(checked.citations[0].record, None);
        assert_eq!(checked.claims[1].status, ClaimStatus::Uncited);
        assert_eq!(checked.claims[1].unsupported, ["80"]);
        let checked = check("That is not in your records.", &c);
        assert!(checked.abstained);
        assert_eq!(checked.claims[0].status, ClaimStatus::Plain);
        assert!(checked.all_supported());
        // Names with digits in them state nothing; labels are not numbers.
        assert_eq!(numbers_in("HbA1c and B12 [R12]"), Vec::<String>::new());
        assert_eq!(numbers_in("120/80 mmHg, 5mg"), ["120", "80", "5"]);
    }

    #[test]
    fn citations_in_lists_and_groups_are_read() {
        let c = context();
        let checked = check(
            "Your records show:\n- HbA1c 7.20 % [R1, R2]\n- diabetes [R2]",
            &c,
        );
        assert_eq!(checked.claims.len(), 3);
        assert_eq!(checked.claims[1].labels, ["R1", "R2"]);
        assert_eq!(checked.claims[1].status, ClaimStatus::Supported);
        assert_eq!(checked.claims[2].status, ClaimStatus::Supported);
    }
}
