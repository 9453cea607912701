//! A fake vendor server inside the test process: axum on 127.0.0.1:0, answering every request
//! with the next scripted reply and recording what it received. Bodies go out in small chunks
//! with pauses between them, so the client sees SSE split across many TCP writes.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use futures::stream;
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub chunks: Vec<Bytes>,
    /// Pause before the headers go out.
    pub delay: Duration,
    /// Pause between body chunks.
    pub gap: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![Bytes::from(body.to_string())],
            delay: Duration::ZERO,
            gap: Duration::ZERO,
        }
    }

    /// SSE events (each `event:`/`data:` text without its blank line), sent in 7-byte pieces:
    /// lines, JSON and UTF-8 characters end up split across writes.
    pub fn sse<S: AsRef<str>>(events: &[S]) -> Self {
        let text: String = events.iter().map(|e| format!("{}\n\n", e.as_ref())).collect();
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks: text.as_bytes().chunks(7).map(Bytes::copy_from_slice).collect(),
            delay: Duration::ZERO,
            gap: Duration::from_millis(1),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn gap(mut self, gap: Duration) -> Self {
        self.gap = gap;
        self
    }
}

/// An SSE `data:` line holding JSON.
pub fn data(value: Value) -> String {
    format!("data: {value}")
}

/// An SSE event with a type, as Anthropic sends them.
pub fn event(kind: &str, value: Value) -> String {
    format!("event: {kind}\ndata: {value}")
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    /// Answers every request once the script is used up.
    fallback: Mutex<Option<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    record: bool,
    /// Replies whose handler or body was dropped before the last chunk went out: the client left.
    abandoned: AtomicUsize,
}

pub struct FakeServer {
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeServer {
    pub async fn start(script: Vec<Reply>) -> Self {
        Self::spawn(Shared { script: Mutex::new(script.into()), record: true, ..Default::default() }).await
    }

    /// Answers every request with `reply` and records nothing (for the benchmark).
    pub async fn always(reply: Reply) -> Self {
        Self::spawn(Shared { fallback: Mutex::new(Some(reply)), record: false, ..Default::default() }).await
    }

    async fn spawn(shared: Shared) -> Self {
        let shared = Arc::new(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(answer).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeServer { url, shared }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request(&self, i: usize) -> Recorded {
        self.requests().get(i).cloned().unwrap_or_else(|| panic!("no request {i}"))
    }

    pub fn abandoned(&self) -> usize {
        self.shared.abandoned.load(Ordering::SeqCst)
    }

    /// Waits until the server has seen a client leave mid-reply.
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

/// Counts a reply as abandoned when dropped before `done` is set.
struct Watch {
    shared: Arc<Shared>,
    done: bool,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if !self.done {
            self.shared.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn answer(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if shared.record {
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        shared.requests.lock().unwrap().push(Recorded { method, uri: uri.to_string(), headers, body });
    }
    let reply = shared.script.lock().unwrap().pop_front().or_else(|| shared.fallback.lock().unwrap().clone());
    let Some(reply) = reply else {
        return Response::builder().status(599).body(Body::from("the fake server has no reply scripted")).unwrap();
    };
    let mut watch = Watch { shared: shared.clone(), done: false };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    if reply.gap.is_zero() && reply.chunks.len() == 1 {
        watch.done = true;
        return response.body(Body::from(reply.chunks[0].clone())).unwrap();
    }
    let gap = reply.gap;
    let chunks: VecDeque<Bytes> = reply.chunks.into();
    let body = stream::unfold((chunks, watch, true), move |(mut chunks, mut watch, first)| async move {
        let chunk = chunks.pop_front()?;
        if !first {
            tokio::time::sleep(gap).await;
        }
        watch.done = chunks.is_empty();
        Some((Ok::<_, std::io::Error>(chunk), (chunks, watch, false)))
    });
    response.body(Body::from_stream(body)).unwrap()
}
