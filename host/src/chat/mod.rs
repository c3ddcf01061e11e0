//! Chat with one's own records: a question goes to the llm adapter an
//! administrator chose, with tools over the profile's records only; the
//! answer streams back as it is written, and every citation and number in
//! it is checked against the records the answer was shown. Chat is off
//! until an endpoint is configured, so nothing leaves the machine before.

pub mod cite;
pub mod context;
pub mod endpoint;
pub mod retrieve;
mod store;
pub mod summary;
pub mod tools;

use crate::auth::ProfileScope;
use crate::db::Db;
use crate::plugins::Plugins;
use crate::plugins::interfaces::reply::OnText;
use crate::plugins::llm::{LlmCall, Message, Question, Role};
use crate::plugins::manifest::Kind;
use crate::records::RecordStore;
use crate::secrets::TokenCipher;
use cite::Checked;
use context::Context;
use endpoint::host_of;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Longest question, in characters.
pub const MAX_QUESTION: usize = 4_000;
/// Earlier messages of a conversation sent along with a question.
const HISTORY: usize = 10;
/// A conversation's title until its first question names it.
const NEW_TITLE: &str = "New conversation";
/// What an answer says when no record matched the question.
pub const ABSTENTION: &str =
    "That is not in your records: no record of yours matches the question.";

/// Why a chat request failed.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No endpoint is configured.
    #[error("chat is off: an administrator has not configured a model endpoint")]
    Off,
    /// The configured adapter is not loaded.
    #[error("the llm adapter {0:?} is not installed")]
    NoAdapter(String),
    /// No such conversation (or not the caller's).
    #[error("no such conversation")]
    NotFound,
    /// The request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Stored data could not be read.
    #[error("{0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Which API an endpoint is reached with, and where: what an administrator sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatSettings {
    /// The llm adapter plugin's id (`llm-openai`, `llm-ollama`, ...).
    pub adapter: String,
    /// The endpoint's URL (`http://127.0.0.1:11434`, `https://api.openai.com/v1`).
    pub endpoint: String,
    /// The model's name at the endpoint.
    pub model: String,
    /// Whether the model is offered tools (function calling); off for small local models.
    pub offer_tools: bool,
    /// How long the endpoint may go quiet, in seconds (5 to 600).
    pub reply_timeout_secs: u32,
    /// Whether an API key is kept (it is never shown again).
    #[serde(default)]
    pub has_api_key: bool,
    /// When the settings were saved.
    #[serde(default)]
    pub updated_at: String,
}

/// New settings; `api_key` absent keeps the stored one, empty removes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettingsInput {
    /// The llm adapter plugin's id.
    pub adapter: String,
    /// The endpoint's URL (http or https).
    pub endpoint: String,
    /// The model's name at the endpoint.
    pub model: String,
    /// The endpoint's API key, if it needs one.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Whether the model is offered tools.
    #[serde(default = "yes")]
    pub offer_tools: bool,
    /// How long the endpoint may go quiet, in seconds.
    #[serde(default = "default_timeout")]
    pub reply_timeout_secs: u32,
}

fn yes() -> bool {
    true
}

fn default_timeout() -> u32 {
    60
}

/// Whether chat is on, and where questions go: what every user may know.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatStatus {
    /// Whether chat is configured.
    pub enabled: bool,
    /// The adapter's name.
    #[schema(required)]
    pub adapter: Option<String>,
    /// The model.
    #[schema(required)]
    pub model: Option<String>,
    /// The endpoint's host (and port).
    #[schema(required)]
    pub endpoint_host: Option<String>,
    /// Whether questions and records leave this machine (the endpoint is not on loopback).
    pub remote: bool,
    /// The model this host serves itself, when one is configured (`local_model`):
    /// an endpoint an administrator can choose that keeps everything here.
    #[schema(required)]
    pub local_endpoint: Option<String>,
}

/// A conversation in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationSummary {
    /// Its id.
    pub id: String,
    /// Its title (the first question, shortened).
    pub title: String,
    /// When it began.
    pub created_at: String,
    /// When it was last added to.
    pub updated_at: String,
}

/// One stored message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredMessage {
    /// Its id.
    pub id: i64,
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
    /// Whether the answer failed (its error says why).
    pub failed: bool,
    /// For an answer, how its citations and numbers stand.
    #[schema(required)]
    pub checked: Option<Checked>,
    /// For a failed answer, why.
    #[schema(required)]
    pub error: Option<String>,
    /// When (UTC instant).
    pub created_at: String,
}

/// A conversation with its messages.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    /// Id, title and times.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// The messages, oldest first.
    pub messages: Vec<StoredMessage>,
}

