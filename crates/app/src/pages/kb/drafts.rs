//! `/projects/:slug/kb/drafts?list=`: drafts (the viewer's, waiting for review, all), where
//! owners approve and publish; `/projects/:slug/kb/drafts/:id`: one draft with its field diff,
//! edit form and review buttons.

use super::{change_kind, change_pill, draft_status_pill, field_diff, kb_header, key_label, key_link, param, query, when};
use crate::api::kb::{entry_url, load_kb_draft, load_kb_drafts, DraftRow, DraftView, DraftsView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::{DraftChange, DraftStatus};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KbDraftsPage() -> impl IntoView {
    let data = load_kb_drafts(param("slug"), query("list"));
    view! {
        <Title text="Knowledge-base drafts" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => list_page(v).into_any(),
            }
        })}
    }
}

/// May the viewer approve or reject this draft?
fn may_review(v: &DraftsView, r: &DraftRow) -> bool {
    v.head.can_review && !(v.require_other_approver && r.draft.author_id == v.head.user_id)
}

fn reject_form(slug: &str, id: &str, compact: bool) -> impl IntoView {
    let action = format!("/projects/{slug}/kb/drafts/{id}/reject");
    view! {
        <details class="inline-details kb-reject" data-testid="reject-draft">
            <summary class=if compact { "btn btn-ghost btn-sm" } else { "btn btn-ghost" }>"Reject"</summary>
            <form method="post" action=action class="confirm-box form">
                <label>"Why (the author reads this)" <textarea name="comment" rows="3" maxlength="4000" required></textarea></label>
                <button class="btn btn-danger btn-sm" type="submit" data-testid="confirm-reject">"Reject the draft"</button>
            </form>
        </details>
    }
}

fn draft_row(v: &DraftsView, r: &DraftRow, selectable: bool) -> impl IntoView {
    let slug = &v.head.slug;
    let d = &r.draft;
    let reviewable = selectable && d.status == DraftStatus::InReview && may_review(v, r);
    let href = format!("/projects/{slug}/kb/drafts/{}", d.id);
    let check = selectable.then(|| {
        view! {
            <td class="kb-check">
                {reviewable.then(|| view! {
                    <input type="checkbox" name="draft" value=d.id.clone() form="kb-publish" aria-label=format!("Publish {}", d.key.name) data-testid="publish-check" />
                })}
            </td>
        }
    });
    view! {
        <tr data-testid="kb-draft-row" data-id=d.id.clone()>
            {check}
            <td><a href=href.clone() class="kb-key-link" data-testid="kb-draft-link">{key_label(&d.key)}</a></td>
            <td>{change_pill(change_kind(&d.change, d.base_revision))}</td>
            <td>{draft_status_pill(d.status)}</td>
            <td class="small">{d.source.label()}</td>
            <td class="ellipsis">{r.author.clone()}</td>
            <td class="nowrap muted small">{when(d.updated_at_ms)}</td>
            <td class="actions">
                <a class="btn btn-ghost btn-sm" href=href>"Open"</a>
                {reviewable.then(|| reject_form(slug, &d.id, true))}
            </td>
        </tr>
    }
}

