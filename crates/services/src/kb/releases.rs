//! Releases: approving drafts publishes the next numbered snapshot (atomically: an agent never
//! sees half a release); history, diffs between any two, and rollback as a new release.

use super::{access, raced, rule};
use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::ProjectAccess,
    clock::now_ms,
    context::RequestContext,
    ports::{EntryFilter, PrimaryStore, ReleaseHeader},
    ServiceError, ServiceResult,
};
use domain::{
    kb::{
        diff_release_entries,
        draft::{can_publish, can_review, can_rollback},
        release::{check_rollback, next_release_number},
        Draft, DraftStatus, EntryKey, KbDiff, Release, ReleaseEntry, ReviewPolicy,
    },
    ProjectRole,
};
use serde_json::json;

/// Most entries one page lists.
pub const ENTRY_PAGE: u32 = 50;

/// The active release in full (`None` before the first).
async fn active(store: &dyn PrimaryStore, project_id: &ProjectId) -> ServiceResult<Option<Release>> {
    match store.latest_release(project_id).await? {
        Some(h) => Ok(store.release(project_id, h.number).await?),
        None => Ok(None),
    }
}

async fn record(store: &dyn PrimaryStore, ctx: &RequestContext, action: &str, r: &Release, drafts: usize) -> ServiceResult<()> {
    let change = Change {
        action,
        entity_type: "kb_release",
        entity_id: &r.number.to_string(),
        project_id: Some(&r.project_id),
        old: None,
        new: Some(json!({
            "number": r.number,
            "summary": r.summary,
            "entries": r.entries.len(),
            "drafts": drafts,
            "rolled_back_to": r.rolled_back_to,
        })),
    };
    audit::record(store, ctx, change).await.map(|_| ())
}

/// Approve the chosen drafts (in review) and publish them as the next release (owners; with
/// the project's rule, never their own drafts). `summary` empty: one is written from the changes.
pub async fn publish(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    draft_ids: &[String],
    summary: &str,
) -> ServiceResult<Release> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    can_publish(access.role).map_err(rule)?;
    let actor = ctx.actor()?.user_id.clone();
    let project_id = &access.id;
    let settings = store.kb_settings(project_id).await?;
    let policy = ReviewPolicy { require_other_approver: settings.require_other_approver };
    let previous = active(store, project_id).await?;
    let number = next_release_number(previous.as_ref());
    let now = now_ms();
    let mut pairs: Vec<(Draft, u64)> = Vec::with_capacity(draft_ids.len());
    for id in draft_ids {
        let mut d = store.draft(project_id, id).await?.ok_or(ServiceError::NotFound("draft"))?;
        can_review(access.role, &actor, &d, policy).map_err(rule)?;
        let expected = d.version;
        d.approve(&actor, number, now).map_err(rule)?;
        pairs.push((d, expected));
    }
    let approved: Vec<Draft> = pairs.iter().map(|(d, _)| d.clone()).collect();
    let release = domain::kb::publish(previous.as_ref(), &approved, &actor, now, summary.trim()).map_err(rule)?;
    store.publish_release(&release, &pairs).await.map_err(raced("the knowledge base"))?;
    record(store, ctx, "kb.release.publish", &release, pairs.len()).await?;
    super::search::enqueue(store, project_id, release.number).await?;
    Ok(release)
}

/// A new release with `target`'s content (owners).
pub async fn rollback(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, target: u64) -> ServiceResult<Release> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    can_rollback(access.role).map_err(rule)?;
    let actor = ctx.actor()?.user_id.clone();
    let project_id = &access.id;
    let current = active(store, project_id).await?.ok_or(ServiceError::NotFound("release"))?;
    let earlier = store.release(project_id, target).await?.ok_or(ServiceError::NotFound("release"))?;
    check_rollback(&current, &earlier).map_err(rule)?;
    let release = domain::kb::rollback(&current, &earlier, &actor, now_ms());
    store.publish_release(&release, &[]).await.map_err(raced("the knowledge base"))?;
    record(store, ctx, "kb.release.rollback", &release, 0).await?;
    super::search::enqueue(store, project_id, release.number).await?;
    Ok(release)
}

/// The history, newest first (any member).
pub async fn list(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    before: Option<u64>,
) -> ServiceResult<(ProjectAccess, Vec<ReleaseHeader>)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let releases = store.list_releases(&access.id, before, 50).await?;
    Ok((access, releases))
}

/// What changed from release `from` to release `to` (any member; either order).
pub async fn diff(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    from: u64,
    to: u64,
) -> ServiceResult<(ProjectAccess, KbDiff)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let project_id = &access.id;
    let a = store.release(project_id, from).await?.ok_or(ServiceError::NotFound("release"))?;
    let b = store.release(project_id, to).await?.ok_or(ServiceError::NotFound("release"))?;
    Ok((access, diff_release_entries(&a.entries, &b.entries)))
}

