//! Plan quotas: features call `check` before they consume and `record` after.

use crate::ports::ProjectId;
use crate::{
    ports::{AnalyticsStore, PrimaryStore},
    ServiceError, ServiceResult,
};
use domain::{plan::within, QuotaKind, UsageEvent};

/// Refuse when `used + more` would pass the user's plan limit for `kind`.
pub async fn check(store: &dyn PrimaryStore, user_id: &str, kind: QuotaKind, used: u64, more: u64) -> ServiceResult<()> {
    let Some(plan) = store.plan_of_user(user_id).await? else { return Ok(()) };
    let limit = kind.limit(&plan.limits);
    if within(limit, used, more) {
        Ok(())
    } else {
        Err(ServiceError::QuotaExceeded { kind, limit: limit.unwrap_or(0), used })
    }
}

/// Record consumption as a usage event (charts and monthly quotas read them).
pub async fn record(
    analytics: &dyn AnalyticsStore,
    project_id: &ProjectId,
    kind: QuotaKind,
    quantity: u64,
    time_ms: i64,
) -> ServiceResult<()> {
    let event = UsageEvent { project_id: project_id.to_string(), kind: kind.as_str().to_owned(), quantity, time_ms };
    Ok(analytics.record_usage(&[event]).await?)
}
