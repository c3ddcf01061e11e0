//! Is this record about this person? A portal account or a file can belong
//! to someone else (a parent's login used for a child, a file picked from the
//! wrong folder), and records stored under the wrong person are worse than
//! none. The Patient a file or portal names is compared with the profile by
//! name and birth date; when they clearly differ, the person is asked first.
//!
//! The comparison is lenient on purpose: a profile named "Ann" matches a
//! patient "Ann Marie Example", and a missing birth date on either side says
//! nothing. Only a name with no word in common, or two different birth
//! dates, count as a difference.

use serde::Serialize;
use serde_json::Value;

/// Who a record is about, as far as matching goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Person {
    /// The name as written (the first of the record's names).
    #[schema(required)]
    pub name: Option<String>,
    /// Birth date, `YYYY[-MM[-DD]]`.
    #[schema(required)]
    pub birth_date: Option<String>,
    /// `male`, `female`, `other`, `unknown`.
    #[schema(required)]
    pub gender: Option<String>,
    /// Every word of every name the record gives (lowercased), for matching.
    #[serde(skip)]
    words: Vec<String>,
}

/// What differs between a profile and a record's patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Difference {
    /// No word of the names in common.
    Name,
    /// Two different birth dates.
    BirthDate,
}

impl Person {
    /// A profile's person: its name and birth date.
    pub fn profile(name: &str, birth_date: Option<&str>) -> Person {
        Person {
            name: Some(name.to_string()),
            birth_date: birth_date.map(str::to_string),
            gender: None,
            words: words(name),
        }
    }

    /// The person a FHIR Patient resource describes.
    pub fn from_patient(patient: &Value) -> Person {
        let names = patient["name"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let mut all = Vec::new();
        for n in names {
            if let Some(t) = n["text"].as_str() {
                all.extend(words(t));
            }
            for given in n["given"].as_array().into_iter().flatten() {
                all.extend(given.as_str().map(words).unwrap_or_default());
            }
            all.extend(n["family"].as_str().map(words).unwrap_or_default());
        }
        let name = names.first().and_then(|n| {
            n["text"].as_str().map(str::to_string).or_else(|| {
                let given: Vec<&str> = n["given"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let full = given
                    .into_iter()
                    .chain(n["family"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                (!full.is_empty()).then_some(full)
            })
        });
        Person {
            name,
            birth_date: patient["birthDate"].as_str().map(str::to_string),
            gender: patient["gender"].as_str().map(str::to_string),
            words: all,
        }
    }

    /// What clearly differs between this profile and `patient` (empty: the
    /// same person, or nothing to tell them apart).
    pub fn differences(&self, patient: &Person) -> Vec<Difference> {
        let mut out = Vec::new();
        if !self.words.is_empty()
            && !patient.words.is_empty()
            && !self.words.iter().any(|w| patient.words.contains(w))
        {
            out.push(Difference::Name);
        }
        if let (Some(a), Some(b)) = (&self.birth_date, &patient.birth_date) {
            // A partial date agrees with any full date it is the start of.
            if !(a.starts_with(b.as_str()) || b.starts_with(a.as_str())) {
                out.push(Difference::BirthDate);
            }
        }
        out
    }
}

/// The words of a name, lowercased, letters and digits only; initials and
/// single letters say too little to match on.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| w.chars().count() >= 2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patient(given: &[&str], family: &str, birth: Option<&str>) -> Person {
        let mut p = json!({"resourceType": "Patient", "name": [{"given": given, "family": family}], "gender": "male"});
        if let Some(b) = birth {
            p["birthDate"] = b.into();
        }
        Person::from_patient(&p)
    }

    #[test]
    fn a_first_name_alone_matches_the_full_name() {
        let samuel = patient(&["Samuel", "James"], "O'Brien", Some("1970-05-06"));
        assert_eq!(samuel.name.as_deref(), Some("Samuel James O'Brien"));
        assert!(
            Person::profile("Samuel", None)
                .differences(&samuel)
                .is_empty()
        );
        assert!(
            Person::profile("sam obrien", None)
                .differences(&samuel)
                .is_empty(),
            "the family name matches without its apostrophe"
        );
        assert!(
            Person::profile("Samuel", Some("1970"))
                .differences(&samuel)
                .is_empty(),
            "a partial date agrees"
        );
    }

    #[test]
    fn another_name_or_birth_date_is_a_difference() {
        let samuel = patient(&["Samuel"], "O'Brien", Some("1970-05-06"));
        assert_eq!(
            Person::profile("Maria", None).differences(&samuel),
            [Difference::Name]
        );
        assert_eq!(
            Person::profile("Samuel", Some("1971-05-06")).differences(&samuel),
            [Difference::BirthDate]
        );
        assert_eq!(
            Person::profile("Maria", Some("1985-01-01")).differences(&samuel),
            [Difference::Name, Difference::BirthDate]
        );
    }

    #[test]
    fn nothing_to_compare_is_no_difference() {
        let nameless = Person::from_patient(&json!({"resourceType": "Patient"}));
        assert!(
            Person::profile("Maria", Some("1985-01-01"))
                .differences(&nameless)
                .is_empty()
        );
        assert!(
            Person::profile("J", None)
                .differences(&patient(&["Samuel"], "X", None))
                .is_empty(),
            "an initial says too little"
        );
        let texted = Person::from_patient(&json!({"name": [{"text": "Zoë Ångström"}]}));
        assert!(Person::profile("zoë", None).differences(&texted).is_empty());
        assert_eq!(texted.name.as_deref(), Some("Zoë Ångström"));
    }
}
