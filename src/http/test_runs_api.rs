//! The CI endpoints of test runs, authenticated by a project API key (`Authorization: Basic
//! base64(public key:secret key)` or `Bearer public key:secret key`):
//!
//! - `POST /api/public/suites/{suite_id}/runs` starts a run of the suite's approved cases
//!   (key scope `ingest`) → 202 `{suite_run_id, status, total}`;
//! - `GET /api/public/suite-runs/{id}[?wait=N]` → the JSON summary, after waiting up to N seconds
//!   (at most [`MAX_WAIT_SECS`]) for the run to finish (scope `read` or `ingest`);
//! - `GET /api/public/suite-runs/{id}/junit.xml` → JUnit XML.
//!
//! Another project's suite or suite run is 404, as a missing one. Errors are JSON
//! `{"error": {"code", "message"}}` (the OpenAPI document's `Error`).

use crate::{
    http::{api_error, routes::Routes},
    startup::AppState,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use services::{
    api_keys::KeyPrincipal,
    test_runs::{self, Starter, SuiteReport},
    ServiceError,
};
use std::time::Duration;

/// Longest `?wait=`.
pub const MAX_WAIT_SECS: u64 = 120;
const POLL: Duration = Duration::from_millis(250);

/// Largest request body (the start call has none).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// `startup::build_app` gives these their own middleware: no sessions, [`BODY_LIMIT_BYTES`], and a
/// request timeout long enough for the longest `?wait=`.
pub fn routes() -> Routes {
    Routes::new()
        .post("/api/public/suites/{suite_id}/runs", start)
        .get("/api/public/suite-runs/{id}", summary)
        .get("/api/public/suite-runs/{id}/junit.xml", junit)
}

const ROUTE: &str = "test-run API";

fn service_error(e: ServiceError) -> Response {
    api_error::service_error(ROUTE, e)
}

/// The key's principal when it has one of `scopes`; `Err` is the ready 401/403 answer.
async fn authenticate(state: &AppState, headers: &HeaderMap, scopes: &[&str]) -> Result<KeyPrincipal, Response> {
    crate::http::api_key::authenticate(state, headers, scopes).await.map_err(|r| api_error::key_refusal(ROUTE, r))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Started {
    pub suite_run_id: String,
    pub status: String,
    pub total: u32,
}

async fn start(State(state): State<AppState>, headers: HeaderMap, Path(suite_id): Path<String>) -> Response {
    let principal = match authenticate(&state, &headers, &["ingest"]).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match test_runs::start_suite_run(&state.services.stores, Starter::Key(&principal), &suite_id).await {
        Ok((suite_run, runs)) => {
            let body = Started { suite_run_id: suite_run.id, status: suite_run.status.as_str().into(), total: runs.len() as u32 };
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(e) => service_error(e),
    }
}

#[derive(Debug, Deserialize)]
struct WaitQuery {
    #[serde(default)]
    wait: Option<u64>,
}

/// One run in the summary.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunLine {
    pub run_id: String,
    pub case_id: String,
    pub case_name: String,
    pub status: String,
    pub failures: Vec<String>,
}

/// What `GET /api/public/suite-runs/{id}` answers.
#[derive(Debug, Serialize, Deserialize)]
pub struct Summary {
    pub suite_run_id: String,
    pub suite_id: String,
    pub suite_name: String,
    pub status: String,
    /// Every run finished or was cancelled.
    pub done: bool,
    pub total: u32,
    pub passed: u32,
    pub failed: u32,
    pub cancelled: u32,
    /// Not finished yet (queued or running).
    pub pending: u32,
    pub pass_rate: Option<f64>,
    /// Failed runs first.
    pub runs: Vec<RunLine>,
}

fn summary_of(report: &SuiteReport) -> Summary {
    let c = report.counts;
    Summary {
        suite_run_id: report.suite_run.id.clone(),
        suite_id: report.suite_run.suite_id.clone(),
        suite_name: report.suite_name.clone(),
        status: report.suite_run.status.as_str().into(),
        done: c.is_done(),
        total: c.total(),
        passed: c.passed,
        failed: c.failed,
        cancelled: c.cancelled,
        pending: c.pending + c.running,
        pass_rate: report.pass_rate(),
        runs: report
            .runs
            .iter()
            .map(|r| RunLine {
                run_id: r.run.id.clone(),
                case_id: r.run.case_id.clone(),
                case_name: r.case_name.clone(),
                status: r.run.status.as_str().into(),
                failures: r.failures.clone(),
            })
            .collect(),
    }
}

/// The report, after waiting up to `wait` for every run to finish.
async fn report(state: &AppState, principal: &KeyPrincipal, id: &str, wait: Duration) -> Result<SuiteReport, ServiceError> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let report = test_runs::suite_report_for_key(&state.services.stores, principal, id).await?;
        if report.counts.is_done() || tokio::time::Instant::now() >= deadline {
            return Ok(report);
        }
        tokio::time::sleep(POLL.min(deadline - tokio::time::Instant::now())).await;
    }
}

async fn summary(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<WaitQuery>) -> Response {
    let principal = match authenticate(&state, &headers, &["read", "ingest"]).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let wait = Duration::from_secs(q.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    match report(&state, &principal, &id, wait).await {
        Ok(r) => Json(summary_of(&r)).into_response(),
        Err(e) => service_error(e),
    }
}

async fn junit(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<WaitQuery>) -> Response {
    let principal = match authenticate(&state, &headers, &["read", "ingest"]).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let wait = Duration::from_secs(q.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    match report(&state, &principal, &id, wait).await {
        Ok(r) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], test_runs::junit_xml(&r)).into_response(),
        Err(e) => service_error(e),
    }
}
