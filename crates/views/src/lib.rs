//! SQL-on-FHIR v2 ViewDefinitions: a view is checked once ([`View::parse`]), then run over
//! resources one at a time ([`View::rows`]), each giving zero or more rows.
//!
//! Rows are plain JSON values in column order. A column's value is the JSON the resource holds
//! (a decimal keeps its digits) or the value the FHIRPath expression computed. Running a view
//! never writes anything; which resources it sees is the caller's business (the host gives it
//! one profile's records).
#![deny(missing_docs)]

use hearth_fhirpath::ast::Expr;
use hearth_fhirpath::{Env, Expression, Item, Node};
use serde_json::{Map, Value};

/// Why a view is not valid, or failed on a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The definition itself is wrong; `at` points into it (`select[0].column[1].path`).
    #[error("{at}: {message}")]
    Invalid {
        /// Where in the definition.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// Evaluating a path on one resource failed.
    #[error("{at} on {resource}: {message}")]
    Evaluation {
        /// Where in the definition.
        at: String,
        /// `Type/id` of the resource.
        resource: String,
        /// What went wrong.
        message: String,
    },
}

fn invalid<T>(at: impl Into<String>, message: impl Into<String>) -> Result<T, ViewError> {
    Err(ViewError::Invalid {
        at: at.into(),
        message: message.into(),
    })
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Its name (`[A-Za-z][A-Za-z0-9_]*`, unique in the view).
    pub name: String,
    /// The FHIR type the definition declares, if any.
    pub ty: Option<String>,
    /// Whether it holds an array of values.
    pub collection: bool,
}

#[derive(Debug)]
struct Column {
    path: Expression,
    at: String,
    collection: bool,
}

#[derive(Debug)]
enum Iteration {
    /// One focus: the parent's.
    Once,
    /// Each item the path gives; `or_null` keeps one all-null row when there is none.
    ForEach { path: Expression, or_null: bool },
    /// The items reached by following any of the paths again and again (depth first).
    Repeat(Vec<Expression>),
}

#[derive(Debug)]
struct Select {
    at: String,
    iteration: Iteration,
    columns: Vec<Column>,
    selects: Vec<Select>,
    union_all: Vec<Select>,
    /// How many output columns this node and its children produce.
    width: usize,
}

/// A checked ViewDefinition.
#[derive(Debug)]
pub struct View {
    resource: String,
    constants: Vec<(String, Value, String)>,
    wheres: Vec<(Expression, String)>,
    root: Select,
    columns: Vec<ColumnInfo>,
}

/// Names a view's paths may use besides its constants.
const BUILT_IN_VARIABLES: [&str; 7] = [
    "rowIndex",
    "resource",
    "rootResource",
    "context",
    "ucum",
    "sct",
    "loinc",
];

