//! Releases: numbered, immutable snapshots of a project's knowledge base. The newest release is
//! the active knowledge base. Publishing applies approved drafts to the previous snapshot;
//! rolling back makes a new release with an earlier one's content.
//!
//! Revisions: every entry of a release carries a revision that changes whenever its content
//! changes, so drafts can tell when they went stale. An entry that appears (new, or back after
//! a removal) starts at the number of the release it appears in; each later change adds one.
//! A key's revision therefore never exceeds the release number and never repeats, even across
//! a removal and a re-addition.

use super::draft::{Draft, DraftChange, DraftStatus};
use super::entry::{Entry, EntryKey};
use super::error::KbRuleError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One entry as a release holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseEntry {
    pub entry: Entry,
    pub revision: u64,
    /// [`content_hash`] of `entry`.
    pub content_hash: String,
}

impl ReleaseEntry {
    /// The entry at `revision`, with its content hash computed.
    pub fn new(entry: Entry, revision: u64) -> ReleaseEntry {
        let content_hash = content_hash(&entry);
        ReleaseEntry { entry, revision, content_hash }
    }

    pub fn key(&self) -> EntryKey {
        self.entry.key()
    }
}

/// A release without its entries, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseHeader {
    pub project_id: String,
    pub number: u64,
    pub created_by: String,
    /// The creator's e-mail while the account exists.
    pub created_by_email: Option<String>,
    pub created_at_ms: i64,
    pub summary: String,
    pub rolled_back_to: Option<u64>,
    pub api_operations: u64,
    pub tables: u64,
}

/// A project's knowledge-base settings: the review rule and the embeddings of its index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbSettings {
    /// Approvals need someone other than the draft's author.
    pub require_other_approver: bool,
    /// The provider key whose embeddings give the index its vector side (`None`: lexical only).
    #[serde(default)]
    pub embedding_key_id: Option<String>,
    /// The embedding model of that key (e.g. `text-embedding-3-small`).
    #[serde(default)]
    pub embedding_model: String,
}

impl KbSettings {
    /// The key and model to embed with, when both are set.
    pub fn embeddings(&self) -> Option<(&str, &str)> {
        match (self.embedding_key_id.as_deref(), self.embedding_model.trim()) {
            (Some(key), model) if !key.is_empty() && !model.is_empty() => Some((key, model)),
            _ => None,
        }
    }
}

/// A numbered snapshot of a project's knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub project_id: String,
    /// 1, 2, ... per project.
    pub number: u64,
    pub created_by: String,
    pub created_at_ms: i64,
    pub summary: String,
    /// Sorted by key (as [`publish`] and [`rollback`] make them), one per key.
    pub entries: Vec<ReleaseEntry>,
    /// Set when this release restored an earlier one's content.
    pub rolled_back_to: Option<u64>,
}

impl Release {
    /// The entry with `key`, if the release holds it.
    pub fn entry(&self, key: &EntryKey) -> Option<&ReleaseEntry> {
        match self.entries.binary_search_by(|e| e.key().cmp(key)) {
            Ok(i) => Some(&self.entries[i]),
            // Entries loaded in another order are still found.
            Err(_) => self.entries.iter().find(|e| &e.key() == key),
        }
    }

    /// The revision of the entry with `key`, `None` when the release does not hold it: what
    /// [`Draft::is_stale`] and a new draft's `base_revision` take.
    pub fn revision_of(&self, key: &EntryKey) -> Option<u64> {
        self.entry(key).map(|e| e.revision)
    }

    /// The entries without their revisions (for [`super::diff::diff_entries`], exports, ...).
    pub fn plain_entries(&self) -> Vec<Entry> {
        self.entries.iter().map(|e| e.entry.clone()).collect()
    }

    /// Puts entries in key order (for a release assembled by hand or loaded unordered).
    pub fn sort_entries(&mut self) {
        self.entries.sort_by_cached_key(ReleaseEntry::key);
    }
}

