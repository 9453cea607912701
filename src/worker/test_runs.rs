//! The `test_run.execute` job (see `services::test_runs::execute`) and the HTTP client that calls
//! HTTP targets; the runner's model calls write their spans through the ingest path.

use super::JobHandler;
use async_trait::async_trait;
use services::{
    ports::LeasedJob,
    test_runs::{self, RunRef, RunnerConfig, RunnerDeps, TargetCaller, TargetError, TargetRequest, TargetResponse},
    AppServices, Stores,
};
use std::sync::Arc;

pub struct ExecuteRun {
    stores: Stores,
    deps: Arc<RunnerDeps>,
}

impl ExecuteRun {
    pub fn new(services: &AppServices, config: RunnerConfig) -> Self {
        let deps = RunnerDeps::new(services.cipher.clone(), services.llm.clone(), Arc::new(HttpCaller::new()), config);
        ExecuteRun { stores: services.stores.clone(), deps: Arc::new(deps) }
    }
}

#[async_trait]
impl JobHandler for ExecuteRun {
    async fn run(&self, job: &LeasedJob) -> Result<(), String> {
        let (r, attempt): (RunRef, _) = super::payload(job)?;
        test_runs::execute(&self.stores, &self.deps, &r, attempt).await
    }
}

/// Most of a target's answer that is read (the runner only shows its start).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Calls HTTP targets (http and https, rustls). Redirects are not followed: a test checks what the
/// application answers, not where it points.
struct HttpCaller(reqwest::Client);

impl HttpCaller {
    fn new() -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
        // Building fails only without a TLS backend, which is compiled in.
        HttpCaller(client.expect("the HTTP client builds"))
    }
}

#[async_trait]
impl TargetCaller for HttpCaller {
    async fn call(&self, request: TargetRequest) -> Result<TargetResponse, TargetError> {
        let timeout = request.timeout;
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                TargetError::Timeout(timeout)
            } else if e.is_builder() {
                TargetError::Unreachable(format!("the request cannot be built: {e}"))
            } else {
                TargetError::Unreachable(e.to_string())
            }
        };
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| TargetError::Unreachable(format!("{} is not an HTTP method", request.method)))?;
        let mut call = self.0.request(method, &request.url).timeout(timeout).body(request.body);
        for (name, value) in &request.headers {
            call = call.header(name, value);
        }
        let mut response = call.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| match failed(e) {
            TargetError::Unreachable(m) => TargetError::BadResponse(m),
            other => other,
        })? {
            let room = MAX_RESPONSE_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_RESPONSE_BYTES {
                break;
            }
        }
        Ok(TargetResponse { status, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_a_bad_method_is_refused() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let req = |method: &str, url: String| TargetRequest {
            method: method.into(),
            url,
            headers: vec![],
            body: "{}".into(),
            timeout: Duration::from_secs(2),
        };
        let caller = HttpCaller::new();
        assert!(matches!(caller.call(req("POST", format!("http://{free}/chat"))).await, Err(TargetError::Unreachable(_))));
        assert!(
            matches!(caller.call(req("BAD METHOD", format!("http://{free}/"))).await, Err(TargetError::Unreachable(m)) if m.contains("method"))
        );
    }
}
