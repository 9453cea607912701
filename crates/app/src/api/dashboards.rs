//! Server functions of the ledger dashboard (issue 5). The page passes its raw URL query: the
//! filter ([`LedgerFilter::from_query`]) plus `drill=1`, `sort`, `desc` and `page` for the
//! records table. Membership is checked in `services::ledger_dashboard`.

use super::AppError;
use crate::api::traces::ProjectHead;
use domain::ledger_dashboard::{
    groups, Kpi, LedgerDashboard, LedgerField, LedgerFilter, LedgerFilterValues, LedgerRecordPage, LedgerSort, LedgerSortColumn,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One element of a chart, as the table beside it lists it: the exact figure and the link to
/// the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartPoint {
    pub label: String,
    pub series: String,
    pub value: String,
    pub drill: Option<String>,
}

/// A chart: its ECharts option, the cross-filter URL of each category (JSON object, read by
/// `public/dashboards.js`), and its elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartView {
    pub title: String,
    pub option: String,
    pub links: String,
    pub points: Vec<ChartPoint>,
}

/// A KPI card: its figures and the records behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KpiCard {
    pub label: String,
    pub kpi: Kpi,
    pub drill: Option<String>,
}

/// The records table of a drill-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillView {
    pub records: LedgerRecordPage,
    pub sort: LedgerSort,
    pub page: u64,
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardData {
    pub project: ProjectHead,
    pub filter: LedgerFilter,
    /// The dashboard (not in a drill-down).
    pub dashboard: Option<LedgerDashboard>,
    pub values: LedgerFilterValues,
    pub kpis: Vec<KpiCard>,
    pub charts: Vec<ChartView>,
    pub drill: Option<DrillView>,
    /// The project's datasets as (id, name), for the dataset filter and the records table.
    pub datasets: Vec<(String, String)>,
}

/// Page parameters beside the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrillParams {
    pub drill: bool,
    pub sort: LedgerSort,
    pub page: u64,
}

impl DrillParams {
    /// `drill=1`, `sort=<column>`, `desc=1`, `page=<n>` (1-based in the URL); others ignored.
    pub fn from_query(query: &str) -> DrillParams {
        let mut p = DrillParams::default();
        for pair in query.trim_start_matches('?').split('&') {
            match pair.split_once('=').unwrap_or((pair, "")) {
                ("drill", "1") => p.drill = true,
                ("sort", v) => p.sort.column = LedgerSortColumn::parse(v).unwrap_or(LedgerSortColumn::Row),
                ("desc", "1") => p.sort.descending = true,
                ("page", v) => p.page = v.parse::<u64>().unwrap_or(1).max(1) - 1,
                _ => {}
            }
        }
        p
    }
}

/// The dashboard's URL for `filter` (with `extra` page parameters appended).
pub fn page_url(slug: &str, filter: &LedgerFilter, extra: &str) -> String {
    let q = [filter.to_query(), extra.to_owned()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("&");
    if q.is_empty() {
        format!("/projects/{slug}/dashboards")
    } else {
        format!("/projects/{slug}/dashboards?{q}")
    }
}

/// The drill-down URL of `filter`, sorted and paged.
pub fn drill_url(slug: &str, filter: &LedgerFilter, sort: LedgerSort, page: u64) -> String {
    let mut extra = "drill=1".to_owned();
    if sort.column != LedgerSortColumn::Row {
        extra.push_str(&format!("&sort={}", sort.column.as_str()));
    }
    if sort.descending {
        extra.push_str("&desc=1");
    }
    if page > 0 {
        extra.push_str(&format!("&page={}", page + 1));
    }
    page_url(slug, filter, &extra)
}

/// `filter` narrowed to `values` of `field`: the intersection with what it already lists;
/// `None` when that is empty (no row could match).
pub fn narrow(filter: &LedgerFilter, field: LedgerField, values: &[&str]) -> Option<LedgerFilter> {
    let current = filter.values(field);
    let kept: Vec<String> =
        values.iter().filter(|v| current.is_empty() || current.iter().any(|c| c == *v)).map(|v| (*v).to_owned()).collect();
    if kept.is_empty() {
        return None;
    }
    let mut f = filter.clone();
    match field {
        LedgerField::Dataset => f.datasets = kept,
        LedgerField::Entity => f.entities = kept,
        LedgerField::Region => f.regions = kept,
        LedgerField::CompanyCode => f.company_codes = kept,
        LedgerField::Department => f.departments = kept,
        LedgerField::Division => f.divisions = kept,
        LedgerField::AccountGroup => f.account_groups = kept,
        LedgerField::AccountCode => f.account_codes = kept,
        LedgerField::AccountName => return None,
    }
    Some(f)
}

/// The account groups behind each KPI.
pub fn kpi_groups(label: &str) -> &'static [&'static str] {
    use groups::*;
    match label {
        "Revenue" => &[REVENUE],
        "Gross profit" => &[REVENUE, COGS],
        "EBITDA" => &[REVENUE, COGS, OPEX, OTHER_INCOME, OTHER_EXPENSE],
        _ => &[REVENUE, COGS, OPEX, OTHER_INCOME, OTHER_EXPENSE, DEPRECIATION, INTEREST, TAX],
    }
}

