//! The ledger dashboard of a project (issue 5): KPI cards against the previous period, five
//! charts, the top accounts, and the drill-down to the records behind any figure. Everything is
//! in the URL (a GET filter form and plain links), so the page works without JavaScript;
//! `public/dashboards.js` adds cross-filtering by clicking a chart element.
//!

use crate::api::dashboards::{drill_url, load_dashboard, page_url, ChartView, DashboardData, DrillView, KpiCard};
use crate::components::flash::LoadError;
use domain::ledger_dashboard::{
    form_value, format_change, LedgerFilter, LedgerFilterValues, LedgerRow, LedgerSort, LedgerSortColumn, TopAccount,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug")).unwrap_or_default();
    let query = use_location().search.get_untracked();
    let data = load_dashboard(slug, query);
    view! {
        <Title text="Dashboards" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => page(d).into_any(),
            }
        })}
        <script src="/vendor/echarts.min.js" defer></script>
        <script src="/charts.js" defer></script>
        <script src="/dashboards.js" defer></script>
    }
}

fn blank(v: &str) -> String {
    if v.is_empty() {
        "(blank)".into()
    } else {
        v.to_owned()
    }
}

fn page(d: DashboardData) -> impl IntoView {
    let slug = d.project.slug.clone();
    let header = view! {
        <header class="page-header">
            <span class="card-kicker"><a href=format!("/projects/{slug}")>{d.project.name.clone()}</a></span>
            <h1>"Dashboards"</h1>
            <p class="lead">"Profit and loss of the project's ledger records: filter, click a chart to narrow the page, drill down to the records, export."</p>
        </header>
    };
    let body = match (d.drill.clone(), d.dashboard.clone()) {
        (Some(drill), _) => drill_view(&slug, &d.filter, drill, &d.datasets).into_any(),
        (None, Some(dash)) if dash.period.is_none() => {
            let filtered = d.filter != LedgerFilter::default();
            // Without any record there is nothing to filter: only the message.
            view! {
                {filtered.then(|| filter_form(&slug, &d.filter, &d.values, &d.datasets))}
                <section class="card section-gap empty-state" data-testid="dashboard-empty">
                    {if filtered {
                        view! { <p>"No ledger records match these filters. " <a href=page_url(&slug, &LedgerFilter::default(), "")>"Clear the filters"</a></p> }.into_any()
                    } else {
                        view! { <p>"No ledger records yet. Upload a ledger file on the " <a href=format!("/projects/{slug}/datasets") data-testid="dashboard-datasets-link">"datasets page"</a> "; once a dataset is imported, its profit and loss shows here."</p> }.into_any()
                    }}
                </section>
            }
            .into_any()
        }
        (None, Some(dash)) => {
            let period = dash.period.map(|p| format!("{} to {}", p.from, p.to)).unwrap_or_default();
            let previous = dash.previous_period.map(|p| format!("compared with {} to {}", p.from, p.to)).unwrap_or_default();
            view! {
                {filter_form(&slug, &d.filter, &d.values, &d.datasets)}
                <p class="muted section-gap" data-testid="period">{format!("{period}, {previous} · {} records", dash.rows)}</p>
                {export_links(&slug, &d.filter)}
                <div class="kpi-grid section-gap">{d.kpis.into_iter().map(kpi_card).collect_view()}</div>
                <div class="chart-grid section-gap">{d.charts.into_iter().map(chart).collect_view()}</div>
                {top_accounts(&slug, &d.filter, &dash, dash.top_accounts.clone())}
            }
            .into_any()
        }
        (None, None) => view! { <LoadError message="Nothing to show.".to_owned() /> }.into_any(),
    };
    view! { <main class="page dashboards">{header}{body}</main> }
}

fn export_links(slug: &str, filter: &LedgerFilter) -> impl IntoView {
    let q = filter.to_query();
    let url = |ext: &str| {
        if q.is_empty() {
            format!("/projects/{slug}/dashboards/export.{ext}")
        } else {
            format!("/projects/{slug}/dashboards/export.{ext}?{q}")
        }
    };
    view! {
        <p class="export-links">
            "Export the filtered records: "
            <a class="btn btn-ghost" href=url("csv") data-testid="export-csv" download>"CSV"</a>
            " "
            <a class="btn btn-ghost" href=url("xlsx") data-testid="export-xlsx" download>"XLSX"</a>
        </p>
    }
}

