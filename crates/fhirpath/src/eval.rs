//! Evaluation: paths over the JSON, operators, and the scope (`$this`, `$index`, `$total`).

use crate::ast::{BinaryOp, Expr, Literal, TypeName};
use crate::model;
use crate::temporal::Temporal;
use crate::value::{Item, Node};
use crate::{Env, EvalError};
use rust_decimal::Decimal;
use serde_json::Value;
use std::cmp::Ordering;

/// A collection.
pub type Coll<'a> = Vec<Item<'a>>;

/// What `$this`, `$index` and `$total` mean where an argument is evaluated.
#[derive(Clone, Default)]
pub struct Scope<'a> {
    /// `$this`
    pub this: Option<Item<'a>>,
    /// `$index`
    pub index: Option<i64>,
    /// `$total`
    pub total: Option<Coll<'a>>,
}

/// Shorthand for an evaluation error.
pub fn fail<T>(message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(message.into()))
}

/// Evaluator state for one evaluation.
pub struct Eval<'e, 'a> {
    /// Variables and the root resource.
    pub env: &'e Env<'a>,
    /// Work done so far; bounded so a hostile expression cannot spin forever.
    pub steps: std::cell::Cell<u64>,
}

/// Upper bound on evaluation steps for one expression over one resource.
const MAX_STEPS: u64 = 1_000_000;

