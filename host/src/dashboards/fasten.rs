//! Fasten Health dashboard files, translated to views Hearth runs.
//!
//! A Fasten dashboard (`{title, widgets: [{item_type, queries: [{q: {select,
//! from, where, aggregations, limit}}], parsing}]}`) names its data with
//! Fasten's own query language: `select` entries are FHIRPath evaluated
//! without a FHIR model (so `valueQuantity` reads a choice), `where` keys are
//! search parameters in lowerCamelCase, and `aggregations` count or group in
//! SQL. Each query becomes a SQL-on-FHIR view plus a FHIR search filter; what
//! cannot be translated faithfully is left out and reported with its place in
//! the file, never run with a looser meaning. A query whose filter cannot be
//! translated is dropped whole: drawing its records unfiltered would show
//! records the author did not ask for.

use hearth_fhirpath::model;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Most widgets an imported dashboard may hold.
const MAX_WIDGETS: usize = 50;
/// Most queries one widget may run.
const MAX_QUERIES: usize = 8;
/// Rows a query shows when the file names no limit.
pub const DEFAULT_LIMIT: usize = 500;

/// A dashboard translated from a Fasten file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Translated {
    /// The file's title.
    pub title: String,
    /// The file's description, if any.
    pub description: Option<String>,
    /// The widgets that could be translated, in file order.
    pub widgets: Vec<Widget>,
    /// What could not be translated, each with its place in the file.
    pub report: Vec<Untranslated>,
}

/// A part of the file left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Untranslated {
    /// Where it is in the file (`widgets[2].queries[0].q.where.subject`).
    pub path: String,
    /// Why it was left out, or how its meaning changed.
    pub reason: String,
    /// Whether the part was left out (`false`: kept with the change the reason describes).
    pub dropped: bool,
}

/// A translated widget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Widget {
    /// Card key (`w0`, `w1`, …, by file position).
    pub key: String,
    /// Card title.
    pub title: String,
    /// What it draws.
    pub kind: WidgetKind,
    /// Its queries, one series (or one table) each.
    pub queries: Vec<Query>,
    /// Its place on the file's 12-column grid, if given.
    pub place: Option<[u32; 4]>,
}

/// What a translated widget draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WidgetKind {
    /// Values over time, one series per query.
    Chart,
    /// Rows with the file's headers, each header naming a column.
    Table {
        /// (header, column name).
        headers: Vec<(String, String)>,
    },
    /// Counts per label (Fasten's `count_by`), drawn as a table.
    Counts,
}

/// A translated query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// The series name (`dataset_options.label`), if given.
    pub label: Option<String>,
    /// The ViewDefinition.
    pub view: Value,
    /// FHIR search parameters that narrow the records first.
    pub filter: String,
    /// Rows to show.
    pub limit: usize,
    /// Leading rows to skip (Fasten's `offset`).
    pub offset: usize,
    /// For charts: the column holding the value drawn.
    pub value: Option<String>,
    /// For charts: the column holding the unit, if one is selected.
    pub unit: Option<String>,
}

/// The column every translated view names its record by.
pub const KEY_COLUMN: &str = "record_key";
/// The column every translated view dates its record by.
pub const DATE_COLUMN: &str = "record_date";
/// For counts: the column the rows are counted by.
pub const LABEL_COLUMN: &str = "label";

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FastenError {
    /// Not a Fasten dashboard.
    #[error("not a Fasten dashboard: {0}")]
    NotADashboard(String),
    /// Nothing in it could be translated.
    #[error("nothing in the file could be translated: {0}")]
    NothingTranslated(String),
}

/// Translates a Fasten dashboard file given as text (a table's headers keep
/// the file's order, which a parsed JSON object would not).
pub fn translate_text(text: &str) -> Result<Translated, FastenError> {
    let file: Value = serde_json::from_str(text)
        .map_err(|e| FastenError::NotADashboard(format!("the file is not JSON: {e}")))?;
    let orders: Vec<Vec<String>> = serde_json::from_str::<OrderFile>(text)
        .map(|f| f.widgets.into_iter().map(|w| w.parsing.0).collect())
        .unwrap_or_default();
    translate_ordered(&file, &orders)
}

