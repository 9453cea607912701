//! Admin pages' data (the services check the admin role).

use super::AppError;
use domain::{GlobalRole, PlanLimits};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: GlobalRole,
    pub disabled: bool,
    pub must_change_password: bool,
    pub locked: bool,
    pub plan_id: Option<String>,
    pub plan_name: Option<String>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    pub id: String,
    pub name: String,
    pub limits: PlanLimits,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersView {
    pub users: Vec<UserRow>,
    pub plans: Vec<PlanRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub time_ms: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub project_id: Option<String>,
    pub detail: String,
    pub ip: Option<String>,
}

/// The audit screen's filters as typed in the form (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub action: String,
    /// An e-mail address or a user id.
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub entity_type: String,
    #[serde(default)]
    pub project: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
}

impl AuditQuery {
    /// The query string for links that keep these filters.
    pub fn to_query(&self) -> String {
        [
            ("action", &self.action),
            ("actor", &self.actor),
            ("entity_type", &self.entity_type),
            ("project", &self.project),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", domain::url::query_value(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    #[cfg(feature = "ssr")]
    pub fn to_filter(&self) -> Result<services::ports::AuditFilter, String> {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let day = |s: &str, what: &str| match some(s) {
            None => Ok(None),
            Some(d) => domain::usage::day_start_ms(&d).map(Some).ok_or_else(|| format!("the {what} date must be YYYY-MM-DD")),
        };
        Ok(services::ports::AuditFilter {
            action: some(&self.action),
            actor_user_id: some(&self.actor),
            entity_type: some(&self.entity_type),
            project_id: some(&self.project),
            from_ms: day(&self.from, "from")?,
            to_ms: day(&self.to, "to")?.map(|t| t + domain::usage::MS_PER_DAY),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub rows: Vec<AuditRow>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub checked: u64,
    pub first_broken_seq: Option<i64>,
    pub head_hash: String,
}

#[server(prefix = "/api")]
pub async fn admin_users() -> Result<UsersView, AppError> {
    use super::support::*;
    let stores = stores();
    let store = stores.primary.as_ref();
    let ctx = request();
    let users = services::users::list_with_plans(store, &ctx).await.map_err(fail)?;
    let plans: Vec<PlanRow> = services::plans::list(store, &ctx)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|p| PlanRow { id: p.id, name: p.name, limits: p.limits, is_default: p.is_default })
        .collect();
    let now = services::clock::now_ms();
    let rows = users
        .into_iter()
        .map(|(u, plan)| UserRow {
            locked: u.locked_until_ms.is_some_and(|t| t > now),
            id: u.id,
            email: u.email.to_string(),
            name: u.name,
            role: u.role,
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            plan_id: plan.as_ref().map(|p| p.id.clone()),
            plan_name: plan.map(|p| p.name),
            created_at_ms: u.created_at_ms,
        })
        .collect();
    Ok(UsersView { users: rows, plans })
}

#[server(prefix = "/api")]
pub async fn admin_plans() -> Result<Vec<PlanRow>, AppError> {
    use super::support::*;
    let plans = services::plans::list(stores().primary.as_ref(), &request()).await.map_err(fail)?;
    Ok(plans.into_iter().map(|p| PlanRow { id: p.id, name: p.name, limits: p.limits, is_default: p.is_default }).collect())
}

/// One page of the audit trail, newest first, filtered.
#[server(prefix = "/api")]
pub async fn audit_page(filter: AuditQuery, before: Option<i64>) -> Result<AuditView, AppError> {
    use super::support::*;
    let filter = filter.to_filter().map_err(|m| fail(services::ServiceError::Invalid(m)))?;
    const PAGE: u32 = 50;
    let entries = services::audit::list(stores().primary.as_ref(), &request(), &filter, before, PAGE).await.map_err(fail)?;
    let next_before = (entries.len() == PAGE as usize).then(|| entries.last().map(|e| e.seq)).flatten();
    let rows = entries
        .into_iter()
        .map(|e| {
            let r = e.record;
            let detail = match (&r.old_value, &r.new_value) {
                (Some(o), Some(n)) => format!("{o} → {n}"),
                (None, Some(n)) => n.to_string(),
                (Some(o), None) => format!("was {o}"),
                (None, None) => String::new(),
            };
            AuditRow {
                seq: e.seq,
                time_ms: r.time_ms,
                actor: r.actor_label,
                action: r.action,
                entity: format!("{} {}", r.entity_type, r.entity_id),
                project_id: r.project_id,
                detail,
                ip: r.ip,
            }
        })
        .collect();
    Ok(AuditView { rows, next_before })
}

/// Walk the whole hash chain.
#[server(prefix = "/api")]
pub async fn verify_audit_chain() -> Result<ChainStatus, AppError> {
    use super::support::*;
    let report = services::audit::verify(stores().primary.as_ref(), &request()).await.map_err(fail)?;
    Ok(ChainStatus { checked: report.checked, first_broken_seq: report.first_broken_seq, head_hash: report.head_hash })
}
