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

/// Passwords seen most often in breaches; refused whatever their length.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456123456",
    "111111111111",
    "000000000000",
    "qwertyuiopas",
    "qwerty123456",
    "password1234",
    "password12345",
    "passwordpassword",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "administrator",
    "adminadmin123",
    "changeme1234",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "trustno11234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qazwsxedcrfv",
    "abcdefghijkl",
    "abc123abc123",
    "monkey123456",
    "dragon123456",
    "master123456",
    "superman1234",
    "starwars1234",
    "whatever1234",
    "correcthorsebatterystaple",
    "passw0rd1234",
    "p@ssw0rd1234",
    "healthrecord",
    "hearthhearth",
    "myhealth1234",
    "mypassword12",
];

/// Why a password was refused. Never carries the password.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PasswordError {
    /// Too short.
    #[error("the password must be at least {MIN_LENGTH} characters")]
    TooShort,
    /// Too long.
    #[error("the password must be at most {MAX_LENGTH} characters")]
    TooLong,
    /// On the list of common passwords.
    #[error("the password is too common; choose another")]
    Common,
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
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) || is_repetition(&lower) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// One short run repeated (`abcabcabcabc`, `aaaaaaaaaaaa`).
fn is_repetition(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    (1..=chars.len() / 3)
        .any(|n| chars.len().is_multiple_of(n) && chars.chunks(n).all(|c| c == &chars[..n]))
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
        assert_eq!(check_policy("Password1234"), Err(PasswordError::Common));
        assert_eq!(check_policy("abcabcabcabc"), Err(PasswordError::Common));
        assert_eq!(check_policy("zzzzzzzzzzzzzz"), Err(PasswordError::Common));
        assert_eq!(check_policy("grandma's garden gate"), Ok(()));
        // Length counts characters, not bytes.
        assert_eq!(check_policy("ééééééééééé"), Err(PasswordError::TooShort));
    }
}
