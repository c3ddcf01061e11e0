//! Sign-in, sessions and token rotation.
//!
//! A session is one sign-in on one device. It holds a chain of single-use
//! refresh tokens (stored as SHA-256, 7-day life, renewed on each use) and a
//! CSRF token (stored as SHA-256). Access tokens are 15-minute JWTs naming
//! the session; every request checks the session is live and the account
//! enabled, so sign-out, revocation and disabling take effect at once. A
//! refresh token presented a second time means someone kept a copy: the
//! whole session is revoked.

use super::limiter;
use super::users::{select_user, user_from_row};
use super::{Auth, AuthError, Caller, ClientInfo, User, new_id, now_text, tokens};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::time::{Duration, SystemTime};

/// How long a refresh token (and an idle session) lives.
pub const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Credentials for a sign-in.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// A current code from the authenticator app, when two-factor sign-in is on.
    #[serde(default)]
    pub totp_code: Option<String>,
    /// A recovery code instead of the app's code.
    #[serde(default)]
    pub recovery_code: Option<String>,
    /// Browser clients: deliver the tokens as HttpOnly cookies, not in the body.
    #[serde(default)]
    pub use_cookies: bool,
    /// The device token from an earlier sign-in on this device (browsers send
    /// it as a cookie): this device is then throttled on its own, so others'
    /// wrong guesses cannot lock it out.
    #[serde(default)]
    pub device_token: Option<String>,
}

/// Tokens issued at sign-in or refresh. Never logged.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The session.
    pub session_id: String,
    /// Access JWT.
    pub access_token: String,
    /// Single-use refresh token.
    pub refresh_token: String,
    /// CSRF token for cookie-authenticated changes.
    pub csrf_token: String,
    /// Vouches for this device at later sign-ins (new sessions only, not refreshes).
    pub device_token: Option<String>,
}

/// A session as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// Id.
    pub id: String,
    /// When signed in.
    pub created_at: String,
    /// Last sign-in or refresh.
    pub last_used_at: String,
    /// When it ends unless used.
    pub expires_at: String,
    /// Browser or client name.
    #[schema(required)]
    pub user_agent: Option<String>,
    /// Address it signed in from.
    #[schema(required)]
    pub address: Option<String>,
    /// Whether it is the session making this request.
    pub current: bool,
}

/// Credentials found on a request.
#[derive(Debug, Default)]
pub struct Presented<'a> {
    /// `Authorization: Bearer` token.
    pub bearer: Option<&'a str>,
    /// Access cookie.
    pub cookie: Option<&'a str>,
    /// `X-CSRF-Token` header.
    pub csrf: Option<&'a str>,
    /// Whether the method changes state (POST, PUT, PATCH, DELETE).
    pub changes_state: bool,
}

pub(super) fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

fn secret_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn later(d: Duration) -> String {
    (chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Store a new refresh token of `session` (as its SHA-256).
async fn insert_refresh_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    session: &str,
    token: &str,
    now: &str,
    expires: &str,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    )
    .bind(sha256(token))
    .bind(session)
    .bind(now)
    .bind(expires)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revoke every live session of `user` except `except`.
pub(super) async fn revoke_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user: &str,
    except: Option<&str>,
    reason: &str,
) -> Result<u64, AuthError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = ?, revoke_reason = ?
         WHERE user_id = ? AND revoked_at IS NULL AND (?4 IS NULL OR id <> ?4)",
    )
    .bind(now_text())
    .bind(reason)
    .bind(user)
    .bind(except)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

