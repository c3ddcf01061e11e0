//! Passwords: argon2id hashes at or above OWASP's floor, and a policy that
//! refuses short and common passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost in KiB (OWASP: at least 19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Iterations (OWASP: at least 2 at 19 MiB).
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;
/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted (bounds hashing work per request).
pub const MAX_LENGTH: usize = 256;

/// The least zxcvbn score accepted: 3 is "safely unguessable", about 10^8
/// guesses, which a stolen argon2id hash at these costs keeps out of reach.
pub const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Words a guesser would try first on a health-record server.
const SITE_WORDS: &[&str] = &["hearth", "health", "record", "records", "medical", "family"];

/// Why a password was refused. Never carries the password.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PasswordError {
    /// Too short.
    #[error("the password must be at least {MIN_LENGTH} characters")]
    TooShort,
    /// Too long.
    #[error("the password must be at most {MAX_LENGTH} characters")]
    TooLong,
    /// Among the passwords seen in breaches, or too close to one or to an
    /// easy pattern (a word with digits, a keyboard row, a date).
    #[error("the password is too easy to guess{}; choose another", hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Common {
        /// What makes it guessable, in the estimator's words.
        hint: Option<String>,
    },
    /// Hashing failed (not the user's fault).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

fn hasher() -> Argon2<'static> {
    // The parameters are constants within argon2's valid ranges.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Check a new password against the policy.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    // zxcvbn matches against some 30,000 passwords from public breach
    // corpora, common names and words, with l33t and case variants, and
    // against keyboard rows, sequences, repeats and dates.
    let estimate = zxcvbn::zxcvbn(password, SITE_WORDS);
    if estimate.score() < MIN_SCORE {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string().trim_end_matches('.').to_lowercase());
        return Err(PasswordError::Common { hint });
    }
    Ok(())
}

/// Hash a password (after [`check_policy`]) as a PHC string.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `phc`; a malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_or_above_the_owasp_floor() {
        let phc = hash("a long unusual passphrase").unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let get = |k: &str| parsed.params.get_decimal(k).unwrap();
        assert!(get("m") >= 19 * 1024, "{phc}");
        assert!(get("t") >= 2, "{phc}");
        assert_eq!(get("p"), 1);
        assert_ne!(phc, hash("a long unusual passphrase").unwrap(), "salted");
    }

    #[test]
    fn verify_accepts_only_the_right_password() {
        let phc = hash("a long unusual passphrase").unwrap();
        assert!(verify("a long unusual passphrase", &phc));
        assert!(!verify("a long unusual passphrasf", &phc));
        assert!(!verify("", &phc));
        assert!(!verify("a long unusual passphrase", "not a hash"));
        assert!(!verify(&"x".repeat(MAX_LENGTH + 1), &phc));
    }

    #[test]
    fn policy_refuses_short_long_and_common_passwords() {
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(
            check_policy(&"ab1".repeat(100)),
            Err(PasswordError::TooLong)
        );
        // Issue 15, item 16: `Password12345!` passed a 40-entry list.
        for guessable in [
            "Password1234",
            "Password12345!",
            "abcabcabcabc",
            "zzzzzzzzzzzzzz",
            "qwertyuiop123",
            "iloveyou2024!",
            "football1992",
            "1qaz2wsx3edc",
        ] {
            assert!(
                matches!(check_policy(guessable), Err(PasswordError::Common { .. })),
                "{guessable} was accepted"
            );
        }
        let refused = check_policy("Password12345!").unwrap_err().to_string();
        assert!(
            refused.starts_with("the password is too easy to guess"),
            "{refused}"
        );
        assert!(
            !refused.contains("Password12345!"),
            "the error never repeats the password"
        );
        for passphrase in [
            "grandma's garden gate",
            "a garden of tall sunflowers",
            "correct horse battery staple",
            "another long passphrase",
            "the owl keeps the night watch",
        ] {
            assert_eq!(check_policy(passphrase), Ok(()), "{passphrase}");
        }
        // Length counts characters, not bytes.
        assert_eq!(check_policy("ééééééééééé"), Err(PasswordError::TooShort));
    }
}
