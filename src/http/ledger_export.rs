//! Export of a project's filtered ledger records (issue 5): CSV streamed batch by batch, XLSX
//! built in memory up to `services::ledger_dashboard::XLSX_MAX_ROWS` rows. Same filter query as
//! the dashboard page; any project member; audited before the first byte.

use crate::{http::routes::Routes, startup::AppState};
use axum::{
    body::Body,
    extract::{Path, RawQuery, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use domain::ledger_dashboard::LedgerFilter;
use futures::StreamExt;
use services::{
    ledger_dashboard::{self as ledger, ExportFormat},
    RequestContext, ServiceError,
};

pub fn routes() -> Routes {
    Routes::new().get("/projects/{slug}/dashboards/export.csv", export_csv).get("/projects/{slug}/dashboards/export.xlsx", export_xlsx)
}

fn refused(e: ServiceError) -> Response {
    (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), e.to_string()).into_response()
}

fn filter_of(query: Option<String>) -> Result<LedgerFilter, String> {
    LedgerFilter::from_query(query.as_deref().unwrap_or_default()).map_err(|e| e.to_string())
}

fn attachment(slug: &str, ext: &str) -> String {
    // Slugs are [a-z0-9-]: safe inside the quoted file name.
    format!("attachment; filename=\"{slug}-ledger-records.{ext}\"")
}

async fn export_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let filter = match filter_of(query) {
        Ok(f) => f,
        Err(message) => return (StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
    };
    let access = match ledger::start_export(&state.services.stores, &ctx, &slug, &filter, ExportFormat::Csv).await {
        Ok(a) => a,
        Err(e) => return refused(e),
    };
    let body = ledger::csv_stream(state.services.stores.analytics.clone(), access.id.clone(), filter)
        .map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string())));
    (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, attachment(&slug, "csv"))],
        Body::from_stream(body),
    )
        .into_response()
}

async fn export_xlsx(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestContext>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let filter = match filter_of(query) {
        Ok(f) => f,
        Err(message) => return (StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
    };
    let access = match ledger::start_export(&state.services.stores, &ctx, &slug, &filter, ExportFormat::Xlsx).await {
        Ok(a) => a,
        Err(e) => return refused(e),
    };
    match ledger::xlsx_file(state.services.stores.analytics.as_ref(), &access.id, &filter).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
                (header::CONTENT_DISPOSITION, attachment(&slug, "xlsx")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refused(e),
    }
}
