//! `POST /projects/{slug}/playground/chat`: one playground turn, streamed back as server-sent
//! events (`start`, `delta`…, then `done` or `error`; see `domain::playground::event`).
//!
//! The body is a JSON `ChatCall` posted by the playground island (same origin: the CSRF layer
//! applies). Refusals before any vendor call (bad body, not an editor, unknown key, plan quota)
//! are plain HTTP errors with a JSON `StreamError`; the vendor's own refusals arrive as an
//! `error` event. The upstream request lives inside the response body: when the browser stops
//! reading (Stop button, closed tab), the body is dropped and so is the vendor connection.
//! The turn is checked and connected by `services::playground` (every call becomes a span in the
//! project's traces through the LLM gateway); this module streams it.

use crate::{http::routes::Routes, startup::AppState};
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension, Json,
};
use domain::playground::{event, ChatCall, Grounded, StreamDone, StreamError, StreamStart, TextDelta};
use futures::{stream, Stream, StreamExt};
use llm::{ChatEvent, ChatRequest, ChatStream, LlmError, LlmErrorKind, LlmProvider};
use services::{llm_calls, playground, RequestContext, ServiceError};
use std::{convert::Infallible, sync::Arc, time::Duration, time::Instant};

pub const CHAT_PATH: &str = "/projects/{slug}/playground/chat";
/// Largest request body: a long conversation, not a document dump.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn routes() -> Routes {
    Routes::new().post(CHAT_PATH, chat)
}

fn refuse(status: u16, code: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(StreamError { code: code.to_owned(), message: message.into() })).into_response()
}

fn refuse_service(e: ServiceError) -> Response {
    if e.status() >= 500 {
        tracing::error!(error = %e, "playground chat failed");
    }
    refuse(e.status(), e.code(), crate::http::forms::capitalise(&e.to_string()))
}

async fn chat(State(state): State<AppState>, Extension(ctx): Extension<RequestContext>, Path(slug): Path<String>, body: Bytes) -> Response {
    // Authorised before the body is read: a stranger learns nothing from validation messages.
    let access = match playground::authorize(&state.services, &ctx, &slug).await {
        Ok(a) => a,
        Err(e) => return refuse_service(e),
    };
    if body.len() > MAX_BODY_BYTES {
        return refuse(413, "too_large", "The conversation is too long to send (2 MiB at most).");
    }
    let call: ChatCall = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return refuse(400, "invalid", format!("The request is not a playground chat: {e}")),
    };
    let turn = match playground::start_turn(&state.services, &ctx, &access, &call).await {
        Ok(t) => t,
        Err(e) => return refuse_service(e),
    };
    let c = turn.connection;
    let grounded = turn.grounded;
    let turn = Turn {
        grounded,
        provider: c.provider,
        request: turn.request,
        key_name: c.key.name,
        trace_id: c.trace_id,
        prices: c.prices,
        started: Instant::now(),
    };
    Sse::new(turn.events()).keep_alive(KeepAlive::new().interval(Duration::from_secs(10))).into_response()
}

/// One streamed turn: owns the provider and, once connected, the vendor's stream.
struct Turn {
    grounded: Option<Grounded>,
    provider: Arc<dyn LlmProvider>,
    request: ChatRequest,
    key_name: String,
    trace_id: String,
    prices: Arc<otlp::PriceTable>,
    started: Instant,
}

enum Phase {
    Start(Turn),
    Connect(Turn),
    Streaming(Turn, ChatStream),
    Over,
}

fn sse<T: serde::Serialize>(name: &str, data: &T) -> Event {
    Event::default().event(name).json_data(data).unwrap_or_else(|_| Event::default().event(name).data("{}"))
}

impl Turn {
    fn events(self) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
        stream::unfold(Phase::Start(self), |phase| async move {
            match phase {
                Phase::Start(turn) => {
                    let start =
                        StreamStart { model: turn.request.model.clone(), trace_id: turn.trace_id.clone(), grounded: turn.grounded.clone() };
                    Some((sse(event::START, &start), Phase::Connect(turn)))
                }
                Phase::Connect(turn) => match turn.provider.chat_stream(&turn.request).await {
                    Ok(upstream) => turn.next(upstream).await,
                    Err(e) => Some((turn.error(&e), Phase::Over)),
                },
                Phase::Streaming(turn, upstream) => turn.next(upstream).await,
                Phase::Over => None,
            }
        })
        .map(Ok)
    }

    /// The next event worth sending: text deltas, then `done`; tool-call deltas are skipped
    /// (the playground offers no tools).
    async fn next(self, mut upstream: ChatStream) -> Option<(Event, Phase)> {
        loop {
            match upstream.next().await {
                Some(Ok(ChatEvent::TextDelta { text })) => {
                    return Some((sse(event::DELTA, &TextDelta { text }), Phase::Streaming(self, upstream)));
                }
                Some(Ok(ChatEvent::Finished { finish, usage })) => {
                    let done = StreamDone {
                        input_tokens: usage.map(|u| u.input_tokens.into()),
                        output_tokens: usage.map(|u| u.output_tokens.into()),
                        cost_micros: llm_calls::cost_micros(&self.prices, &self.request.model, usage),
                        latency_ms: self.started.elapsed().as_millis() as u64,
                        finish_reason: serde_json::to_value(finish.reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_else(|| "other".into()),
                        trace_id: self.trace_id.clone(),
                    };
                    return Some((sse(event::DONE, &done), Phase::Over));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Some((self.error(&e), Phase::Over)),
                None => {
                    let e = LlmError::BadResponse { message: "the stream ended without a final event".into() };
                    return Some((self.error(&e), Phase::Over));
                }
            }
        }
    }

    fn error(&self, e: &LlmError) -> Event {
        let error = StreamError { code: error_code(e.kind()), message: explain(e, &self.key_name, &self.request.model) };
        sse(event::ERROR, &error)
    }
}

fn error_code(kind: LlmErrorKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "llm_error".into())
}

/// What went wrong, in words that say what to do next. Vendor messages never hold the key.
fn explain(e: &LlmError, key_name: &str, model: &str) -> String {
    match e {
        LlmError::InvalidKey { message } => {
            format!("The vendor rejected the API key of “{key_name}” ({message}). Check or replace the key on the Providers page.")
        }
        LlmError::ModelNotFound { message } => {
            format!("The model “{model}” was not found ({message}). Check its name or choose another model.")
        }
        LlmError::QuotaExceeded { message } => {
            format!("The vendor account behind “{key_name}” is out of quota or credit ({message}).")
        }
        LlmError::ContextTooLong { message } => {
            format!("The conversation is longer than {model}'s context window ({message}). Start a new chat or remove earlier messages.")
        }
        LlmError::RateLimited { .. } => format!("The vendor is rate limiting “{key_name}”. Wait a moment and send again."),
        other => crate::http::forms::capitalise(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do() {
        let bad = LlmError::InvalidKey { message: "Incorrect API key provided.".into() };
        assert_eq!(error_code(bad.kind()), "invalid_key");
        let text = explain(&bad, "Team OpenAI", "gpt-4o");
        assert!(text.contains("Team OpenAI") && text.contains("Providers page"), "{text}");
        let long = LlmError::ContextTooLong { message: "16 tokens".into() };
        assert_eq!(error_code(long.kind()), "context_too_long");
        assert!(explain(&long, "k", "gpt-4o").contains("context window"));
        let down = LlmError::Unavailable { message: "503".into() };
        assert_eq!(explain(&down, "k", "m"), "The vendor is unavailable: 503");
    }
}
