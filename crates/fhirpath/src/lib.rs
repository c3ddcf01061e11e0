//! FHIRPath over FHIR resources as `serde_json` values.
//!
//! Hearth keeps every resource as the JSON its source sent, and `serde_json` runs with
//! `arbitrary_precision`, so a decimal read here keeps the digits it was written with
//! (`72.50` stays `72.50`). The engine reads the JSON in place: navigation borrows, and a
//! path's result points back into the resource. Types come from a table of the R4 model
//! (`model`); elements the table does not know are still read, typed from their JSON.
//!
//! ```
//! let patient = serde_json::json!({"resourceType": "Patient", "name": [{"given": ["Ann"]}]});
//! let expr = hearth_fhirpath::Expression::parse("Patient.name.given.first()").unwrap();
//! let out = expr.evaluate(&patient, &hearth_fhirpath::Env::default()).unwrap();
//! assert_eq!(out[0].to_json(), "Ann");
//! ```
#![deny(missing_docs)]

mod arith;
pub mod ast;
mod eval;
mod functions;
pub mod model;
mod parser;
pub mod temporal;
mod value;

pub use parser::ParseError;
pub use value::{Item, Node};

use std::collections::HashMap;

/// Why an evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

/// What an expression sees besides its input: `%variables` and the root resource.
#[derive(Default, Clone)]
pub struct Env<'a> {
    vars: HashMap<String, Vec<Item<'a>>>,
    root: Option<Node<'a>>,
    strict: bool,
}

impl<'a> Env<'a> {
    /// Sets `%name` to a collection.
    pub fn set(&mut self, name: impl Into<String>, value: Vec<Item<'a>>) {
        self.vars.insert(name.into(), value);
    }

    /// Strict mode refuses names a known type cannot have (`name.given1`), choices written
    /// with their type (`valueQuantity`) and another resource type as the path's start.
    /// Off by default: views read whatever the records hold, and an absent element is empty.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// The collection `%name` is set to.
    pub fn get(&self, name: &str) -> Option<&Vec<Item<'a>>> {
        self.vars.get(name)
    }

    /// Sets `%name` to a JSON value typed as FHIR type `ty` (empty for System types).
    pub fn set_json(&mut self, name: impl Into<String>, value: &'a serde_json::Value, ty: &'a str) {
        self.set(
            name,
            vec![Item::Node(Node {
                value,
                ext: None,
                ty,
            })],
        );
    }
}

/// A parsed expression, ready to evaluate many times.
#[derive(Debug, Clone)]
pub struct Expression {
    ast: ast::Expr,
}

impl Expression {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Ok(Expression {
            ast: parser::parse(text)?,
        })
    }

    /// Evaluates against a resource (its root is `%resource` and the starting focus).
    pub fn evaluate<'a>(
        &self,
        resource: &'a serde_json::Value,
        env: &Env<'a>,
    ) -> Result<Vec<Item<'a>>, EvalError> {
        let root = Node::resource(resource);
        let mut env = env.clone();
        if env.root.is_none() {
            env.root = Some(root);
        }
        self.evaluate_on(&[Item::Node(root)], &env)
    }

    /// Evaluates with `focus` as the input collection (a `forEach` row's element, say).
    pub fn evaluate_on<'a>(
        &self,
        focus: &[Item<'a>],
        env: &Env<'a>,
    ) -> Result<Vec<Item<'a>>, EvalError> {
        let eval = eval::Eval {
            env,
            steps: std::cell::Cell::new(0),
        };
        let scope = eval::Scope {
            this: focus.first().cloned().filter(|_| focus.len() == 1),
            ..Default::default()
        };
        eval.eval(&self.ast, focus, &scope)
    }

    /// The parsed form.
    pub fn ast(&self) -> &ast::Expr {
        &self.ast
    }
}

impl<'a> Env<'a> {
    /// Sets the root resource (`%resource`, `%rootResource`, `%context`) for evaluations
    /// that start from an element inside it.
    pub fn with_root(mut self, resource: &'a serde_json::Value) -> Self {
        self.root = Some(Node::resource(resource));
        self
    }
}
