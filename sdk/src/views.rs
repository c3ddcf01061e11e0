//! SQL-on-FHIR views over the profile's records, run by the host (dashboards).
//! Ask for a table instead of scanning: the host narrows the records through
//! its indexes with `filter`, evaluates the view and sends rows.

use crate::bindings::common::hearth::views::view;
use crate::{ErrorKind, PluginError};
use serde_json::Value;

/// A view's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each in column order. Values are the records' own JSON: a decimal
    /// keeps its written digits (`Value::Number` under `arbitrary_precision`).
    pub rows: Vec<Vec<Value>>,
    /// Whether rows past the limit were left out.
    pub truncated: bool,
}

impl Table {
    /// The position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

/// Run `definition` (a ViewDefinition) over the records matching `filter`
/// (FHIR search parameters as a query string), at most `limit` rows.
pub fn run(
    definition: &Value,
    filter: Option<&str>,
    limit: Option<u32>,
) -> Result<Table, PluginError> {
    let answer = view::run(&view::ViewRequest {
        definition: definition.to_string(),
        filter: filter.map(String::from),
        limit,
    })?;
    let mut rows = Vec::with_capacity(answer.rows.len());
    for text in answer.rows {
        match serde_json::from_str(&text) {
            Ok(Value::Array(row)) => rows.push(row),
            _ => {
                return Err(PluginError::new(
                    ErrorKind::Internal,
                    format!("the host sent a row that is not a JSON array: {text}"),
                ));
            }
        }
    }
    Ok(Table {
        columns: answer.columns,
        rows,
        truncated: answer.truncated,
    })
}
