//! Per-project trace retention and the expiry job: spans older than a project's retention
//! period are removed from the analytics store, then the blobs holding their large payloads.

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    context::RequestContext,
    ports::PrimaryStore,
    ServiceError, ServiceResult, Stores,
};
use domain::{BlobKey, ProjectRole};
use serde_json::json;

/// The worker job that runs [`expire`].
pub const EXPIRE_JOB: &str = "traces.expire";
/// Ten years.
pub const MAX_RETENTION_DAYS: u32 = 3650;
const NS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// A retention as typed in the settings form: blank means the server default.
pub fn parse_days(raw: &str) -> ServiceResult<Option<u32>> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(ServiceError::Invalid(format!(
            "the retention is a whole number of days from 1 to {MAX_RETENTION_DAYS}, or blank for the server default"
        ))),
    }
}

/// Spans that started before this (Unix ns) are expired at `now_ms`.
pub fn cutoff_ns(now_ms: i64, days: u32) -> u64 {
    let now_ns = u64::try_from(now_ms).unwrap_or(0).saturating_mul(1_000_000);
    now_ns.saturating_sub(u64::from(days) * NS_PER_DAY)
}

/// A project's retention setting (any member may read it): `None` = the server default.
pub async fn get(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, Option<u32>)> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    let days = store.project_retention(&access.id).await?;
    Ok((access, days))
}

/// Set a project's retention from the form's text (owners only; blank = the server
/// default); audited. Returns the new setting.
pub async fn set(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, days: &str) -> ServiceResult<Option<u32>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Owner).await?;
    let days = parse_days(days)?;
    let id = &access.id;
    let old = store.project_retention(id).await?;
    store.set_project_retention(id, days).await?;
    let change = Change {
        action: "project.retention",
        entity_type: "project",
        entity_id: id.as_str(),
        project_id: Some(id.as_str()),
        old: Some(json!({ "trace_retention_days": old })),
        new: Some(json!({ "trace_retention_days": days })),
    };
    audit::record(store, ctx, change).await?;
    Ok(days)
}

/// What one expiry run removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub projects: u64,
    pub spans: u64,
    pub blobs_deleted: u64,
    /// Blobs that could not be deleted (logged; the spans are gone either way).
    pub blob_failures: u64,
}

/// For every project, remove the spans older than its retention (or `default_days`), then
/// their blobs. Spans go first: a blob whose span is still readable is never deleted. A
/// failed project does not stop the others; the first error is returned after the run.
/// Audited (as the system) for each project that lost spans.
pub async fn expire(stores: &Stores, default_days: u32, now_ms: i64) -> ServiceResult<ExpiryReport> {
    let mut report = ExpiryReport::default();
    let mut first_error = None;
    for (project_id, days) in stores.primary.project_retentions().await? {
        let days = days.unwrap_or(default_days).max(1);
        let before_ns = cutoff_ns(now_ms, days);
        // Every project, by the system: retention is the server's own duty.
        let removed = match stores.analytics.expire_spans(&ProjectId::authorised(project_id.as_str()), before_ns).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(project_id, error = %e, "could not expire spans");
                first_error.get_or_insert(ServiceError::from(e));
                continue;
            }
        };
        report.projects += 1;
        report.spans += removed.spans;
        for key in &removed.blob_keys {
            let deleted = match BlobKey::parse(key) {
                Ok(k) => stores.blob.delete(&k).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match deleted {
                Ok(()) => report.blobs_deleted += 1,
                Err(e) => {
                    tracing::warn!(project_id, key, error = %e, "could not delete an expired span's blob");
                    report.blob_failures += 1;
                }
            }
        }
        if removed.spans > 0 {
            let change = Change {
                action: "traces.expire",
                entity_type: "project",
                entity_id: &project_id,
                project_id: Some(&project_id),
                old: None,
                new: Some(
                    json!({ "retention_days": days, "before_ns": before_ns, "spans": removed.spans, "blobs": removed.blob_keys.len() }),
                ),
            };
            audit::record(stores.primary.as_ref(), &RequestContext::system(), change).await?;
        }
    }
    tracing::info!(?report, "trace expiry done");
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_parsed_with_blank_as_default() {
        assert_eq!(parse_days(""), Ok(None));
        assert_eq!(parse_days(" 30 "), Ok(Some(30)));
        assert_eq!(parse_days("3650"), Ok(Some(3650)));
        for bad in ["0", "-1", "3651", "1.5", "thirty", "99999999999"] {
            assert!(matches!(parse_days(bad), Err(ServiceError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn the_cutoff_is_whole_days_before_now() {
        let now_ms = 1_700_000_000_000;
        assert_eq!(cutoff_ns(now_ms, 1), 1_700_000_000_000_000_000 - NS_PER_DAY);
        assert_eq!(cutoff_ns(now_ms, 30), 1_700_000_000_000_000_000 - 30 * NS_PER_DAY);
        assert_eq!(cutoff_ns(1000, 1), 0, "never before the epoch");
        assert_eq!(cutoff_ns(-5, 1), 0);
    }
}
