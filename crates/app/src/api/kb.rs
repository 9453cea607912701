//! Server functions of the knowledge-base pages: the active entries, one entry, drafts and their
//! review, releases and their diffs, imports and their previews, the search preview. Every
//! member reads them; the views say what the viewer may change (editors write and submit
//! drafts, owners review, publish and roll back). Changes are HTML form posts
//! (src/http/forms/kb.rs).

use super::AppError;
use domain::kb::{Draft, Entry, EntryChange, EntryKey, EntryKind, FieldChange, KbImport, KbIndexRecord, ReleaseEntry, ReleaseHeader};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Entries one page of the list shows.
pub const ENTRIES_PER_PAGE: u32 = 50;

/// The project a knowledge-base page belongs to, and what the viewer may do there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbHead {
    pub slug: String,
    pub name: String,
    /// Editors and owners write, submit and withdraw drafts, and import files.
    pub can_edit: bool,
    /// Owners review, publish, roll back and set the review rule.
    pub can_review: bool,
    /// The viewer's user id (their own drafts).
    pub user_id: String,
}

impl KbHead {
    /// `/projects/<slug>/kb`.
    pub fn base(&self) -> String {
        format!("/projects/{}/kb", self.slug)
    }
}

/// `?kind=api_operation&key=GET%20/users` — the entry page of `key`.
pub fn entry_url(slug: &str, key: &EntryKey) -> String {
    format!("/projects/{slug}/kb/entry?kind={}&key={}", key.kind.as_str(), url_escape(&key.name))
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A draft with the e-mail of its author and reviewer (when still members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRow {
    pub draft: Draft,
    pub author: String,
    pub reviewer: Option<String>,
}

/// `/projects/:slug/kb`: the active release and one page of its entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntriesView {
    pub head: KbHead,
    pub release: Option<ReleaseHeader>,
    pub entries: Vec<ReleaseEntry>,
    /// Entries matching the filter in all.
    pub total: u64,
    /// `api_operation`, `table` or empty.
    pub kind: String,
    pub q: String,
    /// 1-based.
    pub page: u32,
    /// The retrieval index of the active release (`None`: none yet).
    pub index: Option<KbIndexRecord>,
    /// Drafts waiting for review (owners see a link).
    pub in_review: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryView {
    pub head: KbHead,
    pub key: EntryKey,
    /// The entry in the active release (`None`: only drafts add it).
    pub active: Option<ReleaseEntry>,
    pub release: Option<u64>,
    /// Open drafts that change it.
    pub drafts: Vec<DraftRow>,
    /// The active entry as pretty JSON (the edit form's text).
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftsView {
    pub head: KbHead,
    /// `mine`, `review` or `all`.
    pub list: String,
    pub drafts: Vec<DraftRow>,
    pub require_other_approver: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftView {
    pub head: KbHead,
    pub row: DraftRow,
    /// The active entry it changes (`None`: a new entry).
    pub active: Option<ReleaseEntry>,
    /// Field by field against the active entry.
    pub fields: Vec<FieldChange>,
    /// The active entry moved since the draft was written.
    pub stale: bool,
    /// The draft's entry as pretty JSON (the edit form's text); empty for a deletion.
    pub json: String,
    pub require_other_approver: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasesView {
    pub head: KbHead,
    /// Newest first.
    pub releases: Vec<ReleaseHeader>,
}

/// An entry in a list of keys: its key and one line about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLine {
    pub key: EntryKey,
    pub headline: String,
}

/// A diff, lightened for a page: added and removed entries by key and headline.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiffLines {
    pub added: Vec<KeyLine>,
    pub removed: Vec<KeyLine>,
    pub changed: Vec<EntryChange>,
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffView {
    pub head: KbHead,
    /// For the selector, newest first.
    pub releases: Vec<ReleaseHeader>,
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub diff: Option<DiffLines>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportsView {
    pub head: KbHead,
    pub imports: Vec<KbImport>,
    pub require_other_approver: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    pub head: KbHead,
    pub import: KbImport,
    /// Once parsed: the file against the active knowledge base.
    pub diff: Option<DiffLines>,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitRow {
    pub key: EntryKey,
    pub score: f32,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchView {
    pub head: KbHead,
    pub q: String,
    pub kind: String,
    /// The release that answered (`None`: no index ready yet, or no query).
    pub release: Option<u64>,
    pub hits: Vec<HitRow>,
    /// `lexical` or `hybrid`.
    pub ranking: String,
    pub took_ms: u64,
    pub searched: bool,
    pub vector: VectorView,
}

/// The vector side of search: the setting, and what the latest release's index has.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VectorView {
    pub key_id: String,
    pub model: String,
    /// Keys the project may embed with, `(id, label)` (loaded for owners, who change it).
    pub keys: Vec<(String, String)>,
    /// The latest release's index record.
    pub index: Option<KbIndexRecord>,
}

/// A new entry's template, by kind.
pub fn template(kind: EntryKind) -> String {
    let value = match kind {
        EntryKind::ApiOperation => serde_json::json!({
            "kind": "api_operation",
            "method": "GET",
            "path": "/users/{id}",
            "operation_id": "getUser",
            "summary": "Get one user",
            "description": "Returns the user with this id.",
            "tags": ["users"],
            "parameters": [
                {"name": "id", "location": "path", "required": true, "description": "The user's id", "schema": {"type": "integer"}}
            ],
            "responses": [
                {"status": "200", "description": "The user", "content": [{"content_type": "application/json", "schema": {
                    "type": "object",
                    "required": ["id", "email"],
                    "properties": {
                        "id": {"type": "integer"},
                        "email": {"type": "string", "format": "email"},
                        "status": {"type": "string", "enum": ["active", "blocked"]}
                    }
                }}]},
                {"status": "404", "description": "No such user"}
            ]
        }),
        EntryKind::Table => serde_json::json!({
            "kind": "table",
            "schema": "public",
            "name": "users",
            "description": "People who sign in.",
            "columns": [
                {"name": "id", "data_type": "bigint", "nullable": false, "description": "The user's id"},
                {"name": "email", "data_type": "varchar(255)", "nullable": false},
                {"name": "created_at", "data_type": "timestamptz", "nullable": false, "default": "now()"}
            ],
            "primary_key": ["id"],
            "indexes": [{"name": "users_email_key", "columns": ["email"], "unique": true}],
            "example_queries": [{"description": "A user by e-mail", "sql": "SELECT * FROM public.users WHERE email = $1"}]
        }),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Top-level fields of an entry, each as added (`after`) or removed (`before`): how a new entry
/// or a deletion reads in a field diff.
pub fn whole_entry_fields(entry: &Entry, added: bool) -> Vec<FieldChange> {
    match serde_json::to_value(entry) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .map(|(path, v)| {
                if added {
                    FieldChange { path, before: None, after: Some(v) }
                } else {
                    FieldChange { path, before: Some(v), after: None }
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(feature = "ssr")]
mod load {
    use super::*;
    use services::{authz::ProjectAccess, RequestContext, ServiceError, ServiceResult, Stores};
    use std::collections::HashMap;

    pub fn head(access: &ProjectAccess, ctx: &RequestContext) -> KbHead {
        KbHead {
            slug: access.project.slug.to_string(),
            name: access.project.name.clone(),
            can_edit: access.role.allows(domain::ProjectRole::Editor),
            can_review: access.role.allows(domain::ProjectRole::Owner),
            user_id: ctx.actor.as_ref().map(|a| a.user_id.clone()).unwrap_or_default(),
        }
    }

    /// E-mail by user id of the project's members.
    pub async fn people(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<HashMap<String, String>> {
        let (_, members) = services::projects::members(stores.primary.as_ref(), ctx, slug).await?;
        Ok(members.into_iter().map(|m| (m.user_id, m.email)).collect())
    }

    pub fn row(people: &HashMap<String, String>, draft: Draft) -> DraftRow {
        let name = |id: &str| people.get(id).cloned().unwrap_or_else(|| "(former member)".into());
        DraftRow { author: name(&draft.author_id), reviewer: draft.reviewer_id.as_deref().map(name), draft }
    }

    pub fn lines(diff: domain::kb::KbDiff) -> DiffLines {
        let line = |e: &Entry| KeyLine { key: e.key(), headline: e.headline().to_owned() };
        DiffLines {
            added: diff.added.iter().map(line).collect(),
            removed: diff.removed.iter().map(line).collect(),
            changed: diff.changed,
            unchanged: diff.unchanged.len() as u64,
        }
    }

    /// `None` for "not found" (an entry no release holds), the error otherwise.
    pub fn found<T>(r: ServiceResult<T>) -> ServiceResult<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn kind(s: &str) -> Option<EntryKind> {
        EntryKind::parse(s.trim())
    }
}

/// The active release and one page of its entries (`kind`: `api_operation` | `table` | empty;
/// `q`: part of a key; `page`: 1-based).
#[server(prefix = "/api")]
pub async fn load_kb_entries(slug: String, kind: String, q: String, page_number: String) -> Result<EntriesView, AppError> {
    use super::support::*;
    use services::{kb::releases, ports::EntryFilter};
    let (stores, ctx) = (stores(), request());
    let page = page_number.trim().parse::<u32>().unwrap_or(1).max(1);
    let filter = EntryFilter {
        kind: load::kind(&kind),
        search: Some(q.trim().to_owned()).filter(|s| !s.is_empty()),
        limit: ENTRIES_PER_PAGE,
        offset: (page - 1).saturating_mul(ENTRIES_PER_PAGE),
    };
    let listing = releases::entries(stores.primary.as_ref(), &ctx, &slug, None, filter).await.map_err(fail)?;
    let index = services::kb::search::status(&stores, &listing.access.id).await.map_err(fail)?;
    let head = load::head(&listing.access, &ctx);
    let in_review = if head.can_review {
        let (_, drafts) = services::kb::drafts::list(stores.primary.as_ref(), &ctx, &slug, services::kb::drafts::DraftList::ToReview, 0)
            .await
            .map_err(fail)?;
        drafts.len()
    } else {
        0
    };
    Ok(EntriesView {
        head,
        release: listing.release,
        entries: listing.entries,
        total: listing.total,
        kind: load::kind(&kind).map(|k| k.as_str().to_owned()).unwrap_or_default(),
        q: q.trim().to_owned(),
        page,
        index,
        in_review,
    })
}

/// One entry (`kind` and `key` name it) and the open drafts changing it.
#[server(prefix = "/api")]
pub async fn load_kb_entry(slug: String, kind: String, key: String) -> Result<EntryView, AppError> {
    use super::support::*;
    use services::kb::releases;
    let (stores, ctx) = (stores(), request());
    let Some(kind) = load::kind(&kind) else {
        return Err(fail(services::ServiceError::NotFound("entry")));
    };
    let key = EntryKey { kind, name: key.trim().to_owned() };
    let (access, active, drafts) = releases::entry(stores.primary.as_ref(), &ctx, &slug, &key).await.map_err(fail)?;
    let people = load::people(&stores, &ctx, &slug).await.map_err(fail)?;
    let (_, history) = releases::list(stores.primary.as_ref(), &ctx, &slug, None).await.map_err(fail)?;
    let release = history.first().map(|h| h.number);
    Ok(EntryView {
        head: load::head(&access, &ctx),
        json: active.as_ref().map(|e| serde_json::to_string_pretty(&e.entry).unwrap_or_default()).unwrap_or_default(),
        key,
        active,
        release,
        drafts: drafts.into_iter().map(|d| load::row(&people, d)).collect(),
    })
}

/// The project, for the new-entry form (editors and owners use it; every member may open it).
#[server(prefix = "/api")]
pub async fn load_kb_head(slug: String) -> Result<KbHead, AppError> {
    use super::support::*;
    let ctx = request();
    let (access, _) = services::kb::drafts::settings(stores().primary.as_ref(), &ctx, &slug).await.map_err(fail)?;
    Ok(load::head(&access, &ctx))
}

/// Drafts: `mine` (the viewer's open ones), `review` (waiting for review) or `all`.
#[server(prefix = "/api")]
pub async fn load_kb_drafts(slug: String, list: String) -> Result<DraftsView, AppError> {
    use super::support::*;
    use services::kb::drafts::{self, DraftList};
    let (stores, ctx) = (stores(), request());
    let (which, list) = match list.trim() {
        "mine" => (DraftList::Mine, "mine"),
        "all" => (DraftList::All, "all"),
        _ => (DraftList::ToReview, "review"),
    };
    let (access, found) = drafts::list(stores.primary.as_ref(), &ctx, &slug, which, 0).await.map_err(fail)?;
    let (_, settings) = drafts::settings(stores.primary.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let people = load::people(&stores, &ctx, &slug).await.map_err(fail)?;
    Ok(DraftsView {
        head: load::head(&access, &ctx),
        list: list.to_owned(),
        drafts: found.into_iter().map(|d| load::row(&people, d)).collect(),
        require_other_approver: settings.require_other_approver,
    })
}

/// One draft, its field diff against the active entry, and whether that entry moved since.
#[server(prefix = "/api")]
pub async fn load_kb_draft(slug: String, id: String) -> Result<DraftView, AppError> {
    use super::support::*;
    use domain::kb::DraftChange;
    use services::kb::{drafts, releases};
    let (stores, ctx) = (stores(), request());
    let (access, draft) = drafts::get(stores.primary.as_ref(), &ctx, &slug, &id).await.map_err(fail)?;
    let active =
        load::found(releases::entry(stores.primary.as_ref(), &ctx, &slug, &draft.key).await).map_err(fail)?.and_then(|(_, a, _)| a);
    let (_, settings) = drafts::settings(stores.primary.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let people = load::people(&stores, &ctx, &slug).await.map_err(fail)?;
    let fields = match (&draft.change, &active) {
        (DraftChange::Upsert(new), Some(old)) => domain::kb::diff_entry(&old.entry, new),
        (DraftChange::Upsert(new), None) => whole_entry_fields(new, true),
        (DraftChange::Delete(_), Some(old)) => whole_entry_fields(&old.entry, false),
        (DraftChange::Delete(_), None) => Vec::new(),
    };
    let json = match &draft.change {
        DraftChange::Upsert(e) => serde_json::to_string_pretty(e).unwrap_or_default(),
        DraftChange::Delete(_) => String::new(),
    };
    Ok(DraftView {
        head: load::head(&access, &ctx),
        stale: draft.status.is_open() && draft.is_stale(active.as_ref().map(|a| a.revision)),
        row: load::row(&people, draft),
        active,
        fields,
        json,
        require_other_approver: settings.require_other_approver,
    })
}

/// The release history, newest first.
#[server(prefix = "/api")]
pub async fn load_kb_releases(slug: String) -> Result<ReleasesView, AppError> {
    use super::support::*;
    let ctx = request();
    let (access, releases) = services::kb::releases::list(stores().primary.as_ref(), &ctx, &slug, None).await.map_err(fail)?;
    Ok(ReleasesView { head: load::head(&access, &ctx), releases })
}

/// What changed from release `from` to release `to` (numbers; empty: just the selector).
#[server(prefix = "/api")]
pub async fn load_kb_diff(slug: String, from: String, to: String) -> Result<DiffView, AppError> {
    use super::support::*;
    use services::kb::releases;
    let (stores, ctx) = (stores(), request());
    let (access, list) = releases::list(stores.primary.as_ref(), &ctx, &slug, None).await.map_err(fail)?;
    let (from, to) = (from.trim().parse::<u64>().ok(), to.trim().parse::<u64>().ok());
    let diff = match (from, to) {
        (Some(a), Some(b)) => Some(load::lines(releases::diff(stores.primary.as_ref(), &ctx, &slug, a, b).await.map_err(fail)?.1)),
        _ => None,
    };
    Ok(DiffView { head: load::head(&access, &ctx), releases: list, from, to, diff })
}

/// The project's imports, newest first, and its review rule.
#[server(prefix = "/api")]
pub async fn load_kb_imports(slug: String) -> Result<ImportsView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let (access, imports) = services::kb::imports::list(&stores, &ctx, &slug).await.map_err(fail)?;
    let (_, settings) = services::kb::drafts::settings(stores.primary.as_ref(), &ctx, &slug).await.map_err(fail)?;
    Ok(ImportsView { head: load::head(&access, &ctx), imports, require_other_approver: settings.require_other_approver })
}

/// One import: its progress, or its preview against the active knowledge base.
#[server(prefix = "/api")]
pub async fn load_kb_import(slug: String, id: String) -> Result<ImportView, AppError> {
    use super::support::*;
    let (stores, ctx) = (stores(), request());
    let preview = services::kb::imports::preview(&stores, &ctx, &slug, &id).await.map_err(fail)?;
    Ok(ImportView { head: load::head(&preview.access, &ctx), import: preview.import, diff: preview.diff.map(load::lines) })
}

/// The search preview: what an agent asking `q` would get (`kind`: empty or one kind).
#[server(prefix = "/api")]
pub async fn load_kb_search(slug: String, q: String, kind: String) -> Result<SearchView, AppError> {
    use super::support::*;
    use services::kb::search::{self, SearchInput};
    let (services, ctx) = (services(), request());
    let kind = load::kind(&kind).map(|k| k.as_str().to_owned()).unwrap_or_default();
    let q = q.trim().to_owned();
    let (access, settings) = services::kb::drafts::settings(services.stores.primary.as_ref(), &ctx, &slug).await.map_err(fail)?;
    let keys = match access.role == domain::ProjectRole::Owner {
        true => services::provider_keys::usable(services.stores.primary.as_ref(), &ctx, &slug)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|k| (k.id, format!("{} ({}{})", k.name, k.vendor, if k.project_id.is_none() { ", global" } else { "" })))
            .collect(),
        false => Vec::new(),
    };
    let vector = VectorView {
        key_id: settings.embedding_key_id.clone().unwrap_or_default(),
        model: settings.embedding_model.clone(),
        keys,
        index: search::status(&services.stores, &access.id).await.map_err(fail)?,
    };
    if q.is_empty() {
        let head = load::head(&access, &ctx);
        return Ok(SearchView {
            head,
            q,
            kind,
            release: None,
            hits: Vec::new(),
            ranking: String::new(),
            took_ms: 0,
            searched: false,
            vector,
        });
    }
    let input = SearchInput {
        query: q.clone(),
        k: Some(20),
        kinds: if kind.is_empty() { Vec::new() } else { vec![kind.clone()] },
        tags: Vec::new(),
    };
    let (access, result) = search::search(&services, &ctx, &slug, &input).await.map_err(fail)?;
    let ranking = result.ranking_name().to_owned();
    Ok(SearchView {
        head: load::head(&access, &ctx),
        q,
        kind,
        release: result.release,
        hits: result.hits.into_iter().map(|h| HitRow { key: h.key, score: h.score, text: h.text }).collect(),
        ranking,
        took_ms: result.took_ms,
        searched: true,
        vector,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_valid_entries_and_urls_are_escaped() {
        for kind in [EntryKind::ApiOperation, EntryKind::Table] {
            let e: Entry = serde_json::from_str(&template(kind)).unwrap();
            assert_eq!(e.kind(), kind);
        }
        assert_eq!(url_escape("GET /users/{id}"), "GET%20%2Fusers%2F%7Bid%7D");
        let fields = whole_entry_fields(&serde_json::from_str(&template(EntryKind::Table)).unwrap(), true);
        assert!(fields.iter().any(|f| f.path == "columns" && f.before.is_none()));
    }
}