/// The chat service.
#[derive(Clone)]
pub struct Chat {
    db: Db,
    records: RecordStore,
    plugins: Arc<Plugins>,
    cipher: TokenCipher,
    local_endpoint: Option<String>,
}

/// The instructions every question goes with.
pub fn instructions(today: &str) -> String {
    format!(
        "You answer questions about one person's health records, using only the records given to you. \
         Today is {today}. Each record has a label such as [R1]. \
         Cite the label of every record you use right after the statement it supports, \
         for example: \"Your HbA1c was 7.2 % on 2024-03-01 [R1].\" \
         Write numbers, units and dates exactly as the record does. \
         If the records do not answer the question, say \"That is not in your records.\" and nothing more. \
         Do not guess, and do not give medical advice beyond what the records say. Be brief."
    )
}

impl Chat {
    /// The chat service over `db`.
    pub fn new(db: Db, records: RecordStore, plugins: Arc<Plugins>, cipher: TokenCipher) -> Self {
        Chat {
            db,
            records,
            plugins,
            cipher,
            local_endpoint: None,
        }
    }

    /// Offer the model this host serves at `endpoint` (OpenAI-compatible).
    pub fn with_local_model(mut self, endpoint: Option<String>) -> Self {
        self.local_endpoint = endpoint;
        self
    }

    /// The settings, if chat is configured.
    pub async fn settings(&self) -> Result<Option<ChatSettings>, ChatError> {
        Ok(store::settings(&self.db).await?.map(|s| ChatSettings {
            adapter: s.adapter,
            endpoint: s.endpoint,
            model: s.model,
            offer_tools: s.offer_tools,
            reply_timeout_secs: s.reply_timeout_secs,
            has_api_key: s.api_key.is_some(),
            updated_at: s.updated_at,
        }))
    }

    /// Save new settings (checked first).
    pub async fn configure(&self, input: ChatSettingsInput) -> Result<ChatSettings, ChatError> {
        let adapter = self
            .plugins
            .get(&input.adapter)
            .filter(|p| p.manifest.kind == Kind::Llm);
        if adapter.is_none() {
            return Err(ChatError::Invalid(format!(
                "adapter: {:?} is not an installed llm adapter",
                input.adapter
            )));
        }
        let endpoint = parse_endpoint(&input.endpoint)?;
        let model = input.model.trim();
        if model.is_empty() || model.len() > 200 || model.chars().any(char::is_control) {
            return Err(ChatError::Invalid(
                "model: a name of 1 to 200 characters".into(),
            ));
        }
        if !(5..=600).contains(&input.reply_timeout_secs) {
            return Err(ChatError::Invalid(
                "reply_timeout_secs: 5 to 600 seconds".into(),
            ));
        }
        let api_key = match input.api_key.as_deref().map(str::trim) {
            None => store::settings(&self.db).await?.and_then(|s| s.api_key),
            Some("") => None,
            Some(key) if key.len() > 4_096 || key.chars().any(char::is_control) => {
                return Err(ChatError::Invalid("api_key: not a usable key".into()));
            }
            Some(key) => Some(self.cipher.encrypt(key)),
        };
        let row = store::SettingsRow {
            adapter: input.adapter,
            endpoint: endpoint.to_string(),
            model: model.to_string(),
            api_key,
            offer_tools: input.offer_tools,
            reply_timeout_secs: input.reply_timeout_secs,
            updated_at: chrono::Utc::now().to_rfc3339(),
        };
        store::save_settings(&self.db, &row).await?;
        tracing::info!(adapter = %row.adapter, endpoint = %host_of(&endpoint), model = %row.model, "chat configured");
        self.settings().await?.ok_or(ChatError::Off)
    }

    /// Turn chat off; whether it was on.
    pub async fn turn_off(&self) -> Result<bool, ChatError> {
        let was = store::clear_settings(&self.db).await?;
        if was {
            tracing::info!("chat turned off");
        }
        Ok(was)
    }

    /// Whether chat is on, and where questions go.
    pub async fn status(&self) -> Result<ChatStatus, ChatError> {
        let Some(s) = self.settings().await? else {
            return Ok(ChatStatus {
                enabled: false,
                adapter: None,
                model: None,
                endpoint_host: None,
                remote: false,
                local_endpoint: self.local_endpoint.clone(),
            });
        };
        let url = Url::parse(&s.endpoint).ok();
        let adapter = self
            .plugins
            .get(&s.adapter)
            .map(|p| p.manifest.name.clone());
        Ok(ChatStatus {
            enabled: adapter.is_some(),
            adapter,
            model: Some(s.model),
            endpoint_host: url.as_ref().map(host_of),
            remote: url.as_ref().is_none_or(|u| !is_loopback(u)),
            local_endpoint: self.local_endpoint.clone(),
        })
    }