impl<'e, 'a> Eval<'e, 'a> {
    /// Counts one step of work.
    pub fn tick(&self, n: u64) -> Result<(), EvalError> {
        let steps = self.steps.get() + n;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            return fail("expression did too much work (step limit reached)");
        }
        Ok(())
    }

    /// Evaluates `expr` with `focus` as the input collection.
    pub fn eval(
        &self,
        expr: &Expr,
        focus: &[Item<'a>],
        scope: &Scope<'a>,
    ) -> Result<Coll<'a>, EvalError> {
        self.tick(1)?;
        let out = self.eval_inner(expr, focus, scope)?;
        // Work is counted by items made too, so a collection that explodes is stopped early.
        self.tick(out.len() as u64)?;
        Ok(out)
    }

    fn eval_inner(
        &self,
        expr: &Expr,
        focus: &[Item<'a>],
        scope: &Scope<'a>,
    ) -> Result<Coll<'a>, EvalError> {
        match expr {
            Expr::Literal(l) => literal(l),
            Expr::Member(name) => {
                let mut out = Vec::new();
                if !self.env.strict {
                    for item in focus {
                        self.member(item, name, &mut out);
                    }
                    return Ok(out);
                }
                let mut refusal = None;
                let mut accepted = false;
                for item in focus {
                    match check_member(item, name) {
                        Ok(()) => accepted = true,
                        Err(e) => refusal = refusal.or(Some(e)),
                    }
                    self.member(item, name, &mut out);
                }
                // A mixed collection (from `descendants()`) may hold types without the element;
                // only a name no item can have is an error.
                if let (false, Some(e)) = (accepted, refusal) {
                    return Err(e);
                }
                self.tick(out.len() as u64)?;
                Ok(out)
            }
            Expr::Function(name, args) => crate::functions::call(self, name, args, focus, scope),
            Expr::This => Ok(scope.this.clone().into_iter().collect()),
            Expr::Index => Ok(scope.index.map(Item::Integer).into_iter().collect()),
            Expr::Total => Ok(scope.total.clone().unwrap_or_default()),
            Expr::Variable(name) => self.variable(name),
            Expr::Path(left, right) => {
                let input = self.eval(left, focus, scope)?;
                self.eval(right, &input, scope)
            }
            Expr::Indexer(left, index) => {
                let input = self.eval(left, focus, scope)?;
                let index = self.eval(index, focus, scope)?;
                let Some(i) = integer_arg(&index)? else {
                    return Ok(vec![]);
                };
                Ok(usize::try_from(i)
                    .ok()
                    .and_then(|i| input.get(i).cloned())
                    .into_iter()
                    .collect())
            }
            Expr::Negate(inner) => {
                let value = self.eval(inner, focus, scope)?;
                let Some(item) = singleton(&value)? else {
                    return Ok(vec![]);
                };
                Ok(match item.system() {
                    Some(Item::Integer(i)) => vec![Item::Integer(-i)],
                    Some(Item::Long(i)) => vec![Item::Long(-i)],
                    Some(Item::Decimal(d)) => vec![Item::Decimal(-d)],
                    Some(Item::Quantity(v, u)) => vec![Item::Quantity(-v, u)],
                    _ => return fail("unary minus needs a number or a quantity"),
                })
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right, focus, scope),
            Expr::Is(inner, ty) => {
                let value = self.eval(inner, focus, scope)?;
                let Some(item) = singleton(&value)? else {
                    return Ok(vec![]);
                };
                Ok(vec![Item::Boolean(is_type(item, ty)?)])
            }
            Expr::As(inner, ty) => {
                let value = self.eval(inner, focus, scope)?;
                if value.len() > 1 {
                    return fail("'as' needs a single item");
                }
                match value.into_iter().next() {
                    Some(item) if is_exactly(&item, ty)? => Ok(vec![item]),
                    _ => Ok(vec![]),
                }
            }
        }
    }

    /// The collection without repeats (first occurrence kept). The same piece of the input is
    /// recognized by address at once; anything else is compared by equality, counted as work.
    pub fn distinct(&self, items: Coll<'a>) -> Result<Coll<'a>, EvalError> {
        let mut out: Coll<'a> = Vec::with_capacity(items.len());
        let mut seen = std::collections::HashSet::new();
        for item in items {
            if let Item::Node(n) = &item
                && n.value.is_object()
                && !seen.insert(std::ptr::from_ref(n.value) as usize)
            {
                continue;
            }
            self.tick(out.len() as u64)?;
            if !out.iter().any(|o| equals(o, &item) == Some(true)) {
                out.push(item);
            }
        }
        Ok(out)
    }

    fn variable(&self, name: &str) -> Result<Coll<'a>, EvalError> {
        if let Some(value) = self.env.vars.get(name) {
            return Ok(value.clone());
        }
        Ok(match name {
            "resource" | "rootResource" | "context" => {
                self.env.root.map(Item::Node).into_iter().collect()
            }
            "ucum" => vec![Item::String("http://unitsofmeasure.org".into())],
            "sct" => vec![Item::String("http://snomed.info/sct".into())],
            "loinc" => vec![Item::String("http://loinc.org".into())],
            _ => {
                if let Some(vs) = name.strip_prefix("vs-") {
                    return Ok(vec![Item::String(format!(
                        "http://hl7.org/fhir/ValueSet/{vs}"
                    ))]);
                }
                if let Some(ext) = name.strip_prefix("ext-") {
                    return Ok(vec![Item::String(format!(
                        "http://hl7.org/fhir/StructureDefinition/{ext}"
                    ))]);
                }
                return fail(format!("unknown variable %{name}"));
            }
        })
    }

    /// The children named `name` of `item` (or `item` itself when `name` is its resource type).
    pub fn member(&self, item: &Item<'a>, name: &str, out: &mut Coll<'a>) {
        if let Item::Type(namespace, type_name) = item {
            match name {
                "namespace" => out.push(Item::String(namespace.to_string())),
                "name" => out.push(Item::String(type_name.clone())),
                _ => {}
            }
            return;
        }
        let Item::Node(node) = item else {
            return;
        };
        if name.starts_with(|c: char| c.is_ascii_uppercase()) {
            if let Value::Object(o) = node.value
                && o.get("resourceType")
                    .and_then(Value::as_str)
                    .is_some_and(|t| model::derives_from(t, name))
            {
                out.push(item.clone());
            }
            return;
        }
        match node.value {
            Value::Object(object) => children(node.type_name(), object, name, out),
            // A primitive's id and extensions live in its `_name` sibling.
            _ => {
                if let Some(Value::Object(ext)) = node.ext {
                    let ty = match name {
                        "id" => "string",
                        "extension" => "Extension",
                        _ => return,
                    };
                    push_values(ext.get(name), None, ty, out);
                }
            }
        }
    }

    fn binary(
        &self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        focus: &[Item<'a>],
        scope: &Scope<'a>,
    ) -> Result<Coll<'a>, EvalError> {
        use BinaryOp::*;
        let l = self.eval(left, focus, scope)?;
        // Boolean operators may decide without the right side only in the spec's three-valued sense;
        // both sides are evaluated so that errors on either side surface consistently.
        let r = self.eval(right, focus, scope)?;
        match op {
            And | Or | Xor | Implies => logic(op, to_bool3(&l)?, to_bool3(&r)?),
            Union => {
                let mut all = l;
                all.extend(r);
                self.distinct(all)
            }
            Eq | Ne => {
                let result = collection_equals(&l, &r);
                Ok(result
                    .map(|b| Item::Boolean(if op == Eq { b } else { !b }))
                    .into_iter()
                    .collect())
            }
            Equiv | NotEquiv => {
                let b = collection_equivalent(&l, &r);
                Ok(vec![Item::Boolean(if op == Equiv { b } else { !b })])
            }
            In | Contains => {
                let (needle, haystack) = if op == In { (&l, &r) } else { (&r, &l) };
                let Some(needle) = singleton(needle)? else {
                    return Ok(vec![]);
                };
                Ok(vec![Item::Boolean(
                    haystack.iter().any(|h| equals(h, needle) == Some(true)),
                )])
            }
            Lt | Le | Gt | Ge => {
                let (Some(a), Some(b)) = (singleton(&l)?, singleton(&r)?) else {
                    return Ok(vec![]);
                };
                let Some(ordering) = compare(a, b)? else {
                    return Ok(vec![]);
                };
                let result = match op {
                    Lt => ordering == Ordering::Less,
                    Le => ordering != Ordering::Greater,
                    Gt => ordering == Ordering::Greater,
                    _ => ordering != Ordering::Less,
                };
                Ok(vec![Item::Boolean(result)])
            }
            Concat => {
                let text = |c: &Coll<'a>| -> Result<String, EvalError> {
                    Ok(singleton(c)?.and_then(Item::to_text).unwrap_or_default())
                };
                Ok(vec![Item::String(text(&l)? + &text(&r)?)])
            }
            Add | Sub | Mul | Div | IntDiv | Mod => {
                let (Some(a), Some(b)) = (singleton(&l)?, singleton(&r)?) else {
                    return Ok(vec![]);
                };
                crate::arith::apply(op, a, b)
            }
        }
    }
}

