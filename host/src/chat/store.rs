//! The chat tables: the endpoint settings (one row) and conversations with
//! their messages, each conversation one user's about one profile.

use super::cite::Checked;
use super::{ChatError, ConversationSummary, StoredMessage};
use crate::db::Db;
use crate::plugins::llm::Role;
use sqlx::Row;

/// The settings row as stored (the key still sealed).
#[derive(Debug, Clone)]
pub struct SettingsRow {
    pub adapter: String,
    pub endpoint: String,
    pub model: String,
    pub api_key: Option<Vec<u8>>,
    pub offer_tools: bool,
    pub reply_timeout_secs: u32,
    pub updated_at: String,
}

pub async fn settings(db: &Db) -> Result<Option<SettingsRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT adapter, endpoint, model, api_key, offer_tools, reply_timeout_secs, updated_at
         FROM chat_settings WHERE id = 1",
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(SettingsRow {
            adapter: r.try_get(0)?,
            endpoint: r.try_get(1)?,
            model: r.try_get(2)?,
            api_key: r.try_get(3)?,
            offer_tools: r.try_get::<i64, _>(4)? != 0,
            reply_timeout_secs: u32::try_from(r.try_get::<i64, _>(5)?).unwrap_or(60),
            updated_at: r.try_get(6)?,
        })
    })
    .transpose()
}

pub async fn save_settings(db: &Db, s: &SettingsRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO chat_settings (id, adapter, endpoint, model, api_key, offer_tools, reply_timeout_secs, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET adapter = excluded.adapter, endpoint = excluded.endpoint,
           model = excluded.model, api_key = excluded.api_key, offer_tools = excluded.offer_tools,
           reply_timeout_secs = excluded.reply_timeout_secs, updated_at = excluded.updated_at",
    )
    .bind(&s.adapter)
    .bind(&s.endpoint)
    .bind(&s.model)
    .bind(&s.api_key)
    .bind(i64::from(s.offer_tools))
    .bind(i64::from(s.reply_timeout_secs))
    .bind(&s.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn clear_settings(db: &Db) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM chat_settings WHERE id = 1")
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

fn summary_of(r: &sqlx::sqlite::SqliteRow) -> Result<ConversationSummary, sqlx::Error> {
    Ok(ConversationSummary {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn list(
    db: &Db,
    user: &str,
    profile: &str,
) -> Result<Vec<ConversationSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, title, created_at, updated_at FROM conversations
         WHERE user_id = ? AND profile_id = ? ORDER BY updated_at DESC, id",
    )
    .bind(user)
    .bind(profile)
    .fetch_all(db)
    .await?;
    rows.iter().map(summary_of).collect()
}

pub async fn create(
    db: &Db,
    user: &str,
    profile: &str,
    title: &str,
) -> Result<ConversationSummary, sqlx::Error> {
    let id = crate::ids::new_id();
    let now = chrono::Utc::now().to_rfc3339();
    sqlx::query(
        "INSERT INTO conversations (id, profile_id, user_id, title, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(profile)
    .bind(user)
    .bind(title)
    .bind(&now)
    .bind(&now)
    .execute(db)
    .await?;
    Ok(ConversationSummary {
        id,
        title: title.to_string(),
        created_at: now.clone(),
        updated_at: now,
    })
}

/// The conversation, if it is this user's about this profile.
pub async fn find(
    db: &Db,
    user: &str,
    profile: &str,
    id: &str,
) -> Result<Option<ConversationSummary>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, title, created_at, updated_at FROM conversations
         WHERE id = ? AND user_id = ? AND profile_id = ?",
    )
    .bind(id)
    .bind(user)
    .bind(profile)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(summary_of).transpose()
}

pub async fn messages(db: &Db, conversation: &str) -> Result<Vec<StoredMessage>, ChatError> {
    let rows = sqlx::query(
        "SELECT id, role, content, status, checked, error, created_at FROM chat_messages
         WHERE conversation_id = ? ORDER BY id",
    )
    .bind(conversation)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            let checked: Option<String> = r.try_get("checked")?;
            let status: String = r.try_get("status")?;
            Ok(StoredMessage {
                id: r.try_get("id")?,
                role: if role == "user" {
                    Role::User
                } else {
                    Role::Assistant
                },
                content: r.try_get("content")?,
                failed: status == "failed",
                checked: match checked {
                    Some(json) => Some(serde_json::from_str::<Checked>(&json).map_err(|e| {
                        ChatError::Corrupt(format!("a stored answer check is unreadable: {e}"))
                    })?),
                    None => None,
                },
                error: r.try_get("error")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Keep a question and its answer (or its failure) together, or neither.
pub async fn record_exchange(
    db: &Db,
    conversation: &str,
    question: &str,
    answer: &str,
    checked: Option<&Checked>,
    error: Option<&str>,
) -> Result<StoredMessage, ChatError> {
    let now = chrono::Utc::now().to_rfc3339();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO chat_messages (conversation_id, role, content, created_at) VALUES (?, 'user', ?, ?)",
    )
    .bind(conversation)
    .bind(question)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let checked_json = checked
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ChatError::Corrupt(e.to_string()))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO chat_messages (conversation_id, role, content, status, checked, error, created_at)
         VALUES (?, 'assistant', ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(conversation)
    .bind(answer)
    .bind(if error.is_some() { "failed" } else { "complete" })
    .bind(&checked_json)
    .bind(error)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
        .bind(&now)
        .bind(conversation)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(StoredMessage {
        id,
        role: Role::Assistant,
        content: answer.to_string(),
        failed: error.is_some(),
        checked: checked.cloned(),
        error: error.map(str::to_string),
        created_at: now,
    })
}

pub async fn rename(db: &Db, id: &str, title: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE conversations SET title = ? WHERE id = ?")
        .bind(title)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, user: &str, profile: &str, id: &str) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM conversations WHERE id = ? AND user_id = ? AND profile_id = ?")
            .bind(id)
            .bind(user)
            .bind(profile)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}
