//! Chat with one's records: whether it is on, an administrator's endpoint
//! settings, a person's conversations about a profile, and asking, with the
//! answer streamed as server-sent events.

use super::extract::{Access, Admin, Read};
use super::openapi::{BadRequest, Forbidden, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::Caller;
use crate::chat::{
    ChatError, ChatSettings, ChatSettingsInput, ChatStatus, Conversation, ConversationSummary,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

/// The chat routes' description.
#[derive(OpenApi)]
#[openapi(paths(status, settings, configure, turn_off, list, start, show, delete, ask))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/chat", status)
        .get("/admin/chat", settings)
        .put("/admin/chat", configure)
        .delete("/admin/chat", turn_off)
        .get("/profiles/{profile}/conversations", list)
        .post("/profiles/{profile}/conversations", start)
        .get("/profiles/{profile}/conversations/{conversation}", show)
        .delete("/profiles/{profile}/conversations/{conversation}", delete)
        .post(
            "/profiles/{profile}/conversations/{conversation}/messages",
            ask,
        )
}

/// Whether chat is on, which model answers, and whether questions leave this machine.
#[utoipa::path(
    get,
    path = "/api/chat",
    tag = "chat",
    operation_id = "chat_status",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Chat's state", body = ChatStatus))
)]
async fn status(State(state): State<AppState>, _: Caller) -> Result<Json<ChatStatus>, Problem> {
    Ok(Json(state.chat.status().await?))
}

/// The model endpoint's settings (administrators); `null` while chat is off.
#[utoipa::path(
    get,
    path = "/api/admin/chat",
    tag = "chat",
    operation_id = "chat_settings",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The settings, or null", body = Option<ChatSettings>),
        (status = 403, response = Forbidden),
    )
)]
async fn settings(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Option<ChatSettings>>, Problem> {
    Ok(Json(state.chat.settings().await?))
}

/// Configure the model endpoint (administrators). Questions, and the records
/// that answer them, go to this endpoint from now on.
#[utoipa::path(
    put,
    path = "/api/admin/chat",
    tag = "chat",
    operation_id = "configure_chat",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ChatSettingsInput,
    responses(
        (status = 200, description = "Saved", body = ChatSettings),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    )
)]
async fn configure(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(input): ApiJson<ChatSettingsInput>,
) -> Result<Json<ChatSettings>, Problem> {
    let saved = state.chat.configure(input).await?;
    tracing::info!(admin = %admin.0.user.id, "chat settings changed");
    Ok(Json(saved))
}

/// Turn chat off (administrators): the endpoint and its key are forgotten.
#[utoipa::path(
    delete,
    path = "/api/admin/chat",
    tag = "chat",
    operation_id = "turn_off_chat",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Chat is off"),
        (status = 403, response = Forbidden),
    )
)]
async fn turn_off(State(state): State<AppState>, _: Admin) -> Result<StatusCode, Problem> {
    state.chat.turn_off().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/conversations`.
#[derive(Serialize, ToSchema)]
struct ConversationList {
    /// The caller's conversations about the profile, most recent first.
    conversations: Vec<ConversationSummary>,
}

/// The caller's conversations about the profile (others' are not listed).
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/conversations",
    tag = "chat",
    operation_id = "list_conversations",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "The conversations", body = ConversationList),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Read>,
) -> Result<Json<ConversationList>, Problem> {
    Ok(Json(ConversationList {
        conversations: state.chat.conversations(&access.scope).await?,
    }))
}

/// `POST …/conversations`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewConversation {
    /// A title; the first question names it when absent.
    #[serde(default)]
    title: Option<String>,
}

/// Begin a conversation about the profile's records.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/conversations",
    tag = "chat",
    operation_id = "start_conversation",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = NewConversation,
    responses(
        (status = 201, description = "Begun", body = ConversationSummary),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn start(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiJson(body): ApiJson<NewConversation>,
) -> Result<(StatusCode, Json<ConversationSummary>), Problem> {
    let made = state
        .chat
        .start(&access.scope, body.title.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// One of the caller's conversations, with every message and how each
/// answer's citations and numbers were checked.
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/conversations/{conversation}",
    tag = "chat",
    operation_id = "get_conversation",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("conversation" = String, Path, description = "Conversation id"),
    ),
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        (status = 404, response = NotFound),
    )
)]
async fn show(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, conversation)): ApiPath<(String, String)>,
) -> Result<Json<Conversation>, Problem> {
    Ok(Json(
        state
            .chat
            .conversation(&access.scope, &conversation)
            .await?,
    ))
}

/// Delete one of the caller's conversations and all its messages.
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/conversations/{conversation}",
    tag = "chat",
    operation_id = "delete_conversation",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("conversation" = String, Path, description = "Conversation id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
    )
)]
async fn delete(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, conversation)): ApiPath<(String, String)>,
) -> Result<StatusCode, Problem> {
    state.chat.delete(&access.scope, &conversation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Ask {
    /// The question (1 to 4,000 characters).
    question: String,
}

/// Ask a question. The answer streams as server-sent events: `text` events
/// (`{"text": …}`) as it is written, then `done` with the stored answer
/// (its citations resolved to records, each sentence checked), or `error`
/// with a problem document. The question and its answer are kept together.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/conversations/{conversation}/messages",
    tag = "chat",
    operation_id = "ask",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("profile" = String, Path, description = "Profile id"),
        ("conversation" = String, Path, description = "Conversation id"),
    ),
    request_body = Ask,
    responses(
        (status = 200, description = "Event stream: `text` pieces, then `done` (a StoredMessage) or `error` (a problem)",
            content_type = "text/event-stream", body = String),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = super::openapi::Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn ask(
    State(state): State<AppState>,
    access: Access<Read>,
    ApiPath((_, conversation)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Ask>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let prepared = state
        .chat
        .prepare(&access.scope, &conversation, &body.question)
        .await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<SseEvent>();
    let pieces = tx.clone();
    let on_text: crate::plugins::interfaces::reply::OnText = Arc::new(move |text: &str| {
        if let Ok(event) = SseEvent::default()
            .event("text")
            .json_data(serde_json::json!({ "text": text }))
        {
            // A reader that left does not stop the answer: it is still kept.
            let _ = pieces.send(event);
        }
    });
    let chat = state.chat.clone();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    tokio::spawn(async move {
        let event = match chat.answer(prepared, &today, Some(on_text)).await {
            Ok(message) => SseEvent::default().event("done").json_data(&message),
            Err(e) => SseEvent::default()
                .event("error")
                .json_data(Problem::from(e).body()),
        };
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|e| (Ok::<_, std::convert::Infallible>(e), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

impl From<ChatError> for Problem {
    fn from(e: ChatError) -> Problem {
        match e {
            ChatError::Off | ChatError::NoAdapter(_) => {
                Problem::new(StatusCode::CONFLICT, "chat-off", e.to_string())
            }
            ChatError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", e.to_string()),
            ChatError::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                e.to_string(),
            ),
            ChatError::Corrupt(_) => {
                tracing::error!(error = %e, "chat data unreadable");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            }
            ChatError::Db(db) => Problem::database(db),
        }
    }
}
