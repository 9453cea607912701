//! `GET /api/public/openapi.json`: the OpenAPI 3 document of the public API-key endpoints,
//! hand-written in `public/openapi.json` and compiled in (the served copy always matches the
//! binary).

use axum::{http::header, response::IntoResponse};

pub const OPENAPI_JSON: &str = include_str!("../../public/openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")], OPENAPI_JSON)
}
