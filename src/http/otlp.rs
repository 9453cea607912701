//! OTLP/HTTP trace export (`POST /v1/traces`, `POST /api/public/otel/v1/traces`) and the router
//! of the public, API-key ingestion endpoints.
//!
//! These routes sit outside the session, CSRF and per-user rate-limit layers (an API key carries
//! no ambient authority; the bounded write queue is the throttle) but keep request ids, tracing,
//! metrics and a timeout, with their own body limit (`ingest.body_limit_bytes`).
//!
//! Status codes follow the OTLP/HTTP specification: 200 with an `ExportTraceServiceResponse`
//! (with `partial_success` when spans were rejected), 400 malformed, 401/403 key, 413 too large,
//! 415 media type or encoding, 429 quota, 503 queue full or store unavailable, the last two with
//! `Retry-After`. Error bodies are a `google.rpc.Status` in the request's encoding.

use crate::{
    http::routes::Routes,
    http::{
        api_key::{self, KeyRefusal},
        ingest_api, openapi,
    },
    ingest::Refusal,
    startup::AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use otlp::{MapOptions, PayloadFormat};
use prost::Message;
use services::{api_keys::KeyPrincipal, ServiceError};
use std::time::{SystemTime, UNIX_EPOCH};

/// The public API-key ingestion routes; `startup::build_app` gives them their own middleware
/// (no sessions, `ingest.body_limit_bytes`).
pub fn routes() -> Routes {
    Routes::new()
        .post("/v1/traces", export)
        .post("/api/public/otel/v1/traces", export)
        .post("/api/public/ingest/spans", ingest_api::ingest_spans)
        .get("/api/public/openapi.json", openapi::document)
}

/// `google.rpc.Status`, the body of OTLP/HTTP error responses.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// An error answer: plain text when the request's encoding is unknown.
pub(crate) fn otlp_error(format: Option<PayloadFormat>, status: StatusCode, retry_after: Option<u64>, message: &str) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(secs) = retry_after {
        headers.insert(header::RETRY_AFTER, secs.into());
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"elasticdash\""));
    }
    // gRPC codes: 3 invalid argument, 16 unauthenticated, 7 permission denied, 8 exhausted, 14 unavailable.
    let code = match status.as_u16() {
        401 => 16,
        403 => 7,
        413 | 429 => 8,
        503 => 14,
        500 => 13,
        _ => 3,
    };
    let (content_type, body) = match format {
        Some(PayloadFormat::Protobuf) => ("application/x-protobuf", RpcStatus { code, message: message.to_owned() }.encode_to_vec()),
        Some(PayloadFormat::Json) => ("application/json", serde_json::json!({ "code": code, "message": message }).to_string().into_bytes()),
        None => ("text/plain; charset=utf-8", message.as_bytes().to_vec()),
    };
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    (status, headers, body).into_response()
}

/// The encoding a request declares, to answer errors in it (decoding checks it again).
fn declared_format(headers: &HeaderMap) -> Option<PayloadFormat> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(PayloadFormat::Protobuf),
        "application/json" => Some(PayloadFormat::Json),
        _ => None,
    }
}

/// The key's principal (scope `ingest`); `Err` is the ready 401/403 answer in the request's format.
pub(crate) async fn authenticate(state: &AppState, headers: &HeaderMap, format: Option<PayloadFormat>) -> Result<KeyPrincipal, Response> {
    api_key::authenticate(state, headers, &["ingest"]).await.map_err(|r| match r {
        KeyRefusal::Failed(e) => service_error(format, e),
        r => otlp_error(format, r.status(), None, &r.message()),
    })
}

pub(crate) fn service_error(format: Option<PayloadFormat>, e: ServiceError) -> Response {
    let retry = match e {
        // Quotas reset monthly; an hour keeps SDK retries rare without giving up.
        ServiceError::QuotaExceeded { .. } => Some(3600),
        ServiceError::Unavailable => Some(2),
        _ => None,
    };
    let status = match e {
        // OTLP has no 402: 429 is the specified "throttled, retry later" answer.
        ServiceError::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    };
    otlp_error(format, status, retry, &e.to_string())
}

pub(crate) fn refusal(format: Option<PayloadFormat>, r: Refusal) -> Response {
    match r {
        Refusal::Busy { retry_after_secs } => otlp_error(
            format,
            StatusCode::SERVICE_UNAVAILABLE,
            Some(retry_after_secs),
            "ingestion queue is full; retry after the Retry-After delay",
        ),
        Refusal::Service(e) => service_error(format, e),
    }
}

pub(crate) fn now_unix_nano() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

async fn export(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let format = declared_format(&headers);
    let principal = match authenticate(&state, &headers, format).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let encoding = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let prices = match state.ingest.prices(&state.services.prices).await {
        Ok(p) => p,
        Err(e) => return service_error(format, e),
    };
    let ingest = state.ingest.clone();
    // Decoding a large batch is CPU work: keep it off the async workers.
    let decoded = tokio::task::spawn_blocking(move || {
        let options = MapOptions { limits: ingest.limits(), prices: &prices, now_unix_nano: now_unix_nano() };
        otlp::decode_and_map(&body, &content_type, encoding.as_deref(), &options)
    })
    .await;
    let decoded = match decoded {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            return otlp_error(format, status, None, &e.to_string());
        }
        Err(e) => {
            tracing::error!(error = %e, "OTLP decoding task failed");
            return otlp_error(format, StatusCode::INTERNAL_SERVER_ERROR, None, "something went wrong on our side");
        }
    };
    if decoded.rows.is_empty() && decoded.rejected_spans > 0 {
        // Every span was invalid: the request as a whole is, permanently (OTLP: 400).
        let why = decoded.error_message.clone().unwrap_or_else(|| "every span was rejected".into());
        return otlp_error(
            Some(decoded.format),
            StatusCode::BAD_REQUEST,
            None,
            &format!("all {} spans rejected: {why}", decoded.rejected_spans),
        );
    }
    let body = decoded.encode_response();
    let rejected = decoded.rejected_spans;
    if let Err(r) = state.ingest.accept(&principal, decoded.rows).await {
        return refusal(Some(decoded.format), r);
    }
    if rejected > 0 {
        tracing::info!(rejected, project_id = %principal.project_id, "OTLP partial success");
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, decoded.format.content_type())], body).into_response()
}