/// One page of a release's entries (the latest when `number` is `None`), the release shown and
/// the total (any member).
pub struct EntriesPage {
    pub access: ProjectAccess,
    pub release: Option<ReleaseHeader>,
    pub entries: Vec<ReleaseEntry>,
    pub total: u64,
}

pub async fn entries(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    number: Option<u64>,
    filter: EntryFilter,
) -> ServiceResult<EntriesPage> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let project_id = &access.id;
    let header = match number {
        Some(n) => store.list_releases(project_id, Some(n + 1), 1).await?.into_iter().find(|h| h.number == n),
        None => store.latest_release(project_id).await?,
    };
    let Some(release) = header else {
        if number.is_some() {
            return Err(ServiceError::NotFound("release"));
        }
        return Ok(EntriesPage { access, release: None, entries: Vec::new(), total: 0 });
    };
    let filter = EntryFilter { limit: filter.limit.clamp(1, 500), ..filter };
    let (entries, total) = store.release_entries(project_id, release.number, &filter).await?;
    Ok(EntriesPage { access, release: Some(release), entries, total })
}

/// An active entry and the open drafts that change it (any member).
pub async fn entry(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
    key: &EntryKey,
) -> ServiceResult<(ProjectAccess, Option<ReleaseEntry>, Vec<Draft>)> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let project_id = &access.id;
    let active = match store.latest_release(project_id).await? {
        Some(h) => store.release_entry(project_id, h.number, key).await?,
        None => None,
    };
    let filter = crate::ports::DraftFilter { key: Some(key.clone()), limit: 20, ..Default::default() };
    let drafts: Vec<Draft> = store.list_drafts(project_id, &filter).await?.into_iter().filter(|d| d.status.is_open()).collect();
    if active.is_none() && drafts.is_empty() {
        return Err(ServiceError::NotFound("entry"));
    }
    Ok((access, active, drafts))
}

/// Is this draft approved in a release already? (For pages: links to it.)
pub fn published_in(d: &Draft) -> Option<u64> {
    match d.status {
        DraftStatus::Approved { release } => Some(release),
        _ => None,
    }
}

/// What the active knowledge base is exported as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The operations as an OpenAPI 3.1 document (JSON).
    OpenApi,
    /// The tables as SQL DDL.
    DdlPostgres,
    DdlMysql,
}

/// A file to download.
pub struct Exported {
    pub file_name: String,
    pub content_type: &'static str,
    pub body: String,
}

/// The active knowledge base as a file that imports back to the same entries (any member).
pub async fn export(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, format: ExportFormat) -> ServiceResult<Exported> {
    let access = access(store, ctx, slug, ProjectRole::Analyst).await?;
    let project = &access.project;
    let release = active(store, &access.id).await?;
    let number = release.as_ref().map_or(0, |r| r.number);
    let entries = release.map(|r| r.plain_entries()).unwrap_or_default();
    let slug = &project.slug;
    Ok(match format {
        ExportFormat::OpenApi => {
            let doc = kb_formats::export_openapi(&entries, &project.name, &format!("release {number}"));
            Exported {
                file_name: format!("{slug}-kb-release-{number}.openapi.json"),
                content_type: "application/json",
                body: serde_json::to_string_pretty(&doc).map_err(|_| ServiceError::Internal)?,
            }
        }
        ExportFormat::DdlPostgres | ExportFormat::DdlMysql => {
            let (dialect, name) = match format {
                ExportFormat::DdlMysql => (kb_formats::Dialect::MySql, "mysql"),
                _ => (kb_formats::Dialect::Postgres, "postgres"),
            };
            Exported {
                file_name: format!("{slug}-kb-release-{number}.{name}.sql"),
                content_type: "application/sql; charset=utf-8",
                body: kb_formats::export_ddl(&entries, dialect),
            }
        }
    })
}

/// The active knowledge base of an API key's project (the key was verified with the `read`
/// scope); `None` before the first release.
pub async fn active_for_key(store: &dyn PrimaryStore, key: &crate::api_keys::KeyPrincipal) -> ServiceResult<Option<Release>> {
    active(store, &key.project_id).await
}

/// One active entry of an API key's project (the key was verified), with the release number.
pub async fn active_entry_for_key(
    store: &dyn PrimaryStore,
    key: &crate::api_keys::KeyPrincipal,
    entry: &EntryKey,
) -> ServiceResult<Option<(u64, ReleaseEntry)>> {
    let Some(latest) = store.latest_release(&key.project_id).await? else { return Ok(None) };
    Ok(store.release_entry(&key.project_id, latest.number, entry).await?.map(|e| (latest.number, e)))
}
