//! A fake AI application on loopback, for test runs (issue 7): what a team's
//! OpenTelemetry-instrumented app does when ElasticDash calls it.
//!
//! - `POST /chat` with `{"message": "…"}` (or any body) answers `{"answer": "…"}`. It reads the
//!   W3C `traceparent` header and exports, to `{ingest_url}/v1/traces` as OTLP/JSON with the
//!   configured API key, one server span (child of the caller's span, same trace id) and one
//!   GenAI LLM client span per configured call output (`gen_ai.request.model`, input and output
//!   messages, token usage). The answer is the last call's output.
//! - `POST /_answer` with `{"answer"?, "outputs"?, "llm_reply"?, "delay_ms"?, "status"?,
//!   "export"?}` changes the behaviour at run time (also [`FakeTarget`]'s setters).
//! - `POST /v1/chat/completions`: an OpenAI-compatible model answering `llm_reply` (non-streamed),
//!   so a test can script what "the model" says (a judge, a model target).
//! - `GET /_stats` → `{"requests": n, "exported": n}`.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use serde_json::{json, Value};
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// When the trace is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// Before answering (the spans are stored when the caller gets the answer).
    BeforeAnswer,
    /// After answering, on a task of its own, like an SDK's batch span processor.
    AfterAnswer,
    /// Never (an application that is not instrumented).
    Never,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// ElasticDash's base URL (`http://127.0.0.1:3000`); empty: nothing is exported.
    pub ingest_url: String,
    pub public_key: String,
    pub secret_key: String,
    pub model: String,
    /// One LLM span per output, in order (1–3); the answer is the last.
    pub outputs: Vec<String>,
    /// What `/v1/chat/completions` answers.
    pub llm_reply: String,
    pub export: Export,
    /// Pause before answering `/chat`.
    pub delay: Duration,
    /// Status of `/chat`'s answer.
    pub status: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ingest_url: String::new(),
            public_key: String::new(),
            secret_key: String::new(),
            model: "gpt-4o-mini".into(),
            outputs: vec!["intent: refund".into(), "Refunds take 5 business days.".into()],
            llm_reply: "ok".into(),
            export: Export::AfterAnswer,
            delay: Duration::ZERO,
            status: 200,
        }
    }
}

struct Shared {
    config: Mutex<Config>,
    requests: AtomicUsize,
    exported: AtomicUsize,
    http: reqwest::Client,
}

/// A running fake application.
pub struct FakeTarget {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

/// Serve on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr, config: Config) -> std::io::Result<FakeTarget> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        config: Mutex::new(config),
        requests: AtomicUsize::new(0),
        exported: AtomicUsize::new(0),
        http: reqwest::Client::new(),
    });
    let app = router(shared.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(FakeTarget { addr, url: format!("http://{addr}"), shared, task })
}

impl FakeTarget {
    fn edit(&self, f: impl FnOnce(&mut Config)) {
        f(&mut self.shared.config.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// The answer (the last LLM call's output).
    pub fn set_answer(&self, answer: &str) {
        self.edit(|c| {
            c.outputs.pop();
            c.outputs.push(answer.to_owned());
        });
    }

    pub fn set_outputs(&self, outputs: &[&str]) {
        self.edit(|c| c.outputs = outputs.iter().map(|s| s.to_string()).collect());
    }

    /// Where traces go (a restarted ElasticDash listens elsewhere).
    pub fn set_ingest_url(&self, url: &str) {
        self.edit(|c| c.ingest_url = url.to_owned());
    }

    pub fn set_llm_reply(&self, reply: &str) {
        self.edit(|c| c.llm_reply = reply.to_owned());
    }

    pub fn set_export(&self, export: Export) {
        self.edit(|c| c.export = export);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.edit(|c| c.delay = delay);
    }

    pub fn set_status(&self, status: u16) {
        self.edit(|c| c.status = status);
    }

    /// `/chat` requests answered so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Traces exported successfully.
    pub fn exported(&self) -> usize {
        self.shared.exported.load(Ordering::SeqCst)
    }
}

impl Drop for FakeTarget {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/chat", post(chat))
        .route("/_answer", post(admin))
        .route("/_stats", get(stats))
        .route("/v1/chat/completions", post(completions))
        .with_state(shared)
}

async fn stats(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"requests": s.requests.load(Ordering::SeqCst), "exported": s.exported.load(Ordering::SeqCst)}))
}

