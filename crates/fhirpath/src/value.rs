//! The items a FHIRPath collection holds: pieces of the input JSON, or values the expression made.

use crate::model;
use crate::temporal::{Temporal, TemporalKind};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// A piece of the input, borrowed, with the FHIR type the model gives it.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    /// The JSON value (`null` for a primitive that has only extensions).
    pub value: &'a Value,
    /// The `_name` sibling of a primitive: its id and extensions.
    pub ext: Option<&'a Value>,
    /// FHIR type name; empty when the model does not know the element.
    pub ty: &'a str,
}

static NULL: Value = Value::Null;

impl<'a> Node<'a> {
    /// A resource as the root of an evaluation.
    pub fn resource(value: &'a Value) -> Node<'a> {
        let ty = value
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("");
        Node {
            value,
            ext: None,
            ty,
        }
    }

    /// A primitive that has only its `_name` part.
    pub fn only_ext(ext: &'a Value, ty: &'a str) -> Node<'a> {
        Node {
            value: &NULL,
            ext: Some(ext),
            ty,
        }
    }

    /// The FHIR type name, guessed from the JSON when the model does not know it.
    pub fn type_name(&self) -> &'a str {
        if !self.ty.is_empty() {
            return self.ty;
        }
        match self.value {
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "decimal",
            Value::String(_) => "string",
            _ => "",
        }
    }
}

/// One item of a collection.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    /// A piece of the input.
    Node(Node<'a>),
    /// `System.Boolean`
    Boolean(bool),
    /// `System.String`
    String(String),
    /// `System.Integer`
    Integer(i64),
    /// `System.Long`
    Long(i64),
    /// `System.Decimal`, with the scale it was written or computed with.
    Decimal(Decimal),
    /// `System.Date`, `System.DateTime` or `System.Time`.
    Temporal(Temporal),
    /// `System.Quantity`: value and unit (UCUM code or calendar word).
    Quantity(Decimal, String),
    /// What `type()` returns: a namespace and a name.
    Type(&'static str, String),
}

/// Parses a JSON number's text (exact under `arbitrary_precision`) as a decimal.
pub fn decimal_of(n: &serde_json::Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str_exact(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// A decimal as a JSON number carrying the same digits.
pub fn json_decimal(d: &Decimal) -> Value {
    serde_json::Number::from_str(&d.to_string())
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

impl<'a> Item<'a> {
    /// The System value a primitive node stands for; other items are returned as they are.
    /// `None` for a primitive with no value (only extensions).
    pub fn system(&self) -> Option<Item<'a>> {
        let Item::Node(node) = self else {
            return Some(self.clone());
        };
        let ty = node.type_name();
        Some(match node.value {
            Value::Null => return None,
            Value::Bool(b) => Item::Boolean(*b),
            Value::Number(n) => match ty {
                "decimal" => Item::Decimal(decimal_of(n)?),
                _ => match n.as_i64() {
                    Some(i) => Item::Integer(i),
                    None => Item::Decimal(decimal_of(n)?),
                },
            },
            Value::String(s) => match ty {
                "date" => Temporal::parse_date(s)
                    .or_else(|| Temporal::parse_datetime(s))
                    .map(Item::Temporal)
                    .unwrap_or_else(|| Item::String(s.clone())),
                "dateTime" | "instant" => Temporal::parse_datetime(s)
                    .map(Item::Temporal)
                    .unwrap_or_else(|| Item::String(s.clone())),
                "time" => Temporal::parse_time(s)
                    .map(Item::Temporal)
                    .unwrap_or_else(|| Item::String(s.clone())),
                _ => Item::String(s.clone()),
            },
            Value::Object(o) if model::derives_from(ty, "Quantity") => {
                let Some(Value::Number(n)) = o.get("value") else {
                    return Some(self.clone());
                };
                let ucum =
                    o.get("system").and_then(Value::as_str) == Some("http://unitsofmeasure.org");
                let unit = if ucum {
                    o.get("code").or_else(|| o.get("unit"))
                } else {
                    o.get("unit").or_else(|| o.get("code"))
                };
                let unit = unit.and_then(Value::as_str).unwrap_or("1");
                Item::Quantity(decimal_of(n)?, unit.to_string())
            }
            _ => return Some(self.clone()),
        })
    }

    /// Whether this is a node holding an object (an element with children).
    pub fn is_complex(&self) -> bool {
        matches!(self, Item::Node(n) if n.value.is_object())
    }

    /// The JSON this item stands for: a node's own bytes, or the value the expression made.
    pub fn to_json(&self) -> Value {
        match self {
            Item::Node(n) => n.value.clone(),
            Item::Boolean(b) => Value::Bool(*b),
            Item::String(s) => Value::String(s.clone()),
            Item::Integer(i) | Item::Long(i) => Value::from(*i),
            Item::Decimal(d) => json_decimal(d),
            Item::Temporal(t) => Value::String(t.to_string()),
            Item::Quantity(v, u) => serde_json::json!({"value": json_decimal(v), "unit": u}),
            Item::Type(namespace, name) => {
                serde_json::json!({"namespace": namespace, "name": name})
            }
        }
    }

    /// Its type as `(namespace, name)`.
    pub fn type_info(&self) -> (&'static str, String) {
        match self {
            Item::Node(n) => ("FHIR", n.type_name().to_string()),
            Item::Boolean(_) => ("System", "Boolean".into()),
            Item::String(_) => ("System", "String".into()),
            Item::Integer(_) => ("System", "Integer".into()),
            Item::Long(_) => ("System", "Long".into()),
            Item::Decimal(_) => ("System", "Decimal".into()),
            Item::Temporal(t) => (
                "System",
                match t.kind {
                    TemporalKind::Date => "Date",
                    TemporalKind::DateTime => "DateTime",
                    TemporalKind::Time => "Time",
                }
                .into(),
            ),
            Item::Quantity(..) => ("System", "Quantity".into()),
            Item::Type(..) => ("System", "TypeInfo".into()),
        }
    }

    /// The item as a string, for `toString()`, `&` and joins.
    pub fn to_text(&self) -> Option<String> {
        Some(match self.system()? {
            Item::String(s) => s,
            Item::Boolean(b) => b.to_string(),
            Item::Integer(i) | Item::Long(i) => i.to_string(),
            Item::Decimal(d) => d.to_string(),
            Item::Temporal(t) => t.to_string(),
            Item::Quantity(v, u) => {
                if crate::temporal::is_calendar_word(&u) {
                    format!("{v} {u}")
                } else {
                    format!("{v} '{u}'")
                }
            }
            Item::Type(namespace, name) => format!("{namespace}.{name}"),
            Item::Node(_) => return None,
        })
    }
}
