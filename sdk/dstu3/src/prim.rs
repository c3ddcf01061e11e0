//! R4 primitive types: the JSON type each one needs and its lexical rules, after the regexes
//! of `https://hl7.org/fhir/R4/datatypes.html`, written out by hand so the crate needs no
//! regex engine.

use serde_json::Value;

/// An R4 primitive type (plus `xhtml`, the type of `Narrative.div`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prim {
    String,
    Markdown,
    Code,
    Id,
    Uri,
    Url,
    Canonical,
    Oid,
    Uuid,
    Boolean,
    Integer,
    PositiveInt,
    UnsignedInt,
    Decimal,
    Date,
    DateTime,
    Instant,
    Time,
    Base64Binary,
    Xhtml,
}

impl Prim {
    /// The primitive a choice suffix names (`DateTime` in `effectiveDateTime`), if any.
    pub(crate) fn from_suffix(suffix: &str) -> Option<Prim> {
        Some(match suffix {
            "String" => Prim::String,
            "Markdown" => Prim::Markdown,
            "Code" => Prim::Code,
            "Id" => Prim::Id,
            "Uri" => Prim::Uri,
            "Url" => Prim::Url,
            "Canonical" => Prim::Canonical,
            "Oid" => Prim::Oid,
            "Uuid" => Prim::Uuid,
            "Boolean" => Prim::Boolean,
            "Integer" => Prim::Integer,
            "PositiveInt" => Prim::PositiveInt,
            "UnsignedInt" => Prim::UnsignedInt,
            "Decimal" => Prim::Decimal,
            "Date" => Prim::Date,
            "DateTime" => Prim::DateTime,
            "Instant" => Prim::Instant,
            "Time" => Prim::Time,
            "Base64Binary" => Prim::Base64Binary,
            _ => return None,
        })
    }

    /// The R4 name of the type, for messages.
    fn name(self) -> &'static str {
        match self {
            Prim::String => "string",
            Prim::Markdown => "markdown",
            Prim::Code => "code",
            Prim::Id => "id",
            Prim::Uri => "uri",
            Prim::Url => "url",
            Prim::Canonical => "canonical",
            Prim::Oid => "oid",
            Prim::Uuid => "uuid",
            Prim::Boolean => "boolean",
            Prim::Integer => "integer",
            Prim::PositiveInt => "positiveInt",
            Prim::UnsignedInt => "unsignedInt",
            Prim::Decimal => "decimal",
            Prim::Date => "date",
            Prim::DateTime => "dateTime",
            Prim::Instant => "instant",
            Prim::Time => "time",
            Prim::Base64Binary => "base64Binary",
            Prim::Xhtml => "xhtml",
        }
    }

    /// The name with its article, for messages ("an integer", "a date").
    fn a(self) -> String {
        let article = match self {
            Prim::Integer | Prim::Id | Prim::Instant | Prim::Oid => "an",
            _ => "a",
        };
        format!("{article} {}", self.name())
    }

    /// What a valid value looks like, appended to lexical errors.
    fn shape(self) -> &'static str {
        match self {
            Prim::String | Prim::Markdown => "no control characters other than tab, CR and LF",
            Prim::Code => "no leading, trailing or repeated whitespace",
            Prim::Id => "1-64 characters from A-Z a-z 0-9 - .",
            Prim::Uri | Prim::Url | Prim::Canonical => "no whitespace",
            Prim::Oid => "urn:oid: followed by dotted digits",
            Prim::Uuid => "urn:uuid: followed by a lowercase UUID",
            Prim::Date => "YYYY, YYYY-MM or YYYY-MM-DD",
            Prim::DateTime => {
                "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with Z or +hh:mm"
            }
            Prim::Instant => "YYYY-MM-DDThh:mm:ss(.sss) with Z or +hh:mm",
            Prim::Time => "hh:mm:ss(.sss)",
            Prim::Base64Binary => "base64 alphabet in groups of four",
            Prim::Xhtml => "an XHTML <div> in the namespace http://www.w3.org/1999/xhtml",
            Prim::Boolean
            | Prim::Integer
            | Prim::PositiveInt
            | Prim::UnsignedInt
            | Prim::Decimal => "",
        }
    }
}