async fn admin(State(s): State<Arc<Shared>>, Json(body): Json<Value>) -> StatusCode {
    let mut c = s.config.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(outputs) = body["outputs"].as_array() {
        c.outputs = outputs.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    }
    if let Some(a) = body["answer"].as_str() {
        c.outputs.pop();
        c.outputs.push(a.to_owned());
    }
    if let Some(r) = body["llm_reply"].as_str() {
        c.llm_reply = r.to_owned();
    }
    if let Some(ms) = body["delay_ms"].as_u64() {
        c.delay = Duration::from_millis(ms);
    }
    // Where to export spans, for callers that create the project and key after start-up (e2e).
    if let Some(u) = body["ingest_url"].as_str() {
        c.ingest_url = u.to_owned();
    }
    if let Some(k) = body["public_key"].as_str() {
        c.public_key = k.to_owned();
    }
    if let Some(k) = body["secret_key"].as_str() {
        c.secret_key = k.to_owned();
    }
    if let Some(st) = body["status"].as_u64() {
        c.status = st as u16;
    }
    match body["export"].as_str() {
        Some("before") => c.export = Export::BeforeAnswer,
        Some("after") => c.export = Export::AfterAnswer,
        Some("never") => c.export = Export::Never,
        _ => {}
    }
    StatusCode::NO_CONTENT
}

