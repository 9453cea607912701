//! Datasets of a project (issue 5): the list with the upload panel, and one dataset with its
//! imports: the column mapping to confirm, a running import's progress, the rows rejected.
//! Everything but the upload itself works without JavaScript (plain forms and links).

use crate::{
    api::{
        dashboards::page_url,
        datasets::{load_dataset, load_datasets, megabytes, DatasetDetailView, DatasetsView, ImportView, MappingForm, RejectedRow},
    },
    components::flash::{FlashBanner, LoadError},
    islands::upload::{DatasetChoice, ImportWatch, UploadPanel},
};
use domain::{
    datasets::{Dataset, DatasetImport, DatasetListing, ImportMode, ImportStatus},
    ledger_dashboard::LedgerFilter,
    usage::utc_minute,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn param(name: &str) -> String {
    use_params_map().with_untracked(|p| p.get(name)).unwrap_or_default()
}

fn dataset_url(slug: &str, id: &str) -> String {
    format!("/projects/{slug}/datasets/{id}")
}

fn dashboard_url(slug: &str, dataset_id: &str) -> String {
    page_url(slug, &LedgerFilter { datasets: vec![dataset_id.to_owned()], ..Default::default() }, "")
}

/// The status of an import as a pill: green when done, red when failed, blue otherwise.
fn status_pill(status: ImportStatus) -> impl IntoView {
    let class = match status {
        ImportStatus::Completed => "pill pill-ok",
        ImportStatus::Failed => "pill pill-bad",
        ImportStatus::Mapping => "pill pill-warn",
        _ => "pill pill-info",
    };
    view! { <span class=class data-testid="import-status" data-status=status.as_str()>{status.label()}</span> }
}

fn mode_label(mode: ImportMode) -> &'static str {
    match mode {
        ImportMode::Create => "New dataset",
        ImportMode::Append => "Appended",
        ImportMode::Replace => "Replaced the rows",
    }
}

/// Delete with a second step (a `<details>`), so it works without a script and is never one click.
fn delete_form(slug: &str, d: &Dataset, compact: bool) -> impl IntoView {
    let action = format!("/projects/{slug}/datasets/{}/delete", d.id);
    let question = format!("Delete “{}” and its {} rows? This cannot be undone.", d.name, d.rows);
    let summary_class = if compact { "btn btn-ghost btn-sm" } else { "btn btn-ghost" };
    view! {
        <details class="inline-details confirm-delete" data-testid="delete-dataset">
            <summary class=summary_class>"Delete"</summary>
            <form method="post" action=action class="confirm-box">
                <p>{question}</p>
                <button class="btn btn-danger btn-sm" type="submit" data-testid="confirm-delete">"Delete for good"</button>
            </form>
        </details>
    }
}

fn upload_aside(slug: &str, datasets: Vec<DatasetChoice>, target: Option<String>) -> impl IntoView {
    view! {
        <aside class="upload-aside">
            <UploadPanel slug=slug.to_owned() datasets=datasets target=target />
            <noscript><p class="muted small">"The upload runs in the browser and needs JavaScript; scripts can use the upload API."</p></noscript>
        </aside>
    }
}

// ------------------------------------------------------------------------------------ list

#[component]
pub fn DatasetsPage() -> impl IntoView {
    let data = load_datasets(param("slug"));
    view! {
        <Title text="Datasets" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => list_view(v).into_any(),
            }
        })}
    }
}

fn list_view(v: DatasetsView) -> impl IntoView {
    let slug = v.project.slug.clone();
    let choices: Vec<DatasetChoice> =
        v.datasets.iter().map(|l| DatasetChoice { id: l.dataset.id.clone(), name: l.dataset.name.clone() }).collect();
    let body = if v.datasets.is_empty() {
        view! {
            <section class="empty-state" data-testid="no-datasets">
                <h2>"No datasets yet"</h2>
                <p>"A dataset is a ledger exported from your accounting system: one row per posting, with a date or month, an account and an amount (debit and credit, or a signed amount)."</p>
                <ul class="checklist">
                    <li>"Excel (.xlsx, .xls), OpenDocument (.ods), CSV or TSV"</li>
                    <li>"Columns such as company code, entity, region, department, account group, account code and name"</li>
                    <li>"Columns are recognised from their headers; you confirm the mapping before the import"</li>
                </ul>
            </section>
        }
        .into_any()
    } else {
        let rows = v.datasets.iter().map(|l| list_row(&slug, l, v.can_write)).collect_view();
        view! {
            // Not clipped: the delete confirmation opens over the rows below.
            <section class="card flush datasets-card">
                <div><table class="data-table datasets-table" data-testid="datasets">
                    <thead><tr>
                        <th>"Name"</th><th>"Status"</th><th class="num">"Rows"</th><th class="num">"Size"</th>
                        <th>"Uploaded by"</th><th>"Updated"</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </section>
        }
        .into_any()
    };
    let project = format!("/projects/{slug}");
    let dashboards = format!("/projects/{slug}/dashboards");
    view! {
        <Title text=format!("Datasets · {}", v.project.name) />
        <header class="page-header with-actions">
            <div>
                <span class="card-kicker"><a href=project>{v.project.name.clone()}</a></span>
                <h1>"Datasets"</h1>
                <p class="lead">"Ledger files imported into this project. Their rows feed the dashboards once an import completes."</p>
            </div>
            <a class="btn btn-ghost" href=dashboards data-testid="datasets-dashboards-link">"Dashboards"</a>
        </header>
        <FlashBanner />
        <div class=if v.can_write { "grid-main-side datasets-layout" } else { "datasets-layout-single" }>
            <div>{body}</div>
            {v.can_write.then(|| upload_aside(&slug, choices, None))}
        </div>
    }
}

