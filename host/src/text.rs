//! What text people type may hold. Control characters (NUL, ESC, …) have no
//! place in a name or a note and can corrupt terminals and logs; the
//! bidirectional embedding, override and isolate controls (U+202A–U+202E,
//! U+2066–U+2069) can make a name read differently from what it is
//! ("Trojan Source"). Both are refused with the position of the first one.

/// A character typed text may not hold, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("character {position} is {what} (U+{code:04X}), which text here may not hold")]
pub struct BadCharacter {
    /// 1-based position among the characters.
    pub position: usize,
    /// Its code point.
    pub code: u32,
    /// What kind of character it is.
    pub what: &'static str,
}

fn kind(c: char, multi_line: bool) -> Option<&'static str> {
    match c {
        '\n' | '\r' | '\t' if multi_line => None,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some("a bidirectional text control"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}

fn check(text: &str, multi_line: bool) -> Result<(), BadCharacter> {
    match text
        .chars()
        .enumerate()
        .find_map(|(i, c)| kind(c, multi_line).map(|what| (i, c, what)))
    {
        Some((i, c, what)) => Err(BadCharacter {
            position: i + 1,
            code: c as u32,
            what,
        }),
        None => Ok(()),
    }
}

/// A name or title: one line, no control or bidirectional control characters.
pub fn check_line(text: &str) -> Result<(), BadCharacter> {
    check(text, false)
}

/// Free text (a note): line breaks and tabs allowed, other controls not.
pub fn check_text(text: &str) -> Result<(), BadCharacter> {
    check(text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_notes_refuse_controls_and_bidi_overrides() {
        assert_eq!(check_line("Sam Example, Jr."), Ok(()));
        assert_eq!(check_line("محمد 李 Zoë"), Ok(()), "any script is fine");
        let e = check_line("invoice\u{202E}fdp.exe").unwrap_err();
        assert_eq!(
            (e.position, e.code, e.what),
            (8, 0x202E, "a bidirectional text control")
        );
        assert!(check_line("a\u{0}b").is_err());
        assert!(check_line("a\u{1b}[31mb").is_err());
        assert!(check_line("two\nlines").is_err());
        assert_eq!(check_text("two\nlines\twith a tab"), Ok(()));
        assert!(check_text("a\u{2067}b").is_err());
        assert!(check_text("bell\u{7}").is_err());
    }
}
