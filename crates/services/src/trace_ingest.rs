//! Trace ingestion: authenticated batches → priced, offloaded, durably written span rows.
//!
//! The HTTP layer authenticates the key ([`crate::api_keys::verify`]) and decodes the request;
//! this module decides what may be written and writes it:
//! - [`QuotaGate::check`]: the project's plan quota (`traces_per_month`), before queueing;
//! - [`offload_payloads`]: input/output too large for a row go to the blob store, the row keeps
//!   a [`PREVIEW_CHARS`] preview and the blob key;
//! - [`write`]: one atomic `insert_spans` per project, then the usage record.
//!
//! Usage counts traces as root spans (spans without a parent): a trace is counted once however
//! many requests its spans arrive in. An SDK retry of an already acknowledged batch counts again
//! (rare; the spans themselves are deduplicated by the store).

use crate::ports::ProjectId;
use crate::{
    clock::now_ms,
    ports::{AnalyticsStore, BlobStore, PrimaryStore},
    ServiceError, ServiceResult,
};
use bytes::Bytes;
use domain::{
    traces::{SpanRow, PREVIEW_CHARS},
    usage::{day_start_ms, utc_day, MS_PER_DAY},
    BlobKey, ProjectRole, QuotaKind,
};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Traces in `rows`: spans without a parent.
pub fn count_traces(rows: &[SpanRow]) -> u64 {
    rows.iter().filter(|r| r.parent_span_id.is_none()).count() as u64
}

/// Where a span's whole input or output lives when it is too large for a row.
pub fn payload_key(project_id: &str, row: &SpanRow, part: &str) -> String {
    format!("projects/{project_id}/spans/{}/{}/{part}", row.trace_id, row.span_id)
}

/// First `n` characters of `s` (never splits a character).
fn preview(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => s[..at].to_owned(),
        None => s.to_owned(),
    }
}

/// Move oversize input/output of `rows` to the blob store. Keys are derived from the span ids,
/// so a retried batch overwrites the same blobs instead of leaving copies.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn offload_payloads(blob: &dyn BlobStore, project_id: &str, rows: &mut [SpanRow]) -> ServiceResult<u64> {
    let mut moved = 0;
    for row in rows.iter_mut() {
        if row.input_oversize && row.input_blob.is_none() {
            if let Some(text) = row.input.take() {
                row.input_blob = Some(put_text(blob, &payload_key(project_id, row, "input"), &text).await?);
                row.input = Some(preview(&text, PREVIEW_CHARS));
                moved += 1;
            }
        }
        if row.output_oversize && row.output_blob.is_none() {
            if let Some(text) = row.output.take() {
                row.output_blob = Some(put_text(blob, &payload_key(project_id, row, "output"), &text).await?);
                row.output = Some(preview(&text, PREVIEW_CHARS));
                moved += 1;
            }
        }
    }
    Ok(moved)
}

async fn put_text(blob: &dyn BlobStore, key: &str, text: &str) -> ServiceResult<String> {
    let parsed = BlobKey::parse(key).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let body = Bytes::copy_from_slice(text.as_bytes());
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let content_type = if text.starts_with('[') || text.starts_with('{') { "application/json" } else { "text/plain; charset=utf-8" };
    blob.put(&parsed, Box::pin(stream), Some(content_type)).await?;
    Ok(key.to_owned())
}

/// Write one project's rows durably (all or none), then record usage. Returns the traces counted.
/// A usage record that fails after the spans are written is logged, not returned: the spans are
/// stored and must be acknowledged, or the SDK would send them again.
#[tracing::instrument(skip_all, fields(project_id, spans = rows.len()))]
pub async fn write(analytics: &dyn AnalyticsStore, quota: &QuotaGate, project_id: &ProjectId, rows: &[SpanRow]) -> ServiceResult<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    analytics.insert_spans(project_id, rows).await?;
    let traces = count_traces(rows);
    if traces > 0 {
        quota.add(project_id.as_str(), traces);
        let event = domain::UsageEvent {
            project_id: project_id.to_string(),
            kind: QuotaKind::TracesPerMonth.as_str().to_owned(),
            quantity: traces,
            time_ms: now_ms(),
        };
        if let Err(e) = analytics.record_usage(&[event]).await {
            tracing::warn!(error = %e, traces, "spans written but their usage was not recorded");
        }
    }
    Ok(traces)
}

