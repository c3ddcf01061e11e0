//! Lexer and precedence-climbing parser for the FHIRPath grammar.

use crate::ast::{BinaryOp, Expr, Literal, TypeName};

/// Why an expression could not be parsed, with the byte offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {offset})")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the expression.
    pub offset: usize,
}

/// Deepest nesting the parser accepts; recursion is bounded so hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A backtick-delimited identifier: never a keyword.
    Quoted(String),
    Str(String),
    Number(String),
    Long(i64),
    Date(String),
    DateTime(String),
    Time(String),
    This,
    Index,
    Total,
    Var(String),
    Punct(&'static str),
    End,
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

const PUNCTS: [&str; 21] = [
    "<=", ">=", "!=", "!~", ".", "[", "]", "(", ")", ",", "+", "-", "*", "/", "&", "|", "<", ">",
    "=", "~", "{",
];

impl<'s> Lexer<'s> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            offset: self.pos,
        })
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn skip_space(&mut self) -> Result<(), ParseError> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if let Some(body) = trimmed.strip_prefix("/*") {
                match body.find("*/") {
                    Some(end) => self.pos += end + 4,
                    None => return self.err("unterminated comment"),
                }
            } else {
                return Ok(());
            }
        }
    }

    fn next(&mut self) -> Result<(Tok, usize), ParseError> {
        self.skip_space()?;
        let start = self.pos;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return Ok((Tok::End, start));
        };
        let tok = match c {
            '\'' => Tok::Str(self.quoted('\'')?),
            '`' => Tok::Quoted(self.quoted('`')?),
            '@' => self.temporal()?,
            '$' => {
                self.pos += 1;
                let name = self.ident_chars();
                match name {
                    "this" => Tok::This,
                    "index" => Tok::Index,
                    "total" => Tok::Total,
                    _ => return self.err(format!("unknown special variable ${name}")),
                }
            }
            '%' => {
                self.pos += 1;
                match self.rest().chars().next() {
                    Some('\'') => Tok::Var(self.quoted('\'')?),
                    Some('`') => Tok::Var(self.quoted('`')?),
                    _ => {
                        let name = self.ident_chars();
                        if name.is_empty() {
                            return self.err("expected a variable name after %");
                        }
                        Tok::Var(name.to_string())
                    }
                }
            }
            '0'..='9' => self.number()?,
            c if c.is_ascii_alphabetic() || c == '_' => Tok::Ident(self.ident_chars().to_string()),
            '}' => {
                self.pos += 1;
                Tok::Punct("}")
            }
            _ => match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
                Some(p) => {
                    self.pos += p.len();
                    Tok::Punct(p)
                }
                None => return self.err(format!("unexpected character {c:?}")),
            },
        };
        Ok((tok, start))
    }

    fn ident_chars(&mut self) -> &'s str {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn quoted(&mut self, quote: char) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    match e {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'f' => out.push('\u{c}'),
                        'u' => {
                            let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) if hex.len() == 4 => out.push(ch),
                                _ => return self.err("bad \\u escape"),
                            }
                        }
                        '\'' | '"' | '`' | '\\' | '/' => out.push(e),
                        other => return self.err(format!("unknown escape \\{other}")),
                    }
                }
                c => out.push(c),
            }
        }
        self.err("unterminated string")
    }

    fn number(&mut self) -> Result<Tok, ParseError> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
            len += 1 + bytes[len + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        }
        let text = &rest[..len];
        self.pos += len;
        if bytes.get(len) == Some(&b'L') && !text.contains('.') {
            self.pos += 1;
            return match text.parse() {
                Ok(n) => Ok(Tok::Long(n)),
                Err(_) => self.err("long literal out of range"),
            };
        }
        Ok(Tok::Number(text.to_string()))
    }

    fn temporal(&mut self) -> Result<Tok, ParseError> {
        self.pos += 1;
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | ':' | 'T' | 'Z' | '+' | '.')))
            .unwrap_or(rest.len());
        let mut text = &rest[..len];
        // A trailing '.' is the path operator, not a fraction.
        while text.ends_with('.') || (text.ends_with('-') && text.len() > 4) {
            text = &text[..text.len() - 1];
        }
        self.pos += text.len();
        if let Some(time) = text.strip_prefix('T') {
            if !crate::temporal::is_time_literal(time) {
                return self.err(format!("bad time literal @{text}"));
            }
            Ok(Tok::Time(time.to_string()))
        } else if text.contains('T') {
            if !crate::temporal::is_datetime_literal(text) {
                return self.err(format!("bad date/time literal @{text}"));
            }
            Ok(Tok::DateTime(text.to_string()))
        } else {
            if !crate::temporal::is_date_literal(text) {
                return self.err(format!("bad date literal @{text}"));
            }
            Ok(Tok::Date(text.to_string()))
        }
    }
}

