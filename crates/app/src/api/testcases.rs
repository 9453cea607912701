//! Server functions of the test pages (issue 7): cases, one case with its runs, a run, a suite
//! run's report, a comparison of two runs and the AI generation form. Every member reads them;
//! the views say whether the viewer may change things (editors and owners). Changes are HTML
//! form posts (src/http/forms/testcases.rs).

use super::AppError;
use domain::{
    playground::KeyChoice,
    testcases::{CaseComment, CaseStatus, RunStatus, Suite, SuiteRun, SuiteRunCounts, TestCase, TestRun},
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The project a test page belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsHead {
    pub slug: String,
    pub name: String,
    /// Editors and owners change cases and start runs.
    pub can_edit: bool,
}

impl TestsHead {
    /// `/projects/<slug>/tests`.
    pub fn base(&self) -> String {
        format!("/projects/{}/tests", self.slug)
    }
}

/// The list's filters, as in the URL (empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFilterParams {
    pub status: String,
    pub tag: String,
    pub feature: String,
    pub search: String,
}

/// A suite with its most recent run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteRow {
    pub suite: Suite,
    pub latest_run: Option<SuiteRun>,
}

/// An approved case, for the suite form's checkboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseChoice {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasesView {
    pub head: TestsHead,
    pub filter: CaseFilterParams,
    /// The cases the filters select, most recently updated first.
    pub cases: Vec<TestCase>,
    /// Every tag and feature in use, for the filter selects.
    pub tags: Vec<String>,
    pub features: Vec<String>,
    pub approved: Vec<CaseChoice>,
    pub suites: Vec<SuiteRow>,
    /// Provider keys a model target may use.
    pub keys: Vec<KeyChoice>,
}

/// One case, its comments and its run history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub head: TestsHead,
    pub case: TestCase,
    pub comments: Vec<CaseComment>,
    /// Newest first.
    pub runs: Vec<TestRun>,
    /// Where review may take the case from here.
    pub next_statuses: Vec<CaseStatus>,
    /// Suites listing this case.
    pub suites: Vec<Suite>,
    pub keys: Vec<KeyChoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub head: TestsHead,
    pub run: TestRun,
    /// The case as it is now (`None` once deleted); its steps give the expectations.
    pub case: Option<TestCase>,
    /// E-mail of who overrode each step, by user id.
    pub people: Vec<(String, String)>,
}

/// One run in a suite report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub run: TestRun,
    pub case_name: String,
    pub outdated: bool,
    pub failures: Vec<String>,
}