/// A multiple select of one filter field (nothing selected: any).
fn select(label: &'static str, name: &'static str, options: &[String], chosen: &[String]) -> impl IntoView {
    // Chosen values not in the list (another dataset's, or typed in the URL) stay selectable.
    let mut all: Vec<String> = options.to_vec();
    all.extend(chosen.iter().filter(|c| !options.contains(c)).cloned());
    let size = all.len().clamp(2, 5);
    let opts = all
        .into_iter()
        .map(|v| {
            let selected = chosen.contains(&v);
            view! { <option value=form_value(&v) selected=selected>{blank(&v)}</option> }
        })
        .collect_view();
    view! { <label>{label}<select name=name multiple size=size.to_string() data-testid=format!("filter-{name}")>{opts}</select></label> }
}

/// The dataset filter: a multiple select of the project's datasets by name.
fn dataset_select(datasets: &[(String, String)], chosen: &[String]) -> impl IntoView {
    let mut all: Vec<(String, String)> = datasets.to_vec();
    // A chosen id that is no dataset of the project (typed in the URL) stays visible.
    all.extend(chosen.iter().filter(|c| !datasets.iter().any(|(id, _)| id == *c)).map(|c| (c.clone(), c.clone())));
    let size = all.len().clamp(2, 4);
    let opts = all
        .into_iter()
        .map(|(id, name)| {
            let selected = chosen.contains(&id);
            view! { <option value=form_value(&id) selected=selected>{name}</option> }
        })
        .collect_view();
    view! { <label>"Datasets"<select name="dataset" multiple size=size.to_string() data-testid="filter-dataset">{opts}</select></label> }
}

fn filter_form(slug: &str, f: &LedgerFilter, v: &LedgerFilterValues, datasets: &[(String, String)]) -> impl IntoView {
    let months: Vec<String> = v.months.iter().map(|m| m.to_string()).collect();
    let month_min = months.first().cloned().unwrap_or_default();
    let month_max = months.last().cloned().unwrap_or_default();
    let action = format!("/projects/{slug}/dashboards");
    let reset = action.clone();
    view! {
        <form method="get" action=action class="filter-form card" data-testid="dashboard-filters">
            <div class="filter-main">
                <label>"From month"<input type="month" name="from" min=month_min.clone() max=month_max.clone() value=f.month_from.map(|m| m.to_string()).unwrap_or_default() placeholder="YYYY-MM" /></label>
                <label>"To month"<input type="month" name="to" min=month_min max=month_max value=f.month_to.map(|m| m.to_string()).unwrap_or_default() placeholder="YYYY-MM" /></label>
                {dataset_select(datasets, &f.datasets)}
                <div class="filter-actions">
                    <button class="btn btn-primary" type="submit" data-testid="apply-filters">"Apply"</button>
                    <a class="btn btn-ghost" href=reset>"Reset"</a>
                </div>
            </div>
            <details class="filter-more" open=true>
                <summary>"Filters (none selected: all; Ctrl or ⌘ selects several)"</summary>
                <div class="filter-grid">
                    {select("Entity", "entity", &v.entities, &f.entities)}
                    {select("Region", "region", &v.regions, &f.regions)}
                    {select("Company code", "company_code", &v.company_codes, &f.company_codes)}
                    {select("Department", "department", &v.departments, &f.departments)}
                    {select("Division", "division", &v.divisions, &f.divisions)}
                    {select("Account group", "account_group", &v.account_groups, &f.account_groups)}
                </div>
            </details>
            // Filters the form has no field for (an account) are kept.
            {f.account_codes.iter().map(|c| view! { <input type="hidden" name="account_code" value=form_value(c) /> }).collect_view()}
        </form>
    }
}

