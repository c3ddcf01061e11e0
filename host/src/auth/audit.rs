//! The security audit log: who signed in, failed to, changed a password,
//! revoked a session, or changed users and grants. Entries carry ids, names,
//! roles and addresses — never a password, token, code or secret — and are
//! readable by administrators only.

use super::{AuthError, ClientInfo, now_text};
use crate::db::Db;
use serde::Serialize;
use sqlx::Row;

/// Writes and reads the audit log.
#[derive(Clone, Debug)]
pub struct Audit {
    db: Db,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Sequence number (newest is highest).
    pub id: i64,
    /// When.
    pub at: String,
    /// What happened (`sign-in`, `sign-in-failed`, `grant-added`, ...).
    pub event: String,
    /// Who did it, if known.
    #[schema(required)]
    pub actor_id: Option<String>,
    /// The user it was done to, if any.
    #[schema(required)]
    pub subject: Option<String>,
    /// The profile concerned, if any.
    #[schema(required)]
    pub profile_id: Option<String>,
    /// The client address.
    #[schema(required)]
    pub address: Option<String>,
    /// Non-secret particulars (an object; null when none could be read).
    #[schema(value_type = Option<Object>, required)]
    pub detail: serde_json::Value,
}

impl Audit {
    /// The log in `db`.
    pub fn new(db: Db) -> Audit {
        Audit { db }
    }

    /// Record an event. A failure to write is logged, not returned: the
    /// action it describes has already happened.
    pub async fn record(
        &self,
        event: &str,
        actor: Option<&str>,
        subject: Option<&str>,
        profile: Option<&str>,
        client: &ClientInfo,
        detail: serde_json::Value,
    ) {
        tracing::info!(event, actor, subject, profile, address = %client.address, "audit");
        let result = sqlx::query(
            "INSERT INTO audit_log (at, event, actor_id, subject, profile_id, address, detail)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(now_text())
        .bind(event)
        .bind(actor)
        .bind(subject)
        .bind(profile)
        .bind(client.address.to_string())
        .bind(detail.to_string())
        .execute(&self.db)
        .await;
        if let Err(e) = result {
            tracing::error!(event, error = %e, "could not write the audit log");
        }
    }

    /// Record an event a user did to their own account, with no particulars.
    pub async fn record_own(&self, event: &str, user: &str, client: &ClientInfo) {
        self.record(
            event,
            Some(user),
            Some(user),
            None,
            client,
            serde_json::json!({}),
        )
        .await;
    }

    /// Entries newest first, `limit` at a time, before sequence number `before`.
    pub async fn list(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, AuthError> {
        let rows = sqlx::query(
            "SELECT id, at, event, actor_id, subject, profile_id, address, detail FROM audit_log
             WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                let detail: Option<String> = r.try_get("detail")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    event: r.try_get("event")?,
                    actor_id: r.try_get("actor_id")?,
                    subject: r.try_get("subject")?,
                    profile_id: r.try_get("profile_id")?,
                    address: r.try_get("address")?,
                    detail: detail
                        .and_then(|d| serde_json::from_str(&d).ok())
                        .unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }
}
