//! `/projects/:slug/kb/imports`: upload an OpenAPI document or SQL schema, the review rule, past
//! imports; `/projects/:slug/kb/imports/:id`: one import's progress, error or preview, where the
//! person picks what becomes drafts.

use super::{field_diff, import_status_pill, kb_header, key_label, param, plural, when};
use crate::api::datasets::megabytes;
use crate::api::kb::{load_kb_import, load_kb_imports, DiffLines, ImportView, ImportsView, KeyLine};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::{EntryKey, ImportFormat, ImportStatus};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KbImportsPage() -> impl IntoView {
    let data = load_kb_imports(param("slug"));
    view! {
        <Title text="Knowledge-base imports" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => list_page(v).into_any(),
            }
        })}
    }
}

fn upload_form(v: &ImportsView) -> impl IntoView {
    let formats = [ImportFormat::OpenApi, ImportFormat::DdlPostgres, ImportFormat::DdlMysql]
        .into_iter()
        .map(|f| view! { <option value=f.as_str()>{f.label()}</option> })
        .collect_view();
    view! {
        <section class="card" data-testid="kb-upload">
            <h2>"Import a file"</h2>
            <form method="post" enctype="multipart/form-data" action=format!("/projects/{}/kb/imports/upload", v.head.slug) class="form" data-testid="kb-upload-form">
                <label>"Format" <select name="format">{formats}</select></label>
                <label>"File" <input type="file" name="file" required accept=".json,.yaml,.yml,.sql,.ddl,.txt" /></label>
                <p class="muted small">"OpenAPI 3 or Swagger 2 (JSON or YAML), or CREATE TABLE statements; up to 50 MB. Nothing changes yet: you review how the file differs from the knowledge base, then choose what becomes drafts."</p>
                <div><button class="btn btn-primary" type="submit">"Upload and read"</button></div>
            </form>
        </section>
    }
}

fn settings_form(v: &ImportsView) -> impl IntoView {
    view! {
        <section class="card section-gap" data-testid="kb-settings">
            <h2>"Review rule"</h2>
            <form method="post" action=format!("/projects/{}/kb/settings", v.head.slug) class="form">
                <label class="check"><input type="checkbox" name="require_other_approver" value="on" checked=v.require_other_approver />" Require another owner to approve a draft (its author cannot)"</label>
                <div><button class="btn btn-ghost btn-sm" type="submit">"Save the rule"</button></div>
            </form>
        </section>
    }
}