/// The key order of each widget's `parsing` object, read from the text.
#[derive(Deserialize)]
struct OrderFile {
    #[serde(default)]
    widgets: Vec<OrderWidget>,
}

#[derive(Deserialize)]
struct OrderWidget {
    #[serde(default)]
    parsing: KeyOrder,
}

#[derive(Default)]
struct KeyOrder(Vec<String>);

impl<'de> Deserialize<'de> for KeyOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = KeyOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<KeyOrder, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(KeyOrder(keys))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyOrder, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(KeyOrder::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
            fn visit_unit<E>(self) -> Result<KeyOrder, E> {
                Ok(KeyOrder::default())
            }
        }
        d.deserialize_any(Keys)
    }
}

fn translate_ordered(file: &Value, orders: &[Vec<String>]) -> Result<Translated, FastenError> {
    let object = file
        .as_object()
        .ok_or_else(|| FastenError::NotADashboard("the file is not a JSON object".into()))?;
    let widgets = object
        .get("widgets")
        .and_then(Value::as_array)
        .ok_or_else(|| FastenError::NotADashboard("it has no `widgets` list".into()))?;
    if widgets.len() > MAX_WIDGETS {
        return Err(FastenError::NotADashboard(format!(
            "it has {} widgets; at most {MAX_WIDGETS} are imported",
            widgets.len()
        )));
    }
    let mut out = Translated {
        title: object
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("Imported dashboard")
            .trim()
            .to_string(),
        description: object
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        widgets: Vec::new(),
        report: Vec::new(),
    };
    for (i, widget) in widgets.iter().enumerate() {
        let at = format!("widgets[{i}]");
        let order = orders.get(i).map(Vec::as_slice).unwrap_or_default();
        if let Some(w) = translate_widget(widget, &at, i, order, &mut out.report) {
            out.widgets.push(w);
        }
    }
    if out.widgets.is_empty() {
        let first = out
            .report
            .first()
            .map(|u| format!("{}: {}", u.path, u.reason))
            .unwrap_or_else(|| "it has no widgets".into());
        return Err(FastenError::NothingTranslated(first));
    }
    Ok(out)
}

fn drop(report: &mut Vec<Untranslated>, path: &str, reason: impl Into<String>) {
    report.push(Untranslated {
        path: path.to_string(),
        reason: reason.into(),
        dropped: true,
    });
}

fn note(report: &mut Vec<Untranslated>, path: &str, reason: impl Into<String>) {
    report.push(Untranslated {
        path: path.to_string(),
        reason: reason.into(),
        dropped: false,
    });
}