/// The month-to-date `traces_per_month` count of a project's plan, cached for `ttl` and
/// advanced locally as batches are written, so the check costs no store query per request.
///
/// A project's plan is the plan of its earliest owner, and its usage is the month's traces over
/// every project that owner owns (what the usage page shows). Servers count apart between
/// refreshes, so the limit is soft by at most `ttl` of traffic.
pub struct QuotaGate {
    ttl: Duration,
    entries: Mutex<HashMap<String, QuotaEntry>>,
}

#[derive(Clone)]
struct QuotaEntry {
    limit: Option<u64>,
    used: u64,
    fetched: Instant,
}

impl QuotaGate {
    pub fn new(ttl: Duration) -> Self {
        QuotaGate { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn cached(&self, project_id: &str) -> Option<QuotaEntry> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(project_id).filter(|e| e.fetched.elapsed() < self.ttl).cloned()
    }

    fn add(&self, project_id: &str, traces: u64) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get_mut(project_id) {
            e.used = e.used.saturating_add(traces);
        }
    }

    /// Refuse with `QuotaExceeded` when `more` traces would pass the project's plan limit.
    #[tracing::instrument(skip_all, fields(project_id))]
    pub async fn check(
        &self,
        primary: &dyn PrimaryStore,
        analytics: &dyn AnalyticsStore,
        project_id: &ProjectId,
        more: u64,
    ) -> ServiceResult<()> {
        let entry = match self.cached(project_id.as_str()) {
            Some(e) => e,
            None => {
                let e = load_entry(primary, analytics, project_id).await?;
                let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() > 10_000 {
                    map.clear();
                }
                map.insert(project_id.to_string(), e.clone());
                e
            }
        };
        if more == 0 || domain::plan::within(entry.limit, entry.used, more) {
            Ok(())
        } else {
            Err(ServiceError::QuotaExceeded { kind: QuotaKind::TracesPerMonth, limit: entry.limit.unwrap_or(0), used: entry.used })
        }
    }
}

async fn load_entry(primary: &dyn PrimaryStore, analytics: &dyn AnalyticsStore, project_id: &ProjectId) -> ServiceResult<QuotaEntry> {
    let fetched = Instant::now();
    let owner = primary.members(project_id).await?.into_iter().filter(|m| m.role == ProjectRole::Owner).min_by_key(|m| m.added_at_ms);
    let Some(owner) = owner else { return Ok(QuotaEntry { limit: None, used: 0, fetched }) };
    let limit = primary.plan_of_user(&owner.user_id).await?.and_then(|p| QuotaKind::TracesPerMonth.limit(&p.limits));
    if limit.is_none() {
        return Ok(QuotaEntry { limit, used: 0, fetched });
    }
    let now = now_ms();
    let month_start = format!("{}-01", &utc_day(now)[..7]);
    let from = day_start_ms(&month_start).unwrap_or(now - 31 * MS_PER_DAY);
    let mut used = 0u64;
    for (project, role) in primary.projects_of_user(&owner.user_id).await? {
        if role != ProjectRole::Owner {
            continue;
        }
        let days = analytics.usage_by_day(&ProjectId::authorised(project.id.clone()), from, now + 1).await?;
        used += days.iter().filter(|d| d.kind == QuotaKind::TracesPerMonth.as_str()).map(|d| d.quantity).sum::<u64>();
    }
    Ok(QuotaEntry { limit, used, fetched })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(span: &str, parent: Option<&str>) -> SpanRow {
        SpanRow::new("0af7651916cd43dd8448eb211c80319c", span, parent, "n", 1, 1)
    }

    #[test]
    fn traces_are_root_spans() {
        let rows = [row("b7ad6b7169203331", None), row("00f067aa0ba902b7", Some("b7ad6b7169203331"))];
        assert_eq!(count_traces(&rows), 1);
        assert_eq!(count_traces(&[]), 0);
    }

    #[test]
    fn previews_cut_on_characters_and_keys_are_valid_blob_keys() {
        assert_eq!(preview("日本語テキスト", 3), "日本語");
        assert_eq!(preview("ab", 5), "ab");
        let key = payload_key("p1", &row("b7ad6b7169203331", None), "input");
        assert_eq!(key, "projects/p1/spans/0af7651916cd43dd8448eb211c80319c/b7ad6b7169203331/input");
        assert!(BlobKey::parse(&key).is_ok());
    }
}