/// Refuses names that cannot be right for a type the model knows: a choice written with its
/// type (`valueQuantity`: FHIRPath reads `value.ofType(Quantity)`), a resource type other than
/// the focus's, or an element the type does not have and the JSON does not hold either.
fn check_member(item: &Item, name: &str) -> Result<(), EvalError> {
    let Item::Node(node) = item else {
        return Ok(());
    };
    let Value::Object(object) = node.value else {
        return Ok(());
    };
    let ty = node.type_name();
    if !model::is_type(ty) {
        return Ok(());
    }
    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        if model::is_resource(ty) && !model::derives_from(ty, name) {
            return fail(format!("the focus is a {ty}, not a {name}"));
        }
        return Ok(());
    }
    if model::element(ty, name).is_some() {
        return Ok(());
    }
    if let Some(choice) = model::choice_of(ty, name) {
        let suffix = &name[choice.name.len()..];
        return fail(format!(
            "{ty} has no element {name}: write {}.ofType({suffix})",
            choice.name
        ));
    }
    if !object.contains_key(name) && ext_of(object, name).is_none() && !has_choice_key(object, name)
    {
        return fail(format!("{ty} has no element {name}"));
    }
    Ok(())
}

fn has_choice_key(object: &serde_json::Map<String, Value>, name: &str) -> bool {
    object.keys().any(|k| {
        k.strip_prefix(name)
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// The items a JSON property yields, typed by the model; `ext` is the `_name` sibling.
fn push_values<'a>(
    value: Option<&'a Value>,
    ext: Option<&'a Value>,
    ty: &'a str,
    out: &mut Coll<'a>,
) {
    let resolve = |v: &'a Value| -> &'a str {
        if ty == "Resource" {
            v.get("resourceType").and_then(Value::as_str).unwrap_or(ty)
        } else {
            ty
        }
    };
    match (value, ext) {
        (Some(Value::Array(items)), ext) => {
            let exts = ext.and_then(Value::as_array);
            for (i, v) in items.iter().enumerate() {
                let e = exts.and_then(|e| e.get(i)).filter(|e| !e.is_null());
                if v.is_null() {
                    if let Some(e) = e {
                        out.push(Item::Node(Node::only_ext(e, ty)));
                    }
                    continue;
                }
                out.push(Item::Node(Node {
                    value: v,
                    ext: e,
                    ty: resolve(v),
                }));
            }
        }
        (Some(Value::Null) | None, Some(Value::Array(exts))) => {
            for e in exts.iter().filter(|e| !e.is_null()) {
                out.push(Item::Node(Node::only_ext(e, ty)));
            }
        }
        (Some(Value::Null) | None, Some(e)) => out.push(Item::Node(Node::only_ext(e, ty))),
        (Some(v), ext) => out.push(Item::Node(Node {
            value: v,
            ext,
            ty: resolve(v),
        })),
        (None, None) => {}
    }
}

fn ext_of<'a>(object: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    // Allocation-free lookup of `_key`.
    object
        .iter()
        .find(|(k, _)| k.len() == key.len() + 1 && k.starts_with('_') && &k[1..] == key)
        .map(|(_, v)| v)
}

/// Adds the children `name` of an object typed `ty` to `out`.
pub fn children<'a>(
    ty: &str,
    object: &'a serde_json::Map<String, Value>,
    name: &str,
    out: &mut Coll<'a>,
) {
    if let Some(element) = model::element(ty, name) {
        if element.types.len() == 1 {
            let key = name;
            let child_ty: &'static str = element.types[0];
            push_values(object.get(key), ext_of(object, key), child_ty, out);
        } else {
            // A choice: find the keys present (`valueQuantity`) rather than building every
            // candidate key; objects hold far fewer keys than a choice has types.
            for t in element.types {
                for (key, value) in object {
                    let plain = key.strip_prefix('_').unwrap_or(key);
                    if is_choice_key(plain, name, t) {
                        if key.starts_with('_') {
                            if !object.contains_key(plain) {
                                push_values(None, Some(value), t, out);
                            }
                        } else {
                            push_values(Some(value), ext_of(object, key), t, out);
                        }
                    }
                }
            }
        }
        return;
    }
    if object.contains_key(name) || ext_of(object, name).is_some() {
        push_values(object.get(name), ext_of(object, name), "", out);
        return;
    }
    // An element the model does not know may still be a choice: `valueFoo` for `value`.
    for (key, value) in object {
        if let Some(suffix) = key.strip_prefix(name)
            && suffix.starts_with(|c: char| c.is_ascii_uppercase())
        {
            let t = type_from_suffix(suffix);
            push_values(Some(value), None, t, out);
        }
    }
}

