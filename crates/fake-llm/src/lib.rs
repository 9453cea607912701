//! A fake LLM vendor on loopback, for the app's integration tests and the end-to-end run. It
//! speaks OpenAI's chat completions (`POST /v1/chat/completions`, whole and streamed) and
//! Anthropic's messages (`POST /v1/messages`, whole and streamed), so providers of every
//! OpenAI-style vendor and of Anthropic can point at it (`http://host:port/v1` and
//! `http://host:port`).
//!
//! Replies are deterministic: `"<model> heard: <the last user message>"`, streamed one word per
//! event with a pause between words, so streaming is visible in a browser. Usage counts words.
//!
//! Behaviours picked by the request:
//! - an API key containing `bad` → 401 (the vendor's invalid-key error);
//! - a model starting with `missing` → 404 model not found;
//! - a model containing `no-credit` → 429 quota exhausted; `tiny-context` → 400 context too long;
//! - a model containing `slow` → 300 words at 50 ms each (for stop buttons and cancellation).
//!
//! `GET /stats` answers `{"requests": n, "abandoned": n}`: abandoned counts streams the client
//! left before the last word (the caller cancelled and the connection was dropped).

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures::stream;
use serde_json::{json, Value};
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

/// Pause between streamed words unless the model is "slow".
pub const WORD_GAP: Duration = Duration::from_millis(40);
const SLOW_GAP: Duration = Duration::from_millis(50);
const SLOW_WORDS: usize = 300;

#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    abandoned: AtomicUsize,
    finished: AtomicUsize,
}

#[derive(Clone)]
struct Shared {
    counters: Arc<Counters>,
    gap: Duration,
}

/// A running fake vendor.
pub struct FakeLlm {
    /// `http://127.0.0.1:port`, without a trailing slash or version.
    pub url: String,
    pub addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeLlm {
    /// Serve on `addr` (port 0: any free port) with the default pace.
    pub async fn start(addr: SocketAddr) -> std::io::Result<FakeLlm> {
        Self::start_with_gap(addr, WORD_GAP).await
    }

    /// Serve with `gap` between streamed words.
    pub async fn start_with_gap(addr: SocketAddr, gap: Duration) -> std::io::Result<FakeLlm> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let app = router(Shared { counters: counters.clone(), gap });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeLlm { url: format!("http://{addr}"), addr, counters, task })
    }

    /// The base URL an OpenAI-style provider is configured with.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.url)
    }

    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Streams whose client left before the end.
    pub fn abandoned(&self) -> usize {
        self.counters.abandoned.load(Ordering::SeqCst)
    }

    /// Streams sent to the end.
    pub fn finished(&self) -> usize {
        self.counters.finished.load(Ordering::SeqCst)
    }

    /// Wait until some stream was abandoned, up to `within`.
    pub async fn wait_abandoned(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.abandoned() > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(openai_chat))
        .route("/v1/messages", post(anthropic_messages))
        .route("/v1/embeddings", post(openai_embeddings))
        .route("/v1/models", get(models))
        .route("/stats", get(stats))
        .with_state(shared)
}

async fn stats(State(s): State<Shared>) -> Json<Value> {
    let c = &s.counters;
    Json(json!({
        "requests": c.requests.load(Ordering::SeqCst),
        "abandoned": c.abandoned.load(Ordering::SeqCst),
        "finished": c.finished.load(Ordering::SeqCst),
    }))
}

async fn models() -> Json<Value> {
    Json(json!({"object": "list", "data": [
        {"id": "fake-small", "object": "model", "owned_by": "fake-llm"},
        {"id": "fake-large", "object": "model", "owned_by": "fake-llm"},
        {"id": "fake-slow", "object": "model", "owned_by": "fake-llm"}
    ]}))
}