fn translate_widget(
    widget: &Value,
    at: &str,
    index: usize,
    header_order: &[String],
    report: &mut Vec<Untranslated>,
) -> Option<Widget> {
    let Some(item_type) = widget.get("item_type").and_then(Value::as_str) else {
        drop(report, at, "the widget has no `item_type`");
        return None;
    };
    let title = widget
        .get("title_text")
        .and_then(Value::as_str)
        .unwrap_or(item_type)
        .to_string();
    let queries = widget
        .get("queries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kind = match item_type {
        "simple-line-chart-widget" => WidgetKind::Chart,
        "grouped-bar-chart-widget" => {
            note(
                report,
                &format!("{at}.item_type"),
                "a bar chart is drawn as a line chart over time",
            );
            WidgetKind::Chart
        }
        "table-widget" => WidgetKind::Table {
            headers: Vec::new(),
        },
        "donut-chart-widget" | "dual-gauges-widget" => WidgetKind::Counts,
        "complex-line-widget" | "complex-line-chart-widget" => {
            drop(
                report,
                at,
                format!(
                    "`{item_type}` draws Fasten's fixed demonstration data, not the record, so there is nothing to translate"
                ),
            );
            return None;
        }
        "records-summary-widget" | "patient-vitals-widget" | "profile-summary-widget" => {
            drop(
                report,
                at,
                format!(
                    "`{item_type}` is Fasten's built-in summary without queries; Hearth's health summary shows the same"
                ),
            );
            return None;
        }
        "image-list-group-widget" | "medications-widget" => {
            drop(
                report,
                at,
                format!(
                    "`{item_type}` is a Fasten built-in without queries; Hearth's health summary lists the care team and medicines"
                ),
            );
            return None;
        }
        other => {
            drop(
                report,
                &format!("{at}.item_type"),
                format!("`{other}` is not a Fasten widget Hearth knows"),
            );
            return None;
        }
    };
    if queries.is_empty() {
        drop(report, at, format!("`{item_type}` has no queries"));
        return None;
    }
    if queries.len() > MAX_QUERIES {
        drop(
            report,
            &format!("{at}.queries"),
            format!(
                "{} queries; a widget may have at most {MAX_QUERIES}",
                queries.len()
            ),
        );
        return None;
    }
    let parsing = widget.get("parsing").cloned().unwrap_or(Value::Null);
    let mut kind = kind;
    let mut translated = Vec::new();
    for (j, query) in queries.iter().enumerate() {
        let qat = format!("{at}.queries[{j}]");
        // A table shows its first query only, as in Fasten.
        if matches!(kind, WidgetKind::Table { .. }) && j > 0 {
            drop(
                report,
                &qat,
                "a table shows only its first query, as in Fasten",
            );
            continue;
        }
        if let Some(q) = translate_query(query, &qat, &kind, &parsing, report) {
            translated.push(q);
        }
    }
    if translated.is_empty() {
        drop(report, at, "none of its queries could be translated");
        return None;
    }
    if let WidgetKind::Table { headers } = &mut kind {
        *headers = table_headers(
            &parsing,
            header_order,
            &translated[0],
            &format!("{at}.parsing"),
            report,
        );
    }
    let number = |k: &str| widget.get(k).and_then(Value::as_u64).map(|n| n as u32);
    let place = match (number("x"), number("y"), number("width"), number("height")) {
        (Some(x), Some(y), Some(w), Some(h)) if w >= 1 && h >= 1 && x + w <= 12 => {
            Some([x, y, w, h])
        }
        _ => None,
    };
    Some(Widget {
        key: format!("w{index}"),
        title,
        kind,
        queries: translated,
        place,
    })
}

/// Column names for a table's headers (`parsing` maps header → selected key).
fn table_headers(
    parsing: &Value,
    order: &[String],
    query: &Query,
    at: &str,
    report: &mut Vec<Untranslated>,
) -> Vec<(String, String)> {
    let columns = view_columns(&query.view);
    let mut headers = Vec::new();
    if let Some(map) = parsing.as_object() {
        // The file's order when it was read from text, else the names' order.
        let mut names: Vec<&String> = order.iter().filter(|k| map.contains_key(*k)).collect();
        if names.len() != map.len() {
            names = map.keys().collect();
        }
        for header in names {
            let Some(key) = map[header].as_str() else {
                continue;
            };
            match column_for_alias(&columns, key) {
                Some(c) => headers.push((header.clone(), c)),
                None => drop(
                    report,
                    &format!("{at}.{header}"),
                    format!("`{key}` is not a column the query selects"),
                ),
            }
        }
    }
    if headers.is_empty() {
        // No usable headers: show every selected column.
        headers = columns
            .iter()
            .filter(|(name, _)| name != KEY_COLUMN && name != DATE_COLUMN)
            .map(|(name, alias)| (alias.clone(), name.clone()))
            .collect();
    }
    headers
}

/// (column name, Fasten alias) of a translated view.
fn view_columns(view: &Value) -> Vec<(String, String)> {
    view["select"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["column"].as_array().into_iter().flatten())
        .filter_map(|c| {
            let name = c["name"].as_str()?.to_string();
            let alias = c["description"].as_str().unwrap_or(&name).to_string();
            Some((name, alias))
        })
        .collect()
}