/// Why `v` is not a valid value of `kind`, or `None` when it is.
pub(crate) fn problem(kind: Prim, v: &Value) -> Option<String> {
    match kind {
        Prim::Boolean => match v {
            Value::Bool(_) => None,
            _ => Some(format!(
                "expected a boolean (true or false), found {}",
                found(v)
            )),
        },
        Prim::Decimal => match v {
            // Every JSON number matches the decimal regex; a string "1.5" does not.
            Value::Number(_) => None,
            _ => Some(format!("expected a decimal number, found {}", found(v))),
        },
        Prim::Integer => integer(v, kind, i64::from(i32::MIN)),
        Prim::UnsignedInt => integer(v, kind, 0),
        Prim::PositiveInt => integer(v, kind, 1),
        _ => {
            let Value::String(s) = v else {
                return Some(format!("expected {} string, found {}", kind.a(), found(v)));
            };
            (!lexical(kind, s))
                .then(|| format!("'{}' is not {} ({})", excerpt(s), kind.a(), kind.shape()))
        }
    }
}

/// Checks an integer-family value: a JSON number written without fraction or exponent, in
/// `min..=i32::MAX`. Works on the number's text, so it behaves the same with and without
/// serde_json's `arbitrary_precision` (where `1.0` stays `1.0` rather than becoming a float).
fn integer(v: &Value, kind: Prim, min: i64) -> Option<String> {
    let Value::Number(n) = v else {
        return Some(format!("expected {} number, found {}", kind.a(), found(v)));
    };
    let text = n.to_string();
    // Without `arbitrary_precision` a fraction or exponent makes the number an f64, whose
    // text always shows one of them; with it, the text is the JSON as written.
    if text.contains(['.', 'e', 'E']) {
        return Some(format!(
            "expected {} (a whole JSON number), found {text}",
            kind.a()
        ));
    }
    // A whole number beyond i64 (a u64, or with `arbitrary_precision` only text) is out of
    // range as well.
    match n.as_i64() {
        Some(i) if (min..=i64::from(i32::MAX)).contains(&i) => None,
        _ => Some(format!(
            "{text} is out of range for {} ({min} to {})",
            kind.name(),
            i32::MAX
        )),
    }
}

/// Whether string `s` is lexically valid for the string-based `kind`.
fn lexical(kind: Prim, s: &str) -> bool {
    match kind {
        Prim::String | Prim::Markdown => !s.chars().any(is_forbidden_control),
        Prim::Code => code(s),
        Prim::Id => (1..=64).contains(&s.len()) && s.bytes().all(is_id_byte),
        Prim::Uri | Prim::Url | Prim::Canonical => !s.chars().any(is_xml_space),
        Prim::Oid => oid(s),
        Prim::Uuid => uuid(s),
        Prim::Date => full(s, |c| date(c, false).is_some()),
        Prim::DateTime => full(s, date_time),
        Prim::Instant => full(s, |c| date(c, true).is_some() && c.eat(b'T') && time_tz(c)),
        Prim::Time => full(s, time),
        Prim::Base64Binary => base64(s),
        Prim::Xhtml => xhtml_div(s),
        Prim::Boolean | Prim::Integer | Prim::PositiveInt | Prim::UnsignedInt | Prim::Decimal => {
            true
        }
    }
}

/// FHIR strings may not hold characters below U+0020 except tab, CR and LF.
fn is_forbidden_control(c: char) -> bool {
    (c as u32) < 0x20 && !matches!(c, '\t' | '\r' | '\n')
}

/// `\s` in the XML Schema regexes FHIR uses: space, tab, CR, LF (not all Unicode spaces).
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `[^\s]+(\s[^\s]+)*`: tokens separated by single whitespace characters.
fn code(s: &str) -> bool {
    let starts_or_ends_blank =
        s.starts_with(is_xml_space) || s.ends_with(is_xml_space) || s.is_empty();
    let doubled = s
        .chars()
        .zip(s.chars().skip(1))
        .any(|(a, b)| is_xml_space(a) && is_xml_space(b));
    !starts_or_ends_blank && !doubled
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// `urn:oid:[0-2](\.(0|[1-9][0-9]*))+`.
fn oid(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("urn:oid:") else {
        return false;
    };
    let mut arcs = rest.split('.');
    let first_ok = matches!(arcs.next(), Some("0" | "1" | "2"));
    let mut more = 0;
    let rest_ok = arcs.all(|a| {
        more += 1;
        !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) && (a == "0" || !a.starts_with('0'))
    });
    first_ok && rest_ok && more > 0
}

