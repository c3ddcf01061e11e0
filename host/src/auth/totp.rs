//! Optional two-factor sign-in with time-based one-time codes (RFC 6238:
//! SHA-1, 6 digits, 30-second steps, one step of clock skew either way), plus
//! ten single-use recovery codes. The shared secret is encrypted at rest; a
//! code is accepted once (the last used step is remembered).

use super::sessions::sha256;
use super::{Auth, AuthError, Caller, ClientInfo, now_text};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use totp_rs::{Algorithm, TOTP};

const STEP: u64 = 30;
const RECOVERY_CODES: usize = 10;
/// Crockford-style alphabet without look-alikes (no I, L, O, U).
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What a user needs to add Hearth to an authenticator app.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The shared secret, base32.
    pub secret: String,
    /// `otpauth://` URL (for a QR code).
    pub otpauth_url: String,
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AuthError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret,
        Some("Hearth".into()),
        account.to_string(),
    )
    .map_err(|e| AuthError::Internal(format!("TOTP setup: {e}")))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The time step a code matches within one step of `now`, if any.
fn matching_step(t: &TOTP, code: &str, now: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = t.generate(step * STEP);
            // Equal-length digit strings: compare without an early exit.
            expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
}

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_recovery_code() -> String {
    let bytes: [u8; 16] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

impl Auth {
    /// Start turning on two-factor sign-in: a fresh secret, not yet active.
    pub async fn totp_begin(
        &self,
        caller: &Caller,
        password: &str,
    ) -> Result<TotpSetup, AuthError> {
        self.check_current_password(caller, "password", password)
            .await?;
        if caller.user.totp_enabled {
            return Err(AuthError::conflict(
                "totp-enabled",
                "two-factor sign-in is already on; turn it off first to change the app",
            ));
        }
        let secret: [u8; 20] = rand::random();
        let t = totp(secret.to_vec(), &caller.user.username)?;
        sqlx::query("UPDATE users SET totp_secret = ?, totp_enabled = 0 WHERE id = ?")
            .bind(self.cipher.encrypt(&hex::encode(secret)))
            .bind(&caller.user.id)
            .execute(&self.db)
            .await?;
        Ok(TotpSetup {
            secret: t.get_secret_base32(),
            otpauth_url: t.get_url(),
        })
    }

    /// Finish turning it on with a code from the app; returns the recovery codes (shown once).
    pub async fn totp_confirm(
        &self,
        caller: &Caller,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<String>, AuthError> {
        let (t, enabled, _) = self.stored_totp(&caller.user.id).await?.ok_or_else(|| {
            AuthError::conflict("totp-not-started", "start two-factor setup first")
        })?;
        if enabled {
            return Err(AuthError::conflict(
                "totp-enabled",
                "two-factor sign-in is already on",
            ));
        }
        let step = matching_step(&t, code, unix_now()).ok_or_else(|| {
            AuthError::invalid("code", "the code does not match; check the app's clock")
        })?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_last_step = ? WHERE id = ?")
            .bind(step as i64)
            .bind(&caller.user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(&caller.user.id)
            .execute(&mut *tx)
            .await?;
        for code in &codes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)")
                .bind(&caller.user.id)
                .bind(sha256(&normalize_recovery(code)))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.audit
            .record_own("totp-enabled", &caller.user.id, client)
            .await;
        Ok(codes)
    }

    /// Turn two-factor sign-in off (needs the password).
    pub async fn totp_disable(
        &self,
        caller: &Caller,
        password: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        self.check_current_password(caller, "password", password)
            .await?;
        self.clear_totp(&caller.user.id).await?;
        self.audit
            .record_own("totp-disabled", &caller.user.id, client)
            .await;
        Ok(())
    }

    /// Remove the second factor (also used by console recovery).
    pub async fn clear_totp(&self, user: &str) -> Result<(), AuthError> {
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL WHERE id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn stored_totp(
        &self,
        user: &str,
    ) -> Result<Option<(TOTP, bool, Option<i64>)>, AuthError> {
        let row = sqlx::query(
            "SELECT username, totp_secret, totp_enabled, totp_last_step FROM users WHERE id = ?",
        )
        .bind(user)
        .fetch_one(&self.db)
        .await?;
        let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>("totp_secret")? else {
            return Ok(None);
        };
        let secret = hex::decode(self.cipher.decrypt(&sealed)?)
            .map_err(|e| AuthError::Internal(format!("stored TOTP secret: {e}")))?;
        let username: String = row.try_get("username")?;
        Ok(Some((
            totp(secret, &username)?,
            row.try_get("totp_enabled")?,
            row.try_get("totp_last_step")?,
        )))
    }

    /// Check a sign-in's second factor: a fresh app code, or an unused recovery code.
    pub(super) async fn check_second_factor(
        &self,
        user: &str,
        code: Option<&str>,
        recovery: Option<&str>,
        client: &ClientInfo,
    ) -> Result<bool, AuthError> {
        if let Some(code) = code {
            let Some((t, true, _)) = self.stored_totp(user).await? else {
                return Ok(false);
            };
            let Some(step) = matching_step(&t, code, unix_now()) else {
                return Ok(false);
            };
            // Only a step later than the last accepted one counts, so an
            // observed code cannot be replayed.
            let claimed = sqlx::query(
                "UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
            )
            .bind(step as i64)
            .bind(user)
            .bind(step as i64)
            .execute(&self.db)
            .await?;
            return Ok(claimed.rows_affected() == 1);
        }
        if let Some(recovery) = recovery {
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            )
            .bind(now_text())
            .bind(user)
            .bind(sha256(&normalize_recovery(recovery)))
            .execute(&self.db)
            .await?;
            if used.rows_affected() == 1 {
                let left: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                )
                .bind(user)
                .fetch_one(&self.db)
                .await?;
                self.audit
                    .record(
                        "recovery-code-used",
                        Some(user),
                        Some(user),
                        None,
                        client,
                        json!({"remaining": left}),
                    )
                    .await;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The code an authenticator app shows at `unix_time` for a base32 secret (tests use it).
pub fn code_at(secret_base32: &str, unix_time: u64) -> Option<String> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .ok()?;
    Some(totp(secret, "x").ok()?.generate(unix_time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_one_either_side_only() {
        let t = totp(vec![42u8; 20], "mum").unwrap();
        let now = 1_800_000_000;
        let code = t.generate(now);
        assert_eq!(matching_step(&t, &code, now), Some(now / STEP));
        assert_eq!(matching_step(&t, &code, now + STEP), Some(now / STEP));
        assert_eq!(matching_step(&t, &code, now - STEP), Some(now / STEP));
        assert_eq!(matching_step(&t, &code, now + 3 * STEP), None);
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn rfc_6238_reference_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the 6-digit code is its last six.
        let t = TOTP::new(
            Algorithm::SHA1,
            8,
            1,
            30,
            b"12345678901234567890".to_vec(),
            None,
            "x".into(),
        )
        .unwrap();
        assert_eq!(t.generate(59), "94287082");
    }

    #[test]
    fn recovery_codes_are_grouped_and_normalize() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        assert_eq!(
            normalize_recovery(&code.to_lowercase().replace('-', " ")),
            code.replace('-', "")
        );
        assert_ne!(new_recovery_code(), code);
    }
}