/// Whether `key` is choice element `name` of type `ty` (`valueQuantity`, `value`, `Quantity`).
fn is_choice_key(key: &str, name: &str, ty: &str) -> bool {
    let Some(suffix) = key.strip_prefix(name) else {
        return false;
    };
    let mut a = suffix.chars();
    let mut b = ty.chars();
    match (a.next(), b.next()) {
        (Some(x), Some(y)) if x == y.to_ascii_uppercase() => a.as_str() == b.as_str(),
        _ => false,
    }
}

/// The JSON key of a choice element for one of its types: `value` + `Quantity`.
pub fn choice_key(name: &str, ty: &str) -> String {
    let mut key = String::with_capacity(name.len() + ty.len());
    key.push_str(name);
    let mut chars = ty.chars();
    if let Some(first) = chars.next() {
        key.push(first.to_ascii_uppercase());
        key.push_str(chars.as_str());
    }
    key
}

fn type_from_suffix(suffix: &str) -> &'static str {
    let lower = {
        let mut c = suffix.chars();
        c.next()
            .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    for candidate in [suffix, lower.as_str()] {
        if let Some(t) = model::type_def(candidate) {
            return t.name;
        }
    }
    ""
}

fn literal<'a>(l: &Literal) -> Result<Coll<'a>, EvalError> {
    Ok(vec![match l {
        Literal::Empty => return Ok(vec![]),
        Literal::Boolean(b) => Item::Boolean(*b),
        Literal::String(s) => Item::String(s.clone()),
        Literal::Integer(i) => Item::Integer(*i),
        Literal::Long(i) => Item::Long(*i),
        Literal::Decimal(d) => match Decimal::from_str_exact(d) {
            Ok(d) => Item::Decimal(d),
            Err(_) => return fail(format!("decimal {d} is out of range")),
        },
        Literal::Date(d) => Item::Temporal(
            Temporal::parse_date(d).ok_or_else(|| EvalError(format!("bad date {d}")))?,
        ),
        Literal::DateTime(d) => Item::Temporal(
            Temporal::parse_datetime(d).ok_or_else(|| EvalError(format!("bad date-time {d}")))?,
        ),
        Literal::Time(t) => Item::Temporal(
            Temporal::parse_time(t).ok_or_else(|| EvalError(format!("bad time {t}")))?,
        ),
        Literal::Quantity(v, u) => match Decimal::from_str_exact(v) {
            Ok(d) => Item::Quantity(d, u.clone()),
            Err(_) => return fail(format!("quantity {v} is out of range")),
        },
    }])
}

