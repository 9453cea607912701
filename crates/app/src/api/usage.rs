//! The usage page's data: counts against the plan, and this month's metered
//! usage as charts (built here, drawn by ECharts in the browser).

use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitRow {
    pub label: String,
    pub used: u64,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsagePageData {
    pub plan_name: String,
    pub limits: Vec<LimitRow>,
    /// ECharts options: month-to-date totals against the monthly limits.
    pub charts: Vec<(String, String)>,
}

#[server(prefix = "/api")]
pub async fn load_usage() -> Result<UsagePageData, AppError> {
    use super::support::*;
    use domain::QuotaKind;
    let stores = stores();
    let o = services::usage::overview(stores.primary.as_ref(), stores.analytics.as_ref(), &request()).await.map_err(fail)?;
    let limits_of = |k: QuotaKind| o.plan.as_ref().and_then(|p| k.limit(&p.limits));
    let mut limits = vec![LimitRow { label: "Projects you own".into(), used: o.projects_owned, limit: limits_of(QuotaKind::Projects) }];
    for p in &o.projects {
        limits.push(LimitRow { label: format!("Members of {}", p.name), used: p.members, limit: limits_of(QuotaKind::MembersPerProject) });
    }
    let today = domain::usage::utc_day(services::clock::now_ms());
    let charts = [QuotaKind::TracesPerMonth, QuotaKind::TestRunsPerMonth]
        .into_iter()
        .map(|k| {
            let series = services::usage::cumulative(&o.daily, k, &o.month_start, &today);
            (k.label().to_owned(), crate::components::charts::usage_chart(&series, limits_of(k)))
        })
        .collect();
    Ok(UsagePageData { plan_name: o.plan.map(|p| p.name).unwrap_or_else(|| "No plan (unlimited)".into()), limits, charts })
}
