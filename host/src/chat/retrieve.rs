//! Understanding a question well enough to find its records: the words that
//! name what is asked about (with the abbreviations people use for them),
//! the kinds of record it asks for (medicines, allergies, vaccines, ...),
//! and a ranking that prefers records matching more of the words, newest
//! first, without one often-repeated test crowding out the rest.

use crate::records::retrieval::Candidate;
use std::collections::HashMap;

/// Words that carry no subject in a question about one's records.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "ago",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "by",
    "can",
    "change",
    "changed",
    "changing",
    "current",
    "currently",
    "did",
    "do",
    "does",
    "doing",
    "during",
    "each",
    "ever",
    "for",
    "from",
    "get",
    "give",
    "got",
    "had",
    "has",
    "have",
    "how",
    "i",
    "i'm",
    "if",
    "in",
    "is",
    "it",
    "its",
    "know",
    "last",
    "latest",
    "level",
    "levels",
    "like",
    "list",
    "many",
    "me",
    "measured",
    "most",
    "much",
    "my",
    "newest",
    "now",
    "of",
    "on",
    "or",
    "our",
    "over",
    "please",
    "recent",
    "recently",
    "record",
    "records",
    "result",
    "results",
    "say",
    "show",
    "since",
    "so",
    "taking",
    "take",
    "taken",
    "tell",
    "than",
    "that",
    "the",
    "there",
    "this",
    "time",
    "times",
    "to",
    "trend",
    "up",
    "value",
    "values",
    "was",
    "were",
    "what",
    "what's",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "why",
    "will",
    "with",
    "you",
    "your",
    "year",
    "years",
    "month",
    "months",
    "been",
    "go",
    "gone",
    "going",
    "down",
    "first",
    "ok",
    "okay",
    "normal",
    "high",
    "low",
    "still",
    "getting",
    "doctor",
    "number",
    "numbers",
    "reading",
    "readings",
    "check",
    "checked",
    "date",
    "day",
    "days",
    "week",
    "weeks",
    "should",
    "would",
    "could",
    "again",
    "function",
    "total",
];

/// What people call something in several words, and the words records use for it.
const PHRASES: &[(&str, &[&str])] = &[
    ("high blood pressure", &["hypertens", "blood pressure"]),
    ("blood pressure", &["blood pressure"]),
    ("blood sugar", &["glucose"]),
    ("high cholesterol", &["hyperlipid", "cholesterol"]),
    ("heart attack", &["myocardial infarction"]),
    ("white blood cell", &["leukocyte"]),
    ("white cell", &["leukocyte"]),
    ("red blood cell", &["erythrocyte"]),
    ("heart rate", &["heart rate"]),
    ("kidney function", &["glomerular filtration", "creatinine"]),
];

/// Words that ask for a kind of record, and the resource types they mean.
const TYPE_WORDS: &[(&[&str], &[&str])] = &[
    (
        &[
            "medication",
            "medications",
            "medicine",
            "medicines",
            "drug",
            "drugs",
            "prescription",
            "prescriptions",
            "prescribed",
            "pill",
            "pills",
            "meds",
        ],
        &["MedicationRequest", "MedicationStatement"],
    ),
    (
        &["allergy", "allergies", "allergic"],
        &["AllergyIntolerance"],
    ),
    (
        &[
            "condition",
            "conditions",
            "diagnosis",
            "diagnoses",
            "diagnosed",
            "problem",
            "problems",
            "disease",
            "diseases",
            "illness",
            "illnesses",
        ],
        &["Condition"],
    ),
    (
        &[
            "vaccine",
            "vaccines",
            "vaccination",
            "vaccinations",
            "vaccinated",
            "immunization",
            "immunizations",
            "shot",
            "shots",
            "jab",
            "booster",
        ],
        &["Immunization"],
    ),
    (
        &[
            "visit",
            "visits",
            "appointment",
            "appointments",
            "encounter",
            "encounters",
            "admission",
            "admitted",
        ],
        &["Encounter"],
    ),
    (
        &[
            "procedure",
            "procedures",
            "surgery",
            "surgeries",
            "operation",
            "operations",
        ],
        &["Procedure"],
    ),
    (
        &["lab", "labs", "test", "tests"],
        &["Observation", "DiagnosticReport"],
    ),
    (&["vital", "vitals"], &["Observation"]),
    (&["goal", "goals"], &["Goal"]),
    (&["plan", "plans", "careplan"], &["CarePlan"]),
    (&["born", "birthday", "age", "old", "birth"], &["Patient"]),
];

