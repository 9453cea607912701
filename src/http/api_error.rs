//! Error responses of the JSON API routes, in one shape (`domain::api_error::ApiErrorBody`).

use crate::http::api_key::KeyRefusal;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use domain::api_error::ApiErrorBody;
use services::ServiceError;

/// `status` with `{"error": {"code", "message"}}` (the message as given: it may start with a
/// field path such as `spans[1].trace_id`).
pub fn api_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(ApiErrorBody::new(code, message))).into_response()
}

/// An API key that was not accepted; a 401 names the scheme to use.
pub fn key_refusal(route: &str, r: KeyRefusal) -> Response {
    let mut res = match r {
        KeyRefusal::Failed(e) => return service_error(route, e),
        r => api_error(r.status(), r.code(), r.message()),
    };
    if res.status() == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"elasticdash\""));
    }
    res
}

/// Tell the client when to try again.
pub fn retry_after(mut res: Response, secs: u64) -> Response {
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// A use case's refusal as an API error; failures on our side are logged with `route`.
pub fn service_error(route: &str, e: ServiceError) -> Response {
    if e.status() >= 500 {
        tracing::error!(error = %e, route, "API request failed");
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    api_error(status, e.code(), crate::http::forms::capitalise(&e.to_string()))
}
