//! What a user has used of their plan: counts now, and metered usage this
//! month (from the analytics store's usage events) day by day.

use crate::ports::ProjectId;
use crate::{
    clock::now_ms,
    context::RequestContext,
    ports::{AnalyticsStore, Plan, PrimaryStore},
    ServiceResult,
};
use domain::{
    usage::{day_start_ms, utc_day, MS_PER_DAY},
    DailyUsage, ProjectRole, QuotaKind,
};

pub struct ProjectUsage {
    pub slug: String,
    pub name: String,
    pub members: u64,
}

pub struct UsageOverview {
    pub plan: Option<Plan>,
    pub projects_owned: u64,
    pub projects: Vec<ProjectUsage>,
    /// First day of the current UTC month, `YYYY-MM-DD`.
    pub month_start: String,
    /// Summed over the user's owned projects, per day and kind, this month.
    pub daily: Vec<DailyUsage>,
}

/// The signed-in user's usage of their plan.
pub async fn overview(store: &dyn PrimaryStore, analytics: &dyn AnalyticsStore, ctx: &RequestContext) -> ServiceResult<UsageOverview> {
    let actor = ctx.actor()?;
    let plan = store.plan_of_user(&actor.user_id).await?;
    let owned: Vec<_> =
        store.projects_of_user(&actor.user_id).await?.into_iter().filter(|(_, r)| *r == ProjectRole::Owner).map(|(p, _)| p).collect();
    let now = now_ms();
    let month_start = format!("{}-01", &utc_day(now)[..7]);
    let from = day_start_ms(&month_start).unwrap_or(now - 31 * MS_PER_DAY);
    let mut projects = Vec::new();
    let mut daily: Vec<DailyUsage> = Vec::new();
    for p in &owned {
        // The actor owns it (filtered above).
        let id = ProjectId::authorised(p.id.as_str());
        projects.push(ProjectUsage { slug: p.slug.to_string(), name: p.name.clone(), members: store.members(&id).await?.len() as u64 });
        for d in analytics.usage_by_day(&id, from, now + 1).await? {
            match daily.iter_mut().find(|x| x.day == d.day && x.kind == d.kind) {
                Some(x) => x.quantity += d.quantity,
                None => daily.push(d),
            }
        }
    }
    daily.sort_by(|a, b| (&a.day, &a.kind).cmp(&(&b.day, &b.kind)));
    Ok(UsageOverview { plan, projects_owned: owned.len() as u64, projects, month_start, daily })
}

/// Month-to-date running total of `kind`, one point per day from the month's
/// start to `today` (days without usage repeat the total).
pub fn cumulative(daily: &[DailyUsage], kind: QuotaKind, month_start: &str, today: &str) -> Vec<(String, u64)> {
    let (Some(mut day), Some(end)) = (day_start_ms(month_start), day_start_ms(today)) else { return Vec::new() };
    let mut total = 0;
    let mut out = Vec::new();
    while day <= end {
        let label = utc_day(day);
        total += daily.iter().filter(|d| d.day == label && d.kind == kind.as_str()).map(|d| d.quantity).sum::<u64>();
        out.push((label, total));
        day += MS_PER_DAY;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_totals_fill_quiet_days() {
        let d = |day: &str, kind: &str, q| DailyUsage { day: day.into(), kind: kind.into(), quantity: q };
        let daily =
            [d("2026-11-01", "traces_per_month", 5), d("2026-11-03", "traces_per_month", 2), d("2026-11-03", "test_runs_per_month", 9)];
        let c = cumulative(&daily, QuotaKind::TracesPerMonth, "2026-11-01", "2026-11-04");
        assert_eq!(c.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [5, 5, 7, 7]);
        assert_eq!(c[3].0, "2026-11-04");
    }
}