/// What people call something, and the words records use for it.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("hba1c", &["a1c"]),
    ("a1c", &["a1c"]),
    ("glycated", &["a1c"]),
    ("bp", &["blood pressure"]),
    ("ldl", &["ldl", "low density lipoprotein"]),
    ("hdl", &["hdl", "high density lipoprotein"]),
    ("sugar", &["glucose"]),
    ("bmi", &["body mass index"]),
    ("weight", &["body weight"]),
    ("weigh", &["body weight"]),
    ("height", &["body height"]),
    ("tall", &["body height"]),
    ("temperature", &["body temperature"]),
    ("fever", &["body temperature", "fever"]),
    ("pulse", &["heart rate"]),
    ("egfr", &["glomerular filtration"]),
    ("gfr", &["glomerular filtration"]),
    (
        "kidney",
        &["kidney", "renal", "glomerular filtration", "creatinine"],
    ),
    ("flu", &["influenza"]),
    ("covid", &["covid", "sars"]),
    ("tetanus", &["tetanus", "td", "tdap"]),
    ("cholesterol", &["cholesterol", "lipoprotein"]),
    ("lipids", &["cholesterol", "lipoprotein", "triglyceride"]),
    ("triglycerides", &["triglyceride"]),
    ("diabetes", &["diabet"]),
    ("diabetic", &["diabet"]),
    ("asthma", &["asthma"]),
    ("oxygen", &["oxygen saturation"]),
    ("shingles", &["zoster"]),
    ("mammogram", &["mammograph"]),
    ("mammograms", &["mammograph"]),
    ("hypertension", &["hypertens"]),
    ("stroke", &["stroke", "cerebrovascular"]),
];

/// A question, understood.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Understood {
    /// Each subject word's alternatives (phrases, each word a prefix).
    pub groups: Vec<Vec<String>>,
    /// The kinds of record asked for (all when empty).
    pub types: Vec<String>,
}

/// Read a question (or a tool's query) into subject words and record kinds.
pub fn understand(query: &str) -> Understood {
    let mut out = Understood::default();
    let lowered = query.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut skip = 0;
    for (i, word) in words.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        // Subjects said in several words ("high blood pressure").
        if let Some((phrase, alts)) = PHRASES.iter().find(|(p, _)| {
            let parts: Vec<&str> = p.split(' ').collect();
            words.get(i..i + parts.len()) == Some(&parts[..])
        }) {
            skip = phrase.split(' ').count() - 1;
            let alternatives: Vec<String> = alts.iter().map(|a| (*a).to_string()).collect();
            if seen.insert(alternatives.clone()) {
                out.groups.push(alternatives);
            }
            continue;
        }
        if let Some((_, types)) = TYPE_WORDS.iter().find(|(ws, _)| ws.contains(word)) {
            for t in *types {
                if !out.types.iter().any(|x| x == t) {
                    out.types.push((*t).to_string());
                }
            }
            continue;
        }
        // A letter alone (`vitamin d`) would match every word it begins.
        if STOPWORDS.contains(word)
            || word.chars().count() < 2
            || word.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        let alternatives: Vec<String> = match SYNONYMS.iter().find(|(w, _)| w == word) {
            Some((_, alts)) => alts.iter().map(|a| (*a).to_string()).collect(),
            None => vec![stem(word).to_string()],
        };
        if seen.insert(alternatives.clone()) {
            out.groups.push(alternatives);
        }
    }
    out
}

/// A crude stem, so a plural or an adjective finds its record: the words of
/// the full-text query are prefixes, so a shorter stem only widens the match.
fn stem(word: &str) -> &str {
    for suffix in ["ies", "es", "s"] {
        if word.len() > suffix.len() + 3
            && let Some(s) = word.strip_suffix(suffix)
        {
            return s;
        }
    }
    word
}

/// The full-text expression finding any subject word's alternatives.
pub fn fts_expression(u: &Understood) -> Option<String> {
    let phrases: Vec<String> = u
        .groups
        .iter()
        .flatten()
        .map(|alt| {
            let words: Vec<String> = alt
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| format!("\"{w}\"*"))
                .collect();
            format!("({})", words.join(" "))
        })
        .filter(|p| p != "()")
        .collect();
    (!phrases.is_empty()).then(|| phrases.join(" OR "))
}