fn list_row(slug: &str, l: &DatasetListing, can_delete: bool) -> impl IntoView {
    let d = &l.dataset;
    let status =
        l.latest.as_ref().map(|i| status_pill(i.status).into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any());
    view! {
        <tr data-testid="dataset-row" data-id=d.id.clone()>
            <td><a href=dataset_url(slug, &d.id) data-testid="dataset-link"><strong>{d.name.clone()}</strong></a></td>
            <td>{status}</td>
            <td class="num" data-testid="dataset-rows">{d.rows}</td>
            <td class="num nowrap">{megabytes(d.size_bytes)}</td>
            <td class="ellipsis">{l.uploader_email.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="small">{utc_minute(d.updated_at_ms)}</td>
            <td class="actions">{can_delete.then(|| delete_form(slug, d, true))}</td>
        </tr>
    }
}

// ------------------------------------------------------------------------------------ one dataset

#[component]
pub fn DatasetPage() -> impl IntoView {
    let data = load_dataset(param("slug"), param("id"));
    view! {
        <Title text="Dataset" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => detail_view(v).into_any(),
            }
        })}
    }
}

fn detail_view(v: DatasetDetailView) -> impl IntoView {
    let slug = v.project.slug.clone();
    let d = v.dataset.clone();
    let busy = v.imports.iter().any(|i| i.import.status.is_busy() || i.import.status == ImportStatus::Mapping);
    let imports = v.imports.into_iter().map(|i| import_card(&slug, i)).collect_view();
    let list = format!("/projects/{slug}/datasets");
    let summary = format!(
        "{} rows · {} · created {}{}",
        d.rows,
        megabytes(d.size_bytes),
        utc_minute(d.created_at_ms),
        if d.updated_at_ms != d.created_at_ms { format!(" · updated {}", utc_minute(d.updated_at_ms)) } else { String::new() }
    );
    let choice = vec![DatasetChoice { id: d.id.clone(), name: d.name.clone() }];
    view! {
        <Title text=format!("{} · Datasets", d.name) />
        <header class="page-header with-actions">
            <div>
                <span class="card-kicker">
                    <a href=format!("/projects/{slug}")>{v.project.name.clone()}</a>" › "<a href=list.clone()>"Datasets"</a>
                </span>
                <h1 data-testid="dataset-name">{d.name.clone()}</h1>
                <p class="lead" data-testid="dataset-summary">{summary}</p>
            </div>
            <div class="inline-form header-actions">
                <a class="btn btn-primary" href=dashboard_url(&slug, &d.id) data-testid="dataset-dashboard">"Open in the dashboard"</a>
                {v.can_write.then(|| delete_form(&slug, &d, false))}
            </div>
        </header>
        <FlashBanner />
        // While an import runs or waits for its mapping, it has the whole width.
        <div class=if busy || !v.can_write { "datasets-layout-single" } else { "grid-main-side datasets-layout" }>
            <div class="imports">
                <h2 class="section-title">"Imports"</h2>
                {imports}
            </div>
            {(v.can_write && !busy).then(|| upload_aside(&slug, choice, Some(d.id.clone())))}
        </div>
    }
}

fn fact(label: &'static str, value: String) -> impl IntoView {
    view! { <div class="fact"><span class="muted">{label}</span><strong>{value}</strong></div> }
}

