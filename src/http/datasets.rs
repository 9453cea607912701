//! The upload API the upload island (and scripts) talk to, JSON in and out (issue 5):
//!
//! - `POST /projects/{slug}/datasets/uploads` `{file_name, size_bytes, mode, dataset_name?, dataset_id?, settings?}` → 201 import
//! - `PUT  /projects/{slug}/datasets/uploads/{id}/chunks/{index}` raw bytes → 200 import (409 names the chunk expected)
//! - `GET  /projects/{slug}/datasets/uploads/{id}` → 200 import (status, chunks and rows so far)
//! - `POST /projects/{slug}/datasets/uploads/{id}/complete` → 202 import (analysis queued)
//! - `POST /projects/{slug}/datasets/uploads/{id}/mapping` `{mapping?, settings?}` → 202 import (import queued)
//! - `GET  /projects/{slug}/datasets/uploads/{id}/rejections.csv` → the rejected rows
//!
//! Errors are `{code, message}` with the service's status. Cookie sessions, same origin (CSRF layer).

use crate::{http::routes::Routes, startup::AppState};
use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use domain::datasets::DatasetImport;
use serde::Deserialize;
use services::ledger::{ColumnMapping, DatasetSettings};
use services::{
    datasets::{self, NewUpload},
    RequestContext, ServiceError, ServiceResult,
};

/// Cookie-session routes like the forms, but with a request timeout long enough for one chunk
/// over a slow uplink ([`CHUNK_TIMEOUT`]; see `startup::build_app`).
pub fn routes() -> Routes {
    Routes::new()
        .post("/projects/{slug}/datasets/uploads", start)
        .get("/projects/{slug}/datasets/uploads/{id}", state)
        .put("/projects/{slug}/datasets/uploads/{id}/chunks/{index}", chunk)
        .post("/projects/{slug}/datasets/uploads/{id}/complete", complete)
        .post("/projects/{slug}/datasets/uploads/{id}/mapping", mapping)
        .get("/projects/{slug}/datasets/uploads/{id}/rejections.csv", rejections)
}

/// How long one upload request may take: an 8 MiB chunk at 1 Mbit/s takes about 70 s.
pub const CHUNK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

fn refused(e: ServiceError) -> Response {
    crate::http::api_error::service_error("dataset upload", e)
}

fn reply(status: StatusCode, result: ServiceResult<DatasetImport>) -> Response {
    match result {
        Ok(import) => (status, Json(import)).into_response(),
        Err(e) => refused(e),
    }
}

/// JSON bodies are parsed here so a malformed one gets the same error shape.
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> ServiceResult<T> {
    serde_json::from_slice(body).map_err(|e| ServiceError::Invalid(format!("the request body is not valid: {e}")))
}

async fn start(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    let new: NewUpload = match parse(&body) {
        Ok(n) => n,
        Err(e) => return refused(e),
    };
    reply(StatusCode::CREATED, datasets::start_upload(&state.services.stores, &ctx, &slug, state.settings.datasets.limits(), new).await)
}

async fn state(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    reply(StatusCode::OK, datasets::upload_state(&state.services.stores, &ctx, &slug, &id).await)
}

async fn chunk(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path((slug, id, index)): Path<(String, String, u32)>,
    body: Bytes,
) -> Response {
    reply(StatusCode::OK, datasets::put_chunk(&state.services.stores, &ctx, &slug, &id, index, body).await)
}

async fn complete(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    reply(StatusCode::ACCEPTED, datasets::complete_upload(&state.services.stores, &ctx, &slug, &id).await)
}

#[derive(Deserialize)]
struct MappingBody {
    #[serde(default)]
    mapping: Option<ColumnMapping>,
    #[serde(default)]
    settings: Option<DatasetSettings>,
}

async fn mapping(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body: MappingBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return refused(e),
    };
    reply(StatusCode::ACCEPTED, datasets::confirm_mapping(&state.services.stores, &ctx, &slug, &id, body.mapping, body.settings).await)
}

async fn rejections(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    match datasets::rejections_csv(&state.services.stores, &ctx, &slug, &id).await {
        Ok(stream) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"rejected-rows.csv\"".to_owned()),
            ],
            Body::from_stream(stream),
        )
            .into_response(),
        Err(e) => refused(e),
    }
}
