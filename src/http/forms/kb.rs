//! The knowledge base's form posts (crates/app/src/pages/kb/): drafts written, edited,
//! submitted, withdrawn and rejected; releases published and rolled back; the review rule; an
//! import's preview turned into drafts. The services check every role; each handler parses the
//! form, calls one use case and redirects with a message saying what happened.

use super::{finish, local_path, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use domain::kb::{Draft, DraftChange, Entry, EntryKey, EntryKind, Release};
use serde::Deserialize;
use services::{
    kb::{drafts, embeddings as kb_embeddings, imports, releases},
    ServiceError,
};
use tower_sessions::Session;

/// `/projects/<slug>/kb<rest>`, or the project list when the slug is not one.
fn kb_page(slug: &str, rest: &str) -> String {
    match domain::ProjectSlug::parse(slug) {
        Ok(s) => format!("/projects/{s}/kb{rest}"),
        Err(_) => "/projects".into(),
    }
}

/// A draft's page (ids are uuids; anything else goes to the drafts list).
fn draft_page(slug: &str, id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        kb_page(slug, &format!("/drafts/{id}"))
    } else {
        kb_page(slug, "/drafts")
    }
}

fn invalid(m: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(m.into())
}

/// The entry a textarea holds, or an error naming the JSON problem and where it is.
fn parse_entry(text: &str, kind: Option<EntryKind>) -> Result<Entry, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("the entry is empty; write it as JSON"));
    }
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(format!("the entry is not valid JSON: {e}")))?;
    let Some(obj) = value.as_object_mut() else {
        return Err(invalid("the entry must be a JSON object ({ … })"));
    };
    // The form knows the kind; the text may leave it out.
    if let (Some(kind), false) = (kind, obj.contains_key("kind")) {
        obj.insert("kind".into(), kind.as_str().into());
    }
    let entry: Entry =
        serde_json::from_value(value).map_err(|e| invalid(format!("the entry does not fit the {} format: {e}", kind_word(kind))))?;
    if let Some(kind) = kind {
        if entry.kind() != kind {
            return Err(invalid(format!("this form is for {}, but the JSON describes {}", with_article(kind), with_article(entry.kind()))));
        }
    }
    Ok(entry)
}

fn kind_word(kind: Option<EntryKind>) -> &'static str {
    match kind {
        Some(EntryKind::ApiOperation) => "API operation",
        Some(EntryKind::Table) => "table",
        None => "knowledge-base entry",
    }
}

fn with_article(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::ApiOperation => "an API operation",
        EntryKind::Table => "a table",
    }
}

/// `kind|name` (the import preview's checkboxes).
fn key_of(value: &str) -> Result<EntryKey, ServiceError> {
    let (kind, name) = value.split_once('|').ok_or_else(|| invalid(format!("“{value}” does not name an entry")))?;
    let kind = EntryKind::parse(kind).ok_or_else(|| invalid(format!("“{kind}” is not a kind of entry")))?;
    Ok(EntryKey { kind, name: name.to_owned() })
}

fn draft_message(d: &Draft) -> String {
    let what = if d.change.is_delete() {
        "deletion of"
    } else if d.base_revision.is_some() {
        "change to"
    } else {
        "addition of"
    };
    format!("Draft saved: the {what} {}. Submit it for review when it is ready.", d.key)
}

/// `change=upsert|delete`, `kind`, `key` (delete), `entry` (JSON, upsert), `back` (where errors go).
#[derive(Deserialize)]
pub struct NewDraftForm {
    #[serde(default)]
    change: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    entry: String,
    #[serde(default)]
    back: Option<String>,
}

