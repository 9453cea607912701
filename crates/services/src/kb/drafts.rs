//! Drafts: every change to the knowledge base starts as one. Editors write and submit them,
//! owners reject them (approval happens when publishing, see `releases`).

use super::{access, raced, rule, validate_entry};
use crate::{
    audit::{self, Change},
    authz::ProjectAccess,
    clock::now_ms,
    context::RequestContext,
    ports::{DraftFilter, KbSettings, PrimaryStore},
    ServiceError, ServiceResult,
};
use domain::{
    kb::{
        draft::{can_edit, can_review, can_submit, can_withdraw},
        Draft, DraftChange, DraftSource, ReviewPolicy,
    },
    ProjectRole,
};
use serde_json::json;

/// Most drafts one list shows.
pub const PAGE: u32 = 100;

fn audit_json(d: &Draft) -> serde_json::Value {
    json!({
        "key": d.key.name,
        "kind": d.key.kind.as_str(),
        "change": if d.change.is_delete() { "delete" } else { "upsert" },
        "status": d.status.as_str(),
        "version": d.version,
        "source": d.source.kind(),
    })
}

async fn record(store: &dyn PrimaryStore, ctx: &RequestContext, action: &str, d: &Draft, old: Option<&Draft>) -> ServiceResult<()> {
    let change = Change {
        action,
        entity_type: "kb_draft",
        entity_id: &d.id,
        project_id: Some(&d.project_id),
        old: old.map(audit_json),
        new: Some(audit_json(d)),
    };
    audit::record(store, ctx, change).await.map(|_| ())
}

/// A new draft of `change` (editors and owners); audited. A delete needs the entry to be active.
pub async fn create(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, change: DraftChange) -> ServiceResult<Draft> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    can_edit(access.role).map_err(rule)?;
    let drafts = create_in(store, ctx, &access, vec![change], DraftSource::Manual).await?;
    Ok(drafts.into_iter().next().expect("one change, one draft"))
}

/// Drafts of `changes` in one write (an import makes thousands); audited as one action per draft
/// for manual drafts and once per import otherwise.
pub(crate) async fn create_in(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    access: &ProjectAccess,
    changes: Vec<DraftChange>,
    source: DraftSource,
) -> ServiceResult<Vec<Draft>> {
    let actor = ctx.actor()?;
    let project_id = &access.id;
    let now = now_ms();
    let latest = store.latest_release(project_id).await?;
    let mut drafts = Vec::with_capacity(changes.len());
    for change in changes {
        if let DraftChange::Upsert(entry) = &change {
            validate_entry(entry)?;
        }
        let key = change.key();
        let base = match &latest {
            Some(r) => store.release_entry(project_id, r.number, &key).await?.map(|e| e.revision),
            None => None,
        };
        if change.is_delete() && base.is_none() {
            return Err(ServiceError::Invalid(format!("{key} is not in the active knowledge base, so there is nothing to delete")));
        }
        drafts.push(Draft::new(
            uuid::Uuid::now_v7().to_string(),
            project_id.clone(),
            change,
            base,
            actor.user_id.clone(),
            source.clone(),
            now,
        ));
    }
    store.insert_drafts(&drafts).await?;
    match &source {
        DraftSource::Manual => {
            for d in &drafts {
                record(store, ctx, "kb.draft.create", d, None).await?;
            }
        }
        other => {
            let change = Change {
                action: "kb.draft.import",
                entity_type: "kb_import",
                entity_id: match other {
                    DraftSource::OpenApiImport { import_id } | DraftSource::DdlImport { import_id } => import_id,
                    _ => "",
                },
                project_id: Some(project_id.as_str()),
                old: None,
                new: Some(json!({"drafts": drafts.len(), "source": other.kind()})),
            };
            audit::record(store, ctx, change).await?;
        }
    }
    Ok(drafts)
}

/// One draft with the caller's access (any member reads drafts).
pub async fn get(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<(ProjectAccess, Draft)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let draft = store.draft(&access.id, id).await?.ok_or(ServiceError::NotFound("draft"))?;
    Ok((access, draft))
}

/// Which drafts a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftList {
    /// The caller's drafts still open (draft, in review, rejected).
    Mine,
    /// Drafts waiting for review.
    ToReview,
    /// Every draft, newest first.
    All,
}

/// A page of drafts (any member).
pub async fn list(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    which: DraftList,
    offset: u32,
) -> ServiceResult<(ProjectAccess, Vec<Draft>)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let actor = ctx.actor()?;
    let open = || vec!["draft".to_owned(), "in_review".to_owned(), "rejected".to_owned()];
    let filter = match which {
        DraftList::Mine => DraftFilter { statuses: open(), author_id: Some(actor.user_id.clone()), ..Default::default() },
        DraftList::ToReview => DraftFilter { statuses: vec!["in_review".into()], ..Default::default() },
        DraftList::All => DraftFilter::default(),
    };
    let drafts = store.list_drafts(&access.id, &DraftFilter { limit: PAGE, offset, ..filter }).await?;
    Ok((access, drafts))
}