impl View {
    /// Checks a ViewDefinition: its shape, every FHIRPath expression, constant references,
    /// unique column names and matching `unionAll` branches.
    pub fn parse(definition: &Value) -> Result<View, ViewError> {
        let Some(object) = definition.as_object() else {
            return invalid("", "a ViewDefinition is a JSON object");
        };
        let resource = match object.get("resource") {
            Some(Value::String(r)) if hearth_fhirpath::model::is_resource(r) => r.clone(),
            Some(Value::String(r)) => {
                return invalid("resource", format!("{r} is not a FHIR R4 resource type"));
            }
            Some(_) => return invalid("resource", "must be a resource type name"),
            None => return invalid("resource", "is required"),
        };
        let mut constants = Vec::new();
        for (i, c) in array(object, "constant", "")?.iter().enumerate() {
            let at = format!("constant[{i}]");
            let Some(c) = c.as_object() else {
                return invalid(at, "must be an object");
            };
            let name = match c.get("name") {
                Some(Value::String(n)) if is_name(n) => n.clone(),
                _ => {
                    return invalid(
                        format!("{at}.name"),
                        "must be a name ([A-Za-z][A-Za-z0-9_]*)",
                    );
                }
            };
            let Some((key, value)) = c
                .iter()
                .find(|(k, _)| k.starts_with("value") && k.len() > 5)
            else {
                return invalid(at, format!("constant {name} has no value[x]"));
            };
            let ty = lower_first(&key[5..]);
            if !hearth_fhirpath::model::is_primitive(&ty) {
                return invalid(
                    format!("{at}.{key}"),
                    format!("{ty} is not a primitive type"),
                );
            }
            constants.push((name, value.clone(), ty));
        }
        let known: Vec<&str> = constants
            .iter()
            .map(|(n, _, _)| n.as_str())
            .chain(BUILT_IN_VARIABLES)
            .collect();
        let compile = |text: &Value, at: &str| -> Result<Expression, ViewError> {
            let Some(text) = text.as_str() else {
                return invalid(at, "must be a FHIRPath expression (a string)");
            };
            let expression = Expression::parse(text).map_err(|e| ViewError::Invalid {
                at: at.to_string(),
                message: format!("bad FHIRPath: {e}"),
            })?;
            if let Some(unknown) = variables(expression.ast())
                .into_iter()
                .find(|v| !known.contains(&v.as_str()))
            {
                return invalid(at, format!("%{unknown} is not a constant of this view"));
            }
            Ok(expression)
        };
        let mut wheres = Vec::new();
        for (i, w) in array(object, "where", "")?.iter().enumerate() {
            let at = format!("where[{i}].path");
            let Some(path) = w.get("path") else {
                return invalid(at, "is required");
            };
            wheres.push((compile(path, &at)?, at));
        }
        let selects = array(object, "select", "")?;
        if selects.is_empty() {
            return invalid("select", "a view needs at least one select");
        }
        let mut columns = Vec::new();
        let mut children = Vec::new();
        for (i, s) in selects.iter().enumerate() {
            children.push(select(s, &format!("select[{i}]"), &compile, &mut columns)?);
        }
        let width = columns.len();
        let mut seen = std::collections::HashSet::new();
        for c in &columns {
            if !seen.insert(c.name.as_str()) {
                return invalid("select", format!("column name {} is used twice", c.name));
            }
        }
        Ok(View {
            resource,
            constants,
            wheres,
            root: Select {
                at: String::new(),
                iteration: Iteration::Once,
                columns: vec![],
                selects: children,
                union_all: vec![],
                width,
            },
            columns,
        })
    }

    /// The resource type the view reads.
    pub fn resource_type(&self) -> &str {
        &self.resource
    }

    /// The output columns, in order.
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.columns
    }

    /// Appends the rows one resource gives (none when it is of another type or fails `where`).
    pub fn rows(&self, resource: &Value, out: &mut Vec<Vec<Value>>) -> Result<(), ViewError> {
        if resource.get("resourceType").and_then(Value::as_str) != Some(self.resource.as_str()) {
            return Ok(());
        }
        let mut env = Env::default().with_root(resource);
        for (name, value, ty) in &self.constants {
            env.set_json(name.clone(), value, ty);
        }
        env.set("rowIndex", vec![Item::Integer(0)]);
        let focus = Item::Node(Node::resource(resource));
        for (path, at) in &self.wheres {
            let result = eval(path, &focus, &env, at, resource)?;
            match result.as_slice() {
                [] => return Ok(()),
                [item] => match item.system() {
                    Some(Item::Boolean(true)) => {}
                    Some(Item::Boolean(false)) | None => return Ok(()),
                    Some(other) => {
                        return Err(failure(
                            at,
                            resource,
                            format!("where must give a boolean, not {}", other.type_info().1),
                        ));
                    }
                },
                _ => {
                    return Err(failure(
                        at,
                        resource,
                        "where must give one boolean, not a collection",
                    ));
                }
            }
        }
        let mut runner = Runner { env, resource };
        out.extend(runner.select(&self.root, &focus)?);
        Ok(())
    }
}

fn failure(at: &str, resource: &Value, message: impl Into<String>) -> ViewError {
    let key = format!(
        "{}/{}",
        resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("?"),
        resource.get("id").and_then(Value::as_str).unwrap_or("?")
    );
    ViewError::Evaluation {
        at: at.to_string(),
        resource: key,
        message: message.into(),
    }
}

fn eval<'a>(
    path: &Expression,
    focus: &Item<'a>,
    env: &Env<'a>,
    at: &str,
    resource: &Value,
) -> Result<Vec<Item<'a>>, ViewError> {
    path.evaluate_on(std::slice::from_ref(focus), env)
        .map_err(|e| failure(at, resource, e.0))
}

struct Runner<'a> {
    env: Env<'a>,
    resource: &'a Value,
}