fn column_for_alias(columns: &[(String, String)], alias: &str) -> Option<String> {
    match alias {
        "id" => Some(KEY_COLUMN.to_string()),
        "label" if columns.iter().any(|(n, _)| n == LABEL_COLUMN) => Some(LABEL_COLUMN.into()),
        _ => columns
            .iter()
            .find(|(_, a)| a == alias)
            .map(|(n, _)| n.clone()),
    }
}

/// A select entry's path and alias, split as Fasten splits them.
fn split_alias(entry: &str) -> (String, String) {
    for sep in [" as ", " AS "] {
        let parts: Vec<&str> = entry.split(sep).collect();
        if parts.len() > 1 {
            return (parts[0].trim().to_string(), parts[1].trim().to_string());
        }
    }
    (entry.trim().to_string(), entry.trim().to_string())
}

/// A column name from an alias: letters, digits and `_`, starting with a letter.
fn column_name(alias: &str, taken: &[String]) -> String {
    let mut name: String = alias
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "c_");
    }
    let base = name.clone();
    let mut n = 2;
    while taken.contains(&name) || [KEY_COLUMN, DATE_COLUMN, LABEL_COLUMN].contains(&name.as_str())
    {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Rewrites typed choice names (`valueQuantity`) as FHIRPath with a model reads
/// them (`value.ofType(Quantity)`); strings, functions and variables are left alone.
pub fn rewrite_choices(path: &str) -> String {
    let chars: Vec<char> = path.chars().collect();
    let mut out = String::with_capacity(path.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '`' {
            // Copy a string literal or a delimited identifier as written.
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                if chars[i] == c {
                    i += 1;
                    break;
                }
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let variable = start > 0 && chars[start - 1] == '%';
            let function = chars.get(i) == Some(&'(');
            match model::choice_key_anywhere(&word) {
                Some((element, ty)) if !variable && !function => {
                    out.push_str(&format!("{element}.ofType({ty})"));
                }
                _ => out.push_str(&word),
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The clinical date of a record of `resource_type`, for charts.
fn date_path(resource_type: &str) -> &'static str {
    match resource_type {
        "Observation" | "DiagnosticReport" => {
            "(effective.ofType(dateTime) | effective.ofType(instant) | effective.ofType(Period).start | issued).first()"
        }
        "Condition" => {
            "(onset.ofType(dateTime) | onset.ofType(Period).start | recordedDate).first()"
        }
        "Encounter" => "period.start",
        "Procedure" => "(performed.ofType(dateTime) | performed.ofType(Period).start).first()",
        "Immunization" => "(occurrence.ofType(dateTime) | recorded).first()",
        "MedicationRequest" => "authoredOn",
        "MedicationStatement" => {
            "(effective.ofType(dateTime) | effective.ofType(Period).start | dateAsserted).first()"
        }
        "AllergyIntolerance" => "(onset.ofType(dateTime) | recordedDate).first()",
        "CarePlan" | "CareTeam" => "period.start",
        "Claim" | "ExplanationOfBenefit" => "created",
        "DocumentReference" => "date",
        _ => "meta.lastUpdated",
    }
}

/// Fasten's lowerCamelCase parameter name as a FHIR search code (`componentCode` → `component-code`).
fn search_code(param: &str) -> String {
    match param {
        "metaLastUpdated" => return "_lastUpdated".into(),
        "id" => return "_id".into(),
        "text" => return "_text".into(),
        _ => {}
    }
    let mut out = String::new();
    for c in param.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Search parameters Hearth's index answers.
const INDEXED: &[&str] = &[
    "_id",
    "_lastUpdated",
    "code",
    "category",
    "component-code",
    "status",
    "date",
];

fn translate_query(
    query: &Value,
    at: &str,
    kind: &WidgetKind,
    parsing: &Value,
    report: &mut Vec<Untranslated>,
) -> Option<Query> {
    let Some(q) = query.get("q").and_then(Value::as_object) else {
        drop(report, at, "the query has no `q` object");
        return None;
    };
    let qat = format!("{at}.q");
    if q.contains_key("use") {
        drop(
            report,
            &format!("{qat}.use"),
            "`use` is not part of Fasten's query language (Fasten refuses it too)",
        );
        return None;
    }
    let Some(from) = q
        .get("from")
        .and_then(Value::as_str)
        .filter(|f| model::is_resource(f))
    else {
        drop(
            report,
            &format!("{qat}.from"),
            format!(
                "{} is not a FHIR resource type",
                q.get("from").unwrap_or(&Value::Null)
            ),
        );
        return None;
    };
    let mut filters: Vec<(String, String)> = Vec::new();
    let mut wheres: Vec<Value> = Vec::new();
    match q.get("where") {
        None | Some(Value::Null) => {}
        // The first generation wrote FHIRPath conditions.
        Some(Value::Array(conditions)) => {
            for (k, c) in conditions.iter().enumerate() {
                match c.as_str() {
                    Some(c) => wheres.push(json!({"path": rewrite_choices(c), "description": c})),
                    None => {
                        drop(
                            report,
                            &format!("{qat}.where[{k}]"),
                            "a condition must be FHIRPath text",
                        );
                        drop(
                            report,
                            at,
                            "its filter could not be translated, so it is not drawn unfiltered",
                        );
                        return None;
                    }
                }
            }
        }
        Some(Value::Object(map)) => {
            for (param, value) in map {
                let pat = format!("{qat}.where.{param}");
                let groups: Vec<String> = match value {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(items) if items.iter().all(|v| v.is_string()) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    _ => {
                        drop(
                            report,
                            &pat,
                            "a value must be a string or a list of strings",
                        );
                        drop(
                            report,
                            at,
                            "its filter could not be translated, so it is not drawn unfiltered",
                        );
                        return None;
                    }
                };
                if let Err(reason) = translate_where(
                    from,
                    param,
                    &groups,
                    &mut filters,
                    &mut wheres,
                    &pat,
                    report,
                ) {
                    drop(report, &pat, reason);
                    drop(
                        report,
                        at,
                        "its filter could not be translated, so it is not drawn unfiltered",
                    );
                    return None;
                }
            }
        }
        Some(_) => {
            drop(
                report,
                &format!("{qat}.where"),
                "`where` must be an object of search parameters",
            );
            return None;
        }
    }
    let limit = match q.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => (n as usize).min(crate::records::views::MAX_ROWS),
            _ => {
                drop(
                    report,
                    &format!("{qat}.limit"),
                    "must be a whole number of at least 1",
                );
                return None;
            }
        },
    };
    let offset = q.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    if offset + limit > crate::records::views::MAX_ROWS {
        drop(
            report,
            &format!("{qat}.offset"),
            format!(
                "offset and limit together may reach {} rows",
                crate::records::views::MAX_ROWS
            ),
        );
        return None;
    }

    let mut columns = vec![
        json!({"name": KEY_COLUMN, "path": "getResourceKey()"}),
        json!({"name": DATE_COLUMN, "path": date_path(from)}),
    ];
    let mut names: Vec<String> = Vec::new();
    let mut select = Vec::new();
    let counted_by = match count_field(q, from, &qat, report) {
        Counting::None => None,
        Counting::Field(f) => Some(f),
        Counting::Invalid => return None,
    };
    if counted_by.is_none() {
        let entries = q
            .get("select")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (k, entry) in entries.iter().enumerate() {
            let sat = format!("{qat}.select[{k}]");
            let Some(entry) = entry.as_str() else {
                drop(report, &sat, "a select entry must be text");
                continue;
            };
            let (path, alias) = split_alias(entry);
            if path == "*" {
                drop(
                    report,
                    &sat,
                    "a whole resource is not a column; each record links to its page instead",
                );
                continue;
            }
            if alias == "id" || alias == "resourceType" {
                note(
                    report,
                    &sat,
                    format!("`{alias}` is given by Fasten to every row; the record's own is used"),
                );
                continue;
            }
            let rewritten = rewrite_choices(&path);
            if let Err(e) = hearth_fhirpath::Expression::parse(&rewritten) {
                drop(report, &sat, format!("not FHIRPath Hearth can read: {e}"));
                continue;
            }
            let name = column_name(&alias, &names);
            names.push(name.clone());
            columns.push(
                json!({"name": name, "path": rewritten, "collection": true, "description": alias}),
            );
        }
    } else if let Some(f) = &counted_by {
        match f {
            CountBy::ResourceType => {
                columns.push(json!({"name": LABEL_COLUMN, "path": format!("'{from}'")}));
            }
            CountBy::Coding { element, property } => {
                let label = match property.as_deref() {
                    Some("code") => "code",
                    Some("system") => "system",
                    Some("text") => "display",
                    _ => "system + '|' + code",
                };
                select.push(json!({"forEach": format!("{element}.coding"), "column": [{"name": LABEL_COLUMN, "path": label}]}));
            }
        }
    }
    let mut view_select = vec![json!({"column": columns})];
    view_select.extend(select);
    let mut view = json!({"resource": from, "select": view_select});
    if !wheres.is_empty() {
        view["where"] = Value::Array(wheres);
    }
    if let Err(e) = crate::records::views::check(&view) {
        drop(
            report,
            &qat,
            format!("the translated view is not valid: {e}"),
        );
        return None;
    }
    let columns_now = view_columns(&view);
    let (value, unit) = if matches!(kind, WidgetKind::Chart) {
        let key = |k: &str, default: &str| {
            parsing
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let y = key("yAxisKey", "data");
        let Some(value) = column_for_alias(&columns_now, &y) else {
            drop(
                report,
                at,
                format!("the chart's value `{y}` is not a column the query selects"),
            );
            return None;
        };
        let x = key("xAxisKey", "label");
        if column_for_alias(&columns_now, &x).is_none() && x != "id" {
            note(
                report,
                at,
                format!("`{x}` is not selected; points are placed at the record's own date"),
            );
        } else {
            note(report, at, "points are placed at the record's own date");
        }
        (Some(value), column_for_alias(&columns_now, "unit"))
    } else {
        (None, None)
    };
    if matches!(kind, WidgetKind::Counts) && counted_by.is_none() {
        drop(
            report,
            at,
            "a count widget needs `aggregations.count_by` (or `group_by`)",
        );
        return None;
    }
    let mut filter = filters
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencoding(v)))
        .collect::<Vec<_>>();
    filter.push("_sort=-date".into());
    Some(Query {
        label: query
            .get("dataset_options")
            .and_then(|o| o.get("label"))
            .and_then(Value::as_str)
            .map(str::to_string),
        view,
        filter: filter.join("&"),
        limit,
        offset,
        value,
        unit,
    })
}

fn urlencoding(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// What a query counts by.
#[derive(Debug, Clone, PartialEq)]
enum CountBy {
    /// `count_by: "*"`: one row, the resource type.
    ResourceType,
    /// A token parameter's codings (`code:code`).
    Coding {
        element: String,
        property: Option<String>,
    },
}

enum Counting {
    None,
    Field(CountBy),
    Invalid,
}

fn count_field(
    q: &serde_json::Map<String, Value>,
    from: &str,
    at: &str,
    report: &mut Vec<Untranslated>,
) -> Counting {
    // First generation: `aggregation_type: countBy` over a selected key.
    if q.get("aggregation_type").and_then(Value::as_str) == Some("countBy") {
        let by = q
            .get("aggregation_params")
            .and_then(Value::as_array)
            .and_then(|p| p.first())
            .and_then(Value::as_str);
        return match by {
            Some("resourceType") => Counting::Field(CountBy::ResourceType),
            other => {
                drop(
                    report,
                    &format!("{at}.aggregation_params"),
                    format!("counting by {other:?} is not translated; only `resourceType` is"),
                );
                Counting::Invalid
            }
        };
    }
    let Some(aggs) = q.get("aggregations") else {
        return Counting::None;
    };
    let aat = format!("{at}.aggregations");
    let field = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("field").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    let (key, spec) = match (
        aggs.get("count_by"),
        aggs.get("group_by"),
        aggs.get("order_by"),
    ) {
        (Some(c), None, None) => ("count_by", c),
        (None, Some(g), None) => ("group_by", g),
        (None, Some(g), Some(o)) if field(o).as_deref() == Some("*") => ("group_by", g),
        (None, Some(_), Some(_)) | (None, None, Some(_)) => {
            drop(
                report,
                &aat,
                "ordering by another field (`order_by`) is not translated: a view has no order or aggregate function",
            );
            return Counting::Invalid;
        }
        _ => {
            drop(
                report,
                &aat,
                "`count_by` cannot be combined with `group_by` or `order_by` (Fasten refuses it too)",
            );
            return Counting::Invalid;
        }
    };
    if let Some(f) = spec
        .get("fn")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty() && *f != "count")
    {
        drop(
            report,
            &format!("{aat}.{key}.fn"),
            format!("`{f}` is not translated; only counting is"),
        );
        return Counting::Invalid;
    }
    let Some(field) = field(spec) else {
        drop(report, &format!("{aat}.{key}"), "must name a field");
        return Counting::Invalid;
    };
    if field == "*" {
        return Counting::Field(CountBy::ResourceType);
    }
    let (param, property) = match field.split_once(':') {
        Some((p, prop)) => (p.to_string(), Some(prop.to_string())),
        None => (field.clone(), None),
    };
    // Token parameters named like their element (`code`, `category`, `vaccineCode`).
    let element = model::element(from, &param).filter(|e| e.types.contains(&"CodeableConcept"));
    match (element, property.as_deref()) {
        (Some(e), None | Some("code" | "system" | "text")) => Counting::Field(CountBy::Coding {
            element: e.name.to_string(),
            property,
        }),
        _ => {
            drop(
                report,
                &format!("{aat}.{key}"),
                format!(
                    "counting by `{field}` is not translated; counts by a coded element of {from} (such as `code:code`) or `*` are"
                ),
            );
            Counting::Invalid
        }
    }
}

/// One `where` parameter: into the FHIR search filter when Hearth's index
/// answers it, else into a view condition over the element it names.
fn translate_where(
    from: &str,
    param: &str,
    groups: &[String],
    filters: &mut Vec<(String, String)>,
    wheres: &mut Vec<Value>,
    at: &str,
    report: &mut Vec<Untranslated>,
) -> Result<(), String> {
    let (name, modifier) = match param.split_once(':') {
        Some((n, m)) => (n, Some(m)),
        None => (param, None),
    };
    match name {
        "source_id" | "source_uri" | "source_resource_id" | "sort_date" | "sort_title" => {
            return Err(format!(
                "`{name}` is a column of Fasten's own database, with no FHIR equivalent"
            ));
        }
        "source_resource_type" => {
            return if groups.iter().all(|g| g == from) {
                Ok(())
            } else {
                Err(format!(
                    "`source_resource_type` other than {from} matches nothing"
                ))
            };
        }
        _ => {}
    }
    if groups.iter().any(|g| g.is_empty()) {
        return Err("an empty value".into());
    }
    let code = search_code(name);
    if modifier.is_none() && INDEXED.contains(&code.as_str()) {
        if code == "date" || code == "_lastUpdated" {
            for g in groups {
                if g.contains(',') {
                    return Err("several dates in one value are not translated".into());
                }
            }
        }
        // Checked now so a bad value is reported, not failed when drawn.
        let params: Vec<(String, String)> =
            groups.iter().map(|g| (code.clone(), g.clone())).collect();
        crate::records::search::Search::parse(from, &params).map_err(|e| e.to_string())?;
        filters.extend(params);
        return Ok(());
    }
    // Otherwise: the element of that name, when it is coded.
    let Some(element) = model::element(from, name) else {
        return Err(format!(
            "`{name}` is not a search Hearth can translate for {from} (it answers {} and coded elements by name)",
            INDEXED.join(", ")
        ));
    };
    let coded = element
        .types
        .iter()
        .find(|t| matches!(**t, "CodeableConcept" | "Coding" | "code"));
    let Some(coded) = coded else {
        return Err(format!(
            "`{name}` is a {} element; only coded elements are translated as filters",
            element.types.join(" or ")
        ));
    };
    let negate = match modifier {
        None => false,
        Some("not") => {
            note(
                report,
                at,
                "`:not` is translated with FHIR's meaning (no coding matches), not Fasten's (some coding differs)",
            );
            true
        }
        Some(other) => return Err(format!("the `:{other}` modifier is not translated")),
    };
    let quote = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    for g in groups {
        let alternatives: Vec<String> = g
            .split(',')
            .map(|alt| {
                let (system, code) = match alt.split_once('|') {
                    Some((s, c)) => (Some(s), c),
                    None => (None, alt),
                };
                match *coded {
                    "code" => format!("$this = {}", quote(code)),
                    _ => {
                        let mut test = format!("code = {}", quote(code));
                        match system {
                            Some("") => test.push_str(" and system.empty()"),
                            Some(s) => test.push_str(&format!(" and system = {}", quote(s))),
                            None => {}
                        }
                        test
                    }
                }
            })
            .collect();
        let test = alternatives
            .iter()
            .map(|a| format!("({a})"))
            .collect::<Vec<_>>()
            .join(" or ");
        let path = match *coded {
            "CodeableConcept" => format!("{name}.coding.where({test}).exists()"),
            "Coding" => format!("{name}.where({test}).exists()"),
            _ => format!("{name}.where({test}).exists()"),
        };
        let path = if negate {
            format!("{path}.not()")
        } else {
            path
        };
        wheres.push(json!({"path": path, "description": format!("{param}={g}")}));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_rewritten_outside_strings_and_functions() {
        assert_eq!(
            rewrite_choices("valueQuantity.value"),
            "value.ofType(Quantity).value"
        );
        assert_eq!(
            rewrite_choices("(effectiveDateTime | issued).first()"),
            "(effective.ofType(dateTime) | issued).first()"
        );
        assert_eq!(
            rewrite_choices(
                "component.where(code.coding.code = 'valueQuantity').valueQuantity.value"
            ),
            "component.where(code.coding.code = 'valueQuantity').value.ofType(Quantity).value"
        );
        assert_eq!(rewrite_choices("%valueQuantity"), "%valueQuantity");
        assert_eq!(
            rewrite_choices("code.coding.display.first()"),
            "code.coding.display.first()"
        );
    }

    #[test]
    fn aliases_split_as_fasten_splits_them() {
        assert_eq!(
            split_alias("valueQuantity.value as data"),
            ("valueQuantity.value".into(), "data".into())
        );
        assert_eq!(
            split_alias("address.use"),
            ("address.use".into(), "address.use".into())
        );
        assert_eq!(split_alias("a AS b"), ("a".into(), "b".into()));
        assert_eq!(column_name("address.use", &[]), "address_use");
        assert_eq!(column_name("1st", &[]), "c_1st");
        assert_eq!(column_name("data", &["data".into()]), "data_2");
    }

    #[test]
    fn parameter_names_become_search_codes() {
        assert_eq!(search_code("componentCode"), "component-code");
        assert_eq!(search_code("code"), "code");
        assert_eq!(search_code("metaLastUpdated"), "_lastUpdated");
        assert_eq!(search_code("addressPostalcode"), "address-postalcode");
    }
}