/// An OpenAI-compatible chat completion answering the configured reply.
async fn completions(State(s): State<Arc<Shared>>, body: Bytes) -> Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or("fake-target-model").to_owned();
    let reply = s.config.lock().unwrap_or_else(|e| e.into_inner()).llm_reply.clone();
    Json(json!({
        "id": "chatcmpl-fake-target", "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    }))
}

fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

fn hex_id(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect::<String>()
}

/// `(trace id, parent span id)` of a valid `traceparent`.
fn parse_traceparent(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get("traceparent")?.to_str().ok()?.trim();
    let parts: Vec<&str> = v.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if parts.len() != 4 || !hex(parts[1], 32) || !hex(parts[2], 16) || parts[1].bytes().all(|b| b == b'0') {
        return None;
    }
    Some((parts[1].to_owned(), parts[2].to_owned()))
}

fn question_of(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => ["message", "question", "input", "prompt"]
            .iter()
            .find_map(|k| v[k].as_str().map(str::to_owned))
            .unwrap_or_else(|| v.to_string()),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn kv(key: &str, value: Value) -> Value {
    let v = match value {
        Value::String(s) => json!({"stringValue": s}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n}),
        Value::Bool(b) => json!({"boolValue": b}),
        other => json!({"stringValue": other.to_string()}),
    };
    json!({"key": key, "value": v})
}

/// The OTLP/JSON request of one `/chat` call.
fn trace_of(config: &Config, trace_id: &str, parent: Option<&str>, question: &str, started_ns: u64) -> Value {
    let root_id = hex_id(8);
    let mut spans = Vec::new();
    let mut at = started_ns;
    for (i, output) in config.outputs.iter().enumerate() {
        let (start, end) = (at + 1_000_000, at + 6_000_000);
        at = end;
        let input = json!([
            {"role": "system", "content": "You are the support assistant of ACME."},
            {"role": "user", "content": if i == 0 { question.to_owned() } else { format!("{question} (call {})", i + 1) }}
        ]);
        let output_msgs = json!([{"role": "assistant", "content": output}]);
        spans.push(json!({
            "traceId": trace_id, "spanId": hex_id(8), "parentSpanId": root_id,
            "name": format!("chat {}", config.model), "kind": 3,
            "startTimeUnixNano": start.to_string(), "endTimeUnixNano": end.to_string(),
            "attributes": [
                kv("gen_ai.operation.name", json!("chat")),
                kv("gen_ai.system", json!("openai")),
                kv("gen_ai.request.model", json!(config.model)),
                kv("gen_ai.request.temperature", json!(0.2)),
                kv("gen_ai.usage.input_tokens", json!(question.split_whitespace().count() + 8)),
                kv("gen_ai.usage.output_tokens", json!(output.split_whitespace().count())),
                kv("gen_ai.input.messages", json!(input.to_string())),
                kv("gen_ai.output.messages", json!(output_msgs.to_string())),
            ],
            "status": {"code": 1}
        }));
    }
    let mut root = json!({
        "traceId": trace_id, "spanId": root_id, "name": "POST /chat", "kind": 2,
        "startTimeUnixNano": started_ns.to_string(), "endTimeUnixNano": (at + 1_000_000).to_string(),
        "attributes": [kv("http.request.method", json!("POST")), kv("http.route", json!("/chat"))],
        "status": {"code": 1}
    });
    if let Some(p) = parent {
        root["parentSpanId"] = json!(p);
    }
    spans.insert(0, root);
    json!({"resourceSpans": [{
        "resource": {"attributes": [kv("service.name", json!("fake-target"))]},
        "scopeSpans": [{"scope": {"name": "fake-target"}, "spans": spans}]
    }]})
}

async fn export(shared: &Shared, config: &Config, body: Value) {
    if config.ingest_url.is_empty() {
        return;
    }
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", config.public_key, config.secret_key));
    let sent = shared
        .http
        .post(format!("{}/v1/traces", config.ingest_url.trim_end_matches('/')))
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            shared.exported.fetch_add(1, Ordering::SeqCst);
        }
        Ok(r) => eprintln!("fake-target: export refused: HTTP {}", r.status()),
        Err(e) => eprintln!("fake-target: export failed: {e}"),
    }
}

async fn chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let started = now_ns();
    let config = shared.config.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !config.delay.is_zero() {
        tokio::time::sleep(config.delay).await;
    }
    let question = question_of(&body);
    let (trace_id, parent) = match parse_traceparent(&headers) {
        Some((t, p)) => (t, Some(p)),
        None => (hex_id(16), None),
    };
    let trace = trace_of(&config, &trace_id, parent.as_deref(), &question, started);
    match config.export {
        Export::BeforeAnswer => export(&shared, &config, trace).await,
        Export::AfterAnswer => {
            let (shared, config) = (shared.clone(), config.clone());
            tokio::spawn(async move { export(&shared, &config, trace).await });
        }
        Export::Never => {}
    }
    let answer = config.outputs.last().cloned().unwrap_or_default();
    let status = StatusCode::from_u16(config.status).unwrap_or(StatusCode::OK);
    (status, Json(json!({"answer": answer, "trace_id": trace_id}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_continue_the_callers_trace() {
        let mut h = HeaderMap::new();
        h.insert("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".parse().unwrap());
        let (t, p) = parse_traceparent(&h).unwrap();
        let trace = trace_of(&Config::default(), &t, Some(&p), "How long do refunds take?", 1_700_000_000_000_000_000);
        let spans = trace["resourceSpans"][0]["scopeSpans"][0]["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 3);
        assert!(spans.iter().all(|s| s["traceId"] == "0af7651916cd43dd8448eb211c80319c"));
        assert_eq!(spans[0]["parentSpanId"], "b7ad6b7169203331");
        assert_eq!(spans[1]["parentSpanId"], spans[0]["spanId"]);
        h.insert("traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01".parse().unwrap());
        assert!(parse_traceparent(&h).is_none());
    }
}