/// What a request asked for, vendor-neutral.
struct Ask {
    model: String,
    stream: bool,
    /// Every message's text, for the input token count.
    all_text: String,
    last_user: String,
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        // Content parts: `[{"type": "text", "text": "..."}]`.
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

fn ask(body: &Value) -> Ask {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let mut all_text = text_of(&body["system"]);
    let mut last_user = String::new();
    for m in &messages {
        let text = text_of(&m["content"]);
        all_text.push(' ');
        all_text.push_str(&text);
        if m["role"] == "user" {
            last_user = text;
        }
    }
    Ask {
        model: body["model"].as_str().unwrap_or_default().to_owned(),
        stream: body["stream"].as_bool().unwrap_or(false),
        all_text,
        last_user,
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The reply's words, each with the space that follows it.
fn reply_words(ask: &Ask) -> Vec<String> {
    let text = if ask.model.contains("slow") {
        (1..=SLOW_WORDS).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ")
    } else {
        format!("{} heard: {}", ask.model, ask.last_user.trim())
    };
    let parts: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let last = parts.len().saturating_sub(1);
    parts.iter().enumerate().map(|(i, w)| if i == last { (*w).to_owned() } else { format!("{w} ") }).collect()
}

/// A refusal the request's key or model calls for: (status, OpenAI code, Anthropic type, message).
fn refusal(key: Option<&str>, model: &str) -> Option<(StatusCode, &'static str, &'static str, String)> {
    match key {
        None => return Some((StatusCode::UNAUTHORIZED, "invalid_api_key", "authentication_error", "No API key provided.".into())),
        Some(k) if k.contains("bad") => {
            return Some((StatusCode::UNAUTHORIZED, "invalid_api_key", "authentication_error", "Incorrect API key provided.".into()));
        }
        _ => {}
    }
    if model.starts_with("missing") {
        let message = format!("The model `{model}` does not exist or you do not have access to it.");
        return Some((StatusCode::NOT_FOUND, "model_not_found", "not_found_error", message));
    }
    if model.contains("no-credit") {
        let message = "You exceeded your current quota, please check your plan and billing details.".to_owned();
        return Some((StatusCode::TOO_MANY_REQUESTS, "insufficient_quota", "rate_limit_error", message));
    }
    if model.contains("tiny-context") {
        let message = "This model's maximum context length is 16 tokens.".to_owned();
        return Some((StatusCode::BAD_REQUEST, "context_length_exceeded", "invalid_request_error", message));
    }
    None
}

fn gap_for(shared: &Shared, model: &str) -> Duration {
    if model.contains("slow") {
        SLOW_GAP
    } else {
        shared.gap
    }
}

async fn openai_chat(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.counters.requests.fetch_add(1, Ordering::SeqCst);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return openai_error(StatusCode::BAD_REQUEST, "invalid_request_error", "The body is not JSON.");
    };
    let ask = ask(&body);
    let key = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let Some((status, code, _, message)) = refusal(key, &ask.model) {
        return openai_error(status, code, &message);
    }
    let words_out = reply_words(&ask);
    let usage = json!({
        "prompt_tokens": words(&ask.all_text),
        "completion_tokens": words_out.len(),
        "total_tokens": words(&ask.all_text) + words_out.len() as u64
    });
    if !ask.stream {
        shared.counters.finished.fetch_add(1, Ordering::SeqCst);
        return Json(json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": ask.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": words_out.concat()}, "finish_reason": "stop"}],
            "usage": usage
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Value| {
        let c = json!({
            "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": ask.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        });
        format!("data: {c}\n\n")
    };
    let mut events = vec![chunk(json!({"role": "assistant", "content": ""}), Value::Null)];
    events.extend(words_out.iter().map(|w| chunk(json!({"content": w}), Value::Null)));
    events.push(chunk(json!({}), json!("stop")));
    let last = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": ask.model, "choices": [], "usage": usage});
    events.push(format!("data: {last}\n\n"));
    events.push("data: [DONE]\n\n".to_owned());
    sse(&shared, events, gap_for(&shared, &ask.model))
}

/// OpenAI's embeddings endpoint: each input embedded with the deterministic test embedding
/// (hashed character trigrams, `kb_index::testdata::test_embedding`), so similar spellings get
/// similar vectors. One token per word. Key and model refusals as for chat.
async fn openai_embeddings(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.counters.requests.fetch_add(1, Ordering::SeqCst);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return openai_error(StatusCode::BAD_REQUEST, "invalid_request_error", "The body is not JSON.");
    };
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    let key = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let Some((status, code, _, message)) = refusal(key, &model) {
        return openai_error(status, code, &message);
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.iter().all(Value::is_string) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => return openai_error(StatusCode::BAD_REQUEST, "invalid_request_error", "'input' must be a string or an array of strings."),
    };
    let tokens: u64 = inputs.iter().map(|t| words(t)).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": kb_index::testdata::test_embedding(t)}))
        .collect();
    shared.counters.finished.fetch_add(1, Ordering::SeqCst);
    Json(json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}))
        .into_response()
}