/// How many subject words a display text matches.
fn coverage(u: &Understood, display: &str) -> usize {
    let tokens: Vec<String> = display
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    u.groups
        .iter()
        .filter(|alts| {
            alts.iter().any(|alt| {
                alt.split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .all(|w| tokens.iter().any(|t| t.starts_with(w)))
            })
        })
        .count()
}

/// Subject words a record must match: all of one or two, two thirds of more.
fn required(groups: usize) -> usize {
    if groups <= 2 {
        groups
    } else {
        (groups * 2).div_ceil(3)
    }
}

/// Candidates (newest first) ranked for `u`: those matching enough subject
/// words, more words first, then newest; at most `per_name` records with
/// the same display, so a test taken monthly leaves room for the others.
pub fn rank(
    u: &Understood,
    candidates: Vec<Candidate>,
    per_name: usize,
    limit: usize,
) -> Vec<Candidate> {
    let need = required(u.groups.len());
    let mut scored: Vec<(usize, usize, Candidate)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(order, c)| {
            let covered = coverage(u, c.display.as_deref().unwrap_or_default());
            (covered >= need).then_some((covered, order, c))
        })
        .collect();
    // Stable: more words first, then the order the store gave (newest first).
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    let mut out = Vec::new();
    for (_, _, c) in scored {
        let key = (
            c.resource_type.clone(),
            c.display.clone().unwrap_or_default().to_lowercase(),
        );
        let n = per.entry(key).or_default();
        if *n >= per_name {
            continue;
        }
        *n += 1;
        out.push(c);
        if out.len() >= limit {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(row: i64, t: &str, display: &str) -> Candidate {
        Candidate {
            row,
            resource_type: t.into(),
            id: format!("r{row}"),
            display: Some(display.into()),
            sort_key: String::new(),
        }
    }

    #[test]
    fn questions_become_subjects_and_kinds() {
        let u = understand("What is my latest HbA1c?");
        assert_eq!(u.groups, vec![vec!["a1c".to_string()]]);
        assert!(u.types.is_empty());
        let u = understand("Which medications am I taking?");
        assert!(u.groups.is_empty());
        assert_eq!(u.types, ["MedicationRequest", "MedicationStatement"]);
        let u = understand("How has my blood pressure changed since 2020?");
        assert_eq!(u.groups, vec![vec!["blood pressure".to_string()]]);
        let u = understand("When was I diagnosed with high blood pressure?");
        assert_eq!(
            u.groups,
            vec![vec!["hypertens".to_string(), "blood pressure".to_string()]]
        );
        assert_eq!(u.types, ["Condition"]);
        let u = understand("What is my vitamin D level?");
        assert_eq!(u.groups, vec![vec!["vitamin".to_string()]]);
        let u = understand("When was my last flu shot?");
        assert_eq!(u.groups, vec![vec!["influenza".to_string()]]);
        assert_eq!(u.types, ["Immunization"]);
        assert_eq!(
            fts_expression(&understand("LDL cholesterol")),
            Some(
                "(\"ldl\"*) OR (\"low\"* \"density\"* \"lipoprotein\"*) OR (\"cholesterol\"*) OR (\"lipoprotein\"*)"
                    .into()
            )
        );
    }

    #[test]
    fn ranking_wants_enough_words_and_leaves_room_for_other_tests() {
        let u = understand("blood type");
        let found = rank(
            &u,
            vec![
                candidate(1, "Observation", "Hemoglobin in Blood"),
                candidate(2, "Condition", "Diabetes mellitus type 2"),
            ],
            5,
            20,
        );
        assert!(found.is_empty(), "one word of two is not the subject");
        let u = understand("glucose");
        let mut list: Vec<Candidate> = (1..=8)
            .map(|i| candidate(i, "Observation", "Glucose [Mass/volume] in Blood"))
            .collect();
        list.push(candidate(
            9,
            "Observation",
            "Glucose [Mass/volume] in Urine",
        ));
        let found = rank(&u, list, 3, 20);
        let rows: Vec<i64> = found.iter().map(|c| c.row).collect();
        assert_eq!(rows, [1, 2, 3, 9]);
    }
}
