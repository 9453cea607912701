//! Knowledge-base routes outside pages and forms: the file upload of an import (multipart, up to
//! 50 MiB, so it has bounds of its own) and the exports of the active knowledge base.

use crate::{
    http::{forms::finish, routes::Routes},
    startup::AppState,
};
use axum::{
    extract::{multipart::MultipartRejection, Multipart, Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use bytes::Bytes;
use domain::kb::ImportFormat;
use serde::Deserialize;
use services::{
    kb::{imports, releases},
    RequestContext, ServiceError, ServiceResult,
};
use tower_sessions::Session;

pub const IMPORT_PATH: &str = "/projects/{slug}/kb/imports/upload";
/// The file and the form fields around it.
pub const UPLOAD_LIMIT_BYTES: usize = imports::MAX_FILE_BYTES + (1 << 20);

/// The upload route (served with [`UPLOAD_LIMIT_BYTES`]).
pub fn upload_routes() -> Routes {
    Routes::new().post(IMPORT_PATH, upload)
}

/// Exports (served with the other session routes).
pub fn routes() -> Routes {
    Routes::new().get("/projects/{slug}/kb/export.openapi.json", export_openapi).get("/projects/{slug}/kb/export.sql", export_sql)
}

/// The form's fields: `format` and `file`.
async fn read_form(mut form: Multipart) -> ServiceResult<(ImportFormat, String, Bytes)> {
    let bad =
        |e: axum::extract::multipart::MultipartError| ServiceError::Invalid(format!("the upload could not be read: {}", e.body_text()));
    let (mut format, mut file) = (None, None);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("format") => {
                let text = field.text().await.map_err(bad)?;
                format = Some(
                    ImportFormat::parse(text.trim()).ok_or_else(|| ServiceError::Invalid(format!("“{text}” is not an import format")))?,
                );
            }
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                file = Some((name, field.bytes().await.map_err(bad)?));
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| ServiceError::Invalid("choose a file to import".into()))?;
    let format =
        format.unwrap_or(if name.to_ascii_lowercase().ends_with(".sql") { ImportFormat::DdlPostgres } else { ImportFormat::OpenApi });
    Ok((format, name, bytes))
}

async fn upload(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Extension<RequestContext>,
    Path(slug): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let back = format!("/projects/{slug}/kb/imports");
    let stores = &state.services.stores;
    // Authorised before the body is read: a stranger learns nothing from form errors.
    let result = match imports::authorize(stores, &ctx, &slug).await {
        Err(e) => Err(e),
        Ok(_) => match form {
            Err(e) => Err(ServiceError::Invalid(format!("the upload could not be read: {}", e.body_text()))),
            Ok(form) => match read_form(form).await {
                Ok((format, name, bytes)) => imports::start(stores, &ctx, &slug, format, &name, bytes).await,
                Err(e) => Err(e),
            },
        },
    };
    let to = match &result {
        Ok(import) => format!("{back}/{}", import.id),
        Err(_) => back.clone(),
    };
    finish(&session, result, |i| format!("“{}” uploaded; reading it now.", i.file_name), &to, &back).await
}

fn download(exported: releases::Exported) -> Response {
    // File names are built from the slug ([a-z0-9-]) and numbers: safe inside the quotes.
    let disposition = format!("attachment; filename=\"{}\"", exported.file_name);
    ([(header::CONTENT_TYPE, exported.content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], exported.body).into_response()
}

fn refused(e: ServiceError) -> Response {
    if e.status() >= 500 {
        tracing::error!(error = %e, "knowledge-base export failed");
    }
    (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), crate::http::forms::capitalise(&e.to_string()))
        .into_response()
}

async fn export_openapi(State(state): State<AppState>, Extension(ctx): Extension<RequestContext>, Path(slug): Path<String>) -> Response {
    match releases::export(state.services.stores.primary.as_ref(), &ctx, &slug, releases::ExportFormat::OpenApi).await {
        Ok(e) => download(e),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
struct SqlQuery {
    #[serde(default)]
    dialect: String,
}

async fn export_sql(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path(slug): Path<String>,
    Query(q): Query<SqlQuery>,
) -> Response {
    let format = match q.dialect.as_str() {
        "mysql" => releases::ExportFormat::DdlMysql,
        "" | "postgres" => releases::ExportFormat::DdlPostgres,
        other => return refused(ServiceError::Invalid(format!("“{other}” is not a dialect; use postgres or mysql"))),
    };
    match releases::export(state.services.stores.primary.as_ref(), &ctx, &slug, format).await {
        Ok(e) => download(e),
        Err(e) => refused(e),
    }
}
