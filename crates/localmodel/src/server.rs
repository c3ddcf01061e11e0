//! The model behind an OpenAI-compatible chat endpoint: `POST
//! /v1/chat/completions` (streamed as server-sent events or whole) and `GET
//! /v1/models`. Decoding is greedy, so `temperature` and the like are read
//! and ignored; `tools` are ignored too (a model this small does not call
//! them well: configure chat with tools off). Errors have OpenAI's shape.

use crate::{LocalModel, LocalModelError, Message};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Tokens written when the request does not say.
pub const DEFAULT_MAX_TOKENS: usize = 256;
/// Most tokens one answer may ask for.
pub const MAX_TOKENS: usize = 1_024;

#[derive(Debug, Deserialize)]
struct ChatRequest {
    messages: Vec<Message>,
    #[serde(default)]
    max_tokens: Option<usize>,
    #[serde(default)]
    max_completion_tokens: Option<usize>,
    #[serde(default)]
    stream: bool,
}

/// The routes, serving `model`.
pub fn router(model: Arc<LocalModel>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .with_state(model)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let kind = if status.is_client_error() {
        "invalid_request_error"
    } else {
        "server_error"
    };
    (
        status,
        Json(json!({"error": {"message": message.into(), "type": kind}})),
    )
        .into_response()
}

fn failure(e: LocalModelError) -> Response {
    match e {
        LocalModelError::TooLong { .. } => error(StatusCode::BAD_REQUEST, e.to_string()),
        other => {
            tracing::error!(error = %other, "the local model failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
        }
    }
}

fn created() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn models(State(model): State<Arc<LocalModel>>) -> Json<Value> {
    Json(json!({"object": "list", "data": [
        {"id": model.name(), "object": "model", "created": 0, "owned_by": "local"}
    ]}))
}

async fn chat(
    State(model): State<Arc<LocalModel>>,
    body: Result<Json<ChatRequest>, JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(r)) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    if request.messages.is_empty() {
        return error(StatusCode::BAD_REQUEST, "messages: at least one is needed");
    }
    let max_tokens = request
        .max_completion_tokens
        .or(request.max_tokens)
        .unwrap_or(DEFAULT_MAX_TOKENS);
    if !(1..=MAX_TOKENS).contains(&max_tokens) {
        return error(
            StatusCode::BAD_REQUEST,
            format!("max_tokens: 1 to {MAX_TOKENS}"),
        );
    }
    let id = format!("chatcmpl-{}", created());
    let name = model.name().to_string();
    if !request.stream {
        let messages = request.messages;
        let written =
            tokio::task::spawn_blocking(move || model.chat(&messages, max_tokens, |_| true)).await;
        return match written {
            Ok(Ok(c)) => Json(json!({
                "id": id, "object": "chat.completion", "created": created(), "model": name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": c.text},
                             "finish_reason": c.finish.reason()}],
                "usage": {"prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                          "total_tokens": c.prompt_tokens + c.completion_tokens},
            }))
            .into_response(),
            Ok(Err(e)) => failure(e),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let chunk = {
        let (id, name) = (id.clone(), name.clone());
        move |delta: Value, finish: Option<&str>| {
            json!({"id": id, "object": "chat.completion.chunk", "created": created(), "model": name,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            .to_string()
        }
    };
    let messages = request.messages;
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(chunk(json!({"role": "assistant", "content": ""}), None));
        // A reader that left stops the writing.
        let written = model.chat(&messages, max_tokens, |piece| {
            tx.send(chunk(json!({"content": piece}), None)).is_ok()
        });
        match written {
            Ok(c) => {
                tracing::debug!(
                    prompt = c.prompt_tokens,
                    written = c.completion_tokens,
                    "local model answered"
                );
                let _ = tx.send(chunk(json!({}), Some(c.finish.reason())));
            }
            Err(e) => {
                let _ = tx.send(
                    json!({"error": {"message": e.to_string(), "type": "server_error"}})
                        .to_string(),
                );
            }
        }
        let _ = tx.send("[DONE]".to_string());
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|data| {
            (
                Ok::<_, std::convert::Infallible>(Event::default().data(data)),
                rx,
            )
        })
    });
    Sse::new(stream).into_response()
}