    /// The caller's conversations about `scope`'s profile, newest first.
    pub async fn conversations(
        &self,
        scope: &ProfileScope,
    ) -> Result<Vec<ConversationSummary>, ChatError> {
        Ok(store::list(&self.db, scope.user_id(), scope.id()).await?)
    }

    /// Begin a conversation.
    pub async fn start(
        &self,
        scope: &ProfileScope,
        title: Option<&str>,
    ) -> Result<ConversationSummary, ChatError> {
        let title = shorten(title.unwrap_or(NEW_TITLE));
        Ok(store::create(&self.db, scope.user_id(), scope.id(), &title).await?)
    }

    /// One of the caller's conversations with its messages.
    pub async fn conversation(
        &self,
        scope: &ProfileScope,
        id: &str,
    ) -> Result<Conversation, ChatError> {
        let summary = store::find(&self.db, scope.user_id(), scope.id(), id)
            .await?
            .ok_or(ChatError::NotFound)?;
        let messages = store::messages(&self.db, id).await?;
        Ok(Conversation { summary, messages })
    }

    /// Delete one of the caller's conversations.
    pub async fn delete(&self, scope: &ProfileScope, id: &str) -> Result<(), ChatError> {
        if store::delete(&self.db, scope.user_id(), scope.id(), id).await? {
            Ok(())
        } else {
            Err(ChatError::NotFound)
        }
    }

    /// Check that a question can be asked in conversation `id` now, before
    /// a stream is opened for its answer.
    pub async fn prepare(
        &self,
        scope: &ProfileScope,
        id: &str,
        question: &str,
    ) -> Result<Prepared, ChatError> {
        let question = question.trim();
        if question.is_empty() || question.chars().count() > MAX_QUESTION {
            return Err(ChatError::Invalid(format!(
                "question: 1 to {MAX_QUESTION} characters"
            )));
        }
        let summary = store::find(&self.db, scope.user_id(), scope.id(), id)
            .await?
            .ok_or(ChatError::NotFound)?;
        let settings = store::settings(&self.db).await?.ok_or(ChatError::Off)?;
        let adapter = self
            .plugins
            .get(&settings.adapter)
            .filter(|p| p.manifest.kind == Kind::Llm)
            .ok_or_else(|| ChatError::NoAdapter(settings.adapter.clone()))?;
        let api_key = settings
            .api_key
            .as_deref()
            .map(|k| self.cipher.decrypt(k))
            .transpose()
            .map_err(|e| ChatError::Corrupt(format!("the stored API key is unreadable: {e}")))?;
        let url = Url::parse(&settings.endpoint)
            .map_err(|e| ChatError::Corrupt(format!("the stored endpoint is unreadable: {e}")))?;
        let endpoint = endpoint::HttpEndpoint::new(
            &url,
            api_key,
            Duration::from_secs(u64::from(settings.reply_timeout_secs)),
        )
        .map_err(|e| ChatError::Corrupt(e.to_string()))?;
        Ok(Prepared {
            scope: scope.clone(),
            conversation: summary,
            question: question.to_string(),
            adapter,
            endpoint: Arc::new(endpoint),
            model: settings.model,
            offer_tools: settings.offer_tools,
        })
    }