pub async fn create_draft(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<NewDraftForm>,
) -> Response {
    let kind = EntryKind::parse(f.kind.trim());
    let change = match f.change.trim() {
        "delete" => match kind {
            Some(kind) if !f.key.trim().is_empty() => Ok(DraftChange::Delete(EntryKey { kind, name: f.key.trim().to_owned() })),
            _ => Err(invalid("say which entry to delete (its kind and key)")),
        },
        _ => parse_entry(&f.entry, kind).map(DraftChange::Upsert),
    };
    let r = match change {
        Ok(change) => drafts::create(state.services.stores.primary.as_ref(), &ctx, &slug, change).await,
        Err(e) => Err(e),
    };
    let to = r.as_ref().map(|d| draft_page(&slug, &d.id)).unwrap_or_default();
    let back = f.back.as_deref().filter(|b| b.starts_with(&kb_page(&slug, ""))).map_or_else(|| kb_page(&slug, ""), |b| local_path(Some(b)));
    finish(&session, r, |d: Draft| draft_message(&d), &to, &back).await
}

#[derive(Deserialize)]
pub struct EditDraftForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    entry: String,
    /// Set by the form of a stale draft: the active revision the person compared against
    /// (`none`: the entry was removed). Saving then moves the draft onto it.
    #[serde(default)]
    rebase_onto: Option<String>,
}

pub async fn edit_draft(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<EditDraftForm>,
) -> Response {
    let store = state.services.stores.primary.as_ref();
    let onto = f.rebase_onto.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse::<u64>().ok());
    let r = match (f.version.trim().parse::<u64>(), parse_entry(&f.entry, None)) {
        (Ok(version), Ok(entry)) => match onto {
            Some(onto) => drafts::rebase(store, &ctx, &slug, &id, version, onto, DraftChange::Upsert(entry)).await,
            None => drafts::edit(store, &ctx, &slug, &id, version, DraftChange::Upsert(entry)).await,
        },
        (Err(_), _) => Err(invalid("the form lost the draft's version; reload the page and try again")),
        (_, Err(e)) => Err(e),
    };
    let page = draft_page(&slug, &id);
    finish(&session, r, |d: Draft| format!("Draft of {} saved (version {}).", d.key, d.version), &page, &page).await
}

pub async fn submit_draft(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = drafts::submit(state.services.stores.primary.as_ref(), &ctx, &slug, &id).await;
    let page = draft_page(&slug, &id);
    finish(&session, r, |d: Draft| format!("Draft of {} submitted for review.", d.key), &page, &page).await
}

pub async fn withdraw_draft(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = drafts::withdraw(state.services.stores.primary.as_ref(), &ctx, &slug, &id).await;
    let page = draft_page(&slug, &id);
    finish(&session, r, |d: Draft| format!("Draft of {} withdrawn.", d.key), &page, &page).await
}

#[derive(Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    comment: String,
}

pub async fn reject_draft(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<RejectForm>,
) -> Response {
    let r = drafts::reject(state.services.stores.primary.as_ref(), &ctx, &slug, &id, &f.comment).await;
    let page = draft_page(&slug, &id);
    finish(&session, r, |d: Draft| format!("Draft of {} rejected; its author sees your comment.", d.key), &page, &page).await
}

/// Repeated `draft` (ids) and `summary`.
pub async fn publish(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ids: Vec<String> = pairs.iter().filter(|(k, v)| k == "draft" && !v.trim().is_empty()).map(|(_, v)| v.trim().to_owned()).collect();
    let summary = pairs.iter().find(|(k, _)| k == "summary").map_or("", |(_, v)| v.as_str());
    let store = state.services.stores.primary.as_ref();
    let r = if ids.is_empty() {
        Err(invalid("tick at least one draft to publish"))
    } else {
        releases::publish(store, &ctx, &slug, &ids, summary).await
    };
    // The counts of the message: what this release changed against the one before.
    let counts = match &r {
        Ok(release) if release.number > 1 => {
            releases::diff(store, &ctx, &slug, release.number - 1, release.number).await.ok().map(|(_, d)| counts(&d))
        }
        Ok(release) => Some(format!("{} added", release.entries.len())),
        Err(_) => None,
    };
    let message = |rel: Release| match counts {
        Some(c) => format!("Release {} published: {c}.", rel.number),
        None => format!("Release {} published.", rel.number),
    };
    finish(&session, r, message, &kb_page(&slug, ""), &kb_page(&slug, "/drafts?list=review")).await
}

