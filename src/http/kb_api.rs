//! The knowledge base for agents, with a project API key (`read` scope):
//! `POST /api/public/kb/search` (query, k, kinds, tags → ranked entries and the release that
//! answered) and `GET /api/public/kb/releases/latest` (the active knowledge base as JSON).
//! Errors in the one API shape (`api_error`).

use crate::{
    http::{api_error, api_key, routes::Routes},
    startup::AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use services::{
    api_keys::KeyPrincipal,
    kb::{releases, search},
};

const ROUTE: &str = "knowledge-base API";
/// A search request is a few lines of JSON.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

pub fn routes() -> Routes {
    Routes::new().post("/api/public/kb/search", search_kb).get("/api/public/kb/releases/latest", latest)
}

async fn principal(state: &AppState, headers: &HeaderMap) -> Result<KeyPrincipal, Response> {
    api_key::authenticate(state, headers, &["read"]).await.map_err(|r| api_error::key_refusal(ROUTE, r))
}

async fn search_kb(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let key = match principal(&state, &headers).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    let input: search::SearchInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => return api_error::api_error(StatusCode::BAD_REQUEST, "invalid", format!("the request body is not a search: {e}")),
    };
    let services = &state.services;
    match search::search_project(services, &key.project_id, &input).await {
        Ok(r) => Json(json!({ "release": r.release, "ranking": r.ranking, "took_ms": r.took_ms, "hits": r.hits })).into_response(),
        Err(e) => api_error::service_error(ROUTE, e),
    }
}

async fn latest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let key = match principal(&state, &headers).await {
        Ok(k) => k,
        Err(res) => return res,
    };
    match releases::active_for_key(state.services.stores.primary.as_ref(), &key).await {
        Ok(Some(r)) => Json(json!({
            "release": r.number,
            "created_at_ms": r.created_at_ms,
            "summary": r.summary,
            "entries": r.entries.iter().map(|e| json!({"revision": e.revision, "content_hash": e.content_hash, "entry": e.entry})).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(None) => api_error::api_error(StatusCode::NOT_FOUND, "not_found", "this project has no knowledge-base release yet"),
        Err(e) => api_error::service_error(ROUTE, e),
    }
}