impl Auth {
    /// Sign in with a password (and second factor when on). Throttled per
    /// account and address; every failure gives the same answer.
    pub async fn sign_in(
        &self,
        creds: &SignIn,
        client: &ClientInfo,
    ) -> Result<(User, Issued), AuthError> {
        let now = std::time::Instant::now();
        let name = creds.username.trim();
        let row = sqlx::query(
            "SELECT id, password_hash, disabled, totp_enabled FROM users WHERE username = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        // A device that signed in to this very account before has a throttle of its own.
        let known_device = creds
            .device_token
            .as_deref()
            .and_then(|t| self.keys.verify_device(t).ok())
            .filter(|device| {
                row.as_ref()
                    .and_then(|r| r.try_get::<String, _>("id").ok())
                    .is_some_and(|id| id == device.sub)
            });
        // Reserved and counted before any hashing; settled below when it was no failure.
        let attempt = match &known_device {
            Some(device) => self.limiter.begin_known_device(&device.did, now)?,
            None => self.limiter.begin(name, client.address, now)?,
        };
        let (id, phc, disabled, totp) = match &row {
            Some(r) => (
                Some(r.try_get::<String, _>("id")?),
                r.try_get::<String, _>("password_hash")?,
                r.try_get::<bool, _>("disabled")?,
                r.try_get::<bool, _>("totp_enabled")?,
            ),
            None => (None, self.decoy_hash.clone(), false, false),
        };
        let password_ok = self.verify_password(&creds.password, &phc).await?;
        let Some(id) = id.filter(|_| password_ok && !disabled) else {
            return Err(self.failed_sign_in(name, client, "password").await);
        };
        if totp {
            if creds.totp_code.is_none() && creds.recovery_code.is_none() {
                attempt.settle(limiter::Settled::NotCounted);
                return Err(AuthError::TotpRequired);
            }
            if !self
                .check_second_factor(
                    &id,
                    creds.totp_code.as_deref(),
                    creds.recovery_code.as_deref(),
                    client,
                )
                .await?
            {
                return Err(self.failed_sign_in(name, client, "second factor").await);
            }
        }
        attempt.settle(limiter::Settled::SignedIn);
        let issued = self.start_session(&id, client).await?;
        self.audit
            .record(
                "sign-in",
                Some(&id),
                Some(&id),
                None,
                client,
                json!({"session": issued.session_id}),
            )
            .await;
        Ok((self.user(&id).await?, issued))
    }

    /// Record a failed sign-in (its attempt, dropped unsettled, is counted by the limiter).
    async fn failed_sign_in(&self, name: &str, client: &ClientInfo, what: &str) -> AuthError {
        // The attempted name is kept (shortened) to spot guessing; it is not a secret.
        let shown: String = name.chars().take(64).collect();
        self.audit
            .record(
                "sign-in-failed",
                None,
                None,
                None,
                client,
                json!({"username": shown, "failed": what}),
            )
            .await;
        AuthError::InvalidCredentials
    }

    /// Open a session for `user` and issue its first tokens.
    pub async fn start_session(
        &self,
        user: &str,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        let session = new_id();
        let csrf = secret_token();
        let refresh = secret_token();
        let now = now_text();
        let expires = later(REFRESH_TTL);
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_hash, created_at, last_used_at, expires_at, user_agent, address)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session)
        .bind(user)
        .bind(sha256(&csrf))
        .bind(&now)
        .bind(&now)
        .bind(&expires)
        .bind(client.user_agent.as_deref())
        .bind(client.address.to_string())
        .execute(&mut *tx)
        .await?;
        insert_refresh_token(&mut tx, &session, &refresh, &now, &expires).await?;
        tx.commit().await?;
        Ok(Issued {
            access_token: self.access_token(user, &session)?,
            session_id: session,
            refresh_token: refresh,
            csrf_token: csrf,
            device_token: self.keys.issue_device(user, SystemTime::now()).ok(),
        })
    }

    fn access_token(&self, user: &str, session: &str) -> Result<String, AuthError> {
        self.keys
            .issue(user, session, SystemTime::now())
            .map_err(|e| AuthError::Internal(format!("issuing an access token: {e}")))
    }

    /// Trade a refresh token for new tokens. With `csrf` (cookie clients),
    /// the header must match the session's CSRF token.
    pub async fn refresh(
        &self,
        token: &str,
        csrf: Option<Option<&str>>,
        client: &ClientInfo,
    ) -> Result<(User, Issued), AuthError> {
        let now = now_text();
        let hash = sha256(token);
        let mut tx = crate::db::write_tx(&self.db).await?;
        let row = sqlx::query(
            "SELECT t.session_id, t.used_at, t.expires_at AS token_expires, s.user_id, s.csrf_hash,
                    s.revoked_at, s.expires_at AS session_expires, u.disabled
             FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
             WHERE t.token_hash = ?",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AuthError::Unauthenticated("the refresh token is not valid"))?;
        let session: String = row.try_get("session_id")?;
        let user: String = row.try_get("user_id")?;
        if let Some(header) = csrf {
            let expected: Vec<u8> = row.try_get("csrf_hash")?;
            if header.map(sha256) != Some(expected) {
                return Err(AuthError::Csrf);
            }
        }
        if row.try_get::<Option<String>, _>("revoked_at")?.is_some()
            || row.try_get::<bool, _>("disabled")?
        {
            return Err(AuthError::Unauthenticated("the session has ended"));
        }
        if row.try_get::<String, _>("token_expires")? <= now
            || row.try_get::<String, _>("session_expires")? <= now
        {
            return Err(AuthError::Unauthenticated("the session has expired"));
        }
        // Claim the token; if it was already used (now or by a racing
        // request), this presentation is a replay.
        let claimed = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        )
        .bind(&now)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            sqlx::query(
                "UPDATE sessions SET revoked_at = ?, revoke_reason = 'refresh token reused' WHERE id = ?",
            )
            .bind(&now)
            .bind(&session)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::warn!(session = %session, user = %user, "a used refresh token was presented again; session revoked");
            self.audit
                .record(
                    "refresh-token-reused",
                    None,
                    Some(&user),
                    None,
                    client,
                    json!({"session": session}),
                )
                .await;
            return Err(AuthError::Unauthenticated(
                "this refresh token was already used; the session is revoked, sign in again",
            ));
        }
        let refresh = secret_token();
        let csrf_token = secret_token();
        let expires = later(REFRESH_TTL);
        insert_refresh_token(&mut tx, &session, &refresh, &now, &expires).await?;
        sqlx::query(
            "UPDATE sessions SET last_used_at = ?, expires_at = ?, csrf_hash = ? WHERE id = ?",
        )
        .bind(&now)
        .bind(&expires)
        .bind(sha256(&csrf_token))
        .bind(&session)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let issued = Issued {
            access_token: self.access_token(&user, &session)?,
            session_id: session,
            refresh_token: refresh,
            csrf_token,
            device_token: None,
        };
        Ok((self.user(&user).await?, issued))
    }

    /// Resolve the caller of a request. A bearer token wins over the cookie;
    /// a cookie-authenticated state change needs the session's CSRF token.
    pub async fn authenticate(&self, presented: Presented<'_>) -> Result<Caller, AuthError> {
        let (token, via_cookie) = match (presented.bearer, presented.cookie) {
            (Some(t), _) => (t, false),
            (None, Some(t)) => (t, true),
            (None, None) => return Err(AuthError::Unauthenticated("no access token")),
        };
        let claims = self.keys.verify(token).map_err(|e| match e {
            tokens::TokenError::Expired => {
                AuthError::Unauthenticated("the access token has expired; refresh it")
            }
            tokens::TokenError::Invalid => {
                AuthError::Unauthenticated("the access token is not valid")
            }
        })?;
        let row = sqlx::query(select_user!(
            ", s.csrf_hash",
            "JOIN sessions s ON s.user_id = u.id WHERE s.id = ? AND u.id = ?
              AND s.revoked_at IS NULL AND s.expires_at > ? AND NOT u.disabled"
        ))
        .bind(&claims.sid)
        .bind(&claims.sub)
        .bind(now_text())
        .fetch_optional(&self.db)
        .await?
        .ok_or(AuthError::Unauthenticated(
            "the session has ended; sign in again",
        ))?;
        if via_cookie && presented.changes_state {
            let expected: Vec<u8> = row.try_get("csrf_hash")?;
            if presented.csrf.map(sha256) != Some(expected) {
                return Err(AuthError::Csrf);
            }
        }
        Ok(Caller {
            user: user_from_row(&row)?,
            session_id: claims.sid,
            via_cookie,
        })
    }

    /// Forget sessions that ended (expired or revoked) more than 30 days ago,
    /// with their refresh tokens. Recent ones stay so a replayed token is
    /// still recognised as a replay.
    pub async fn prune_sessions(&self) -> Result<u64, AuthError> {
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(30))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1")
            .bind(cutoff)
            .execute(&self.db)
            .await?;
        Ok(done.rows_affected())
    }

    /// End the caller's session.
    pub async fn sign_out(&self, caller: &Caller, client: &ClientInfo) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = ?, revoke_reason = 'signed out' WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(&caller.session_id)
        .execute(&self.db)
        .await?;
        self.audit
            .record(
                "sign-out",
                Some(&caller.user.id),
                Some(&caller.user.id),
                None,
                client,
                json!({"session": caller.session_id}),
            )
            .await;
        Ok(())
    }

    /// The caller's live sessions, newest first.
    pub async fn sessions(&self, caller: &Caller) -> Result<Vec<SessionInfo>, AuthError> {
        let rows = sqlx::query(
            "SELECT id, created_at, last_used_at, expires_at, user_agent, address FROM sessions
             WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id",
        )
        .bind(&caller.user.id)
        .bind(now_text())
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(SessionInfo {
                    current: id == caller.session_id,
                    id,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    expires_at: r.try_get("expires_at")?,
                    user_agent: r.try_get("user_agent")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }

    /// Revoke one of the caller's own sessions.
    pub async fn revoke_session(
        &self,
        caller: &Caller,
        session: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = ?, revoke_reason = 'revoked by the user'
             WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(session)
        .bind(&caller.user.id)
        .execute(&self.db)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AuthError::NotFound(format!(
                "you have no live session {session:?}"
            )));
        }
        self.audit
            .record(
                "session-revoked",
                Some(&caller.user.id),
                Some(&caller.user.id),
                None,
                client,
                json!({"session": session}),
            )
            .await;
        Ok(())
    }
}