/// The single item of a collection; empty gives `None`, more than one is an error.
pub fn singleton<'c, 'a>(c: &'c [Item<'a>]) -> Result<Option<&'c Item<'a>>, EvalError> {
    match c {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => fail(format!("expected a single item, got {}", c.len())),
    }
}

/// An integer argument (`None` when empty).
pub fn integer_arg(c: &[Item]) -> Result<Option<i64>, EvalError> {
    match singleton(c)?.and_then(Item::system) {
        None => Ok(None),
        Some(Item::Integer(i)) | Some(Item::Long(i)) => Ok(Some(i)),
        Some(other) => fail(format!(
            "expected an integer, got {:?}",
            other.type_info().1
        )),
    }
}

/// A collection as a three-valued boolean: empty is `None`.
pub fn to_bool3(c: &[Item]) -> Result<Option<bool>, EvalError> {
    match singleton(c)? {
        None => Ok(None),
        Some(item) => match item.system() {
            Some(Item::Boolean(b)) => Ok(Some(b)),
            None => Ok(None),
            // A single non-boolean item counts as true (singleton evaluation of collections).
            Some(_) => Ok(Some(true)),
        },
    }
}

fn logic<'a>(op: BinaryOp, a: Option<bool>, b: Option<bool>) -> Result<Coll<'a>, EvalError> {
    use BinaryOp::*;
    let result = match op {
        And => match (a, b) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Or => match (a, b) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Xor => match (a, b) {
            (Some(x), Some(y)) => Some(x != y),
            _ => None,
        },
        _ => match (a, b) {
            (Some(false), _) => Some(true),
            (Some(true), b) => b,
            (None, Some(true)) => Some(true),
            (None, _) => None,
        },
    };
    Ok(result.map(Item::Boolean).into_iter().collect())
}

