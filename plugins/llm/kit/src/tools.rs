//! The host's tools as a model sees them (function-calling schemas), and
//! running a call the model made. A failed call is told to the model as its
//! result, so it can try again or answer without it.

use hearth_plugin_sdk::llm::tools;
use serde_json::{Value, json};

/// The tools offered to a model, in the function-calling format OpenAI and
/// Ollama share.
pub fn spec() -> Value {
    json!([
        {"type": "function", "function": {
            "name": "search_records",
            "description": "Search the person's health records. Returns matching records, best first, each with its label (cite it as [R1]), type, date and a one-line title.",
            "parameters": {"type": "object", "properties": {
                "query": {"type": "string", "description": "What to look for, e.g. 'HbA1c' or 'blood pressure'"},
                "types": {"type": "array", "items": {"type": "string"}, "description": "FHIR resource types to look in, e.g. ['Observation']"},
                "since": {"type": "string", "description": "Earliest date, YYYY or YYYY-MM-DD"},
                "until": {"type": "string", "description": "Latest date, YYYY or YYYY-MM-DD"},
                "limit": {"type": "integer", "description": "Most records (1 to 50)"}
            }, "required": ["query"]}
        }},
        {"type": "function", "function": {
            "name": "read_record",
            "description": "Read one record in full by its label (e.g. R3): what it is, its value and unit exactly as recorded, reference range, dates, status and source.",
            "parameters": {"type": "object", "properties": {
                "label": {"type": "string", "description": "The record's label, e.g. R3"}
            }, "required": ["label"]}
        }},
        {"type": "function", "function": {
            "name": "run_view",
            "description": "Run a SQL-on-FHIR ViewDefinition (JSON) over the records to get a table; each row is labelled with its record.",
            "parameters": {"type": "object", "properties": {
                "definition": {"type": "object", "description": "The ViewDefinition: resource, select (columns with name and FHIRPath path), where"},
                "filter": {"type": "string", "description": "FHIR search parameters narrowing the records first, e.g. code=http://loinc.org|4548-4"},
                "limit": {"type": "integer", "description": "Most rows (1 to 1000)"}
            }, "required": ["definition"]}
        }}
    ])
}

/// Run the tool call `name(arguments)`; the text to give the model.
pub fn run(name: &str, arguments: &str) -> String {
    let args: Value = match serde_json::from_str(if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    }) {
        Ok(v) => v,
        Err(e) => return format!("error: the arguments are not JSON ({e})"),
    };
    let text = |key: &str| args[key].as_str().map(str::to_string);
    let outcome = match name {
        "search_records" => {
            let Some(query) = text("query") else {
                return "error: search_records needs a query".into();
            };
            tools::search(&tools::SearchRequest {
                query,
                types: args["types"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                since: text("since"),
                until: text("until"),
                limit: args["limit"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n.clamp(1, 50)).ok()),
            })
            .map(|hits| {
                if hits.is_empty() {
                    return "No record matched.".to_string();
                }
                hits.iter()
                    .map(|h| match &h.date {
                        Some(d) => format!("[{}] {} {}: {}", h.label, h.resource_type, d, h.title),
                        None => format!("[{}] {}: {}", h.label, h.resource_type, h.title),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        "read_record" => match text("label") {
            Some(label) => tools::read(&label),
            None => return "error: read_record needs a label".into(),
        },
        "run_view" => {
            let definition = match &args["definition"] {
                Value::String(s) => s.clone(),
                Value::Object(_) => args["definition"].to_string(),
                _ => return "error: run_view needs a definition".into(),
            };
            tools::view(
                &definition,
                text("filter").as_deref(),
                args["limit"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n.clamp(1, 1000)).ok()),
            )
            .map(|t| {
                let mut out = format!("label\t{}", t.columns.join("\t"));
                for (row, label) in t.rows.iter().zip(&t.labels) {
                    out.push_str(&format!("\n[{label}]\t{row}"));
                }
                if t.truncated {
                    out.push_str("\n(more rows were left out)");
                }
                out
            })
        }
        other => return format!("error: there is no tool called {other}"),
    };
    match outcome {
        Ok(text) => text,
        Err(e) => format!("error: {}", e.message),
    }
}