fn import_card(slug: &str, v: ImportView) -> impl IntoView {
    let i = v.import;
    let finished = i.finished_at_ms.map(utc_minute).unwrap_or_else(|| "—".into());
    let facts = view! {
        <div class="trace-facts import-facts">
            {fact("Size", megabytes(i.size_bytes))}
            {fact("Uploaded by", v.uploader.clone().unwrap_or_else(|| "—".into()))}
            {fact("Started", utc_minute(i.created_at_ms))}
            {fact("Finished", finished)}
            {fact("Rows read", i.rows_read.to_string())}
            {fact("Accepted", i.rows_accepted.to_string())}
            {fact("Rejected", i.rows_rejected.to_string())}
        </div>
    };
    let body = match i.status {
        ImportStatus::Mapping => match v.mapping {
            Some(form) => mapping_form(slug, &i, form).into_any(),
            None if v.may_confirm => view! { <p class="banner banner-bad">"The proposed column mapping could not be read; upload the file again."</p> }.into_any(),
            None => view! { <p class="muted" data-testid="mapping-waits">"Waiting for the person who uploaded the file to confirm its columns."</p> }.into_any(),
        },
        s if s.is_busy() => view! {
            <ImportWatch slug=slug.to_owned() import_id=i.id.clone() status=s rows_read=i.rows_read rows_accepted=i.rows_accepted />
            // Without a script, the page reloads itself while the import runs.
            <noscript><meta http-equiv="refresh" content="3" /></noscript>
        }
        .into_any(),
        ImportStatus::Uploading => view! {
            <p class="muted">"The upload has not finished. Choose the same file again in the upload panel: it continues where it stopped."</p>
        }
        .into_any(),
        ImportStatus::Failed => view! {
            <div class="banner banner-bad" role="alert" data-testid="import-error">{i.error.clone().unwrap_or_else(|| "The import failed.".into())}</div>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let rejections = (!v.rejections.is_empty()).then(|| rejections_table(slug, &i, v.rejections));
    view! {
        <section class="card import-card section-gap" data-testid="import" data-status=i.status.as_str() data-import=i.id.clone()>
            <header class="import-head">
                <h3 data-testid="import-file">{i.file_name.clone()}</h3>
                {status_pill(i.status)}
                <span class="muted small">{mode_label(i.mode)}</span>
            </header>
            {facts}
            {body}
            {rejections}
        </section>
    }
}

fn rejections_table(slug: &str, i: &DatasetImport, rows: Vec<RejectedRow>) -> impl IntoView {
    let download = format!("/projects/{slug}/datasets/uploads/{}/rejections.csv", i.id);
    let shown = rows.len() as u64;
    let note = if i.rows_rejected > shown {
        format!("The first {shown} of {} rejected rows.", i.rows_rejected)
    } else {
        format!("{} rejected {}.", i.rows_rejected, if i.rows_rejected == 1 { "row" } else { "rows" })
    };
    let body = rows
        .into_iter()
        .map(|r| view! { <tr data-testid="rejection"><td class="num">{r.row}</td><td>{r.column}</td><td>{r.reason}</td></tr> })
        .collect_view();
    view! {
        <details class="rejections" data-testid="rejections" open=true>
            <summary>"Rejected rows"</summary>
            <p class="muted small">{note}" "<a href=download download data-testid="rejections-csv">"Download them as CSV"</a></p>
            <div class="table-wrap rejections-wrap"><table class="data-table compact">
                <thead><tr><th class="num">"Row"</th><th>"Column"</th><th>"Reason"</th></tr></thead>
                <tbody>{body}</tbody>
            </table></div>
        </details>
    }
}

/// Confirm or change the proposed mapping: one select per file column above its sample values,
/// and the dataset settings that decide how dates and amounts are read.
fn mapping_form(slug: &str, i: &DatasetImport, f: MappingForm) -> impl IntoView {
    let action = format!("/projects/{slug}/datasets/{}/imports/{}/mapping", i.dataset_id, i.id);
    let fields = f.fields.clone();
    let heads = f
        .columns
        .iter()
        .map(|c| {
            let guessed = c.confidence > 0.0 && c.confidence < 1.0;
            view! { <th title=format!("Column {}", c.index + 1)>{c.header.clone()}{guessed.then(|| view! { <small class="guess">" (likely)"</small> })}</th> }
        })
        .collect_view();
    let selects = f
        .columns
        .iter()
        .map(|c| {
            let options = fields
                .iter()
                .map(|o| view! { <option value=o.value.clone() selected=o.value == c.field>{o.label.clone()}</option> })
                .collect_view();
            view! {
                <td>
                    <select name=format!("field_{}", c.index) aria-label=format!("Ledger field of column {}", c.header) data-testid="mapping-field" data-header=c.header.clone()>
                        <option value="" selected=c.field.is_empty()>"Keep as extra attribute"</option>
                        {options}
                    </select>
                </td>
            }
        })
        .collect_view();
    let width = f.columns.len();
    let samples = f
        .sample
        .iter()
        .map(|(n, cells)| {
            let tds = cells.iter().take(width).map(|c| view! { <td>{c.clone()}</td> }).collect_view();
            view! { <tr><th class="row-number">{*n}</th>{tds}</tr> }
        })
        .collect_view();
    let notes = (!f.notes.is_empty()).then(|| {
        view! { <ul class="mapping-notes muted small">{f.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul> }
    });
    let format = if f.format.is_empty() { String::new() } else { format!("Read as {}; ", f.format) };
    let opt = |value: &'static str, label: &'static str, current: &str| {
        view! { <option value=value selected=value == current>{label}</option> }
    };
    view! {
        <form method="post" action=action class="form mapping-form" id="mapping" data-testid="mapping-form">
            <h4>"Confirm the columns"</h4>
            <p class="muted small">
                {format!("{format}headers on row {}. Choose the ledger field of each column; columns kept as extra attributes are stored with each row.", f.header_row)}
            </p>
            {f.extension_mismatch.clone().map(|m| view! { <p class="banner banner-info">{m}</p> })}
            {notes}
            <div class="table-wrap mapping-wrap">
                <table class="data-table compact mapping-table" data-testid="mapping-table">
                    <thead>
                        <tr><th class="row-number">"Row"</th>{heads}</tr>
                        <tr class="mapping-selects"><th class="row-number">"Field"</th>{selects}</tr>
                    </thead>
                    <tbody>{samples}</tbody>
                </table>
            </div>
            <fieldset class="mapping-settings form-grid">
                <legend>"How to read the values"</legend>
                <label>"Dates like 03/04/2025"
                    <select name="date_order" data-testid="date-order">
                        {opt("day_month_year", "Day first (3 April)", &f.date_order)}
                        {opt("month_day_year", "Month first (March 4)", &f.date_order)}
                        {opt("year_month_day", "Year first (2025/04/03)", &f.date_order)}
                    </select>
                </label>
                <label>"Decimal separator"
                    <select name="decimal_separator" data-testid="decimal-separator">
                        {opt("auto", "Detect from the file", &f.decimal_separator)}
                        {opt("dot", "Point (1,234.56)", &f.decimal_separator)}
                        {opt("comma", "Comma (1.234,56)", &f.decimal_separator)}
                    </select>
                </label>
                <label>"Company code when missing"<input type="text" name="company_code" maxlength="64" value=f.company_code.clone() placeholder="none" /></label>
                <label>"Entity when missing"<input type="text" name="entity" maxlength="120" value=f.entity.clone() placeholder="none" /></label>
                <label>"Currency when missing"<input type="text" name="currency" maxlength="8" value=f.currency.clone() placeholder="none" /></label>
            </fieldset>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit" data-testid="confirm-mapping">"Confirm and import"</button>
            </div>
        </form>
    }
}

// ------------------------------------------------------------------------------------ /datasets

/// `/datasets`: pick a project; each links to its datasets.
#[component]
pub fn DatasetsChooser() -> impl IntoView {
    let data = crate::api::projects::my_projects();
    let info = crate::pages::area::area_info("datasets");
    view! {
        <Title text=info.title />
        <header class="page-header">
            <span class="card-kicker">{info.audience}</span>
            <h1>{info.title}</h1>
            <p class="lead">{info.summary}</p>
        </header>
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <section class="empty-state" data-testid="no-projects">
                        <h2>"No projects yet"</h2>
                        <p>"Datasets belong to a project. Create one to upload your ledger files."</p>
                        <a class="btn btn-primary" href="/projects">"Create a project"</a>
                    </section>
                }.into_any(),
                Ok(list) => view! { <div class="card-grid">{list.into_iter().map(|p| {
                    let base = format!("/projects/{}", p.slug);
                    view! {
                        <div class="card chooser-card" data-testid="datasets-project">
                            <span class="card-kicker">{p.role.label()}</span>
                            <h3><a href=format!("{base}/datasets")>{p.name}</a></h3>
                            <p class="muted small">{if p.description.is_empty() { "No description.".to_owned() } else { p.description }}</p>
                            <div class="chooser-links">
                                <a class="btn btn-primary btn-sm" href=format!("{base}/datasets")>"Datasets"</a>
                                <a class="btn btn-ghost btn-sm" href=format!("{base}/dashboards")>"Dashboard"</a>
                            </div>
                        </div>
                    }
                }).collect_view()}</div> }.into_any(),
            }
        })}
    }
}
