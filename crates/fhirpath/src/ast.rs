//! The parsed form of an expression.

/// A literal written in the expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `{}`
    Empty,
    /// `true` / `false`
    Boolean(bool),
    /// `'text'`, escapes resolved.
    String(String),
    /// `12`
    Integer(i64),
    /// `12L` (FHIRPath 2.1).
    Long(i64),
    /// `1.50`, as written.
    Decimal(String),
    /// `@2015-02-04`, without the `@`.
    Date(String),
    /// `@2015-02-04T14:34`, without the `@`.
    DateTime(String),
    /// `@T14:34`, without the `@T`.
    Time(String),
    /// `4 days`, `10 'mg'`: number as written and unit.
    Quantity(String, String),
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `div`
    IntDiv,
    /// `mod`
    Mod,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `&`
    Concat,
    /// `|`
    Union,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=`
    Eq,
    /// `~`
    Equiv,
    /// `!=`
    Ne,
    /// `!~`
    NotEquiv,
    /// `in`
    In,
    /// `contains`
    Contains,
    /// `and`
    And,
    /// `or`
    Or,
    /// `xor`
    Xor,
    /// `implies`
    Implies,
}

/// A type name as written: `Quantity`, `FHIR.Quantity`, `System.String`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    /// `FHIR` or `System` when written.
    pub namespace: Option<String>,
    /// The type's own name.
    pub name: String,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Literal(Literal),
    /// A member name read from the focus (or the context at the start of a path).
    Member(String),
    /// `name(args)` on the focus (or the context at the start of a path).
    Function(String, Vec<Expr>),
    /// `$this`
    This,
    /// `$index`
    Index,
    /// `$total`
    Total,
    /// `%name`
    Variable(String),
    /// `left.right`: `right` evaluated with each item of `left` as focus.
    Path(Box<Expr>, Box<Expr>),
    /// `left[index]`
    Indexer(Box<Expr>, Box<Expr>),
    /// `-x` (`+x` parses to `x`).
    Negate(Box<Expr>),
    /// `left op right`
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x is T`
    Is(Box<Expr>, TypeName),
    /// `x as T`
    As(Box<Expr>, TypeName),
}

impl Expr {
    /// The type name an argument spells (`Quantity`, `FHIR.Patient`), for `is()`, `as()`, `ofType()`.
    pub fn as_type_name(&self) -> Option<TypeName> {
        match self {
            Expr::Member(name) => Some(TypeName {
                namespace: None,
                name: name.clone(),
            }),
            Expr::Path(left, right) => match (left.as_ref(), right.as_ref()) {
                (Expr::Member(ns), Expr::Member(name)) => Some(TypeName {
                    namespace: Some(ns.clone()),
                    name: name.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }
}