/// `urn:uuid:` followed by 8-4-4-4-12 lowercase hex digits.
fn uuid(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = rest.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    groups.len() == lens.len()
        && groups.iter().zip(lens).all(|(g, n)| {
            g.len() == n
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Base64 (whitespace between groups allowed): groups of four from the base64 alphabet, with
/// at most two `=` of padding at the very end.
fn base64(s: &str) -> bool {
    let body: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data_len = body.iter().rposition(|b| *b != b'=').map_or(0, |i| i + 1);
    let padding = body.len() - data_len;
    body.len().is_multiple_of(4)
        && padding <= 2
        && body[..data_len]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// The narrative div: an XHTML `<div>` that declares the XHTML namespace.
fn xhtml_div(s: &str) -> bool {
    let s = s.trim_start();
    let open_tag = s.split('>').next().unwrap_or_default();
    s.starts_with("<div")
        && open_tag.contains("http://www.w3.org/1999/xhtml")
        && (s.trim_end().ends_with("</div>") || s.trim_end().ends_with("/>"))
}

/// A cursor over ASCII text for the date and time grammars.
struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.s.get(self.i..self.i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn done(&self) -> bool {
        self.i == self.s.len()
    }
}

/// Runs `grammar` over `s` and requires it to consume all of it.
fn full(s: &str, grammar: impl Fn(&mut Cur) -> bool) -> bool {
    let mut c = Cur {
        s: s.as_bytes(),
        i: 0,
    };
    grammar(&mut c) && c.done()
}

/// `YYYY(-MM(-DD)?)?` with a real month and day (year 0000 does not exist); with
/// `complete`, all three parts are required. Returns whether a day was read.
fn date(c: &mut Cur, complete: bool) -> Option<bool> {
    let year = c.digits(4).filter(|y| *y > 0)?;
    if !c.eat(b'-') {
        return (!complete).then_some(false);
    }
    let month = c.digits(2).filter(|m| (1..=12).contains(m))?;
    if !c.eat(b'-') {
        return (!complete).then_some(false);
    }
    c.digits(2)
        .filter(|d| (1..=days_in_month(year, month)).contains(d))?;
    Some(true)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A date, or a full date followed by `T`, a time and a timezone (required once a time is
/// given, so the instant is unambiguous).
fn date_time(c: &mut Cur) -> bool {
    match date(c, false) {
        Some(true) if c.eat(b'T') => time_tz(c),
        Some(_) => c.done(),
        None => false,
    }
}

/// `hh:mm:ss(.f+)?` followed by a timezone.
fn time_tz(c: &mut Cur) -> bool {
    time(c) && timezone(c)
}

/// `hh:mm:ss(.f+)?` with hours 00-23, minutes 00-59, seconds 00-60 (leap second).
fn time(c: &mut Cur) -> bool {
    let hms = c.digits(2).is_some_and(|h| h <= 23)
        && c.eat(b':')
        && c.digits(2).is_some_and(|m| m <= 59)
        && c.eat(b':')
        && c.digits(2).is_some_and(|s| s <= 60);
    if !hms {
        return false;
    }
    if c.eat(b'.') {
        let start = c.i;
        while c.digits(1).is_some() {}
        return c.i > start;
    }
    true
}

/// `Z` or `±hh:mm` from -14:00 to +14:00.
fn timezone(c: &mut Cur) -> bool {
    if c.eat(b'Z') {
        return true;
    }
    if !(c.eat(b'+') || c.eat(b'-')) {
        return false;
    }
    match (c.digits(2), c.eat(b':'), c.digits(2)) {
        (Some(h), true, Some(m)) => (h <= 13 && m <= 59) || (h == 14 && m == 0),
        _ => false,
    }
}

/// The start of a long value, so messages stay readable (e.g. for base64 data).
fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_string(),
    }
}

/// The JSON kind of `v` with its text for scalars, e.g. `a string ("abc")`.
pub(crate) fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string (\"{}\")", excerpt(s)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(kind: Prim, v: Value) -> bool {
        problem(kind, &v).is_none()
    }

    #[test]
    fn dates_and_times() {
        for good in ["2020", "2020-02", "2020-02-29", "0001-01-01"] {
            assert!(ok(Prim::Date, json!(good)), "{good}");
        }
        for bad in [
            "0000",
            "2021-02-29",
            "1990-13-01",
            "2020-1-01",
            "2020-01-01T00:00:00Z",
        ] {
            assert!(!ok(Prim::Date, json!(bad)), "{bad}");
        }
        for good in [
            "2020",
            "2020-01-01",
            "2020-01-01T10:00:00Z",
            "2020-01-01T23:59:60.123+14:00",
            "2020-01-01T00:00:00-05:30",
        ] {
            assert!(ok(Prim::DateTime, json!(good)), "{good}");
        }
        for bad in [
            "2020-01-01T10:00",
            "2020-01-01T10:00:00",
            "2020-01T10:00:00Z",
            "2020-01-01T24:00:00Z",
            "2020-01-01T10:00:00+14:30",
            "2020-01-01T10:00:00.Z",
            "2020-01-01 10:00:00Z",
        ] {
            assert!(!ok(Prim::DateTime, json!(bad)), "{bad}");
        }
        assert!(ok(Prim::Instant, json!("2020-01-01T10:00:00.5Z")));
        assert!(!ok(Prim::Instant, json!("2020-01-01")));
        assert!(ok(Prim::Time, json!("07:30:00")));
        assert!(!ok(Prim::Time, json!("07:30")));
    }

    #[test]
    fn numbers_and_booleans() {
        assert!(ok(Prim::Integer, json!(-3)));
        assert!(!ok(Prim::Integer, json!(1.5)));
        assert!(!ok(Prim::Integer, json!(1.0)));
        assert!(!ok(Prim::Integer, json!(2_147_483_648_i64)));
        assert!(!ok(Prim::Integer, json!(u64::MAX)));
        let huge: Value = serde_json::from_str("123456789012345678901234567890").expect("json");
        assert!(!ok(Prim::UnsignedInt, huge));
        assert!(!ok(Prim::Integer, json!("1")));
        assert!(ok(Prim::PositiveInt, json!(1)));
        assert!(!ok(Prim::PositiveInt, json!(0)));
        assert!(ok(Prim::UnsignedInt, json!(0)));
        assert!(!ok(Prim::UnsignedInt, json!(-1)));
        assert!(ok(Prim::Decimal, json!(1.5)));
        assert!(ok(Prim::Decimal, json!(3)));
        assert!(!ok(Prim::Decimal, json!("1.5")));
        assert!(ok(Prim::Boolean, json!(false)));
        assert!(!ok(Prim::Boolean, json!("yes")));
        // Text as written, as `arbitrary_precision` keeps it.
        let v: Value = serde_json::from_str("[1.0, 1e2, 12]").expect("json");
        assert!(!ok(Prim::Integer, v[0].clone()));
        assert!(!ok(Prim::Integer, v[1].clone()));
        assert!(ok(Prim::Integer, v[2].clone()));
        assert!(ok(Prim::Decimal, v[0].clone()));
    }

    #[test]
    fn string_shapes() {
        assert!(ok(Prim::Code, json!("text/plain; charset=utf-8")));
        assert!(!ok(Prim::Code, json!(" final")));
        assert!(!ok(Prim::Code, json!("a  b")));
        assert!(ok(Prim::Id, json!("a-B.9")));
        assert!(!ok(Prim::Id, json!("a_b")));
        assert!(!ok(Prim::Id, json!("x".repeat(65))));
        assert!(ok(Prim::Uri, json!("http://loinc.org")));
        assert!(!ok(Prim::Uri, json!("has space")));
        assert!(ok(Prim::Oid, json!("urn:oid:2.16.840.1.113883")));
        assert!(!ok(Prim::Oid, json!("urn:oid:2.016")));
        assert!(!ok(Prim::Oid, json!("urn:oid:3.1")));
        assert!(ok(
            Prim::Uuid,
            json!("urn:uuid:c757873d-ec9a-4326-a141-556f43239520")
        ));
        assert!(!ok(
            Prim::Uuid,
            json!("urn:uuid:C757873D-EC9A-4326-A141-556F43239520")
        ));
        assert!(ok(Prim::Base64Binary, json!("aGk=")));
        assert!(ok(Prim::Base64Binary, json!("aGVs bG8=")));
        assert!(!ok(Prim::Base64Binary, json!("aGk")));
        assert!(!ok(Prim::Base64Binary, json!("a=Gk")));
        assert!(!ok(Prim::String, json!("bell\u{7}")));
        assert!(ok(Prim::String, json!("line\nbreak")));
        assert!(ok(
            Prim::Xhtml,
            json!("<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>")
        ));
        assert!(!ok(Prim::Xhtml, json!("<p>x</p>")));
    }
}