/// One past run of the suite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRow {
    pub suite_run_id: String,
    pub created_at_ms: i64,
    pub status: RunStatus,
    pub counts: SuiteRunCounts,
    pub pass_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteRunView {
    pub head: TestsHead,
    pub suite_run: SuiteRun,
    pub suite_name: String,
    pub counts: SuiteRunCounts,
    pub pass_rate: Option<f64>,
    /// Failed runs first.
    pub runs: Vec<ReportRow>,
    /// Oldest first.
    pub trend: Vec<TrendRow>,
    /// ECharts option JSON of the trend.
    pub trend_chart: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareView {
    pub head: TestsHead,
    pub comparison: domain::testcases::RunComparison,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateView {
    pub head: TestsHead,
    /// The prompt as it would be sent; the form lets people edit it.
    pub prompt: String,
    pub keys: Vec<KeyChoice>,
}

#[cfg(feature = "ssr")]
mod load {
    use super::*;
    use services::{authz::ProjectAccess, RequestContext, ServiceResult, Stores};

    pub fn head(access: &ProjectAccess) -> TestsHead {
        TestsHead {
            slug: access.project.slug.to_string(),
            name: access.project.name.clone(),
            can_edit: access.role.allows(domain::ProjectRole::Editor),
        }
    }

    pub async fn keys(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<KeyChoice>> {
        let keys = services::provider_keys::usable(stores.primary.as_ref(), ctx, slug).await?;
        Ok(keys
            .into_iter()
            .map(|k| KeyChoice { global: k.project_id.is_none(), id: k.id, name: k.name, vendor: k.vendor, default_model: k.default_model })
            .collect())
    }

    /// Pass rate (line, %) and failed runs (bars) of a suite's past runs, as ECharts option JSON.
    pub fn trend_chart(trend: &[TrendRow]) -> String {
        use charming::{
            component::{Axis, Grid, Legend},
            element::{AxisType, ItemStyle, Tooltip, Trigger},
            series::{Bar, Line},
            Chart,
        };
        let labels: Vec<String> = trend.iter().map(|t| domain::usage::utc_minute(t.created_at_ms)).collect();
        let rates: Vec<f64> = trend.iter().map(|t| t.pass_rate.map_or(0.0, |r| (r * 1000.0).round() / 10.0)).collect();
        let failed: Vec<i64> = trend.iter().map(|t| i64::from(t.counts.failed)).collect();
        let chart = Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .legend(Legend::new().bottom(0))
            .grid(Grid::new().left("3%").right("4%").top("8%").bottom("16%").contain_label(true))
            .x_axis(Axis::new().type_(AxisType::Category).data(labels))
            .y_axis(Axis::new().type_(AxisType::Value).name("%").min(0).max(100))
            .y_axis(Axis::new().type_(AxisType::Value).name("failed"))
            .series(Line::new().name("Pass rate (%)").item_style(ItemStyle::new().color("#16a34a")).data(rates))
            .series(
                Bar::new().name("Failed runs").y_axis_index(1).bar_width(14).item_style(ItemStyle::new().color("#dc2626")).data(failed),
            );
        serde_json::to_string(&chart).unwrap_or_else(|_| "{}".into())
    }

    /// What a suite-report table shows of a suite run's report.
    pub fn rows(report: &services::test_runs::SuiteReport) -> Vec<ReportRow> {
        report
            .runs
            .iter()
            .map(|r| ReportRow { run: r.run.clone(), case_name: r.case_name.clone(), outdated: r.outdated, failures: r.failures.clone() })
            .collect()
    }
}

/// The case list (filtered), the suites, and what the create forms need.
#[server(prefix = "/api")]
pub async fn load_cases(slug: String, filter: CaseFilterParams) -> Result<CasesView, AppError> {
    use super::support::*;
    use services::ports::testcases::CaseFilter;
    let (stores, ctx) = (stores(), request());
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let wanted = CaseFilter {
        status: CaseStatus::parse(filter.status.trim()),
        tag: some(&filter.tag).map(|t| t.to_lowercase()),
        feature: some(&filter.feature),
        search: some(&filter.search),
        limit: 500,
        offset: 0,
    };
    let (access, cases) = services::testcases::list(&stores, &ctx, &slug, &wanted).await.map_err(fail)?;
    let all_filter = CaseFilter { limit: 500, ..Default::default() };
    let (_, all) = services::testcases::list(&stores, &ctx, &slug, &all_filter).await.map_err(fail)?;
    let mut tags: Vec<String> = all.iter().flat_map(|c| c.tags.iter().cloned()).collect();
    tags.sort();
    tags.dedup();
    let mut features: Vec<String> = all.iter().map(|c| c.feature.clone()).filter(|f| !f.is_empty()).collect();
    features.sort();
    features.dedup();
    let approved =
        all.iter().filter(|c| c.status == CaseStatus::Approved).map(|c| CaseChoice { id: c.id.clone(), name: c.name.clone() }).collect();
    let (_, suites) = services::suites::list(&stores, &ctx, &slug).await.map_err(fail)?;
    let keys = load::keys(&stores, &ctx, &slug).await.map_err(fail)?;
    Ok(CasesView {
        head: load::head(&access),
        filter,
        cases,
        tags,
        features,
        approved,
        suites: suites.into_iter().map(|s| SuiteRow { suite: s.suite, latest_run: s.latest_run }).collect(),
        keys,
    })
}

#[server(prefix = "/api")]
pub async fn load_case(slug: String, id: String) -> Result<CaseView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let (access, case, comments) = services::testcases::get(&stores, &ctx, &slug, &id).await.map_err(fail)?;
    let runs = services::test_runs::case_history(&stores, &ctx, &slug, &id, 50).await.map_err(fail)?;
    let (_, suites) = services::suites::list(&stores, &ctx, &slug).await.map_err(fail)?;
    let keys = load::keys(&stores, &ctx, &slug).await.map_err(fail)?;
    let next_statuses = CaseStatus::ALL.into_iter().filter(|s| case.status.can_move_to(*s)).collect();
    Ok(CaseView {
        head: load::head(&access),
        suites: suites.into_iter().map(|s| s.suite).filter(|s| s.case_ids.contains(&case.id)).collect(),
        case,
        comments,
        runs,
        next_statuses,
        keys,
    })
}

#[server(prefix = "/api")]
pub async fn load_run(slug: String, run_id: String) -> Result<RunView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let services::test_runs::RunDetails { access, run, case, people } =
        services::test_runs::run_details(&stores, &ctx, &slug, &run_id).await.map_err(fail)?;
    Ok(RunView { head: load::head(&access), run, case, people })
}

#[server(prefix = "/api")]
pub async fn load_suite_run(slug: String, id: String) -> Result<SuiteRunView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let report = services::test_runs::suite_report(&stores, &ctx, &slug, &id).await.map_err(fail)?;
    let access =
        services::authz::project_by_slug(stores.primary.as_ref(), &ctx, &slug, domain::ProjectRole::Analyst).await.map_err(fail)?;
    let trend = match services::test_runs::suite_trend(&stores, &ctx, &slug, &report.suite_run.suite_id, 30).await {
        Ok(points) => points,
        // The suite was deleted: its report stays readable without a trend.
        Err(services::ServiceError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(fail(e)),
    };
    let trend: Vec<TrendRow> = trend
        .into_iter()
        .map(|p| TrendRow {
            suite_run_id: p.suite_run_id,
            created_at_ms: p.created_at_ms,
            status: p.status,
            counts: p.counts,
            pass_rate: p.pass_rate,
        })
        .collect();
    Ok(SuiteRunView {
        head: load::head(&access),
        runs: load::rows(&report),
        pass_rate: report.pass_rate(),
        trend_chart: load::trend_chart(&trend),
        suite_run: report.suite_run,
        suite_name: report.suite_name,
        counts: report.counts,
        trend,
    })
}

#[server(prefix = "/api")]
pub async fn load_comparison(slug: String, a: String, b: String) -> Result<CompareView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    if a.trim().is_empty() || b.trim().is_empty() {
        return Err(fail(services::ServiceError::Invalid("choose two runs to compare".into())));
    }
    let (access, comparison) = services::test_runs::compare_runs(&stores, &ctx, &slug, a.trim(), b.trim()).await.map_err(fail)?;
    Ok(CompareView { head: load::head(&access), comparison })
}

/// The generation prompt and the keys to send it with (editors).
#[server(prefix = "/api")]
pub async fn load_generate(slug: String) -> Result<GenerateView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let (access, prompt) = services::test_generation::generation_prompt(&services(), &ctx, &slug).await.map_err(fail)?;
    let keys = load::keys(&stores, &ctx, &slug).await.map_err(fail)?;
    Ok(GenerateView { head: load::head(&access), prompt, keys })
}