/// "2 added, 1 changed" (the parts that are not zero).
fn counts(d: &domain::kb::KbDiff) -> String {
    let parts: Vec<String> = [(d.added.len(), "added"), (d.changed.len(), "changed"), (d.removed.len(), "removed")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join(", ")
    }
}

pub async fn rollback(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, number)): Path<(String, String)>,
) -> Response {
    // Not a number: no such release (after the access check, like any unknown release).
    let target = number.trim().parse::<u64>().unwrap_or(0);
    let r = releases::rollback(state.services.stores.primary.as_ref(), &ctx, &slug, target).await;
    finish(
        &session,
        r,
        |rel: Release| format!("Release {} published with the content of release {target}.", rel.number),
        &kb_page(&slug, "/releases"),
        &kb_page(&slug, "/releases"),
    )
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    /// A checkbox: present when ticked.
    #[serde(default)]
    require_other_approver: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    let on = f.require_other_approver.is_some_and(|v| !v.is_empty());
    let r = drafts::set_review_rule(state.services.stores.primary.as_ref(), &ctx, &slug, on).await;
    let message = |_| {
        if on {
            "Review rule saved: a draft's author can no longer approve it.".to_owned()
        } else {
            "Review rule saved: any owner may approve any draft.".to_owned()
        }
    };
    finish(&session, r, message, &kb_page(&slug, "/imports"), &kb_page(&slug, "/imports")).await
}

#[derive(Deserialize)]
pub struct EmbeddingsForm {
    /// Empty: lexical search only.
    #[serde(default)]
    key_id: String,
    #[serde(default)]
    model: String,
}

/// The key and model that embed the index; the active release is re-indexed with them.
pub async fn embeddings(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(slug): Path<String>,
    Form(f): Form<EmbeddingsForm>,
) -> Response {
    let r = kb_embeddings::set(&state.services, &ctx, &slug, &f.key_id, &f.model).await;
    let message = |s: services::ports::KbSettings| match s.embeddings() {
        Some((_, model)) => {
            format!("Vector search on: the index is being rebuilt with {model} embeddings; searches rank hybrid once it is ready.")
        }
        None => "Vector search off: searches rank by words only.".to_owned(),
    };
    let to = kb_page(&slug, "/search");
    finish(&session, r, message, &to, &to).await
}

/// Repeated `choose` (new and changed keys) and `delete` (keys missing from the file), each `kind|name`.
pub async fn apply_import(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let keys = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| key_of(v)).collect::<Result<Vec<_>, _>>();
    let r = match (keys("choose"), keys("delete")) {
        (Ok(chosen), Ok(delete)) => imports::apply(&state.services.stores, &ctx, &slug, &id, &chosen, &delete).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let page = if id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        kb_page(&slug, &format!("/imports/{id}"))
    } else {
        kb_page(&slug, "/imports")
    };
    finish(
        &session,
        r,
        |n: usize| format!("{n} draft{} made from the import; submit them for review from your drafts.", if n == 1 { "" } else { "s" }),
        &page,
        &page,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_with_the_kind_of_the_form_and_errors_say_where() {
        let e = parse_entry(r#"{"method":"GET","path":"/x"}"#, Some(EntryKind::ApiOperation)).unwrap();
        assert_eq!(e.key(), EntryKey::api("GET", "/x"));
        let bad = parse_entry("{\n  \"method\": \"GET\",\n  \"path\": }", Some(EntryKind::ApiOperation)).unwrap_err().to_string();
        assert!(bad.contains("not valid JSON") && bad.contains("line 3"), "{bad}");
        let wrong = parse_entry(r#"{"kind":"table","schema":"public","name":"t","columns":[]}"#, Some(EntryKind::ApiOperation))
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("for an API operation, but the JSON describes a table"), "{wrong}");
        assert!(parse_entry("[]", None).unwrap_err().to_string().contains("JSON object"));
        assert_eq!(key_of("table|public.users").unwrap(), EntryKey::table("public", "users"));
        assert!(key_of("public.users").is_err());
        assert_eq!(draft_page("shop", "../x"), "/projects/shop/kb/drafts");
        assert_eq!(draft_page("x", "0191-ab"), "/projects", "a bad slug goes to the project list");
    }
}
