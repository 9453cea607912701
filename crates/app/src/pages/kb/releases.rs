//! `/projects/:slug/kb/releases`: the history, with rollback; `/projects/:slug/kb/releases/diff`:
//! what changed between two releases.

use super::{field_diff, kb_header, key_label, key_link, param, plural, query, when};
use crate::api::kb::{load_kb_diff, load_kb_releases, DiffLines, DiffView, KbHead, KeyLine, ReleasesView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::ReleaseHeader;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KbReleasesPage() -> impl IntoView {
    let data = load_kb_releases(param("slug"));
    view! {
        <Title text="Knowledge-base releases" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => history_page(v).into_any(),
            }
        })}
    }
}

/// The GET form choosing two releases to compare.
fn diff_selector(head: &KbHead, releases: &[ReleaseHeader], from: Option<u64>, to: Option<u64>) -> impl IntoView {
    let latest = releases.first().map(|r| r.number);
    let from = from.or_else(|| latest.map(|n| n.saturating_sub(1).max(1)));
    let to = to.or(latest);
    let options = |chosen: Option<u64>| {
        releases.iter().map(|r| view! { <option value=r.number.to_string() selected=chosen == Some(r.number)>{format!("Release {}", r.number)}</option> }).collect_view()
    };
    view! {
        <form method="get" action=format!("{}/releases/diff", head.base()) class="card filter-form section-gap" data-testid="kb-diff-selector">
            <div class="filter-main">
                <label>"From" <select name="from">{options(from)}</select></label>
                <label>"To" <select name="to">{options(to)}</select></label>
                <div class="filter-actions"><button class="btn btn-primary btn-sm" type="submit">"Show the changes"</button></div>
            </div>
        </form>
    }
}

fn rollback_form(head: &KbHead, r: &ReleaseHeader) -> impl IntoView {
    let action = format!("{}/releases/{}/rollback", head.base(), r.number);
    view! {
        <details class="inline-details confirm-delete" data-testid="rollback">
            <summary class="btn btn-ghost btn-sm">"Roll back to this release"</summary>
            <form method="post" action=action class="confirm-box">
                <p>{format!("Publish a new release with the content of release {}? Later changes are undone (the history keeps them).", r.number)}</p>
                <button class="btn btn-danger btn-sm" type="submit" data-testid="confirm-rollback">{format!("Roll back to release {}", r.number)}</button>
            </form>
        </details>
    }
}

fn history_page(v: ReleasesView) -> impl IntoView {
    let latest = v.releases.first().map(|r| r.number);
    let body = if v.releases.is_empty() {
        view! {
            <section class="empty-state section-gap" data-testid="no-releases">
                <h2>"No releases yet"</h2>
                <p>"A release is published when an owner approves drafts. Each one is a numbered snapshot you can compare with any other or roll back to."</p>
            </section>
        }
        .into_any()
    } else {
        let base = v.head.base();
        let rows = v
            .releases
            .iter()
            .map(|r| {
                let previous = r.number.checked_sub(1).filter(|n| *n > 0);
                let changes = previous.map(|p| view! { <a href=format!("{base}/releases/diff?from={p}&to={}", r.number) class="btn btn-ghost btn-sm">"Changes"</a> });
                let rollback = (v.head.can_review && Some(r.number) != latest).then(|| rollback_form(&v.head, r));
                let current = (Some(r.number) == latest).then(|| view! { " "<span class="pill pill-ok">"active"</span> });
                view! {
                    <tr data-testid="kb-release-row" data-number=r.number.to_string()>
                        <td class="nowrap"><strong>{format!("Release {}", r.number)}</strong>{current}</td>
                        <td class="nowrap small">{when(r.created_at_ms)}</td>
                        <td class="ellipsis">{r.created_by_email.clone().unwrap_or_else(|| "(former member)".into())}</td>
                        <td class="kb-summary-cell">
                            {r.rolled_back_to.map(|n| view! { <span class="pill pill-warn" data-testid="rolled-back-to">{format!("rolled back to {n}")}</span>" " })}
                            {r.summary.clone()}
                        </td>
                        <td class="num nowrap">{r.api_operations}</td>
                        <td class="num nowrap">{r.tables}</td>
                        <td class="actions">{changes}{rollback}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            {diff_selector(&v.head, &v.releases, None, None)}
            <div class="card flush table-wrap section-gap kb-releases-card">
                <table class="data-table kb-releases" data-testid="kb-releases">
                    <thead><tr><th>"Release"</th><th>"Published (UTC)"</th><th>"By"</th><th>"Summary"</th><th class="num">"APIs"</th><th class="num">"Tables"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <Title text=format!("Releases · {}", v.head.name) />
        {kb_header(&v.head, "Releases".into(), Some("Every publication, newest first. A rollback is a new release with an earlier content.".into()), "releases")}
        <FlashBanner />
        {body}
    }
}

// ------------------------------------------------------------------------------ diff

#[component]
pub fn KbDiffPage() -> impl IntoView {
    let data = load_kb_diff(param("slug"), query("from"), query("to"));
    view! {
        <Title text="Knowledge-base changes" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => diff_page(v).into_any(),
            }
        })}
    }
}

