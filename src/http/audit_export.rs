//! CSV export of the filtered audit trail (admins), streamed page by page.

use crate::{http::routes::Routes, startup::AppState};
use app::api::admin::AuditQuery;
use axum::{
    body::Body,
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use futures::{stream, StreamExt};
use services::{ports::AuditFilter, RequestContext};

pub fn routes() -> Routes {
    Routes::new().get("/admin/audit.csv", export)
}

/// A CSV field, quoted when needed; formula-looking values are prefixed so a
/// spreadsheet does not execute them (CSV injection).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

async fn export(State(state): State<AppState>, Extension(ctx): Extension<RequestContext>, Query(q): Query<AuditQuery>) -> Response {
    let filter: AuditFilter = match q.to_filter() {
        Ok(f) => f,
        Err(message) => return (StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
    };
    // Check access before the first byte: a refused export is a clear error, not an empty file.
    if let Err(e) = services::audit::list(state.services.stores.primary.as_ref(), &ctx, &filter, None, 1).await {
        return (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN), e.to_string()).into_response();
    }
    const PAGE: u32 = 500;
    let header_row = "seq,time_ms,actor_user_id,actor,action,entity_type,entity_id,project_id,old_value,new_value,ip,user_agent,request_id,prev_hash,hash\n";
    let pages = stream::unfold(Some(None::<i64>), move |cursor| {
        let (state, ctx, filter) = (state.clone(), ctx.clone(), filter.clone());
        async move {
            let before = cursor?;
            match services::audit::list(state.services.stores.primary.as_ref(), &ctx, &filter, before, PAGE).await {
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
                Ok(rows) => {
                    let next = (rows.len() == PAGE as usize).then(|| rows.last().map(|r| r.seq));
                    let mut out = String::new();
                    for e in rows {
                        let r = &e.record;
                        let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
                        let fields = [
                            e.seq.to_string(),
                            r.time_ms.to_string(),
                            r.actor_user_id.clone().unwrap_or_default(),
                            r.actor_label.clone(),
                            r.action.clone(),
                            r.entity_type.clone(),
                            r.entity_id.clone(),
                            r.project_id.clone().unwrap_or_default(),
                            json(&r.old_value),
                            json(&r.new_value),
                            r.ip.clone().unwrap_or_default(),
                            r.user_agent.clone().unwrap_or_default(),
                            r.request_id.clone().unwrap_or_default(),
                            e.prev_hash.clone(),
                            e.hash.clone(),
                        ];
                        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                        out.push('\n');
                    }
                    Some((Ok(out), next))
                }
            }
        }
    });
    let body = stream::once(async move { Ok::<_, std::io::Error>(header_row.to_owned()) }).chain(pages);
    (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\"")],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(super::csv_field("plain"), "plain");
        assert_eq!(super::csv_field("a,b"), "\"a,b\"");
        assert_eq!(super::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_field("=1+1"), "'=1+1");
    }
}