fn list_page(v: ImportsView) -> impl IntoView {
    let slug = v.head.slug.clone();
    let list = if v.imports.is_empty() {
        view! { <section class="empty-state" data-testid="no-imports"><h2>"No imports yet"</h2><p>"Upload your OpenAPI document or your database's SQL schema: every operation or table it describes can become a draft."</p></section> }.into_any()
    } else {
        let rows = v
            .imports
            .iter()
            .map(|i| {
                view! {
                    <tr data-testid="kb-import-row">
                        <td><a href=format!("/projects/{slug}/kb/imports/{}", i.id) data-testid="kb-import-link"><strong>{i.file_name.clone()}</strong></a><div class="muted small">{i.format.label()}</div></td>
                        <td>{import_status_pill(i.status)}</td>
                        <td class="num nowrap">{megabytes(i.size_bytes)}</td>
                        <td class="num">{i.entries}</td>
                        <td class="num">{i.drafts_made}</td>
                        <td class="nowrap small">{when(i.created_at_ms)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="card flush table-wrap">
                <table class="data-table" data-testid="kb-imports">
                    <thead><tr><th>"File"</th><th>"Status"</th><th class="num">"Size"</th><th class="num">"Entries"</th><th class="num">"Drafts made"</th><th>"Uploaded (UTC)"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let side = (v.head.can_edit || v.head.can_review).then(|| {
        view! {
            <aside>
                {v.head.can_edit.then(|| upload_form(&v))}
                {v.head.can_review.then(|| settings_form(&v))}
            </aside>
        }
    });
    let layout = if side.is_some() { "grid-main-side kb-imports-layout" } else { "" };
    view! {
        <Title text=format!("Import · {}", v.head.name) />
        {kb_header(&v.head, "Import".into(), Some("Read an OpenAPI document or an SQL schema, compare it with the knowledge base, and draft what differs.".into()), "imports")}
        <FlashBanner />
        <div class=layout>
            <div>{list}</div>
            {side}
        </div>
    }
}

// ------------------------------------------------------------------------------ one import

#[component]
pub fn KbImportPage() -> impl IntoView {
    let data = load_kb_import(param("slug"), param("id"));
    view! {
        <Title text="Knowledge-base import" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => import_page(v).into_any(),
            }
        })}
    }
}

/// `kind|name`: how a key travels in a checkbox's value.
fn key_value(k: &EntryKey) -> String {
    format!("{}|{}", k.kind.as_str(), k.name)
}

fn check_list(list: &[KeyLine], name: &'static str, checked: bool, testid: &'static str) -> impl IntoView {
    list.iter()
        .map(|k| {
            view! {
                <label class="check kb-check-line" data-testid=testid>
                    <input type="checkbox" name=name value=key_value(&k.key) checked=checked />
                    " "{key_label(&k.key)}
                    {(!k.headline.is_empty()).then(|| view! { <span class="muted small">" — "{k.headline.clone()}</span> })}
                </label>
            }
        })
        .collect_view()
}

fn preview(v: &ImportView, d: &DiffLines) -> impl IntoView {
    let counts = view! {
        <div class="trace-facts kb-counts section-gap" data-testid="kb-import-counts">
            <div class="fact"><span class="muted">"New"</span><strong data-testid="count-new">{d.added.len()}</strong></div>
            <div class="fact"><span class="muted">"Changed"</span><strong data-testid="count-changed">{d.changed.len()}</strong></div>
            <div class="fact"><span class="muted">"Unchanged"</span><strong data-testid="count-unchanged">{d.unchanged}</strong></div>
            <div class="fact"><span class="muted">"Missing from the file"</span><strong data-testid="count-missing">{d.removed.len()}</strong></div>
        </div>
    };
    let applied = v.import.status == ImportStatus::Applied;
    let nothing = d.added.is_empty() && d.changed.is_empty() && d.removed.is_empty();
    let body = if applied {
        view! {
            <p class="banner banner-ok" data-testid="kb-import-applied">
                {format!("{} made from this import. ", plural(v.import.drafts_made, "draft was", "drafts were"))}
                <a href=format!("{}/drafts?list=mine", v.head.base())>"See your drafts"</a>
            </p>
        }
        .into_any()
    } else if nothing {
        view! { <p class="banner banner-info" data-testid="kb-import-nothing">"The file matches the knowledge base: there is nothing to draft."</p> }.into_any()
    } else if !v.head.can_edit {
        view! { <p class="muted">"Editors and owners choose what becomes drafts."</p> }.into_any()
    } else {
        let changed = d
            .changed
            .iter()
            .map(|c| {
                view! {
                    <div class="kb-check-block" data-testid="kb-import-changed">
                        <label class="check kb-check-line">
                            <input type="checkbox" name="choose" value=key_value(&c.key) checked=true />" "{key_label(&c.key)}
                            <span class="muted small">{format!(" · {}", plural(c.fields.len() as u64, "field differs", "fields differ"))}</span>
                        </label>
                        <details class="kb-change"><summary class="muted small">"What differs"</summary>{field_diff(&c.fields)}</details>
                    </div>
                }
            })
            .collect_view();
        view! {
            <form method="post" action=format!("{}/imports/{}/apply", v.head.base(), v.import.id) class="form" data-testid="kb-apply-form">
                {(!d.added.is_empty()).then(|| view! { <section class="card section-gap"><h2>{format!("New ({})", d.added.len())}</h2>{check_list(&d.added, "choose", true, "kb-import-new")}</section> })}
                {(!d.changed.is_empty()).then(|| view! { <section class="card section-gap"><h2>{format!("Changed ({})", d.changed.len())}</h2>{changed}</section> })}
                {(!d.removed.is_empty()).then(|| view! {
                    <section class="card section-gap">
                        <h2>{format!("Missing from the file ({})", d.removed.len())}</h2>
                        <p class="muted small">"In the knowledge base but not in this file. Tick one to draft a deletion."</p>
                        {check_list(&d.removed, "delete", false, "kb-import-missing")}
                    </section>
                })}
                <div class="section-gap"><button class="btn btn-primary" type="submit" data-testid="create-drafts">"Create drafts"</button></div>
            </form>
        }
        .into_any()
    };
    view! { {counts}{body} }
}

fn import_page(v: ImportView) -> impl IntoView {
    let i = v.import.clone();
    let running = i.status.is_active();
    let progress = running.then(|| {
        let pct = (i.done * 100).checked_div(i.total).map_or(0, |p| p.min(100));
        let text = if i.total > 0 { format!("{} of {} entries read", i.done, i.total) } else { "Waiting to be read…".to_owned() };
        view! {
            <leptos_meta::Meta http_equiv="refresh" content="2" />
            <section class="card section-gap" data-testid="kb-import-progress">
                <div class="meter-row">
                    <div class="meter-label"><span>"Reading the file"</span><strong>{text}</strong></div>
                    <div class="meter" role="progressbar" aria-valuenow=pct aria-valuemin="0" aria-valuemax="100"><span style=format!("width: {pct}%")></span></div>
                </div>
                <p class="muted small">"This page refreshes itself until the preview is ready."</p>
            </section>
        }
    });
    let error = i.error.clone().map(|e| {
        view! {
            <section class="banner banner-bad" role="alert" data-testid="kb-import-error">
                <strong>"The file could not be imported: "</strong><span class="pre-line">{e}</span>
                <p class="small">"Correct the file and upload it again."</p>
            </section>
        }
    });
    let warnings = (!i.warnings.is_empty()).then(|| {
        let list = i.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view();
        view! {
            <details class="card section-gap" data-testid="kb-import-warnings">
                <summary><strong>{plural(i.warnings.len() as u64, "warning", "warnings")}</strong><span class="muted small">" — parts of the file that were skipped or guessed"</span></summary>
                <ul class="plain-list small">{list}</ul>
            </details>
        }
    });
    let facts = view! {
        <p class="muted" data-testid="kb-import-facts">
            {import_status_pill(i.status)}" "
            {format!("{} · {} · uploaded {}", i.format.label(), megabytes(i.size_bytes), when(i.created_at_ms))}
            {(i.entries > 0).then(|| format!(" · {}", plural(i.entries, "entry", "entries")))}
        </p>
    };
    let diff = v.diff.as_ref().map(|d| preview(&v, d));
    view! {
        <Title text=format!("{} · Import", i.file_name) />
        {kb_header(&v.head, i.file_name.clone(), None, "imports")}
        <FlashBanner />
        {facts}
        {progress}
        {error}
        {warnings}
        {diff}
    }
}
