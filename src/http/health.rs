//! `/healthz` (the process is up), `/readyz` (every store answers) and `/metrics` (Prometheus
//! text). Load balancers and probes call the first two anonymously: they learn up or down, not
//! which backends run (admins signed in see those). `/metrics` names routes and queue depths, so
//! it needs `server.metrics_token`, or a caller on this machine when no token is set.

use crate::{http::routes::Routes, startup::AppState};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use services::RequestContext;
use std::net::{IpAddr, SocketAddr};

pub fn routes() -> Routes {
    Routes::new().get("/healthz", healthz).get("/readyz", readyz).get("/metrics", metrics)
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(serde_json::json!({ "status": "ok" })))
}

async fn readyz(State(state): State<AppState>, ctx: Option<Extension<RequestContext>>) -> impl IntoResponse {
    let ctx = ctx.map(|Extension(c)| c).unwrap_or_default();
    let report = services::readiness::report_for(&state.services.stores, &ctx).await;
    let status = if report.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(report))
}

async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let token = state.settings.server.metrics_token.expose();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let bearer = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match metrics_access(token, peer, bearer) {
        Access::Allowed => {}
        Access::NeedsToken => {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")], "A metrics token is required.")
                .into_response()
        }
        Access::LoopbackOnly => {
            return (StatusCode::FORBIDDEN, "Metrics are served to this machine only; set server.metrics_token to scrape from elsewhere.")
                .into_response()
        }
    }
    // A store that cannot answer shows as -1 rather than failing the scrape.
    let depth = services::readiness::queue_depth(state.services.stores.primary.as_ref()).await.map(|d| d as i64).unwrap_or(-1);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        state.metrics.render(depth, state.ingest.queued_spans()),
    )
        .into_response()
}

#[derive(Debug, PartialEq)]
enum Access {
    Allowed,
    NeedsToken,
    LoopbackOnly,
}

fn metrics_access(token: &str, peer: Option<IpAddr>, bearer: Option<&str>) -> Access {
    if token.is_empty() {
        return if peer.is_some_and(|ip| ip.is_loopback()) { Access::Allowed } else { Access::LoopbackOnly };
    }
    match bearer {
        Some(given) if services::api_keys::constant_time_eq(given.trim().as_bytes(), token.as_bytes()) => Access::Allowed,
        _ => Access::NeedsToken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_need_the_token_or_loopback() {
        let local: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let remote: Option<IpAddr> = Some("10.1.2.3".parse().unwrap());
        assert_eq!(metrics_access("", local, None), Access::Allowed);
        assert_eq!(metrics_access("", Some("::1".parse().unwrap()), None), Access::Allowed);
        assert_eq!(metrics_access("", remote, None), Access::LoopbackOnly);
        assert_eq!(metrics_access("", None, None), Access::LoopbackOnly);
        // With a token, the token decides, wherever the caller is.
        assert_eq!(metrics_access("s3cret-token", remote, Some("s3cret-token")), Access::Allowed);
        assert_eq!(metrics_access("s3cret-token", local, None), Access::NeedsToken);
        assert_eq!(metrics_access("s3cret-token", local, Some("s3cret-tokem")), Access::NeedsToken);
        assert_eq!(metrics_access("s3cret-token", local, Some("s3cret")), Access::NeedsToken);
    }
}