fn list_page(v: DraftsView) -> impl IntoView {
    let base = v.head.base();
    let lists = [("review", "Waiting for review"), ("mine", "Mine"), ("all", "All")]
        .into_iter()
        .map(|(key, label)| {
            let class = if v.list == key { "btn btn-primary btn-sm" } else { "btn btn-ghost btn-sm" };
            view! { <a class=class href=format!("{base}/drafts?list={key}") aria-current=(v.list == key).then_some("page") data-testid=format!("drafts-list-{key}")>{label}</a> }
        })
        .collect_view();
    let selectable = v.list == "review" && v.head.can_review;
    let body = if v.drafts.is_empty() {
        let text = match v.list.as_str() {
            "mine" => "You have no open drafts. Edit an entry, write a new one or import a file to start one.",
            "review" => "No draft is waiting for review.",
            _ => "No drafts yet.",
        };
        view! { <section class="empty-state section-gap" data-testid="no-drafts"><h2>"Nothing here"</h2><p>{text}</p></section> }.into_any()
    } else {
        let rows = v.drafts.iter().map(|r| draft_row(&v, r, selectable)).collect_view();
        view! {
            <div class="card flush table-wrap section-gap kb-drafts-card">
                <table class="data-table kb-drafts" data-testid="kb-drafts">
                    <thead><tr>
                        {selectable.then(|| view! { <th class="kb-check"><span class="sr-only">"Publish"</span></th> })}
                        <th>"Entry"</th><th>"Change"</th><th>"Status"</th><th>"Source"</th><th>"Author"</th><th>"Updated (UTC)"</th><th></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let reviewable = selectable && v.drafts.iter().any(|r| r.draft.status == DraftStatus::InReview && may_review(&v, r));
    let publish = reviewable.then(|| {
        view! {
            <form method="post" action=format!("{base}/publish") id="kb-publish" class="card section-gap form kb-publish" data-testid="kb-publish-form">
                <h2>"Approve and publish"</h2>
                <p class="muted small">"The ticked drafts are approved and published together as the next release. Agents see the new release at once; its search index is built in the background."</p>
                <label>"Release summary (optional)" <input type="text" name="summary" maxlength="500" placeholder="Written from the changes when left empty" /></label>
                <div><button class="btn btn-primary" type="submit" data-testid="publish">"Approve and publish"</button></div>
            </form>
        }
    });
    let rule = (v.require_other_approver && v.head.can_review).then(|| {
        view! { <p class="muted small">"This project requires another owner to approve a draft: your own drafts have no checkbox."</p> }
    });
    view! {
        <Title text=format!("Drafts · {}", v.head.name) />
        {kb_header(&v.head, "Drafts".into(), Some("Every change starts as a draft: editors write and submit them, owners approve and publish them as a release.".into()), "drafts")}
        <FlashBanner />
        <div class="chooser-links kb-lists section-gap">{lists}</div>
        {rule}
        {body}
        {publish}
    }
}

// ------------------------------------------------------------------------------ one draft

#[component]
pub fn KbDraftPage() -> impl IntoView {
    let data = load_kb_draft(param("slug"), param("id"));
    view! {
        <Title text="Knowledge-base draft" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => draft_page(v).into_any(),
            }
        })}
    }
}

fn actions(v: &DraftView) -> impl IntoView {
    let d = &v.row.draft;
    let action = format!("/projects/{}/kb/drafts/{}", v.head.slug, d.id);
    let mine = d.author_id == v.head.user_id;
    let can_submit = v.head.can_edit && d.status.is_editable();
    let can_withdraw = d.status.is_open() && (v.head.can_review || (v.head.can_edit && mine));
    let can_reject = v.head.can_review && d.status == DraftStatus::InReview && !(v.require_other_approver && mine);
    let publish = can_reject.then(|| {
        view! {
            <form method="post" action=format!("/projects/{}/kb/publish", v.head.slug) class="inline-form">
                <input type="hidden" name="draft" value=d.id.clone() />
                <button class="btn btn-primary btn-sm" type="submit" data-testid="publish-this">"Approve and publish"</button>
            </form>
        }
    });
    let any = can_submit || can_withdraw || can_reject;
    any.then(|| {
        view! {
            <div class="kb-draft-actions" data-testid="kb-draft-actions">
                {can_submit.then(|| view! {
                    <form method="post" action=format!("{action}/submit") class="inline-form">
                        <button class="btn btn-primary btn-sm" type="submit" data-testid="submit-draft">"Submit for review"</button>
                    </form>
                })}
                {publish}
                {can_reject.then(|| reject_form(&v.head.slug, &d.id, true))}
                {can_withdraw.then(|| view! {
                    <form method="post" action=format!("{action}/withdraw") class="inline-form">
                        <button class="btn btn-ghost btn-sm" type="submit" data-testid="withdraw-draft">"Withdraw"</button>
                    </form>
                })}
            </div>
        }
    })
}