/// Partial rows: each is the values of one select node's columns.
type Rows = Vec<Vec<Value>>;

impl<'a> Runner<'a> {
    fn select(&mut self, node: &Select, focus: &Item<'a>) -> Result<Rows, ViewError> {
        let foci: Vec<Item<'a>> = match &node.iteration {
            Iteration::Once => vec![focus.clone()],
            Iteration::ForEach { path, or_null } => {
                let items = eval(
                    path,
                    focus,
                    &self.env,
                    &format!("{}.forEach", node.at),
                    self.resource,
                )?;
                if items.is_empty() && *or_null {
                    return self.empty_row(node);
                }
                items
            }
            Iteration::Repeat(paths) => {
                let mut out = Vec::new();
                self.repeat(paths, focus, &node.at, &mut out)?;
                out
            }
        };
        let saved = self.env_row_index();
        let mut rows = Vec::new();
        for (index, item) in foci.iter().enumerate() {
            if !matches!(node.iteration, Iteration::Once) {
                self.env.set("rowIndex", vec![Item::Integer(index as i64)]);
            }
            let mut own = Vec::with_capacity(node.columns.len());
            for column in &node.columns {
                let values = eval(&column.path, item, &self.env, &column.at, self.resource)?;
                own.push(if column.collection {
                    Value::Array(values.iter().map(Item::to_json).collect())
                } else {
                    match values.as_slice() {
                        [] => Value::Null,
                        [one] => one.to_json(),
                        _ => {
                            return Err(failure(
                                &column.at,
                                self.resource,
                                format!(
                                    "gives {} values; set \"collection\": true to keep them all",
                                    values.len()
                                ),
                            ));
                        }
                    }
                });
            }
            // Cartesian product: own columns x each nested select x the unionAll branches.
            let mut partial: Rows = vec![own];
            for child in &node.selects {
                let child_rows = self.select(child, item)?;
                partial = product(partial, &child_rows);
            }
            if !node.union_all.is_empty() {
                let mut union_rows = Vec::new();
                for branch in &node.union_all {
                    union_rows.extend(self.select(branch, item)?);
                }
                partial = product(partial, &union_rows);
            }
            rows.extend(partial);
        }
        self.env.set("rowIndex", saved);
        Ok(rows)
    }

    /// The one row forEachOrNull gives when its path finds nothing: its columns evaluated on
    /// an empty focus (so `%rowIndex` is 0 and paths are null), everything nested null.
    fn empty_row(&mut self, node: &Select) -> Result<Rows, ViewError> {
        let saved = self.env_row_index();
        self.env.set("rowIndex", vec![Item::Integer(0)]);
        let mut row = Vec::with_capacity(node.width);
        for column in &node.columns {
            let values = column
                .path
                .evaluate_on(&[], &self.env)
                .map_err(|e| failure(&column.at, self.resource, e.0))?;
            row.push(match values.as_slice() {
                [one] if !column.collection => one.to_json(),
                _ if column.collection => Value::Array(values.iter().map(Item::to_json).collect()),
                _ => Value::Null,
            });
        }
        row.resize(node.width, Value::Null);
        self.env.set("rowIndex", saved);
        Ok(vec![row])
    }

    /// The index in force where a node starts, restored when it ends.
    fn env_row_index(&self) -> Vec<Item<'a>> {
        self.env
            .get("rowIndex")
            .cloned()
            .unwrap_or_else(|| vec![Item::Integer(0)])
    }

    fn repeat(
        &self,
        paths: &[Expression],
        focus: &Item<'a>,
        at: &str,
        out: &mut Vec<Item<'a>>,
    ) -> Result<(), ViewError> {
        if out.len() > 100_000 {
            return Err(failure(
                at,
                self.resource,
                "repeat reached more than 100000 elements",
            ));
        }
        for path in paths {
            for item in eval(
                path,
                focus,
                &self.env,
                &format!("{at}.repeat"),
                self.resource,
            )? {
                out.push(item.clone());
                self.repeat(paths, &item, at, out)?;
            }
        }
        Ok(())
    }
}

fn product(left: Rows, right: &Rows) -> Rows {
    let mut out = Vec::with_capacity(left.len() * right.len());
    for l in &left {
        for r in right {
            let mut row = l.clone();
            row.extend(r.iter().cloned());
            out.push(row);
        }
    }
    out
}