fn kpi_card(k: KpiCard) -> impl IntoView {
    let (arrow, class, change) = match k.kpi.change_bp {
        Some(bp) if bp > 0 => ("▲", "kpi-change up", format_change(bp)),
        Some(bp) if bp < 0 => ("▼", "kpi-change down", format_change(bp)),
        Some(_) => ("", "kpi-change", "0.00%".to_owned()),
        None => ("", "kpi-change muted", "no previous figure".to_owned()),
    };
    let value = k.kpi.current.to_string();
    let figure = match k.drill {
        Some(href) => view! { <a href=href data-testid="kpi-drill"><strong>{value}</strong></a> }.into_any(),
        None => view! { <strong>{value}</strong> }.into_any(),
    };
    let label = k.label.clone();
    view! {
        <div class="card stat kpi" data-testid="kpi" data-kpi=label>
            <span class="muted">{k.label}</span>
            {figure}
            <span class=class title=format!("previous period: {}", k.kpi.previous)>{arrow}" "{change}</span>
        </div>
    }
}

fn chart(c: ChartView) -> impl IntoView {
    let rows = c
        .points
        .into_iter()
        .map(|p| {
            let value = match p.drill {
                Some(href) => view! { <a href=href>{p.value}</a> }.into_any(),
                None => view! { <span>{p.value}</span> }.into_any(),
            };
            view! { <tr><td>{p.label}</td><td>{p.series}</td><td class="num">{value}</td></tr> }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="ledger-chart">
            <h2>{c.title.clone()}</h2>
            <div class="chart" data-echarts=c.option data-links=c.links role="img" aria-label=c.title data-testid="chart"></div>
            <details class="chart-data">
                <summary>"Figures and records"</summary>
                <div class="table-wrap"><table class="data-table compact">
                    <thead><tr><th></th><th></th><th class="num">"Amount"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </details>
        </section>
    }
}

fn top_accounts(
    slug: &str,
    filter: &LedgerFilter,
    dash: &domain::ledger_dashboard::LedgerDashboard,
    rows: Vec<TopAccount>,
) -> impl IntoView {
    let shown = LedgerFilter { month_from: dash.period.map(|p| p.from), month_to: dash.period.map(|p| p.to), ..filter.clone() };
    let body = rows
        .into_iter()
        .map(|a| {
            let f = crate::api::dashboards::narrow(&shown, domain::ledger_dashboard::LedgerField::AccountCode, &[a.account_code.as_str()])
                .and_then(|f| {
                    crate::api::dashboards::narrow(&f, domain::ledger_dashboard::LedgerField::AccountGroup, &[a.account_group.as_str()])
                });
            let code = match f {
                Some(f) => view! { <a href=drill_url(slug, &f, LedgerSort::default(), 0)>{blank(&a.account_code)}</a> }.into_any(),
                None => view! { <span>{blank(&a.account_code)}</span> }.into_any(),
            };
            view! {
                <tr data-testid="top-account">
                    <td>{code}</td>
                    <td>{a.account_name}</td>
                    <td>{a.account_group}</td>
                    <td class="num">{a.debit.to_string()}</td>
                    <td class="num">{a.credit.to_string()}</td>
                    <td class="num">{a.amount.to_string()}</td>
                    <td class="num">{a.rows}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section-gap flush" data-testid="top-accounts">
            <h2 class="card-title">"Top accounts"</h2>
            <div class="table-wrap"><table class="data-table compact">
                <thead><tr><th>"Account"</th><th>"Name"</th><th>"Group"</th><th class="num">"Debit"</th><th class="num">"Credit"</th><th class="num">"Amount"</th><th class="num">"Rows"</th></tr></thead>
                <tbody>{body}</tbody>
            </table></div>
        </section>
    }
}

/// The records behind a figure: sortable by clicking a header (a link), paged by links.
fn drill_view(slug: &str, filter: &LedgerFilter, d: DrillView, datasets: &[(String, String)]) -> impl IntoView {
    let total = d.records.total;
    let pages = total.div_ceil(u64::from(d.page_size)).max(1);
    let header = |label: &'static str, column: LedgerSortColumn, numeric: bool| {
        let active = d.sort.column == column;
        let next = LedgerSort { column, descending: active && !d.sort.descending };
        let mark = if !active {
            ""
        } else if d.sort.descending {
            " ▼"
        } else {
            " ▲"
        };
        let sorted = if !active {
            "none"
        } else if d.sort.descending {
            "descending"
        } else {
            "ascending"
        };
        view! {
            <th class=if numeric { "num" } else { "" } aria-sort=sorted>
                <a href=drill_url(slug, filter, next, 0) data-testid=format!("sort-{}", column.as_str())>{label}{mark}</a>
            </th>
        }
    };
    let rows = d.records.rows.into_iter().map(|r| record_row(r, datasets)).collect_view();
    let prev = (d.page > 0).then(|| drill_url(slug, filter, d.sort, d.page - 1));
    let next = (d.page + 1 < pages).then(|| drill_url(slug, filter, d.sort, d.page + 1));
    let from = d.page * u64::from(d.page_size) + 1;
    let to = (from + u64::from(d.page_size) - 1).min(total);
    view! {
        <p class="section-gap"><a href=page_url(slug, filter, "") data-testid="back-to-dashboard">"← Back to the dashboard"</a></p>
        <section class="card flush" data-testid="drill-down">
            <h2 class="card-title">"Records"</h2>
            <p class="muted" data-testid="drill-summary">
                {if total == 0 { "No records.".to_owned() } else { format!("Records {from} to {to} of {total} (page {} of {pages})", d.page + 1) }}
            </p>
            {export_links(slug, filter)}
            <div class="table-wrap"><table class="data-table compact" data-testid="records">
                <thead><tr>
                    {header("Dataset / row", LedgerSortColumn::Row, false)}
                    {header("Month", LedgerSortColumn::Month, false)}
                    {header("Date", LedgerSortColumn::Date, false)}
                    {header("Company", LedgerSortColumn::CompanyCode, false)}
                    {header("Entity", LedgerSortColumn::Entity, false)}
                    {header("Region", LedgerSortColumn::Region, false)}
                    {header("Department", LedgerSortColumn::Department, false)}
                    {header("Division", LedgerSortColumn::Division, false)}
                    {header("Group", LedgerSortColumn::AccountGroup, false)}
                    {header("Account", LedgerSortColumn::AccountCode, false)}
                    {header("Name", LedgerSortColumn::AccountName, false)}
                    {header("Debit", LedgerSortColumn::Debit, true)}
                    {header("Credit", LedgerSortColumn::Credit, true)}
                    {header("Balance", LedgerSortColumn::Balance, true)}
                    <th>"Description"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
            <nav class="pager" aria-label="Pages">
                {prev.map(|href| view! { <a class="btn btn-ghost" href=href rel="prev" data-testid="prev-page">"Previous"</a> })}
                {next.map(|href| view! { <a class="btn btn-ghost" href=href rel="next" data-testid="next-page">"Next"</a> })}
            </nav>
        </section>
    }
}

fn record_row(r: LedgerRow, datasets: &[(String, String)]) -> impl IntoView {
    let dataset = datasets.iter().find(|(id, _)| *id == r.dataset_id).map(|(_, name)| name.clone()).unwrap_or_else(|| r.dataset_id.clone());
    view! {
        <tr data-testid="record" data-row=format!("{}/{}/{}", r.dataset_id, r.import_id, r.row)>
            <td>{format!("{dataset} #{}", r.row)}</td>
            <td>{r.month.to_string()}</td>
            <td>{r.date}</td>
            <td>{r.company_code}</td>
            <td>{r.entity}</td>
            <td>{r.region}</td>
            <td>{r.department}</td>
            <td>{r.division}</td>
            <td>{r.account_group}</td>
            <td>{r.account_code}</td>
            <td>{r.account_name}</td>
            <td class="num">{r.debit.to_string()}</td>
            <td class="num">{r.credit.to_string()}</td>
            <td class="num">{r.balance.to_string()}</td>
            <td>{r.description}</td>
        </tr>
    }
}
