//! `/knowledge-base` (pick a project) and `/projects/:slug/kb`: the active knowledge base.

use super::{headline, kb_header_with, key_link, param, plural, query, when};
use crate::api::kb::{load_kb_entries, url_escape, EntriesView, ENTRIES_PER_PAGE};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::{IndexStatus, KbIndexRecord, ReleaseEntry};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/knowledge-base`: one card per project, linking to its knowledge base.
#[component]
pub fn KbChooser() -> impl IntoView {
    let data = crate::api::projects::my_projects();
    let info = crate::pages::area::area_info("knowledge-base");
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
                        <p>"A knowledge base belongs to a project. Create one, then import your OpenAPI document or SQL schema."</p>
                        <a class="btn btn-primary" href="/projects">"Create a project"</a>
                    </section>
                }.into_any(),
                Ok(list) => view! { <div class="card-grid">{list.into_iter().map(|p| {
                    let base = format!("/projects/{}/kb", p.slug);
                    view! {
                        <div class="card chooser-card" data-testid="kb-project">
                            <span class="card-kicker">{p.role.label()}</span>
                            <h3><a href=base.clone()>{p.name}</a></h3>
                            <p class="muted small">{if p.description.is_empty() { "No description.".to_owned() } else { p.description }}</p>
                            <div class="chooser-links">
                                <a class="btn btn-primary btn-sm" href=base.clone()>"Knowledge base"</a>
                                <a class="btn btn-ghost btn-sm" href=format!("{base}/drafts")>"Drafts"</a>
                                <a class="btn btn-ghost btn-sm" href=format!("{base}/search")>"Search"</a>
                            </div>
                        </div>
                    }
                }).collect_view()}</div> }.into_any(),
            }
        })}
    }
}

#[component]
pub fn KbEntriesPage() -> impl IntoView {
    let data = load_kb_entries(param("slug"), query("kind"), query("q"), query("page"));
    view! {
        <Title text="Knowledge base" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn index_note(index: Option<&KbIndexRecord>) -> AnyView {
    match index {
        None => view! { <span class="pill pill-muted" data-testid="index-status">"No search index yet"</span> }.into_any(),
        Some(r) => {
            let (class, label) = match r.status {
                IndexStatus::Queued => ("pill pill-info", "Search index queued".to_owned()),
                IndexStatus::Building => ("pill pill-info", format!("Search index building ({}/{})", r.done, r.total)),
                IndexStatus::Ready => ("pill pill-ok", "Search index ready".to_owned()),
                IndexStatus::Failed => ("pill pill-bad", "Search index failed".to_owned()),
            };
            view! { <span class=class data-testid="index-status" data-status=r.status.as_str() title=r.error.clone().unwrap_or_default()>{label}</span> }.into_any()
        }
    }
}

fn filter_form(v: &EntriesView) -> impl IntoView {
    let base = v.head.base();
    let kind_option = |value: &'static str, label: &'static str| view! { <option value=value selected=v.kind == value>{label}</option> };
    let any = !(v.kind.is_empty() && v.q.is_empty());
    view! {
        <form method="get" action=base.clone() class="card filter-form section-gap" data-testid="kb-filters">
            <div class="filter-main">
                <label class="search-box">"Find in names" <input type="search" name="q" value=v.q.clone() placeholder="/users or public.orders" /></label>
                <label>"Kind" <select name="kind">{kind_option("", "APIs and tables")}{kind_option("api_operation", "APIs")}{kind_option("table", "Tables")}</select></label>
                <div class="filter-actions">
                    <button class="btn btn-primary btn-sm" type="submit">"Filter"</button>
                    {any.then(|| view! { <a class="btn btn-ghost btn-sm" href=base.clone()>"Clear"</a> })}
                </div>
            </div>
        </form>
    }
}

fn entry_row(slug: &str, e: &ReleaseEntry) -> impl IntoView {
    let key = e.key();
    let tags = e.entry.tags().iter().map(|t| view! { <span class="chip">{t.clone()}</span> }).collect_view();
    view! {
        <tr data-testid="kb-entry-row">
            <td>{key_link(slug, &key)}</td>
            <td class="kb-headline">{headline(&e.entry)}" "{tags}</td>
            <td class="num muted small" title="Revision">{format!("r{}", e.revision)}</td>
        </tr>
    }
}

fn pager(v: &EntriesView) -> impl IntoView {
    let pages = v.total.div_ceil(u64::from(ENTRIES_PER_PAGE)).max(1);
    let href = |page: u32| format!("{}?kind={}&q={}&page={page}", v.head.base(), v.kind, url_escape(&v.q));
    let prev = (v.page > 1).then(|| href(v.page - 1));
    let next = (u64::from(v.page) < pages).then(|| href(v.page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("Page {} of {pages} · {}", v.page, plural(v.total, "entry", "entries"))}</span>
            <span class="pager-links">
                {prev.map(|h| view! { <a class="btn btn-ghost btn-sm" href=h>"← Previous"</a> })}
                {next.map(|h| view! { <a class="btn btn-ghost btn-sm" href=h data-testid="next-page">"Next →"</a> })}
            </span>
        </nav>
    }
}

fn page(v: EntriesView) -> impl IntoView {
    let slug = v.head.slug.clone();
    let base = v.head.base();
    let actions = v.head.can_edit.then(|| {
        view! {
            <a class="btn btn-primary" href=format!("{base}/new?kind=api_operation") data-testid="new-api">"New API operation"</a>
            <a class="btn btn-ghost" href=format!("{base}/new?kind=table") data-testid="new-table">"New table"</a>
        }
        .into_any()
    });
    let summary = match &v.release {
        None => view! {
            <section class="empty-state" data-testid="no-release">
                <h2>"Nothing published yet"</h2>
                <p>"The knowledge base describes your application's API operations and database tables for agents and tests. Import an OpenAPI document or an SQL schema, or write an entry by hand: each change is a draft, reviewed by an owner, then published as a numbered release."</p>
                <div class="chooser-links kb-empty-links">
                    <a class="btn btn-primary" href=format!("{base}/imports")>"Import a file"</a>
                    <a class="btn btn-ghost" href=format!("{base}/drafts?list=all")>"See drafts"</a>
                </div>
            </section>
        }
        .into_any(),
        Some(r) => {
            let by = r.created_by_email.clone().unwrap_or_else(|| "(former member)".into());
            view! {
                <section class="card kb-release-card" data-testid="kb-release">
                    <div class="kb-release-head">
                        <div>
                            <span class="card-kicker">"Active release"</span>
                            <h2 data-testid="kb-release-number">{format!("Release {}", r.number)}</h2>
                            <p class="muted small">{format!("Published {} by {by}", when(r.created_at_ms))}</p>
                        </div>
                        <div class="trace-facts kb-counts">
                            <div class="fact"><span class="muted">"API operations"</span><strong data-testid="kb-count-api">{r.api_operations}</strong></div>
                            <div class="fact"><span class="muted">"Tables"</span><strong data-testid="kb-count-tables">{r.tables}</strong></div>
                        </div>
                    </div>
                    <p class="kb-summary">{r.summary.clone()}</p>
                    <div class="kb-release-foot">
                        {index_note(v.index.as_ref())}
                        <span class="kb-exports">
                            <span class="muted small">"Export: "</span>
                            <a href=format!("{base}/export.openapi.json") data-testid="export-openapi">"OpenAPI (JSON)"</a>" · "
                            <a href=format!("{base}/export.sql?dialect=postgres") data-testid="export-postgres">"SQL (PostgreSQL)"</a>" · "
                            <a href=format!("{base}/export.sql?dialect=mysql")>"SQL (MySQL)"</a>
                        </span>
                    </div>
                </section>
            }
            .into_any()
        }
    };
    let review_note = (v.head.can_review && v.in_review > 0).then(|| {
        view! {
            <p class="banner banner-info" data-testid="kb-review-note">
                {format!("{} waiting for your review. ", plural(v.in_review as u64, "draft is", "drafts are"))}
                <a href=format!("{base}/drafts?list=review")>"Review and publish"</a>
            </p>
        }
    });
    let list = if v.release.is_none() {
        None
    } else if v.entries.is_empty() {
        Some(view! { <section class="empty-state section-gap" data-testid="no-entries"><h2>"No entry matches"</h2><p>"Change or clear the filter."</p></section> }.into_any())
    } else {
        let rows = v.entries.iter().map(|e| entry_row(&slug, e)).collect_view();
        Some(
            view! {
                <div class="card flush table-wrap section-gap">
                    <table class="data-table kb-entries" data-testid="kb-entries">
                        <thead><tr><th>"Entry"</th><th>"Description"</th><th class="num">"Rev."</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {pager(&v)}
            }
            .into_any(),
        )
    };
    view! {
        <Title text=format!("Knowledge base · {}", v.head.name) />
        {kb_header_with(&v.head, "Knowledge base".into(), Some("The API operations and database tables agents and tests rely on, as last published.".into()), "entries", actions)}
        <FlashBanner />
        {review_note}
        {summary}
        {v.release.is_some().then(|| filter_form(&v))}
        {list}
    }
}