fn edit_form(v: &DraftView) -> impl IntoView {
    let d = &v.row.draft;
    // A stale draft in review can be brought onto the current entry (it could not be published).
    let open = d.status.is_editable() || (v.stale && d.status.is_open());
    let editable = v.head.can_edit && open && matches!(d.change, DraftChange::Upsert(_));
    let action = format!("/projects/{}/kb/drafts/{}", v.head.slug, d.id);
    let rows = v.json.lines().count().clamp(8, 40);
    editable.then(|| {
        view! {
            <details class="card section-gap kb-edit-details" data-testid="kb-draft-edit">
                <summary class="btn btn-ghost">"Edit the draft"</summary>
                <form method="post" action=action class="form" data-testid="kb-draft-edit-form">
                    <input type="hidden" name="version" value=d.version.to_string() />
                    {v.stale.then(|| {
                        let onto = v.active.as_ref().map_or_else(|| "none".to_owned(), |a| a.revision.to_string());
                        view! { <input type="hidden" name="rebase_onto" value=onto /> }
                    })}
                    <label>"Entry (JSON)" <textarea name="entry" class="kb-json-input" rows=rows.to_string() spellcheck="false" required>{v.json.clone()}</textarea></label>
                    <p class="muted small">{format!("Saving over version {}: if someone saves it meanwhile, you are told and nothing is lost.", d.version)}</p>
                    <div><button class="btn btn-primary" type="submit">{if v.stale { "Save onto the current entry" } else { "Save the draft" }}</button></div>
                </form>
            </details>
        }
    })
}

fn draft_page(v: DraftView) -> impl IntoView {
    let d = v.row.draft.clone();
    let kind = change_kind(&d.change, d.base_revision);
    let title = format!(
        "{} {}",
        match kind {
            "add" => "Add",
            "delete" => "Delete",
            _ => "Change",
        },
        d.key.name
    );
    let stale = v.stale.then(|| {
        let active = v.active.as_ref().map_or_else(|| "no longer in the knowledge base".to_owned(), |a| format!("now at revision {}", a.revision));
        let base = d.base_revision.map_or_else(|| "a new entry".to_owned(), |b| format!("revision {b}"));
        view! {
            <p class="banner banner-bad" role="alert" data-testid="kb-stale">
                {format!("The active entry changed since this draft was written (written against {base}; the entry is {active}). The changes below compare the draft with the entry as it is now: edit the draft and save it onto the current entry, then submit it again. Published as it is, it would be refused.")}
            </p>
        }
    });
    let rejected = (d.status == DraftStatus::Rejected && !d.review_comment.is_empty()).then(|| {
        view! {
            <div class="banner banner-bad" data-testid="kb-review-comment">
                <strong>{format!("Rejected by {}: ", v.row.reviewer.clone().unwrap_or_else(|| "a reviewer".into()))}</strong>
                <span class="pre-line">{d.review_comment.clone()}</span>
            </div>
        }
    });
    let facts = view! {
        <dl class="facts">
            <dt>"Status"</dt><dd>{draft_status_pill(d.status)}</dd>
            <dt>"Change"</dt><dd>{change_pill(kind)}</dd>
            <dt>"Entry"</dt><dd>{key_link(&v.head.slug, &d.key)}</dd>
            <dt>"Author"</dt><dd>{v.row.author.clone()}</dd>
            <dt>"Source"</dt><dd>{d.source.label()}</dd>
            <dt>"Created"</dt><dd>{when(d.created_at_ms)}</dd>
            <dt>"Updated"</dt><dd>{format!("{} (version {})", when(d.updated_at_ms), d.version)}</dd>
            {d.submitted_at_ms.map(|s| view! { <dt>"Submitted"</dt><dd>{when(s)}</dd> })}
            <dt>"Written against"</dt><dd>{d.base_revision.map_or_else(|| "nothing (a new entry)".to_owned(), |b| format!("revision {b}"))}</dd>
        </dl>
    };
    let diff_title = match (kind, &v.active) {
        ("add", _) => "What it adds",
        ("delete", _) => "What it removes",
        _ => "Changes against the active entry",
    };
    view! {
        <Title text=format!("{title} · Drafts") />
        {kb_header(&v.head, title.clone(), None, "drafts")}
        <FlashBanner />
        {stale}
        {rejected}
        <div class="grid-main-side kb-draft-layout">
            <section class="card" data-testid="kb-draft-diff">
                <h2>{diff_title}</h2>
                {field_diff(&v.fields)}
                {v.active.is_some().then(|| view! { <p class="small"><a href=entry_url(&v.head.slug, &d.key)>"See the active entry"</a></p> })}
            </section>
            <aside class="card">
                {facts}
                {actions(&v)}
            </aside>
        </div>
        {edit_form(&v)}
    }
}
