//! The `test_run.execute` job (see `services::test_runs::execute`), the span sink its model calls
//! write through (the ingest path, like playground calls) and the HTTP client that calls HTTP
//! targets.

use super::JobHandler;
use crate::ingest::Ingest;
use async_trait::async_trait;
use services::{
    ports::LeasedJob,
    prices::PriceCache,
    provider_keys::KeyCipher,
    test_runs::{self, Attempt, RunRef, RunnerConfig, RunnerDeps, TargetCaller, TargetError, TargetRequest, TargetResponse},
    Stores,
};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct ExecuteRun {
    stores: Stores,
    deps: Arc<RunnerDeps>,
}

impl ExecuteRun {
    pub fn new(stores: Stores, cipher: Arc<KeyCipher>, ingest: Arc<Ingest>, prices: Arc<PriceCache>, config: RunnerConfig) -> Self {
        let deps = RunnerDeps::new(
            cipher,
            Arc::new(crate::ingest::PlatformSink { ingest, key_id: "elasticdash-test-runs" }),
            prices,
            Arc::new(PlainHttp),
            config,
        );
        ExecuteRun { stores, deps: Arc::new(deps) }
    }
}

#[async_trait]
impl JobHandler for ExecuteRun {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let r: RunRef = serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad job payload: {e}"))?;
        test_runs::execute(&self.stores, &self.deps, &r, Attempt { number: job.attempt, max: job.max_attempts }).await
    }
}

/// Most of a target's answer that is read (the runner only shows its start).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A small HTTP/1.1 client (one request per connection) for plain `http://` targets.
///
/// The server binary has no general HTTP client dependency yet; `https://` targets are refused
/// with a clear reason until one (reqwest with rustls) is added behind this same trait.
struct PlainHttp;

#[async_trait]
impl TargetCaller for PlainHttp {
    async fn call(&self, request: TargetRequest) -> Result<TargetResponse, TargetError> {
        let timeout = request.timeout;
        match tokio::time::timeout(timeout, exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(TargetError::Timeout(timeout)),
        }
    }
}

async fn exchange(request: TargetRequest) -> Result<TargetResponse, TargetError> {
    let url = url::Url::parse(&request.url).map_err(|e| TargetError::Unreachable(format!("bad URL: {e}")))?;
    if url.scheme() != "http" {
        return Err(TargetError::Unreachable("https:// targets are not supported by this server build yet; use http://".into()));
    }
    let host = url.host_str().ok_or_else(|| TargetError::Unreachable("the URL has no host".into()))?.to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    for (name, value) in &request.headers {
        if name.contains([':', '\r', '\n']) || value.contains(['\r', '\n']) {
            return Err(TargetError::Unreachable(format!("the header {name} cannot be sent (line break in it)")));
        }
    }
    let mut stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| TargetError::Unreachable(format!("{host}:{port}: {e}")))?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host_header = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    let mut head = format!("{} {path} HTTP/1.1\r\nhost: {host_header}\r\nconnection: close\r\n", request.method);
    let mut has_type = false;
    for (name, value) in &request.headers {
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "host" | "connection" | "content-length" | "transfer-encoding") {
            continue;
        }
        has_type |= lower == "content-type";
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !request.body.is_empty() && !has_type {
        head.push_str("content-type: application/json\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", request.body.len()));
    let io = |e: std::io::Error| TargetError::Unreachable(e.to_string());
    stream.write_all(head.as_bytes()).await.map_err(io)?;
    stream.write_all(request.body.as_bytes()).await.map_err(io)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await.map_err(io)?;
        if n == 0 || raw.len() >= MAX_RESPONSE_BYTES {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<TargetResponse, TargetError> {
    let bad = |m: &str| TargetError::BadResponse(m.to_owned());
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("the connection closed before a complete answer"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("the response headers are not text"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/"))
        .ok_or_else(|| bad("the status line is not HTTP"))?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = &raw[end + 4..];
    let body = if chunked { dechunk(body) } else { body.to_vec() };
    Ok(TargetResponse { status, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Chunked transfer coding, read as far as it goes.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end]).ok().and_then(|l| usize::from_str_radix(l.split(';').next()?.trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0) else { break };
        let start = line_end + 2;
        let stop = (start + size).min(body.len());
        out.extend_from_slice(&body[start..stop]);
        body = body.get(stop + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn responses_are_parsed_plain_and_chunked() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello").unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "hello"));
        let r = parse_response(b"HTTP/1.1 502 Bad Gateway\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!((r.status, r.body.as_str()), (502, "abcde"));
        assert!(matches!(parse_response(b"garbage"), Err(TargetError::BadResponse(_))));
        assert!(matches!(parse_response(b"SMTP 200\r\n\r\n"), Err(TargetError::BadResponse(_))));
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_https_is_refused() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let req =
            |url: String| TargetRequest { method: "POST".into(), url, headers: vec![], body: "{}".into(), timeout: Duration::from_secs(2) };
        assert!(matches!(PlainHttp.call(req(format!("http://{free}/chat"))).await, Err(TargetError::Unreachable(_))));
        assert!(
            matches!(PlainHttp.call(req("https://example.com/".into())).await, Err(TargetError::Unreachable(m)) if m.contains("https"))
        );
    }
}
