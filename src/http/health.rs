//! `/healthz` (the process is up), `/readyz` (every store answers) and
//! `/metrics` (Prometheus text).

use crate::startup::AppState;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    routing::get,
    Json, Router,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(serde_json::json!({ "status": "ok" })))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let report = services::readiness::check(&state.stores).await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(report))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // A store that cannot answer shows as -1 rather than failing the scrape.
    let depth = state.stores.primary.queue_depth().await.map(|d| d as i64).unwrap_or(-1);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], state.metrics.render(depth))
}