async fn anthropic_messages(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    shared.counters.requests.fetch_add(1, Ordering::SeqCst);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return anthropic_error(StatusCode::BAD_REQUEST, "invalid_request_error", "The body is not JSON.");
    };
    let ask = ask(&body);
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if let Some((status, _, kind, message)) = refusal(key, &ask.model) {
        return anthropic_error(status, kind, &message);
    }
    let words_out = reply_words(&ask);
    let (input_tokens, output_tokens) = (words(&ask.all_text), words_out.len());
    if !ask.stream {
        shared.counters.finished.fetch_add(1, Ordering::SeqCst);
        return Json(json!({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": ask.model,
            "content": [{"type": "text", "text": words_out.concat()}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}
        }))
        .into_response();
    }
    let event = |kind: &str, data: Value| format!("event: {kind}\ndata: {data}\n\n");
    let mut events = vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": ask.model, "content": [],
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": input_tokens, "output_tokens": 1}
            }}),
        ),
        event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
    ];
    events.extend(words_out.iter().map(|w| {
        event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}}))
    }));
    events.push(event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
    events.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": output_tokens}}),
    ));
    events.push(event("message_stop", json!({"type": "message_stop"})));
    sse(&shared, events, gap_for(&shared, &ask.model))
}

fn openai_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}});
    (status, Json(body)).into_response()
}

fn anthropic_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({"type": "error", "error": {"type": kind, "message": message}}))).into_response()
}

/// Counts the stream as abandoned when dropped before its last event went out.
struct Watch {
    counters: Arc<Counters>,
    done: bool,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let counter = if self.done { &self.counters.finished } else { &self.counters.abandoned };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// `events` as an SSE body, one event per write with `gap` before each but the first.
fn sse(shared: &Shared, events: Vec<String>, gap: Duration) -> Response {
    let watch = Watch { counters: shared.counters.clone(), done: false };
    let queue: std::collections::VecDeque<String> = events.into();
    let body = stream::unfold((queue, watch, true), move |(mut queue, mut watch, first)| async move {
        let event = queue.pop_front()?;
        if !first {
            tokio::time::sleep(gap).await;
        }
        watch.done = queue.is_empty();
        Some((Ok::<_, std::io::Error>(Bytes::from(event)), (queue, watch, false)))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask_of(model: &str, last: &str) -> Ask {
        Ask { model: model.into(), stream: true, all_text: last.into(), last_user: last.into() }
    }

    #[test]
    fn replies_echo_the_last_user_message_word_by_word() {
        assert_eq!(reply_words(&ask_of("fake-small", "Hello  there")), vec!["fake-small ", "heard: ", "Hello ", "there"]);
        assert_eq!(reply_words(&ask_of("fake-slow", "x")).len(), SLOW_WORDS);
        let body = json!({"system": "Be brief.", "messages": [
            {"role": "user", "content": "one"}, {"role": "assistant", "content": "two"},
            {"role": "user", "content": [{"type": "text", "text": "three four"}]}
        ]});
        let a = ask(&body);
        assert_eq!((a.last_user.as_str(), words(&a.all_text)), ("three four", 6));
    }

    #[test]
    fn keys_and_models_pick_the_refusals() {
        assert_eq!(refusal(Some("sk-bad"), "m").map(|r| r.0), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(refusal(None, "m").map(|r| r.0), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(refusal(Some("sk-ok"), "missing-model").map(|r| r.1), Some("model_not_found"));
        assert_eq!(refusal(Some("sk-ok"), "fake-no-credit").map(|r| r.1), Some("insufficient_quota"));
        assert_eq!(refusal(Some("sk-ok"), "fake-tiny-context").map(|r| r.1), Some("context_length_exceeded"));
        assert!(refusal(Some("sk-ok"), "fake-small").is_none());
    }
}