fn array<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<&'v [Value], ViewError> {
    match object.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => invalid(
            format!("{at}{}{key}", if at.is_empty() { "" } else { "." }),
            "must be an array",
        ),
    }
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|f| f.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn select(
    value: &Value,
    at: &str,
    compile: &dyn Fn(&Value, &str) -> Result<Expression, ViewError>,
    columns: &mut Vec<ColumnInfo>,
) -> Result<Select, ViewError> {
    let Some(object) = value.as_object() else {
        return invalid(at, "a select is a JSON object");
    };
    let start = columns.len();
    let iteration = match (
        object.get("forEach"),
        object.get("forEachOrNull"),
        object.get("repeat"),
    ) {
        (None, None, None) => Iteration::Once,
        (Some(path), None, None) => Iteration::ForEach {
            path: compile(path, &format!("{at}.forEach"))?,
            or_null: false,
        },
        (None, Some(path), None) => Iteration::ForEach {
            path: compile(path, &format!("{at}.forEachOrNull"))?,
            or_null: true,
        },
        (None, None, Some(Value::Array(paths))) if !paths.is_empty() => {
            let mut compiled = Vec::new();
            for (i, p) in paths.iter().enumerate() {
                compiled.push(compile(p, &format!("{at}.repeat[{i}]"))?);
            }
            Iteration::Repeat(compiled)
        }
        (None, None, Some(_)) => {
            return invalid(format!("{at}.repeat"), "must be a non-empty array of paths");
        }
        _ => return invalid(at, "forEach, forEachOrNull and repeat exclude each other"),
    };
    let mut own = Vec::new();
    for (i, c) in array(object, "column", at)?.iter().enumerate() {
        let cat = format!("{at}.column[{i}]");
        let Some(c) = c.as_object() else {
            return invalid(cat, "a column is a JSON object");
        };
        let name = match c.get("name") {
            Some(Value::String(n)) if is_name(n) => n.clone(),
            _ => {
                return invalid(
                    format!("{cat}.name"),
                    "must be a name ([A-Za-z][A-Za-z0-9_]*)",
                );
            }
        };
        let Some(path) = c.get("path") else {
            return invalid(format!("{cat}.path"), "is required");
        };
        let collection = match c.get("collection") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return invalid(format!("{cat}.collection"), "must be true or false"),
        };
        let ty = c.get("type").and_then(Value::as_str).map(String::from);
        own.push(Column {
            path: compile(path, &format!("{cat}.path"))?,
            at: format!("{cat}.path"),
            collection,
        });
        columns.push(ColumnInfo {
            name,
            ty,
            collection,
        });
    }
    let mut selects = Vec::new();
    for (i, s) in array(object, "select", at)?.iter().enumerate() {
        selects.push(select(s, &format!("{at}.select[{i}]"), compile, columns)?);
    }
    let mut union_all = Vec::new();
    let mut branch_columns: Option<Vec<ColumnInfo>> = None;
    for (i, s) in array(object, "unionAll", at)?.iter().enumerate() {
        let bat = format!("{at}.unionAll[{i}]");
        let mut these = Vec::new();
        union_all.push(select(s, &bat, compile, &mut these)?);
        match &branch_columns {
            None => branch_columns = Some(these),
            Some(first) => {
                let names =
                    |cs: &[ColumnInfo]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
                if names(first) != names(&these) {
                    return invalid(
                        bat,
                        format!(
                            "unionAll branches must have the same columns in the same order: {:?} against {:?}",
                            names(first),
                            names(&these)
                        ),
                    );
                }
            }
        }
    }
    columns.extend(branch_columns.unwrap_or_default());
    if columns.len() == start {
        return invalid(at, "a select needs columns, a nested select or unionAll");
    }
    Ok(Select {
        at: at.to_string(),
        iteration,
        columns: own,
        selects,
        union_all,
        width: columns.len() - start,
    })
}

/// Every `%name` an expression reads.
fn variables(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Variable(name) => out.push(name.clone()),
            Expr::Function(_, args) => args.iter().for_each(|a| walk(a, out)),
            Expr::Path(a, b) | Expr::Indexer(a, b) | Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Negate(a) | Expr::Is(a, _) | Expr::As(a, _) => walk(a, out),
            _ => {}
        }
    }
    walk(expr, &mut out);
    out
}
