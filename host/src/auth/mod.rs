//! Accounts, sessions, family profiles and who may see what.
//!
//! [`Auth`] is the one service the API asks: it signs people in, turns a
//! request's credentials into a [`Caller`], and turns a caller plus a profile
//! id into a [`ProfileScope`] — the only way to name a profile to the rest of
//! the host, so no record or source can be read without a grant check.

pub mod audit;
pub mod invitations;
pub mod limiter;
pub mod password;
pub mod profiles;
pub mod sessions;
pub mod tokens;
pub mod totp;
pub mod users;

use crate::db::Db;
use crate::secrets::{SecretError, TokenCipher};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub use audit::Audit;
pub use profiles::{ProfileRole, ProfileScope};
pub use users::{User, UserRole};

/// At most this many argon2 hashes run at once (each takes 19 MiB), so a
/// burst of sign-ins cannot exhaust memory or every core.
const CONCURRENT_HASHES: usize = 2;
/// Password checks waiting for a hashing slot before more are turned away
/// at once (503) rather than queued: a burst must not make everyone wait.
const HASH_QUEUE: usize = 8;

/// Why an authentication or account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No valid credentials on the request.
    #[error("sign in first: {0}")]
    Unauthenticated(&'static str),
    /// Wrong username, password or second factor; deliberately unspecific.
    #[error("the username, password or code is not right")]
    InvalidCredentials,
    /// The password was right and the account has two-factor sign-in on.
    #[error("enter the code from your authenticator app (or a recovery code)")]
    TotpRequired,
    /// Too many failed sign-ins.
    #[error(transparent)]
    TooManyAttempts(#[from] limiter::RetryAfter),
    /// Too many password checks are waiting; try again in a moment.
    #[error("the server is busy checking passwords; try again in a moment")]
    Busy,
    /// A cookie-authenticated change without the matching CSRF header.
    #[error("missing or wrong X-CSRF-Token header for a cookie-authenticated change")]
    Csrf,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (or not visible to this caller).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (`kind` names the rule).
    #[error("{detail}")]
    Conflict {
        /// Machine-readable rule name.
        kind: &'static str,
        /// What happened.
        detail: String,
    },
    /// A field is invalid.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A new password breaks the policy.
    #[error("`{field}`: {source}")]
    WeakPassword {
        /// The field holding it.
        field: &'static str,
        /// The rule.
        source: password::PasswordError,
    },
    /// A stored secret could not be used.
    #[error("stored secret unusable: {0}")]
    Secret(#[from] SecretError),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else that is the server's fault.
    #[error("{0}")]
    Internal(String),
}

impl AuthError {
    fn invalid(field: &'static str, reason: impl Into<String>) -> AuthError {
        AuthError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    fn conflict(kind: &'static str, detail: impl Into<String>) -> AuthError {
        AuthError::Conflict {
            kind,
            detail: detail.into(),
        }
    }
}

/// Where a request came from, for throttling and the audit log.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// The peer address.
    pub address: IpAddr,
    /// The `User-Agent` header, shortened.
    pub user_agent: Option<String>,
}

/// The signed-in user behind a request.
#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// The session the request's token belongs to.
    pub session_id: String,
    /// Whether the credentials came from a cookie (state changes then need the CSRF header).
    #[serde(skip)]
    pub via_cookie: bool,
}

impl Caller {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.user.role == UserRole::Admin
    }
}

/// The account and access service.
pub struct Auth {
    db: Db,
    keys: tokens::TokenKeys,
    cipher: TokenCipher,
    limiter: limiter::SignInLimiter,
    hashing: Arc<Semaphore>,
    /// Password checks waiting for a `hashing` permit.
    hash_waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// A hash of a random password, verified against when the username is
    /// unknown so that both answers take the same time.
    decoy_hash: String,
    allow_signup: bool,
    audit: Audit,
}

impl Auth {
    /// The service over `db`, with the token keys from the data folder.
    pub fn new(
        db: Db,
        keys: tokens::TokenKeys,
        cipher: TokenCipher,
        allow_signup: bool,
    ) -> Result<Auth, AuthError> {
        let decoy = hex::encode(rand::random::<[u8; 16]>());
        let decoy_hash = password::hash(&decoy).map_err(|e| AuthError::Internal(e.to_string()))?;
        Ok(Auth {
            audit: Audit::new(db.clone()),
            db,
            keys,
            cipher,
            limiter: limiter::SignInLimiter::new(),
            hashing: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            hash_waiting: Default::default(),
            decoy_hash,
            allow_signup,
        })
    }

    /// The audit log.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Whether self sign-up is on.
    pub fn signup_allowed(&self) -> bool {
        self.allow_signup
    }

    /// Hash a password off the async workers, a bounded number at a time.
    async fn hash_password(&self, field: &'static str, pw: &str) -> Result<String, AuthError> {
        password::check_policy(pw).map_err(|source| AuthError::WeakPassword { field, source })?;
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let pw = pw.to_string();
        tokio::task::spawn_blocking(move || password::hash(&pw))
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?
            .map_err(|e| AuthError::Internal(e.to_string()))
    }

    /// Verify a password off the async workers, a bounded number at a time;
    /// [`AuthError::Busy`] at once when too many are already waiting.
    async fn verify_password(&self, pw: &str, phc: &str) -> Result<bool, AuthError> {
        use std::sync::atomic::Ordering;
        /// Counts a waiting check for as long as it waits, however the wait ends.
        struct Waiting(Arc<std::sync::atomic::AtomicUsize>);
        impl Drop for Waiting {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _permit = match self.hashing.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let waiting = Waiting(self.hash_waiting.clone());
                if waiting.0.fetch_add(1, Ordering::SeqCst) >= HASH_QUEUE {
                    return Err(AuthError::Busy);
                }
                let permit = self
                    .hashing
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|e| AuthError::Internal(e.to_string()))?;
                drop(waiting);
                permit
            }
        };
        let (pw, phc) = (pw.to_string(), phc.to_string());
        tokio::task::spawn_blocking(move || password::verify(&pw, &phc))
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))
    }
}

/// Now as RFC 3339 UTC text, the timestamp format of every auth table.
fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

use crate::ids::new_id;
