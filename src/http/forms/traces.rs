//! Deleting a trace (project owners), from the trace page.

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension,
};
use services::trace_queries;
use tower_sessions::Session;

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, trace_id)): Path<(String, String)>,
) -> Response {
    let r = trace_queries::delete(&state.services.stores, &ctx, &slug, &trace_id).await;
    let list = format!("/projects/{slug}/traces");
    let back = if r.as_ref().is_err_and(|e| e.status() == 404) { list.clone() } else { format!("{list}/{trace_id}") };
    finish(&session, r, |removed| format!("Trace deleted ({} spans).", removed.spans), &list, &back).await
}