/// The dashboard, or a drill-down page of its records, for the page's URL query.
#[server(prefix = "/api")]
pub async fn load_dashboard(slug: String, #[server(default)] query: String) -> Result<DashboardData, AppError> {
    use super::support::*;
    let filter = LedgerFilter::from_query(&query).map_err(|e| fail(services::ServiceError::Invalid(e.to_string())))?;
    let params = DrillParams::from_query(&query);
    if params.drill {
        let (access, records) =
            services::ledger_dashboard::drill_down(&stores(), &request(), &slug, &filter, params.sort, params.page).await.map_err(fail)?;
        let drill = DrillView { records, sort: params.sort, page: params.page, page_size: services::ledger_dashboard::DRILL_PAGE_SIZE };
        let datasets = server::datasets(&slug).await?;
        return Ok(DashboardData {
            project: server::head(&access),
            filter,
            dashboard: None,
            values: LedgerFilterValues::default(),
            kpis: Vec::new(),
            charts: Vec::new(),
            drill: Some(drill),
            datasets,
        });
    }
    let (access, d, values) = services::ledger_dashboard::open_dashboard(&stores(), &request(), &slug, &filter).await.map_err(fail)?;
    let head = server::head(&access);
    let (kpis, charts) = server::figures(&head.slug, &filter, &d);
    let datasets = server::datasets(&slug).await?;
    Ok(DashboardData { project: head, filter, dashboard: Some(d), values, kpis, charts, drill: None, datasets })
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::components::ledger_charts::{self as charts, blank_label};
    use domain::ledger_dashboard::{Money, StepKind};
    use serde_json::{Map, Value};

    /// (id, name) of the project's datasets, by name.
    pub async fn datasets(slug: &str) -> Result<Vec<(String, String)>, AppError> {
        use crate::api::support::*;
        let (_, listing) = services::datasets::list(&stores(), &request(), slug).await.map_err(fail)?;
        Ok(listing.into_iter().map(|l| (l.dataset.id, l.dataset.name)).collect())
    }

    pub fn head(a: &services::authz::ProjectAccess) -> ProjectHead {
        ProjectHead { slug: a.project.slug.to_string(), name: a.project.name.clone(), role: a.role }
    }

    /// The KPI cards and charts, each element linked to its records (and, for the script, to
    /// the dashboard cross-filtered by its category).
    pub fn figures(slug: &str, filter: &LedgerFilter, d: &LedgerDashboard) -> (Vec<KpiCard>, Vec<ChartView>) {
        let Some(period) = d.period else { return (Vec::new(), Vec::new()) };
        // Drill-downs cover the months shown, even when the filter left them open.
        let shown = LedgerFilter { month_from: Some(period.from), month_to: Some(period.to), ..filter.clone() };
        let drill = |f: Option<LedgerFilter>| f.map(|f| drill_url(slug, &f, LedgerSort::default(), 0));
        let by_groups = |f: &LedgerFilter, gs: &[&str]| drill(narrow(f, LedgerField::AccountGroup, gs));
        let k = &d.kpis;
        let kpis = [("Revenue", k.revenue), ("Gross profit", k.gross_profit), ("EBITDA", k.ebitda), ("Net income", k.net_income)]
            .into_iter()
            .map(|(label, kpi)| KpiCard { label: label.into(), kpi, drill: by_groups(&shown, kpi_groups(label)) })
            .collect();

        let money = |m: Money| m.to_string();
        let links = |pairs: Vec<(String, Option<LedgerFilter>)>| {
            let map: Map<String, Value> =
                pairs.into_iter().filter_map(|(k, f)| Some((k, Value::String(page_url(slug, &f?, ""))))).collect();
            Value::Object(map).to_string()
        };
        let expense_groups: &[&str] = &groups::EXPENSES;

        // Trend: a month cross-filters to that month; its points drill by series.
        let month_filter =
            |m: &domain::ledger_dashboard::LedgerMonth| LedgerFilter { month_from: Some(*m), month_to: Some(*m), ..filter.clone() };
        let mut points = Vec::new();
        for p in &d.trend {
            let f = month_filter(&p.month);
            for (series, value, gs) in [
                ("Revenue", p.revenue, kpi_groups("Revenue")),
                ("Expenses", p.expenses, expense_groups),
                ("EBITDA", p.ebitda, kpi_groups("EBITDA")),
                ("Net income", p.net_income, kpi_groups("Net income")),
            ] {
                points.push(ChartPoint {
                    label: p.month.to_string(),
                    series: series.into(),
                    value: money(value),
                    drill: by_groups(&f, gs),
                });
            }
        }
        let trend = ChartView {
            title: "Monthly trend".into(),
            option: charts::trend(&d.trend),
            links: links(d.trend.iter().map(|p| (p.month.to_string(), Some(month_filter(&p.month)))).collect()),
            points,
        };

        let segment = |title: &str, field: LedgerField, bars: &[domain::ledger_dashboard::SegmentBar]| {
            let mut points = Vec::new();
            for b in bars {
                let f = narrow(&shown, field, &[b.key.as_str()]);
                for (series, value, gs) in [("Revenue", b.revenue, kpi_groups("Revenue")), ("Expenses", b.expenses, expense_groups)] {
                    let drill = f.as_ref().and_then(|f| by_groups(f, gs));
                    points.push(ChartPoint { label: blank_label(&b.key), series: series.into(), value: money(value), drill });
                }
            }
            ChartView {
                title: title.into(),
                option: charts::segments(bars),
                links: links(bars.iter().map(|b| (blank_label(&b.key), narrow(filter, field, &[b.key.as_str()]))).collect()),
                points,
            }
        };
        let by_entity = segment("Revenue and expenses by entity", LedgerField::Entity, &d.by_entity);
        let by_region = segment("Revenue and expenses by region", LedgerField::Region, &d.by_region);

        let donut = ChartView {
            title: "Expense breakdown".into(),
            option: charts::expense_donut(&d.expense_breakdown),
            links: links(
                d.expense_breakdown
                    .iter()
                    .map(|s| (s.account_group.clone(), narrow(filter, LedgerField::AccountGroup, &[s.account_group.as_str()])))
                    .collect(),
            ),
            points: d
                .expense_breakdown
                .iter()
                .map(|s| ChartPoint {
                    label: s.account_group.clone(),
                    series: "Expenses".into(),
                    value: money(s.amount),
                    drill: by_groups(&shown, &[s.account_group.as_str()]),
                })
                .collect(),
        };

        let step_groups = |s: &domain::ledger_dashboard::WaterfallStep| -> Vec<String> {
            match s.kind {
                StepKind::Delta => vec![s.account_group.clone()],
                StepKind::Total => kpi_groups(&s.label).iter().map(|g| (*g).to_owned()).collect(),
            }
        };
        let waterfall = ChartView {
            title: "Profit and loss waterfall".into(),
            option: charts::waterfall(&d.waterfall),
            links: links(
                d.waterfall
                    .iter()
                    .map(|s| {
                        let gs = step_groups(s);
                        (s.label.clone(), narrow(filter, LedgerField::AccountGroup, &gs.iter().map(String::as_str).collect::<Vec<_>>()))
                    })
                    .collect(),
            ),
            points: d
                .waterfall
                .iter()
                .map(|s| {
                    let gs = step_groups(s);
                    ChartPoint {
                        label: s.label.clone(),
                        series: if s.kind == StepKind::Total { "Total".into() } else { "Change".into() },
                        value: money(s.amount),
                        drill: by_groups(&shown, &gs.iter().map(String::as_str).collect::<Vec<_>>()),
                    }
                })
                .collect(),
        };
        (kpis, vec![trend, by_entity, by_region, donut, waterfall])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parameters_and_urls() {
        let p = DrillParams::from_query("?entity=E&drill=1&sort=debit&desc=1&page=3");
        assert_eq!((p.drill, p.sort.column, p.sort.descending, p.page), (true, LedgerSortColumn::Debit, true, 2));
        assert_eq!(DrillParams::from_query("page=0&sort=nope"), DrillParams::default());
        let f = LedgerFilter { entities: vec!["A B".into()], ..Default::default() };
        assert_eq!(drill_url("s", &f, p.sort, 2), "/projects/s/dashboards?entity=A%20B&drill=1&sort=debit&desc=1&page=3");
        assert_eq!(page_url("s", &LedgerFilter::default(), ""), "/projects/s/dashboards");
        let two = LedgerFilter { account_groups: vec!["REVENUE".into(), "COGS".into()], ..Default::default() };
        assert_eq!(narrow(&two, LedgerField::AccountGroup, &["COGS", "OPEX"]).unwrap().account_groups, vec!["COGS".to_owned()]);
        assert_eq!(narrow(&two, LedgerField::AccountGroup, &["TAX"]), None, "disjoint: nothing to show");
        assert_eq!(narrow(&two, LedgerField::Entity, &[""]).unwrap().entities, vec![String::new()]);
    }
}
