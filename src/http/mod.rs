//! HTTP concerns outside Leptos: health and metrics endpoints, and the
//! middleware stack every request goes through.

pub mod api_error;
pub mod api_key;
pub mod audit_export;
pub mod auth;
pub mod csrf;
pub mod datasets;
pub mod forms;
pub mod health;
pub mod ingest_api;
pub mod kb;
pub mod kb_api;
pub mod ledger_export;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod otlp;
pub mod playground;
pub mod rate_limit;
pub mod routes;
pub mod security;
pub mod test_runs_api;

use crate::startup::AppState;
use axum::{
    error_handling::HandleErrorLayer,
    extract::DefaultBodyLimit,
    http::{HeaderName, Request, StatusCode},
    response::IntoResponse,
    BoxError, Router,
};
pub use routes::{Route, Routes};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The routes behind cookie sessions (CSRF, user loading, per-user rate limits) with the shared
/// request bounds (`server.body_limit_bytes`, `server.request_timeout_secs`).
pub fn session_routes() -> Routes {
    Routes::new()
        .merge(health::routes())
        .merge(forms::routes())
        .merge(playground::routes())
        .merge(audit_export::routes())
        .merge(ledger_export::routes())
        .merge(kb::routes())
}

/// Every HTTP route outside Leptos' pages and server functions, grouped as `startup::build_app`
/// serves them. The access-matrix test checks each one has an access rule.
pub fn route_table() -> Vec<Route> {
    [session_routes(), datasets::routes(), kb::upload_routes(), otlp::routes(), test_runs_api::routes(), kb_api::routes(), mcp::routes()]
        .iter()
        .flat_map(|r| r.table().to_vec())
        .collect()
}

/// How big and how long a request may be. One limit for every extractor: axum's own 2 MiB default
/// (`DefaultBodyLimit`) is switched off, so a route accepts exactly what its settings promise.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub body_limit_bytes: usize,
    pub timeout: Duration,
}

impl Bounds {
    pub fn of(settings: &crate::settings::Settings) -> Bounds {
        Bounds { body_limit_bytes: settings.server.body_limit_bytes, timeout: Duration::from_secs(settings.server.request_timeout_secs) }
    }
}

/// Wrap a finished router in the shared middleware, outermost first:
/// request id, tracing span (carrying the id), metrics and slow-request
/// warnings, security headers, timeout, body limit.
pub fn wrap(router: Router, state: &AppState, bounds: Bounds) -> Router {
    let metrics = state.metrics.clone();
    let slow_ms = state.settings.server.slow_request_ms;
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(axum::middleware::from_fn(move |req, next| metrics::track(metrics.clone(), slow_ms, req, next)))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(HandleErrorLayer::new(handle_timeout))
        .timeout(bounds.timeout)
        .layer(RequestBodyLimitLayer::new(bounds.body_limit_bytes))
        .layer(DefaultBodyLimit::disable());
    router.layer(middleware)
}

async fn handle_timeout(err: BoxError) -> impl IntoResponse {
    if err.is::<tower::timeout::error::Elapsed>() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "1")],
            "The request took too long and was stopped. Please try again.",
        )
            .into_response()
    } else {
        tracing::error!(error = %err, "unhandled middleware error");
        (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
    }
}