fn key_list(slug: &str, list: &[KeyLine], testid: &'static str, link: bool) -> impl IntoView {
    let items = list
        .iter()
        .map(|k| {
            let label = if link { key_link(slug, &k.key).into_any() } else { key_label(&k.key) };
            view! { <li data-testid=testid>{label}{(!k.headline.is_empty()).then(|| view! { <span class="muted small">" — "{k.headline.clone()}</span> })}</li> }
        })
        .collect_view();
    view! { <ul class="plain-list kb-key-list">{items}</ul> }
}

/// Added, removed and changed entries (`link_new`: the added ones are active and link to their page).
pub(super) fn diff_sections(slug: &str, d: &DiffLines, link_new: bool) -> impl IntoView {
    let added = (!d.added.is_empty()).then(|| {
        view! { <section class="card section-gap kb-added"><h2>{format!("Added ({})", d.added.len())}</h2>{key_list(slug, &d.added, "kb-added", link_new)}</section> }
    });
    let removed = (!d.removed.is_empty()).then(|| {
        view! { <section class="card section-gap kb-removed"><h2>{format!("Removed ({})", d.removed.len())}</h2>{key_list(slug, &d.removed, "kb-removed", false)}</section> }
    });
    let changed = (!d.changed.is_empty()).then(|| {
        let list = d
            .changed
            .iter()
            .map(|c| {
                view! {
                    <details class="kb-change" data-testid="kb-changed" open=d.changed.len() <= 5>
                        <summary>{key_label(&c.key)}<span class="muted small">{format!(" · {}", plural(c.fields.len() as u64, "field", "fields"))}</span></summary>
                        {field_diff(&c.fields)}
                    </details>
                }
            })
            .collect_view();
        view! { <section class="card section-gap"><h2>{format!("Changed ({})", d.changed.len())}</h2>{list}</section> }
    });
    view! { {added}{removed}{changed} }
}

fn diff_page(v: DiffView) -> impl IntoView {
    let title = match (v.from, v.to) {
        (Some(a), Some(b)) => format!("Release {a} → release {b}"),
        _ => "Compare releases".to_owned(),
    };
    let body = match &v.diff {
        None if v.releases.is_empty() => view! { <section class="empty-state section-gap"><h2>"No releases yet"</h2><p>"Publish drafts to make the first release."</p></section> }.into_any(),
        None => view! { <p class="muted section-gap">"Choose two releases above."</p> }.into_any(),
        Some(d) if d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty() => {
            view! { <section class="empty-state section-gap" data-testid="kb-no-diff"><h2>"Same content"</h2><p>{format!("Both releases hold the same {}.", plural(d.unchanged, "entry", "entries"))}</p></section> }.into_any()
        }
        Some(d) => view! {
            <p class="muted section-gap" data-testid="kb-diff-counts">{format!("{} added · {} removed · {} changed · {} unchanged", d.added.len(), d.removed.len(), d.changed.len(), d.unchanged)}</p>
            {diff_sections(&v.head.slug, d, false)}
        }
        .into_any(),
    };
    view! {
        <Title text=format!("{title} · Knowledge base") />
        {kb_header(&v.head, title.clone(), None, "releases")}
        <FlashBanner />
        {(!v.releases.is_empty()).then(|| diff_selector(&v.head, &v.releases, v.from, v.to))}
        {body}
    }
}
