//! `/projects/:slug/kb/entry?kind=&key=`: one entry as a readable page, with the drafts that
//! change it; `/projects/:slug/kb/new?kind=`: a new entry written as JSON.

use super::{
    change_kind, change_pill, draft_status_pill, json_cell, kb_header, kind_label, method_badge, param, pretty, query, schema_view, when,
};
use crate::api::kb::{load_kb_entry, load_kb_head, template, url_escape, DraftRow, EntryView, KbHead};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::{ApiOperation, Body, Entry, EntryKind, Table};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KbEntryPage() -> impl IntoView {
    let data = load_kb_entry(param("slug"), query("kind"), query("key"));
    view! {
        <Title text="Knowledge-base entry" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn bodies(list: &[Body]) -> impl IntoView {
    list.iter()
        .map(|b| {
            view! {
                <div class="kb-body">
                    <span class="chip">{b.content_type.clone()}</span>
                    {schema_view(&b.schema)}
                    {b.example.as_ref().map(|ex| view! { <details class="kb-raw"><summary class="muted small">"Example"</summary><pre class="kb-json">{pretty(ex)}</pre></details> })}
                </div>
            }
        })
        .collect_view()
}

fn operation_view(op: &ApiOperation) -> impl IntoView {
    let params = (!op.parameters.is_empty()).then(|| {
        let rows = op
            .parameters
            .iter()
            .map(|p| {
                view! {
                    <tr data-testid="kb-param">
                        <td><code>{p.name.clone()}</code></td>
                        <td>{p.location.as_str()}</td>
                        <td>{super::type_of(&p.schema)}{super::enum_chips(&p.schema)}</td>
                        <td>{if p.required { "yes" } else { "no" }}</td>
                        <td>{p.description.clone()}{p.example.as_ref().map(|e| view! { <span class="muted small">" e.g. "<code>{e.to_string()}</code></span> })}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <section class="card section-gap">
                <h2>"Parameters"</h2>
                <div class="table-wrap"><table class="data-table compact" data-testid="kb-params">
                    <thead><tr><th>"Name"</th><th>"In"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div>
            </section>
        }
    });
    let request = op.request_body.as_ref().map(|b| {
        view! {
            <section class="card section-gap" data-testid="kb-request-body">
                <h2>"Request body" {b.required.then(|| view! { " "<span class="pill pill-warn">"required"</span> })}</h2>
                {(!b.description.is_empty()).then(|| view! { <p>{b.description.clone()}</p> })}
                {bodies(&b.content)}
            </section>
        }
    });
    let responses = (!op.responses.is_empty()).then(|| {
        let list = op
            .responses
            .iter()
            .map(|r| {
                let class = if r.status.starts_with('2') {
                    "pill pill-ok"
                } else if r.status.starts_with('4') || r.status.starts_with('5') {
                    "pill pill-bad"
                } else {
                    "pill pill-muted"
                };
                view! {
                    <div class="kb-response" data-testid="kb-response">
                        <h3><span class=class>{r.status.clone()}</span>" "{r.description.clone()}</h3>
                        {bodies(&r.content)}
                    </div>
                }
            })
            .collect_view();
        view! { <section class="card section-gap"><h2>"Responses"</h2>{list}</section> }
    });
    let examples = (!op.examples.is_empty()).then(|| {
        let list = op
            .examples
            .iter()
            .map(|e| view! { <div class="kb-example"><strong>{e.name.clone()}</strong>{(!e.summary.is_empty()).then(|| view! { " — "{e.summary.clone()} })}{json_cell(Some(&e.value))}</div> })
            .collect_view();
        view! { <section class="card section-gap"><h2>"Examples"</h2>{list}</section> }
    });
    let tags = op.tags.iter().map(|t| view! { <span class="chip">{t.clone()}</span> }).collect_view();
    view! {
        <section class="card" data-testid="kb-operation">
            <p class="kb-op-line">{method_badge(&op.method)}" "<code class="kb-path big">{op.path.clone()}</code>
                {op.deprecated.then(|| view! { " "<span class="pill pill-bad">"deprecated"</span> })}</p>
            {(!op.summary.is_empty()).then(|| view! { <p><strong>{op.summary.clone()}</strong></p> })}
            {(!op.description.is_empty()).then(|| view! { <p class="pre-line">{op.description.clone()}</p> })}
            <dl class="facts">
                {(!op.operation_id.is_empty()).then(|| view! { <dt>"Operation id"</dt><dd><code>{op.operation_id.clone()}</code></dd> })}
                <dt>"Authorisation"</dt><dd>{if op.auth.is_empty() { "none stated".to_owned() } else { op.auth.join(" or ") }}</dd>
                {(!op.tags.is_empty()).then(|| view! { <dt>"Tags"</dt><dd>{tags}</dd> })}
            </dl>
        </section>
        {params}
        {request}
        {responses}
        {examples}
    }
}

fn table_view(t: &Table) -> impl IntoView {
    let columns = t
        .columns
        .iter()
        .map(|c| {
            let pk = t.primary_key.iter().any(|k| k.eq_ignore_ascii_case(&c.name));
            view! {
                <tr data-testid="kb-column">
                    <td><code>{c.name.clone()}</code>{pk.then(|| view! { " "<span class="pill pill-info">"PK"</span> })}</td>
                    <td><code>{c.data_type.clone()}</code></td>
                    <td>{if c.nullable { "yes" } else { "no" }}</td>
                    <td>{c.default.clone().map(|d| view! { <code>{d}</code> })}</td>
                    <td>{c.description.clone()}{(!c.examples.is_empty()).then(|| view! { <span class="muted small">" e.g. "{c.examples.join(", ")}</span> })}</td>
                </tr>
            }
        })
        .collect_view();
    let fks = (!t.foreign_keys.is_empty()).then(|| {
        let list = t
            .foreign_keys
            .iter()
            .map(|f| view! { <li><code>{f.columns.join(", ")}</code>" → "<code>{format!("{}({})", f.references, f.referenced_columns.join(", "))}</code>{(!f.name.is_empty()).then(|| view! { <span class="muted small">" "{f.name.clone()}</span> })}</li> })
            .collect_view();
        view! { <h3>"Foreign keys"</h3><ul class="plain-list">{list}</ul> }
    });
    let indexes = (!t.indexes.is_empty()).then(|| {
        let list = t
            .indexes
            .iter()
            .map(|i| view! { <li><code>{i.name.clone()}</code>" on "<code>{i.columns.join(", ")}</code>{i.unique.then(|| view! { " "<span class="pill pill-info">"unique"</span> })}</li> })
            .collect_view();
        view! { <h3>"Indexes"</h3><ul class="plain-list">{list}</ul> }
    });
    let queries = (!t.example_queries.is_empty()).then(|| {
        let list = t
            .example_queries
            .iter()
            .map(|q| view! { <div class="kb-example">{(!q.description.is_empty()).then(|| view! { <p class="small">{q.description.clone()}</p> })}<pre class="kb-json">{q.sql.clone()}</pre></div> })
            .collect_view();
        view! { <section class="card section-gap"><h2>"Example queries"</h2>{list}</section> }
    });
    view! {
        <section class="card" data-testid="kb-table">
            <p class="kb-op-line"><span class="method method-table">"TABLE"</span>" "<code class="kb-path big">{format!("{}.{}", t.schema, t.name)}</code></p>
            {(!t.description.is_empty()).then(|| view! { <p class="pre-line">{t.description.clone()}</p> })}
        </section>
        <section class="card section-gap">
            <h2>"Columns"</h2>
            <div class="table-wrap"><table class="data-table compact" data-testid="kb-columns">
                <thead><tr><th>"Name"</th><th>"Type"</th><th>"Nullable"</th><th>"Default"</th><th>"Description"</th></tr></thead>
                <tbody>{columns}</tbody>
            </table></div>
            {(!t.primary_key.is_empty()).then(|| view! { <p class="small">"Primary key: "<code>{t.primary_key.join(", ")}</code></p> })}
            {fks}
            {indexes}
        </section>
        {queries}
    }
}

/// The entry's content, readable.
pub(super) fn entry_body(entry: &Entry) -> AnyView {
    match entry {
        Entry::ApiOperation(op) => operation_view(op).into_any(),
        Entry::Table(t) => table_view(t).into_any(),
    }
}

/// Drafts in a small table (entry page, import page).
pub(super) fn drafts_table(slug: &str, rows: &[DraftRow]) -> AnyView {
    let rows = rows
        .iter()
        .map(|r| {
            let d = &r.draft;
            view! {
                <tr data-testid="kb-draft-row">
                    <td><a href=format!("/projects/{slug}/kb/drafts/{}", d.id) data-testid="kb-draft-link">{format!("Draft v{}", d.version)}</a></td>
                    <td>{change_pill(change_kind(&d.change, d.base_revision))}</td>
                    <td>{draft_status_pill(d.status)}</td>
                    <td class="ellipsis">{r.author.clone()}</td>
                    <td class="nowrap muted small">{when(d.updated_at_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap"><table class="data-table compact" data-testid="kb-entry-drafts">
            <thead><tr><th>"Draft"</th><th>"Change"</th><th>"Status"</th><th>"Author"</th><th>"Updated (UTC)"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
    .into_any()
}

fn editor_forms(v: &EntryView) -> impl IntoView {
    let slug = &v.head.slug;
    let action = format!("/projects/{slug}/kb/drafts");
    let back = format!("/projects/{slug}/kb/entry?kind={}&key={}", v.key.kind.as_str(), url_escape(&v.key.name));
    let lines = v.json.lines().count().clamp(8, 40);
    view! {
        <section class="card section-gap kb-editor" data-testid="kb-entry-actions">
            <h2>"Change this entry"</h2>
            <p class="muted small">"Changes are drafts: an owner reviews them before they are published in a release."</p>
            <div class="kb-editor-actions">
            <details class="kb-edit-details" data-testid="edit-as-draft">
                <summary class="btn btn-primary btn-sm">"Edit as draft"</summary>
                <form method="post" action=action.clone() class="form" data-testid="kb-edit-form">
                    <input type="hidden" name="change" value="upsert" />
                    <input type="hidden" name="kind" value=v.key.kind.as_str() />
                    <input type="hidden" name="back" value=back.clone() />
                    <label>"Entry (JSON)" <textarea name="entry" class="kb-json-input" rows=lines.to_string() spellcheck="false">{v.json.clone()}</textarea></label>
                    <p class="muted small">"The method and path (or schema and table name) name the entry: change them and it becomes another entry."</p>
                    <div><button class="btn btn-primary" type="submit">"Save as draft"</button></div>
                </form>
            </details>
            <details class="inline-details confirm-delete" data-testid="delete-as-draft">
                <summary class="btn btn-ghost btn-sm">"Delete (as draft)"</summary>
                <form method="post" action=action class="confirm-box">
                    <input type="hidden" name="change" value="delete" />
                    <input type="hidden" name="kind" value=v.key.kind.as_str() />
                    <input type="hidden" name="key" value=v.key.name.clone() />
                    <input type="hidden" name="back" value=back />
                    <p>{format!("Draft the removal of {}? It is removed once an owner publishes the draft.", v.key.name)}</p>
                    <button class="btn btn-danger btn-sm" type="submit" data-testid="confirm-delete-draft">"Draft the deletion"</button>
                </form>
            </details>
            </div>
        </section>
    }
}

fn page(v: EntryView) -> impl IntoView {
    let body = match &v.active {
        Some(e) => view! {
            <p class="muted small" data-testid="kb-entry-meta">{format!("{} · revision {} · in release {}", kind_label(v.key.kind), e.revision, v.release.unwrap_or(0))}</p>
            {entry_body(&e.entry)}
        }
        .into_any(),
        None => view! {
            <section class="empty-state" data-testid="kb-entry-not-active">
                <h2>"Not in the active knowledge base"</h2>
                <p>"This entry exists only as a draft so far: it is added once an owner publishes it."</p>
            </section>
        }
        .into_any(),
    };
    let drafts = (!v.drafts.is_empty()).then(|| {
        view! {
            <section class="card section-gap" data-testid="kb-open-drafts">
                <h2>"Open drafts of this entry"</h2>
                {drafts_table(&v.head.slug, &v.drafts)}
            </section>
        }
    });
    let forms = (v.head.can_edit && v.active.is_some()).then(|| editor_forms(&v));
    view! {
        <Title text=format!("{} · Knowledge base", v.key.name) />
        {kb_header(&v.head, v.key.name.clone(), None, "entries")}
        <FlashBanner />
        {drafts}
        {body}
        {forms}
    }
}

// ------------------------------------------------------------------------------ new entry

#[component]
pub fn KbNewPage() -> impl IntoView {
    let data = load_kb_head(param("slug"));
    let kind = EntryKind::parse(&query("kind")).unwrap_or(EntryKind::ApiOperation);
    view! {
        <Title text="New knowledge-base entry" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(head) => new_page(head, kind).into_any(),
            }
        })}
    }
}

fn new_page(head: KbHead, kind: EntryKind) -> impl IntoView {
    let base = head.base();
    let title = match kind {
        EntryKind::ApiOperation => "New API operation",
        EntryKind::Table => "New table",
    };
    let other = match kind {
        EntryKind::ApiOperation => view! { <a href=format!("{base}/new?kind=table")>"Write a table instead"</a> },
        EntryKind::Table => view! { <a href=format!("{base}/new?kind=api_operation")>"Write an API operation instead"</a> },
    };
    let help = match kind {
        EntryKind::ApiOperation => "An HTTP operation: method, path, parameters, request body and responses with their JSON schemas. Fields left out are empty.",
        EntryKind::Table => "A database table: schema, name, columns (name, data_type, nullable, default, description), primary key, foreign keys, indexes and example queries.",
    };
    let form = if head.can_edit {
        view! {
            <form method="post" action=format!("{base}/drafts") class="form card" data-testid="kb-new-form">
                <input type="hidden" name="change" value="upsert" />
                <input type="hidden" name="kind" value=kind.as_str() />
                <input type="hidden" name="back" value=format!("{base}/new?kind={}", kind.as_str()) />
                <label>"Entry (JSON)" <textarea name="entry" class="kb-json-input" rows="28" spellcheck="false" required>{template(kind)}</textarea></label>
                <p class="muted small">{help}</p>
                <div class="form-actions"><button class="btn btn-primary" type="submit">"Save as draft"</button>{other}</div>
            </form>
        }
        .into_any()
    } else {
        view! { <p class="banner banner-info" data-testid="kb-read-only">"Only editors and owners write drafts. Ask an owner of the project for the editor role."</p> }.into_any()
    };
    view! {
        <Title text=format!("{title} · Knowledge base") />
        {kb_header(&head, title.into(), Some("Saved as a draft; an owner reviews it before it is published.".into()), "entries")}
        <FlashBanner />
        {form}
    }
}
