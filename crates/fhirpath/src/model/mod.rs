//! What the engine knows of the FHIR R4 model: each type's elements, their types and cardinality.
//!
//! FHIRPath needs it to type what it reads (`birthDate` is a `date`, `value` is a choice of
//! `valueQuantity`, `valueString`, ...). Elements the model does not know are still navigable:
//! their type is guessed from the JSON, so a provider's extra element is read, not dropped.

mod r4;

use std::collections::HashMap;
use std::sync::OnceLock;

/// What a type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A FHIR primitive (`string`, `date`, `decimal`, ...).
    Primitive,
    /// A complex datatype (`Quantity`, `HumanName`, ...).
    Complex,
    /// A resource (abstract ones included).
    Resource,
    /// A backbone element, named by its path (`Observation.component`).
    Backbone,
}

/// One FHIR type and the elements it declares itself (inherited ones live on `base`).
#[derive(Debug)]
pub struct TypeDef {
    /// FHIR type name (`Observation`, `dateTime`, `Observation.component`).
    pub name: &'static str,
    /// What kind of type it is.
    pub kind: Kind,
    /// The type it specializes.
    pub base: Option<&'static str>,
    /// Its own elements in specification order.
    pub elements: &'static [Element],
}

/// One element of a type.
#[derive(Debug)]
pub struct Element {
    /// Element name without any choice suffix (`value`, not `valueQuantity`).
    pub name: &'static str,
    /// Allowed types; more than one makes it a choice (`value[x]`).
    pub types: &'static [&'static str],
    /// Whether it repeats.
    pub list: bool,
}

/// Looks a type up by its FHIR name.
pub fn type_def(name: &str) -> Option<&'static TypeDef> {
    by_name().get(name).copied()
}

/// Finds an element of `type_name` or of one of its bases.
pub fn element(type_name: &str, name: &str) -> Option<&'static Element> {
    by_type_and_element().get(&(type_name, name)).copied()
}

/// The types by name; built once, as navigation looks types up for every step.
fn by_name() -> &'static HashMap<&'static str, &'static TypeDef> {
    static TYPES: OnceLock<HashMap<&'static str, &'static TypeDef>> = OnceLock::new();
    TYPES.get_or_init(|| r4::TYPES.iter().map(|t| (t.name, t)).collect())
}

/// Every type's elements, its bases' included, by type and element name.
fn by_type_and_element() -> &'static HashMap<(&'static str, &'static str), &'static Element> {
    static ELEMENTS: OnceLock<HashMap<(&'static str, &'static str), &'static Element>> =
        OnceLock::new();
    ELEMENTS.get_or_init(|| {
        let mut all = HashMap::new();
        for t in r4::TYPES {
            let mut current = Some(t);
            while let Some(def) = current {
                for e in def.elements {
                    // A type's own element hides a base's of the same name.
                    all.entry((t.name, e.name)).or_insert(e);
                }
                current = def.base.and_then(|b| by_name().get(b).copied());
            }
        }
        all
    })
}

/// The primitive a specialized primitive is defined on (the table lists primitives flat).
fn primitive_base(name: &str) -> Option<&'static str> {
    match name {
        "code" | "id" | "markdown" => Some("string"),
        "url" | "canonical" | "oid" | "uuid" => Some("uri"),
        "positiveInt" | "unsignedInt" => Some("integer"),
        _ => None,
    }
}

/// Whether `name` is `ancestor` or derives from it.
pub fn derives_from(name: &str, ancestor: &str) -> bool {
    let mut current = Some(name);
    while let Some(n) = current {
        if n == ancestor {
            return true;
        }
        current = primitive_base(n).or_else(|| type_def(n).and_then(|t| t.base));
    }
    false
}

/// Whether `name` is a type the model knows.
pub fn is_type(name: &str) -> bool {
    type_def(name).is_some()
}

/// The element of `type_name` whose choice key (`valueQuantity`) is `key`, if any.
pub fn choice_of(type_name: &str, key: &str) -> Option<&'static Element> {
    let mut current = type_def(type_name);
    while let Some(t) = current {
        for e in t.elements.iter().filter(|e| e.types.len() > 1) {
            if let Some(suffix) = key.strip_prefix(e.name)
                && e.types.iter().any(|ty| {
                    ty.eq_ignore_ascii_case(suffix)
                        && suffix.starts_with(|c: char| c.is_ascii_uppercase())
                })
            {
                return Some(e);
            }
        }
        current = t.base.and_then(type_def);
    }
    None
}

/// Whether `name` is a FHIR primitive type.
pub fn is_primitive(name: &str) -> bool {
    type_def(name).is_some_and(|t| t.kind == Kind::Primitive)
}

/// Whether `name` is a resource type.
pub fn is_resource(name: &str) -> bool {
    type_def(name).is_some_and(|t| t.kind == Kind::Resource)
}

/// The choice element and type a JSON key names on any type that has such a
/// choice (`valueQuantity` → `value`, `Quantity`; `effectiveDateTime` →
/// `effective`, `dateTime`): for rewriting paths written for engines without
/// a model, where the typed key is how a choice is read.
pub fn choice_key_anywhere(key: &str) -> Option<(&'static str, &'static str)> {
    r4::TYPES.iter().find_map(|t| {
        t.elements
            .iter()
            .filter(|e| e.types.len() > 1)
            .find_map(|e| {
                let suffix = key.strip_prefix(e.name)?;
                if !suffix.starts_with(|c: char| c.is_ascii_uppercase()) {
                    return None;
                }
                let ty = e.types.iter().find(|ty| ty.eq_ignore_ascii_case(suffix))?;
                Some((e.name, *ty))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_choice_keys_name_their_element_and_type() {
        assert_eq!(
            choice_key_anywhere("valueQuantity"),
            Some(("value", "Quantity"))
        );
        assert_eq!(
            choice_key_anywhere("effectiveDateTime"),
            Some(("effective", "dateTime"))
        );
        assert_eq!(choice_key_anywhere("valueSet"), None);
        assert_eq!(choice_key_anywhere("value"), None);
        assert_eq!(choice_key_anywhere("status"), None);
    }
}