/// The draft `id` for an editor or owner about to save `change` (checked as an entry).
async fn to_edit(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    change: &DraftChange,
) -> ServiceResult<(ProjectAccess, Draft)> {
    let (access, draft) = get(store, ctx, slug, id).await?;
    can_edit(access.role).map_err(rule)?;
    if let DraftChange::Upsert(entry) = change {
        validate_entry(entry)?;
    }
    Ok((access, draft))
}

/// Save a new version of a draft's change (editors and owners). A save against an older
/// version is a conflict that names what the other person changed.
pub async fn edit(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    expected_version: u64,
    change: DraftChange,
) -> ServiceResult<Draft> {
    let (_, mut draft) = to_edit(store, ctx, slug, id, &change).await?;
    let old = draft.clone();
    draft.save_edit(expected_version, change, now_ms()).map_err(rule)?;
    store.update_draft(&draft, old.version).await.map_err(raced("the draft"))?;
    record(store, ctx, "kb.draft.edit", &draft, Some(&old)).await?;
    Ok(draft)
}

/// Save a stale draft onto the active entry as it is now (editors and owners): the person saw
/// revision `onto` of the entry (`None`: it is no longer active) next to their change. When the
/// entry moved again since, nothing is saved and they are told. Audited.
pub async fn rebase(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    expected_version: u64,
    onto: Option<u64>,
    change: DraftChange,
) -> ServiceResult<Draft> {
    let (access, mut draft) = to_edit(store, ctx, slug, id, &change).await?;
    let active = match store.latest_release(&access.id).await? {
        Some(r) => store.release_entry(&access.id, r.number, &draft.key).await?.map(|e| e.revision),
        None => None,
    };
    if active != onto {
        let now = active.map_or_else(|| "no longer in the knowledge base".to_owned(), |r| format!("at revision {r}"));
        return Err(ServiceError::Conflict(format!(
            "{} changed again while you edited (it is now {now}); reload the draft and compare again",
            draft.key
        )));
    }
    let old = draft.clone();
    draft.rebase(expected_version, active, change, now_ms()).map_err(rule)?;
    store.update_draft(&draft, old.version).await.map_err(raced("the draft"))?;
    record(store, ctx, "kb.draft.rebase", &draft, Some(&old)).await?;
    Ok(draft)
}

async fn transition(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    action: &str,
    apply: impl FnOnce(&ProjectAccess, &KbSettings, &mut Draft) -> ServiceResult<()>,
) -> ServiceResult<Draft> {
    let (access, mut draft) = get(store, ctx, slug, id).await?;
    let settings = store.kb_settings(&access.id).await?;
    let old = draft.clone();
    apply(&access, &settings, &mut draft)?;
    store.update_draft(&draft, old.version).await.map_err(raced("the draft"))?;
    record(store, ctx, action, &draft, Some(&old)).await?;
    Ok(draft)
}

/// Send a draft for review (editors and owners).
pub async fn submit(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<Draft> {
    transition(store, ctx, slug, id, "kb.draft.submit", |access, _, d| {
        can_submit(access.role).map_err(rule)?;
        d.submit(now_ms()).map_err(rule)
    })
    .await
}

/// Give a draft up (its author, or an owner).
pub async fn withdraw(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<Draft> {
    let actor = ctx.actor()?.user_id.clone();
    transition(store, ctx, slug, id, "kb.draft.withdraw", |access, _, d| {
        can_withdraw(access.role, &actor, d).map_err(rule)?;
        d.withdraw(now_ms()).map_err(rule)
    })
    .await
}

/// Send a draft back with a comment (owners; with the project's rule, not their own).
pub async fn reject(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str, comment: &str) -> ServiceResult<Draft> {
    let actor = ctx.actor()?.user_id.clone();
    transition(store, ctx, slug, id, "kb.draft.reject", |access, settings, d| {
        let policy = ReviewPolicy { require_other_approver: settings.require_other_approver };
        can_review(access.role, &actor, d, policy).map_err(rule)?;
        d.reject(&actor, comment.trim(), now_ms()).map_err(rule)
    })
    .await
}

/// The project's review rule (any member reads it).
pub async fn settings(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, KbSettings)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let settings = store.kb_settings(&access.id).await?;
    Ok((access, settings))
}

/// Change the review rule (owners); the other settings stay. Audited.
pub async fn set_review_rule(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    require_other_approver: bool,
) -> ServiceResult<()> {
    let access = access(store, ctx, slug, ProjectRole::Owner).await?;
    let old = store.kb_settings(&access.id).await?;
    let new = KbSettings { require_other_approver, ..old.clone() };
    store.set_kb_settings(&access.id, &new).await?;
    let change = Change {
        action: "kb.settings.update",
        entity_type: "project",
        entity_id: &access.project.id,
        project_id: Some(&access.project.id),
        old: Some(json!({"require_other_approver": old.require_other_approver})),
        new: Some(json!({"require_other_approver": new.require_other_approver})),
    };
    audit::record(store, ctx, change).await.map(|_| ())
}