/// The hash of an entry's content: SHA-256 (lower-case hex) of its canonical JSON, so equal
/// content hashes equally whatever order its schemas' object keys came in.
pub fn content_hash(entry: &Entry) -> String {
    let value = serde_json::to_value(entry).unwrap_or(Value::Null);
    let digest = Sha256::digest(canonical_json(&value).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON text with object keys sorted (recursively) and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The number the release after `previous` gets (1 for a project's first release).
pub fn next_release_number(previous: Option<&Release>) -> u64 {
    previous.map_or(1, |r| r.number + 1)
}

/// The next release: `previous` (the active release; `None` before the first) with the
/// approved drafts applied.
///
/// Drafts must be of the release's project, one per entry, and either in review (being approved
/// with this publication) or approved for this release's number ([`next_release_number`]). Each
/// must be up to date with `previous` (its `base_revision` is the entry's revision there), a
/// delete must name an entry `previous` holds, and together they must change something. Any
/// refusal refuses the whole release; `previous` is never modified. A blank `summary` gets
/// [`change_summary`].
pub fn publish(previous: Option<&Release>, approved: &[Draft], actor: &str, now_ms: i64, summary: &str) -> Result<Release, KbRuleError> {
    let first = approved.first().ok_or(KbRuleError::NothingToPublish)?;
    let number = next_release_number(previous);
    let project_id = previous.map_or(first.project_id.as_str(), |r| r.project_id.as_str());

    let mut entries: BTreeMap<EntryKey, ReleaseEntry> =
        previous.map(|r| r.entries.iter().map(|e| (e.key(), e.clone())).collect()).unwrap_or_default();

    let mut changes: BTreeMap<EntryKey, &Draft> = BTreeMap::new();
    for draft in approved {
        if draft.project_id != project_id {
            return Err(KbRuleError::WrongProject { what: format!("draft {}", draft.id) });
        }
        match draft.status {
            DraftStatus::InReview => {}
            DraftStatus::Approved { release } if release == number => {}
            status => return Err(KbRuleError::NotApproved { draft_id: draft.id.clone(), status, release: number }),
        }
        let key = draft.change.key();
        if key != draft.key {
            return Err(KbRuleError::KeyMismatch { draft: draft.key.clone(), change: key });
        }
        let active = entries.get(&key).map(|e| e.revision);
        if draft.is_stale(active) {
            return Err(KbRuleError::Stale { key, base: draft.base_revision, active });
        }
        if draft.change.is_delete() && active.is_none() {
            return Err(KbRuleError::DeleteOfAbsent(key));
        }
        if changes.insert(key.clone(), draft).is_some() {
            return Err(KbRuleError::DuplicateDraft(key));
        }
    }

    let (mut added, mut changed, mut removed) = (Vec::new(), Vec::new(), Vec::new());
    for (key, draft) in changes {
        match &draft.change {
            DraftChange::Delete(_) => {
                entries.remove(&key);
                removed.push(key);
            }
            DraftChange::Upsert(entry) => {
                let new = ReleaseEntry::new(entry.clone(), number);
                match entries.get_mut(&key) {
                    None => {
                        entries.insert(key.clone(), new);
                        added.push(key);
                    }
                    Some(old) if old.content_hash != new.content_hash => {
                        *old = ReleaseEntry { revision: old.revision + 1, ..new };
                        changed.push(key);
                    }
                    Some(_) => {} // Same content: nothing to change.
                }
            }
        }
    }
    if added.is_empty() && changed.is_empty() && removed.is_empty() {
        return Err(KbRuleError::NoChanges);
    }

    let summary = if summary.trim().is_empty() { change_summary(&added, &changed, &removed) } else { summary.trim().to_owned() };
    Ok(Release {
        project_id: project_id.to_owned(),
        number,
        created_by: actor.to_owned(),
        created_at_ms: now_ms,
        summary,
        entries: entries.into_values().collect(),
        rolled_back_to: None,
    })
}

/// Refuses a rollback that makes no sense: a target of another project, not earlier than
/// `current`, or with the same content as `current`.
pub fn check_rollback(current: &Release, target: &Release) -> Result<(), KbRuleError> {
    if target.project_id != current.project_id {
        return Err(KbRuleError::WrongProject { what: format!("release {}", target.number) });
    }
    if target.number >= current.number {
        return Err(KbRuleError::RollbackNotEarlier { target: target.number, current: current.number });
    }
    let (added, changed, removed) = compare(current, target);
    if added.is_empty() && changed.is_empty() && removed.is_empty() {
        return Err(KbRuleError::RollbackNoChange { target: target.number });
    }
    Ok(())
}

/// A new release (number `current + 1`) whose content equals `target`'s. Entries whose content
/// equals `current`'s keep their revision; changed ones get the next, returning ones start at
/// the new release's number. Check [`check_rollback`] first.
pub fn rollback(current: &Release, target: &Release, actor: &str, now_ms: i64) -> Release {
    let number = current.number + 1;
    let mut entries: Vec<ReleaseEntry> = target
        .entries
        .iter()
        .map(|t| match current.entry(&t.key()) {
            Some(c) if c.content_hash == t.content_hash => c.clone(),
            Some(c) => ReleaseEntry { revision: c.revision + 1, ..t.clone() },
            None => ReleaseEntry { revision: number, ..t.clone() },
        })
        .collect();
    entries.sort_by_cached_key(ReleaseEntry::key);
    entries.dedup_by(|a, b| a.key() == b.key());

    let (added, changed, removed) = compare(current, target);
    let changes = change_summary(&added, &changed, &removed);
    Release {
        project_id: current.project_id.clone(),
        number,
        created_by: actor.to_owned(),
        created_at_ms: now_ms,
        summary: format!("Rollback to release {}: {changes}", target.number),
        entries,
        rolled_back_to: Some(target.number),
    }
}

/// Keys added, changed and removed going from `old` to `new` (by content hash), each sorted.
fn compare(old: &Release, new: &Release) -> (Vec<EntryKey>, Vec<EntryKey>, Vec<EntryKey>) {
    let old_hashes: BTreeMap<EntryKey, &str> = old.entries.iter().map(|e| (e.key(), e.content_hash.as_str())).collect();
    let new_hashes: BTreeMap<EntryKey, &str> = new.entries.iter().map(|e| (e.key(), e.content_hash.as_str())).collect();
    let (mut added, mut changed) = (Vec::new(), Vec::new());
    for (key, hash) in &new_hashes {
        match old_hashes.get(key) {
            None => added.push(key.clone()),
            Some(old_hash) if old_hash != hash => changed.push(key.clone()),
            Some(_) => {}
        }
    }
    let removed = old_hashes.keys().filter(|k| !new_hashes.contains_key(*k)).cloned().collect();
    (added, changed, removed)
}

/// How many entry names a summary lists before "and N more".
const SUMMARY_NAMES: usize = 5;
/// Longest list of names a summary carries (characters).
const SUMMARY_NAMES_CHARS: usize = 160;

/// A one-line description of a change set: "3 added, 1 changed, 2 removed: GET /users,
/// public.orders, … and 1 more". Names are listed added first, then changed, then removed.
pub fn change_summary(added: &[EntryKey], changed: &[EntryKey], removed: &[EntryKey]) -> String {
    let counts: Vec<String> = [(added.len(), "added"), (changed.len(), "changed"), (removed.len(), "removed")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if counts.is_empty() {
        return "No changes".to_owned();
    }
    let total = added.len() + changed.len() + removed.len();
    let mut names = String::new();
    let mut listed = 0;
    for key in added.iter().chain(changed).chain(removed) {
        let name = key.to_string();
        let sep = if listed == 0 { "" } else { ", " };
        if listed == SUMMARY_NAMES || names.chars().count() + sep.len() + name.chars().count() > SUMMARY_NAMES_CHARS {
            if listed == 0 {
                // One very long name: cut it rather than list none.
                names.extend(name.chars().take(SUMMARY_NAMES_CHARS - 1));
                names.push('…');
                listed = 1;
            }
            break;
        }
        names.push_str(sep);
        names.push_str(&name);
        listed += 1;
    }
    let mut out = counts.join(", ");
    out.push_str(": ");
    out.push_str(&names);
    if listed < total {
        out.push_str(&format!(", and {} more", total - listed));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::draft::DraftSource;
    use crate::kb::entry::{ApiOperation, Column, Table};
    use serde_json::json;

    fn op(method: &str, path: &str, summary: &str) -> Entry {
        Entry::ApiOperation(ApiOperation {
            method: method.into(),
            path: path.into(),
            operation_id: String::new(),
            summary: summary.into(),
            description: String::new(),
            tags: vec![],
            auth: vec![],
            parameters: vec![],
            request_body: None,
            responses: vec![],
            examples: vec![],
            deprecated: false,
        })
    }

    fn table(name: &str, cols: &[&str]) -> Entry {
        Entry::Table(Table {
            schema: "public".into(),
            name: name.into(),
            description: String::new(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    data_type: "text".into(),
                    nullable: true,
                    default: None,
                    description: String::new(),
                    examples: vec![],
                })
                .collect(),
            primary_key: vec![],
            foreign_keys: vec![],
            indexes: vec![],
            example_queries: vec![],
        })
    }

    /// A draft in review of `change` against `base`.
    fn drafted(id: &str, change: DraftChange, base: Option<u64>) -> Draft {
        let mut d = Draft::new(id, "p1", change, base, "alice", DraftSource::Manual, 1);
        d.submit(2).unwrap();
        d
    }

    fn upsert(id: &str, entry: Entry, base: Option<u64>) -> Draft {
        drafted(id, DraftChange::Upsert(entry), base)
    }

    fn first_release() -> Release {
        let drafts = [
            upsert("d1", op("GET", "/users", "List users"), None),
            upsert("d2", table("users", &["id", "email"]), None),
            upsert("d3", op("POST", "/users", "Create a user"), None),
        ];
        publish(None, &drafts, "owner", 100, "").unwrap()
    }

    fn keys(r: &Release) -> Vec<String> {
        r.entries.iter().map(|e| e.key().name).collect()
    }

    #[test]
    fn the_first_release_holds_the_new_entries_sorted_at_revision_one() {
        let r = first_release();
        assert_eq!(r.number, 1);
        assert_eq!(r.project_id, "p1");
        assert_eq!(r.created_by, "owner");
        assert_eq!(r.created_at_ms, 100);
        assert_eq!(r.rolled_back_to, None);
        // Operations sort before tables (kind first), then by name.
        assert_eq!(keys(&r), ["GET /users", "POST /users", "public.users"]);
        assert!(r.entries.iter().all(|e| e.revision == 1));
        assert!(r.entries.iter().all(|e| e.content_hash == content_hash(&e.entry)));
        assert_eq!(r.summary, "3 added: GET /users, POST /users, public.users");
        assert_eq!(r.revision_of(&EntryKey::table("public", "users")), Some(1));
        assert_eq!(r.revision_of(&EntryKey::table("public", "teams")), None);
    }

    #[test]
    fn publishing_adds_changes_and_removes() {
        let r1 = first_release();
        let drafts = [
            upsert("d4", op("GET", "/users", "List users, paged"), Some(1)),
            drafted("d5", DraftChange::Delete(EntryKey::api("POST", "/users")), Some(1)),
            upsert("d6", op("GET", "/teams", "List teams"), None),
        ];
        let r2 = publish(Some(&r1), &drafts, "owner", 200, "  Paging  ").unwrap();
        assert_eq!(r2.number, 2);
        assert_eq!(r2.summary, "Paging");
        assert_eq!(keys(&r2), ["GET /teams", "GET /users", "public.users"]);
        let users = r2.entry(&EntryKey::api("GET", "/users")).unwrap();
        assert_eq!(users.revision, 2);
        assert_eq!(users.entry.headline(), "List users, paged");
        assert_eq!(r2.revision_of(&EntryKey::api("GET", "/teams")), Some(2), "new entries start at the release number");
        assert_eq!(r2.revision_of(&EntryKey::table("public", "users")), Some(1), "untouched entries keep theirs");
        assert_eq!(r2.entry(&EntryKey::table("public", "users")), r1.entry(&EntryKey::table("public", "users")));
    }

    #[test]
    fn approved_drafts_must_be_for_this_release() {
        let r1 = first_release();
        let mut d = upsert("d4", op("GET", "/users", "Paged"), Some(1));
        d.approve("bob", 2, 3).unwrap();
        assert!(publish(Some(&r1), std::slice::from_ref(&d), "owner", 4, "").is_ok());

        let mut late = upsert("d4", op("GET", "/users", "Paged"), Some(1));
        late.approve("bob", 7, 3).unwrap();
        let err = publish(Some(&r1), &[late], "owner", 4, "").unwrap_err();
        assert!(matches!(err, KbRuleError::NotApproved { release: 2, .. }), "{err:?}");

        let mut not_submitted = Draft::new("d9", "p1", DraftChange::Upsert(op("GET", "/x", "")), None, "a", DraftSource::Manual, 1);
        let err = publish(Some(&r1), std::slice::from_ref(&not_submitted), "owner", 4, "").unwrap_err();
        assert!(err.to_string().contains("draft d9 is still a draft"), "{err}");
        not_submitted.submit(2).unwrap();
        not_submitted.reject("bob", "no", 3).unwrap();
        assert!(publish(Some(&r1), &[not_submitted], "owner", 4, "").is_err());
    }

    #[test]
    fn publishing_refuses_nothing_and_no_op_changes() {
        let r1 = first_release();
        assert_eq!(publish(Some(&r1), &[], "owner", 1, ""), Err(KbRuleError::NothingToPublish));
        let same = upsert("d4", op("GET", "/users", "List users"), Some(1));
        assert_eq!(publish(Some(&r1), &[same], "owner", 1, ""), Err(KbRuleError::NoChanges));
    }

    #[test]
    fn publishing_refuses_a_delete_of_an_absent_entry() {
        let r1 = first_release();
        let d = drafted("d4", DraftChange::Delete(EntryKey::api("DELETE", "/users")), None);
        let err = publish(Some(&r1), &[d], "owner", 1, "").unwrap_err();
        assert_eq!(err, KbRuleError::DeleteOfAbsent(EntryKey::api("DELETE", "/users")));
        assert!(err.to_string().contains("cannot delete DELETE /users"), "{err}");
    }

    #[test]
    fn publishing_refuses_stale_drafts_with_the_revisions() {
        let r1 = first_release();
        let r2 = publish(Some(&r1), &[upsert("d4", op("GET", "/users", "Paged"), Some(1))], "owner", 2, "").unwrap();
        // Written against release 1's entry.
        let old = upsert("d5", op("GET", "/users", "Sorted"), Some(1));
        let err = publish(Some(&r2), &[old], "owner", 3, "").unwrap_err();
        assert_eq!(err, KbRuleError::Stale { key: EntryKey::api("GET", "/users"), base: Some(1), active: Some(2) });
        // Adding what someone else added meanwhile.
        let dup = upsert("d6", op("GET", "/users", "Mine"), None);
        assert!(matches!(publish(Some(&r2), &[dup], "owner", 3, ""), Err(KbRuleError::Stale { base: None, active: Some(2), .. })));
    }

    #[test]
    fn publishing_refuses_two_drafts_of_one_entry_and_other_projects() {
        let r1 = first_release();
        let a = upsert("d4", op("GET", "/users", "A"), Some(1));
        let b = upsert("d5", op("GET", "/users", "B"), Some(1));
        assert_eq!(publish(Some(&r1), &[a.clone(), b], "o", 1, ""), Err(KbRuleError::DuplicateDraft(EntryKey::api("GET", "/users"))));
        let mut other = a;
        other.project_id = "p2".into();
        assert!(matches!(publish(Some(&r1), &[other], "o", 1, ""), Err(KbRuleError::WrongProject { .. })));
    }

    #[test]
    fn a_refused_publication_leaves_the_previous_release_as_it_was() {
        let r1 = first_release();
        let before = r1.clone();
        // A good change followed by a bad one: nothing is applied.
        let drafts = [
            upsert("d4", op("GET", "/users", "Paged"), Some(1)),
            drafted("d5", DraftChange::Delete(EntryKey::api("GET", "/missing")), None),
        ];
        assert!(publish(Some(&r1), &drafts, "owner", 1, "").is_err());
        assert_eq!(r1, before);
        // The good one alone still publishes against the unchanged release.
        let r2 = publish(Some(&r1), &drafts[..1], "owner", 1, "").unwrap();
        assert_eq!(r2.number, 2);
        assert_eq!(r1, before);
    }

    #[test]
    fn an_entry_back_after_removal_gets_a_revision_it_never_had() {
        let r1 = first_release();
        let r2 = publish(Some(&r1), &[drafted("d", DraftChange::Delete(EntryKey::api("GET", "/users")), Some(1))], "o", 1, "").unwrap();
        let r3 = publish(Some(&r2), &[upsert("e", op("GET", "/users", "Back"), None)], "o", 1, "").unwrap();
        assert_eq!(r3.revision_of(&EntryKey::api("GET", "/users")), Some(3));
        // A draft written against revision 1 stays stale.
        let old = upsert("f", op("GET", "/users", "Old"), Some(1));
        assert!(old.is_stale(r3.revision_of(&old.key)));
    }

    #[test]
    fn rollback_makes_a_new_release_with_the_target_content() {
        let r1 = first_release();
        let r2 = publish(
            Some(&r1),
            &[
                upsert("d4", op("GET", "/users", "Paged"), Some(1)),
                drafted("d5", DraftChange::Delete(EntryKey::api("POST", "/users")), Some(1)),
                upsert("d6", op("GET", "/teams", "Teams"), None),
            ],
            "owner",
            2,
            "",
        )
        .unwrap();
        assert!(check_rollback(&r2, &r1).is_ok());
        let r3 = rollback(&r2, &r1, "carol", 300);
        assert_eq!(r3.number, 3);
        assert_eq!(r3.rolled_back_to, Some(1));
        assert_eq!(r3.created_by, "carol");
        assert_eq!(r3.created_at_ms, 300);
        assert_eq!(r3.plain_entries(), r1.plain_entries(), "same content as the target");
        assert_eq!(keys(&r3), keys(&r1));
        // Changed since: next revision; unchanged: kept; back after removal: the new number.
        assert_eq!(r3.revision_of(&EntryKey::api("GET", "/users")), Some(3));
        assert_eq!(r3.revision_of(&EntryKey::table("public", "users")), Some(1));
        assert_eq!(r3.revision_of(&EntryKey::api("POST", "/users")), Some(3));
        assert!(
            r3.summary.starts_with("Rollback to release 1: 1 added, 1 changed, 1 removed: POST /users, GET /users, GET /teams"),
            "{}",
            r3.summary
        );
        // The inputs are untouched, and publishing continues from the rollback.
        assert_eq!(r2.number, 2);
        let r4 = publish(Some(&r3), &[upsert("d7", op("GET", "/users", "Again"), Some(3))], "o", 4, "").unwrap();
        assert_eq!(r4.revision_of(&EntryKey::api("GET", "/users")), Some(4));
    }

    #[test]
    fn pointless_rollbacks_are_refused() {
        let r1 = first_release();
        let r2 = publish(Some(&r1), &[upsert("d4", op("GET", "/users", "Paged"), Some(1))], "o", 2, "").unwrap();
        assert_eq!(check_rollback(&r2, &r2), Err(KbRuleError::RollbackNotEarlier { target: 2, current: 2 }));
        let r3 = rollback(&r2, &r1, "o", 3);
        // Release 1 and release 3 hold the same content.
        assert_eq!(check_rollback(&r3, &r1), Err(KbRuleError::RollbackNoChange { target: 1 }));
        let mut foreign = r1.clone();
        foreign.project_id = "p2".into();
        assert!(matches!(check_rollback(&r2, &foreign), Err(KbRuleError::WrongProject { .. })));
    }

    #[test]
    fn the_hash_ignores_object_key_order() {
        let mut a = op("GET", "/users", "x");
        let mut b = a.clone();
        if let (Entry::ApiOperation(a), Entry::ApiOperation(b)) = (&mut a, &mut b) {
            a.examples = vec![crate::kb::Example {
                name: "one".into(),
                summary: String::new(),
                value: serde_json::from_str(r#"{"z": 1, "a": {"y": [1, {"q": 2, "b": 3}], "c": null}}"#).unwrap(),
            }];
            b.examples = vec![crate::kb::Example {
                name: "one".into(),
                summary: String::new(),
                value: serde_json::from_str(r#"{"a": {"c": null, "y": [1, {"b": 3, "q": 2}]}, "z": 1}"#).unwrap(),
            }];
        }
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_eq!(content_hash(&a).len(), 64);
        assert!(content_hash(&a).bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(content_hash(&a), content_hash(&op("GET", "/users", "y")));
        assert_eq!(canonical_json(&json!({"b": [2, {"d": "é\"", "c": 1.5}], "a": true})), r#"{"a":true,"b":[2,{"c":1.5,"d":"é\""}]}"#);
    }

    #[test]
    fn summaries_count_and_name_the_changes_and_stay_short() {
        let k = |n: &str| EntryKey::api("GET", n);
        assert_eq!(change_summary(&[k("/a")], &[], &[k("/b")]), "1 added, 1 removed: GET /a, GET /b");
        assert_eq!(change_summary(&[], &[], &[]), "No changes");
        let many: Vec<EntryKey> = (0..12).map(|i| k(&format!("/r{i}"))).collect();
        assert_eq!(
            change_summary(&many[..3], &many[3..4], &many[4..6]),
            "3 added, 1 changed, 2 removed: GET /r0, GET /r1, GET /r2, GET /r3, GET /r4, and 1 more"
        );
        let s = change_summary(&many, &[], &[]);
        assert!(s.ends_with("and 7 more"), "{s}");
        let long: Vec<EntryKey> = (0..3).map(|i| k(&format!("/{}{i}", "x".repeat(100)))).collect();
        let s = change_summary(&long, &[], &[]);
        assert!(s.chars().count() < 250, "{s}");
        assert!(s.ends_with("and 2 more"), "{s}");
        let huge = [k(&format!("/{}", "y".repeat(300)))];
        let s = change_summary(&huge, &[], &[]);
        assert!(s.starts_with("1 added: GET /yyy") && s.ends_with('…') && s.chars().count() < 200, "{s}");
    }
}