    /// Answer a prepared question, telling `on_text` each piece as it is
    /// written; the question and its answer (or its failure) are kept together.
    pub async fn answer(
        &self,
        p: Prepared,
        today: &str,
        on_text: Option<OnText>,
    ) -> Result<StoredMessage, ChatError> {
        let earlier = store::messages(&self.db, &p.conversation.id).await?;
        let mut conversation = vec![Message {
            role: Role::System,
            content: instructions(today),
        }];
        // A question whose answer failed is left out with its failure.
        let kept: Vec<&StoredMessage> = earlier
            .iter()
            .enumerate()
            .filter(|(i, m)| !m.failed && !earlier.get(i + 1).is_some_and(|next| next.failed))
            .map(|(_, m)| m)
            .collect();
        let from = kept.len().saturating_sub(HISTORY);
        conversation.extend(kept[from..].iter().map(|m| Message {
            role: m.role,
            content: m.content.clone(),
        }));
        conversation.push(Message {
            role: Role::User,
            content: p.question.clone(),
        });
        let context = Arc::new(Context::default());
        let call = LlmCall {
            records: Arc::new(tools::ContextReader::new(
                self.records.clone(),
                p.scope.clone(),
                context.clone(),
            )),
            tools: Some(Arc::new(tools::ProfileTools::new(
                self.records.clone(),
                p.scope.clone(),
                context.clone(),
            ))),
            model: Some(p.endpoint.clone()),
            on_text,
        };
        let question = Question {
            conversation,
            model: p.model.clone(),
            offer_tools: p.offer_tools,
            today: today.to_string(),
        };
        let started = std::time::Instant::now();
        let outcome = self.plugins.answer(&p.adapter, question, call).await;
        if p.conversation.title == NEW_TITLE {
            store::rename(&self.db, &p.conversation.id, &shorten(&p.question)).await?;
        }
        match outcome {
            Ok(answer) => {
                let text = match answer.cited {
                    // A first-world adapter names what it cites: those become labels.
                    Some(ids) => relabel(&answer.text, &ids, &context),
                    None => answer.text,
                };
                let (text, checked) = if context.is_empty() {
                    // Nothing matched: whatever the model said rests on nothing.
                    (ABSTENTION.to_string(), cite::check(ABSTENTION, &context))
                } else {
                    let checked = cite::check(&text, &context);
                    (text, checked)
                };
                tracing::info!(
                    conversation = %p.conversation.id,
                    adapter = %p.adapter.manifest.label(),
                    records_shown = context.shown().len(),
                    citations = checked.citations.len(),
                    supported = checked.all_supported(),
                    abstained = checked.abstained,
                    ms = started.elapsed().as_millis() as u64,
                    "chat answered"
                );
                store::record_exchange(
                    &self.db,
                    &p.conversation.id,
                    &p.question,
                    &text,
                    Some(&checked),
                    None,
                )
                .await
            }
            Err(failure) => {
                let message = failure.to_string();
                tracing::warn!(conversation = %p.conversation.id, error = %message, "chat answer failed");
                store::record_exchange(
                    &self.db,
                    &p.conversation.id,
                    &p.question,
                    "",
                    None,
                    Some(&message),
                )
                .await
            }
        }
    }
}

/// A question ready to answer.
pub struct Prepared {
    scope: ProfileScope,
    conversation: ConversationSummary,
    question: String,
    adapter: Arc<crate::plugins::LoadedPlugin>,
    endpoint: Arc<endpoint::HttpEndpoint>,
    model: String,
    offer_tools: bool,
}

/// A first-world answer cites `[R<n>]` for the n-th id it names; the host's
/// labels are per record, so each is rewritten to the label its record got
/// (an id never shown to the adapter becomes `R0`, which no record has).
fn relabel(text: &str, ids: &[String], context: &Context) -> String {
    let shown = context.shown();
    let mut out = text.to_string();
    // Longest first, so R12 is not rewritten as R1 followed by 2.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(i));
    let mut placeholders = Vec::new();
    for i in order {
        let from = format!("[R{}]", i + 1);
        let placeholder = format!("\u{1}{i}\u{1}");
        out = out.replace(&from, &placeholder);
        let to = match shown.iter().find(|s| s.id == ids[i]) {
            Some(s) => format!("[{}]", s.label),
            // R0: a label no record is ever given, so the checker marks it.
            None => "[R0]".to_string(),
        };
        placeholders.push((placeholder, to));
    }
    for (p, to) in placeholders {
        out = out.replace(&p, &to);
    }
    out
}

fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut short: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        short.push('…');
    }
    if short.is_empty() {
        NEW_TITLE.into()
    } else {
        short
    }
}

fn parse_endpoint(text: &str) -> Result<Url, ChatError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ChatError::Invalid(format!("endpoint: not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ChatError::Invalid(
            "endpoint: an http or https URL with a host".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ChatError::Invalid(
            "endpoint: put credentials in api_key, not in the URL".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ChatError::Invalid("endpoint: no query or fragment".into()));
    }
    Ok(url)
}

/// Whether an endpoint is on this machine (questions never leave it).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_urls_without_credentials_and_loopback_is_local() {
        assert!(parse_endpoint("http://127.0.0.1:11434").is_ok());
        assert!(parse_endpoint("ftp://models.example").is_err());
        assert!(parse_endpoint("https://user:pw@models.example/v1").is_err());
        assert!(parse_endpoint("https://models.example/v1?key=1").is_err());
        let local = |u: &str| is_loopback(&Url::parse(u).expect("url"));
        assert!(local("http://127.0.0.1:8080/v1"));
        assert!(local("http://[::1]:8080"));
        assert!(local("http://localhost:11434"));
        assert!(!local("http://192.168.1.20:11434"));
        assert!(!local("https://api.openai.com/v1"));
    }

    #[test]
    fn a_first_world_answer_is_relabelled_by_record() {
        let c = Context::default();
        c.show("Condition/b", "b");
        c.show("Condition/a", "a");
        let text = relabel(
            "Asthma [R1], eczema [R2], cough [R3].",
            &[
                "Condition/a".into(),
                "Condition/b".into(),
                "Condition/z".into(),
            ],
            &c,
        );
        assert_eq!(text, "Asthma [R2], eczema [R1], cough [R0].");
    }
}
