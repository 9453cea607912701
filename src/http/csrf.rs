//! CSRF defence for cookie-authenticated requests: a state-changing request
//! that carries cookies must come from our own origin (Fetch Metadata, else
//! the Origin header). SameSite=Lax cookies are the second layer. Requests
//! without cookies (API keys, OTLP) carry no ambient authority and pass.

use axum::{
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if is_safe(req.method()) || !req.headers().contains_key(header::COOKIE) || same_origin(&req) {
        return next.run(req).await;
    }
    tracing::warn!(method = %req.method(), path = %req.uri().path(), "cross-origin request refused");
    (StatusCode::FORBIDDEN, "This request came from another site and was refused. Reload the page and try again.").into_response()
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin" || site == "none";
    }
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) == Some(host),
        // Neither Fetch Metadata nor Origin: not a modern browser form; refuse.
        _ => false,
    }
}