/// `=` on two collections: `None` when either is empty or an item pair is incomparable.
pub fn collection_equals(l: &[Item], r: &[Item]) -> Option<bool> {
    if l.is_empty() || r.is_empty() {
        return None;
    }
    if l.len() != r.len() {
        return Some(false);
    }
    let mut unknown = false;
    for (a, b) in l.iter().zip(r) {
        match equals(a, b) {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

/// `~` on two collections: order does not matter; empty ~ empty.
pub fn collection_equivalent(l: &[Item], r: &[Item]) -> bool {
    if l.len() != r.len() {
        return false;
    }
    let mut used = vec![false; r.len()];
    'outer: for a in l {
        for (i, b) in r.iter().enumerate() {
            if !used[i] && equivalent(a, b) {
                used[i] = true;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

fn numeric(item: &Item) -> Option<Decimal> {
    match item {
        Item::Integer(i) | Item::Long(i) => Some(Decimal::from(*i)),
        Item::Decimal(d) => Some(*d),
        _ => None,
    }
}

/// Item equality (`=`): `None` when the items cannot be compared (different date precision).
pub fn equals(a: &Item, b: &Item) -> Option<bool> {
    if let (Item::Node(x), Item::Node(y)) = (a, b)
        && (x.value.is_object() || y.value.is_object())
    {
        return Some(x.value == y.value);
    }
    let (a, b) = (a.system()?, b.system()?);
    match (&a, &b) {
        (Item::Node(x), Item::Node(y)) => Some(x.value == y.value),
        (Item::Node(_), _) | (_, Item::Node(_)) => Some(false),
        (Item::Boolean(x), Item::Boolean(y)) => Some(x == y),
        (Item::String(x), Item::String(y)) => Some(x == y),
        (Item::Temporal(x), Item::Temporal(y)) if x.is_time() != y.is_time() => Some(false),
        (Item::Temporal(x), Item::Temporal(y)) => x.compare(y).map(|o| o == Ordering::Equal),
        (Item::Temporal(t), Item::String(s)) | (Item::String(s), Item::Temporal(t)) => {
            let parsed = match t.kind {
                crate::temporal::TemporalKind::Time => Temporal::parse_time(s),
                _ => Temporal::parse_datetime(s),
            }?;
            t.compare(&parsed).map(|o| o == Ordering::Equal)
        }
        (Item::Quantity(..), Item::Quantity(..)) => crate::arith::compare_quantities(&a, &b)
            .ok()
            .flatten()
            .map(|o| o == Ordering::Equal),
        _ => match (numeric(&a), numeric(&b)) {
            (Some(x), Some(y)) => Some(x == y),
            _ => Some(false),
        },
    }
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Item equivalence (`~`).
pub fn equivalent(a: &Item, b: &Item) -> bool {
    if let (Item::Node(x), Item::Node(y)) = (a, b)
        && (x.value.is_object() || y.value.is_object())
    {
        return x.value == y.value;
    }
    let (Some(a), Some(b)) = (a.system(), b.system()) else {
        return false;
    };
    match (&a, &b) {
        (Item::String(x), Item::String(y)) => normalize_ws(x) == normalize_ws(y),
        (Item::Temporal(x), Item::Temporal(y)) => {
            let level = |p: crate::temporal::Precision| p.min(crate::temporal::Precision::Second);
            level(x.precision) == level(y.precision) && x.compare(y) == Some(Ordering::Equal)
        }
        (Item::Quantity(..), Item::Quantity(..)) => crate::arith::equivalent_quantities(&a, &b),
        _ => match (numeric(&a), numeric(&b)) {
            (Some(x), Some(y)) => {
                let scale = x.scale().min(y.scale());
                x.round_dp(scale) == y.round_dp(scale)
            }
            _ => equals(&a, &b) == Some(true),
        },
    }
}

/// Ordering for `<`, `>`, `min`, `sort`: `Ok(None)` when precision leaves it unknown, an error for
/// types that do not compare.
pub fn compare(a: &Item, b: &Item) -> Result<Option<Ordering>, EvalError> {
    let (Some(a), Some(b)) = (a.system(), b.system()) else {
        return Ok(None);
    };
    match (&a, &b) {
        (Item::String(x), Item::String(y)) => Ok(Some(x.cmp(y))),
        (Item::Temporal(x), Item::Temporal(y)) => {
            if x.kind != y.kind
                && (x.kind == crate::temporal::TemporalKind::Time
                    || y.kind == crate::temporal::TemporalKind::Time)
            {
                return fail("cannot compare a time with a date");
            }
            Ok(x.compare(y))
        }
        (Item::Temporal(t), Item::String(s)) | (Item::String(s), Item::Temporal(t)) => {
            let Some(parsed) = Temporal::parse_datetime(s).or_else(|| Temporal::parse_time(s))
            else {
                return fail(format!("cannot compare '{s}' with a date"));
            };
            let ordering = t.compare(&parsed);
            Ok(if matches!(a, Item::Temporal(_)) {
                ordering
            } else {
                ordering.map(Ordering::reverse)
            })
        }
        (Item::Quantity(..), Item::Quantity(..)) => crate::arith::compare_quantities(&a, &b),
        _ => match (numeric(&a), numeric(&b)) {
            (Some(x), Some(y)) => Ok(Some(x.cmp(&y))),
            _ => fail(format!(
                "cannot compare {} with {}",
                a.type_info().1,
                b.type_info().1
            )),
        },
    }
}

const SYSTEM_TYPES: [&str; 10] = [
    "Any", "Boolean", "String", "Integer", "Long", "Decimal", "Date", "DateTime", "Time",
    "Quantity",
];

/// `as` and `ofType()`: like [`is_type`], but a primitive must be exactly that primitive
/// (a `code` is a `string` for `is`, yet `as(string)` does not select it).
pub fn is_exactly(item: &Item, ty: &TypeName) -> Result<bool, EvalError> {
    if !is_type(item, ty)? {
        return Ok(false);
    }
    let (namespace, actual) = item.type_info();
    Ok(namespace != "FHIR" || !model::is_primitive(&actual) || actual == ty.name)
}

/// Whether `item` is of the type written as `ty` (or a type derived from it); an unknown type
/// name is an error, not `false`.
pub fn is_type(item: &Item, ty: &TypeName) -> Result<bool, EvalError> {
    let (namespace, actual) = item.type_info();
    let wanted = ty.name.as_str();
    let known = match ty.namespace.as_deref() {
        Some("System") => return Ok(namespace == "System" && actual == wanted),
        Some("FHIR") => model::is_type(wanted),
        Some(other) => return fail(format!("unknown type namespace {other}")),
        None => SYSTEM_TYPES.contains(&wanted) || model::is_type(wanted),
    };
    if !known {
        return fail(format!("unknown type {wanted}"));
    }
    Ok(match ty.namespace.as_deref() {
        Some("System") => namespace == "System" && actual == wanted,
        Some(_) => namespace == "FHIR" && model::derives_from(&actual, wanted),
        None => {
            if namespace == "FHIR" {
                model::derives_from(&actual, wanted)
            } else {
                actual == wanted
            }
        }
    })
}