/// Parses a FHIRPath expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut toks = Vec::new();
    loop {
        let (tok, at) = lexer.next()?;
        let end = tok == Tok::End;
        toks.push((tok, at));
        if end {
            break;
        }
    }
    let mut parser = Parser {
        toks,
        at: 0,
        depth: 0,
    };
    let expr = parser.expression(0)?;
    match parser.peek() {
        Tok::End => Ok(expr),
        other => parser.err(format!("unexpected {}", describe(other))),
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) | Tok::Quoted(s) => format!("identifier {s}"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Number(n) => format!("number {n}"),
        Tok::Punct(p) => format!("'{p}'"),
        Tok::End => "end of expression".into(),
        other => format!("{other:?}"),
    }
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    depth: usize,
}

const CALENDAR_UNITS: [&str; 16] = [
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "millisecond",
    "milliseconds",
];

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].0
    }

    fn advance(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        tok
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            offset: self.toks[self.at.min(self.toks.len() - 1)].1,
        })
    }

    fn expect(&mut self, p: &str) -> Result<(), ParseError> {
        match self.peek() {
            Tok::Punct(q) if *q == p => {
                self.advance();
                Ok(())
            }
            other => self.err(format!("expected '{p}', found {}", describe(other))),
        }
    }

    /// The binary operator at the cursor and its binding power.
    fn infix(&self) -> Option<(BinaryOp, u8)> {
        use BinaryOp::*;
        let op = match self.peek() {
            Tok::Punct(p) => match *p {
                "*" => Mul,
                "/" => Div,
                "+" => Add,
                "-" => Sub,
                "&" => Concat,
                "|" => Union,
                "<" => Lt,
                "<=" => Le,
                ">" => Gt,
                ">=" => Ge,
                "=" => Eq,
                "~" => Equiv,
                "!=" => Ne,
                "!~" => NotEquiv,
                _ => return None,
            },
            Tok::Ident(word) => match word.as_str() {
                "div" => IntDiv,
                "mod" => Mod,
                "in" => In,
                "contains" => Contains,
                "and" => And,
                "or" => Or,
                "xor" => Xor,
                "implies" => Implies,
                _ => return None,
            },
            _ => return None,
        };
        let power = match op {
            Implies => 1,
            Or | Xor => 2,
            And => 3,
            In | Contains => 4,
            Eq | Equiv | Ne | NotEquiv => 5,
            Lt | Le | Gt | Ge => 6,
            Union => 7,
            Add | Sub | Concat => 9,
            Mul | Div | IntDiv | Mod => 10,
        };
        Some((op, power))
    }

    fn expression(&mut self, min_power: u8) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("expression nests too deeply");
        }
        let mut left = self.prefix()?;
        loop {
            if let Tok::Ident(word) = self.peek()
                && (word == "is" || word == "as")
                && min_power <= 8
            {
                let is = word == "is";
                self.advance();
                let ty = self.type_name()?;
                left = if is {
                    Expr::Is(Box::new(left), ty)
                } else {
                    Expr::As(Box::new(left), ty)
                };
                continue;
            }
            let Some((op, power)) = self.infix() else {
                break;
            };
            if power < min_power {
                break;
            }
            self.advance();
            // `implies` is right-associative; everything else is left-associative.
            let next = if op == BinaryOp::Implies {
                power
            } else {
                power + 1
            };
            let right = self.expression(next)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn type_name(&mut self) -> Result<TypeName, ParseError> {
        let first = self.identifier()?;
        if self.peek() == &Tok::Punct(".") {
            self.advance();
            let name = self.identifier()?;
            return Ok(TypeName {
                namespace: Some(first),
                name,
            });
        }
        Ok(TypeName {
            namespace: None,
            name: first,
        })
    }

    fn identifier(&mut self) -> Result<String, ParseError> {
        match self.advance() {
            Tok::Ident(s) | Tok::Quoted(s) => Ok(s),
            other => self.err(format!(
                "expected an identifier, found {}",
                describe(&other)
            )),
        }
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Tok::Punct("-") => {
                self.advance();
                let operand = self.expression(11)?;
                Ok(match operand {
                    Expr::Literal(Literal::Integer(n)) => Expr::Literal(Literal::Integer(-n)),
                    Expr::Literal(Literal::Long(n)) => Expr::Literal(Literal::Long(-n)),
                    Expr::Literal(Literal::Decimal(d)) => {
                        Expr::Literal(Literal::Decimal(format!("-{d}")))
                    }
                    Expr::Literal(Literal::Quantity(d, u)) => {
                        Expr::Literal(Literal::Quantity(format!("-{d}"), u))
                    }
                    other => Expr::Negate(Box::new(other)),
                })
            }
            Tok::Punct("+") => {
                self.advance();
                self.expression(11)
            }
            _ => {
                let term = self.term()?;
                self.postfix(term)
            }
        }
    }

    fn postfix(&mut self, mut expr: Expr) -> Result<Expr, ParseError> {
        loop {
            match self.peek() {
                Tok::Punct(".") => {
                    self.advance();
                    let invocation = self.invocation()?;
                    expr = Expr::Path(Box::new(expr), Box::new(invocation));
                }
                Tok::Punct("[") => {
                    self.advance();
                    let index = self.expression(0)?;
                    self.expect("]")?;
                    expr = Expr::Indexer(Box::new(expr), Box::new(index));
                }
                _ => return Ok(expr),
            }
        }
    }

    fn invocation(&mut self) -> Result<Expr, ParseError> {
        match self.advance() {
            Tok::Ident(name) | Tok::Quoted(name) => {
                if self.peek() == &Tok::Punct("(") {
                    self.advance();
                    let args = self.arguments()?;
                    Ok(Expr::Function(name, args))
                } else {
                    Ok(Expr::Member(name))
                }
            }
            Tok::This => Ok(Expr::This),
            Tok::Index => Ok(Expr::Index),
            Tok::Total => Ok(Expr::Total),
            other => self.err(format!(
                "expected a name after '.', found {}",
                describe(&other)
            )),
        }
    }

    fn arguments(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        if self.peek() == &Tok::Punct(")") {
            self.advance();
            return Ok(args);
        }
        loop {
            args.push(self.expression(0)?);
            match self.advance() {
                Tok::Punct(",") => continue,
                Tok::Punct(")") => return Ok(args),
                other => {
                    return self.err(format!("expected ',' or ')', found {}", describe(&other)));
                }
            }
        }
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let tok = self.advance();
        Ok(match tok {
            Tok::Str(s) => Expr::Literal(Literal::String(s)),
            Tok::Number(n) => {
                let unit = match self.peek() {
                    Tok::Str(u) => Some(u.clone()),
                    Tok::Ident(u) if CALENDAR_UNITS.contains(&u.as_str()) => Some(u.clone()),
                    _ => None,
                };
                if let Some(unit) = unit {
                    self.advance();
                    Expr::Literal(Literal::Quantity(n, unit))
                } else if n.contains('.') {
                    Expr::Literal(Literal::Decimal(n))
                } else {
                    match n.parse() {
                        Ok(i) => Expr::Literal(Literal::Integer(i)),
                        Err(_) => return self.err(format!("integer {n} is out of range")),
                    }
                }
            }
            Tok::Long(n) => Expr::Literal(Literal::Long(n)),
            Tok::Date(d) => Expr::Literal(Literal::Date(d)),
            Tok::DateTime(d) => Expr::Literal(Literal::DateTime(d)),
            Tok::Time(t) => Expr::Literal(Literal::Time(t)),
            Tok::This => Expr::This,
            Tok::Index => Expr::Index,
            Tok::Total => Expr::Total,
            Tok::Var(name) => Expr::Variable(name),
            Tok::Punct("(") => {
                let inner = self.expression(0)?;
                self.expect(")")?;
                inner
            }
            Tok::Punct("{") => {
                self.expect("}")?;
                Expr::Literal(Literal::Empty)
            }
            Tok::Ident(word) if word == "true" || word == "false" => {
                Expr::Literal(Literal::Boolean(word == "true"))
            }
            Tok::Ident(name) | Tok::Quoted(name) => {
                if self.peek() == &Tok::Punct("(") {
                    self.advance();
                    let args = self.arguments()?;
                    Expr::Function(name, args)
                } else {
                    Expr::Member(name)
                }
            }
            other => {
                self.at = self.at.saturating_sub(1);
                return self.err(format!("unexpected {}", describe(&other)));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_grammar() {
        let e = parse("a.b + 2 * 3 = 7 and c or d implies e").unwrap();
        let Expr::Binary(BinaryOp::Implies, left, _) = e else {
            panic!("implies binds loosest")
        };
        assert!(matches!(*left, Expr::Binary(BinaryOp::Or, _, _)));
        assert_eq!(
            parse("-1.abs()").unwrap(),
            Expr::Negate(Box::new(Expr::Path(
                Box::new(Expr::Literal(Literal::Integer(1))),
                Box::new(Expr::Function("abs".into(), vec![]))
            )))
        );
    }

    #[test]
    fn literals_keep_their_text() {
        assert_eq!(
            parse("1.50").unwrap(),
            Expr::Literal(Literal::Decimal("1.50".into()))
        );
        assert_eq!(
            parse("4 'mg'").unwrap(),
            Expr::Literal(Literal::Quantity("4".into(), "mg".into()))
        );
        assert_eq!(
            parse("@2015-02-04T14:34:28.123+09:00").unwrap(),
            Expr::Literal(Literal::DateTime("2015-02-04T14:34:28.123+09:00".into()))
        );
        assert_eq!(
            parse("'a\\'b'").unwrap(),
            Expr::Literal(Literal::String("a'b".into()))
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            "",
            "a.",
            "(1",
            "'open",
            "@2015-13x",
            "1 +",
            "a.b(",
            "%",
            "$that",
        ] {
            assert!(parse(bad).is_err(), "{bad} parsed");
        }
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        assert!(parse(&deep).is_err());
    }
}
