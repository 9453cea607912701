//! Drafts of knowledge-base changes and their review: who may do what, and the state machine
//! draft → in review → approved (published in a release) | rejected | withdrawn.
//!
//! Pure rules: callers pass ids and `now_ms`, check roles with the `can_*` functions, then apply
//! a transition and store the draft only when it returned `Ok`.

use super::entry::{Entry, EntryKey};
use super::error::KbRuleError;
use crate::ProjectRole;
use serde::{Deserialize, Serialize};

/// What a draft does to its entry.
// Unboxed on purpose: drafts are few and matched on often; the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "value", rename_all = "snake_case")]
pub enum DraftChange {
    /// Add the entry, or replace the active one with the same key.
    Upsert(Entry),
    /// Remove the active entry.
    Delete(EntryKey),
}

impl DraftChange {
    /// The entry the change is for.
    pub fn key(&self) -> EntryKey {
        match self {
            DraftChange::Upsert(entry) => entry.key(),
            DraftChange::Delete(key) => key.clone(),
        }
    }

    pub fn is_delete(&self) -> bool {
        matches!(self, DraftChange::Delete(_))
    }
}

/// Where a draft came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DraftSource {
    /// Written by a person in the editor.
    Manual,
    /// Proposed by an OpenAPI import.
    #[serde(rename = "openapi_import")]
    OpenApiImport { import_id: String },
    /// Proposed by a DDL (SQL schema) import.
    DdlImport { import_id: String },
    /// Proposed to bring back the entry as a release had it.
    Rollback { to_release: u64 },
}

impl DraftSource {
    /// The source's kind, for a storage column or a filter.
    pub fn kind(&self) -> &'static str {
        match self {
            DraftSource::Manual => "manual",
            DraftSource::OpenApiImport { .. } => "openapi_import",
            DraftSource::DdlImport { .. } => "ddl_import",
            DraftSource::Rollback { .. } => "rollback",
        }
    }

    /// Shown to people: "OpenAPI import", ...
    pub fn label(&self) -> String {
        match self {
            DraftSource::Manual => "Written by hand".to_owned(),
            DraftSource::OpenApiImport { .. } => "OpenAPI import".to_owned(),
            DraftSource::DdlImport { .. } => "Database schema import".to_owned(),
            DraftSource::Rollback { to_release } => format!("Rollback to release {to_release}"),
        }
    }
}

/// Where a draft is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DraftStatus {
    /// Being written; editors may change it.
    Draft,
    /// Submitted; waiting for an owner's review.
    InReview,
    /// Approved and published in release `release`.
    Approved { release: u64 },
    /// Sent back by a reviewer with a comment; its author may change it and submit it again.
    Rejected,
    /// Given up by its author (or an owner).
    Withdrawn,
}

impl DraftStatus {
    /// The status name for storage and filters: `draft`, `in_review`, `approved`, `rejected`,
    /// `withdrawn`. An approved status's release number is stored beside it ([`Self::release`]).
    pub fn as_str(self) -> &'static str {
        match self {
            DraftStatus::Draft => "draft",
            DraftStatus::InReview => "in_review",
            DraftStatus::Approved { .. } => "approved",
            DraftStatus::Rejected => "rejected",
            DraftStatus::Withdrawn => "withdrawn",
        }
    }

    /// The release an approved draft was published in.
    pub fn release(self) -> Option<u64> {
        match self {
            DraftStatus::Approved { release } => Some(release),
            _ => None,
        }
    }

    /// Inverse of [`Self::as_str`] + [`Self::release`]: `approved` needs its release number,
    /// the others take none.
    pub fn parse(s: &str, release: Option<u64>) -> Option<Self> {
        Some(match (s, release) {
            ("draft", None) => DraftStatus::Draft,
            ("in_review", None) => DraftStatus::InReview,
            ("approved", Some(release)) => DraftStatus::Approved { release },
            ("rejected", None) => DraftStatus::Rejected,
            ("withdrawn", None) => DraftStatus::Withdrawn,
            _ => return None,
        })
    }

    /// Shown to people as a badge: "Draft", "In review", "Approved (release 3)", ...
    pub fn label(self) -> String {
        match self {
            DraftStatus::Draft => "Draft".to_owned(),
            DraftStatus::InReview => "In review".to_owned(),
            DraftStatus::Approved { release } => format!("Approved (release {release})"),
            DraftStatus::Rejected => "Rejected".to_owned(),
            DraftStatus::Withdrawn => "Withdrawn".to_owned(),
        }
    }

    /// Fits "it is …" in a sentence.
    pub fn describe(self) -> String {
        match self {
            DraftStatus::Draft => "still a draft".to_owned(),
            DraftStatus::InReview => "in review".to_owned(),
            DraftStatus::Approved { release } => format!("already approved (published in release {release})"),
            DraftStatus::Rejected => "rejected".to_owned(),
            DraftStatus::Withdrawn => "withdrawn".to_owned(),
        }
    }

    /// Still in the workflow (neither published nor withdrawn).
    pub fn is_open(self) -> bool {
        matches!(self, DraftStatus::Draft | DraftStatus::InReview | DraftStatus::Rejected)
    }

    /// Editors may change the content: a draft, or a rejected one (which goes back to draft).
    pub fn is_editable(self) -> bool {
        matches!(self, DraftStatus::Draft | DraftStatus::Rejected)
    }
}

/// A project's review rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewPolicy {
    /// The author of a draft may not approve it (four-eyes rule).
    #[serde(default)]
    pub require_other_approver: bool,
}

/// A proposed change to one entry of a project's knowledge base, with its review state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: String,
    pub project_id: String,
    /// The entry it changes (always `change.key()`).
    pub key: EntryKey,
    pub change: DraftChange,
    /// Revision of the active entry the draft was written against; `None` for a new entry.
    pub base_revision: Option<u64>,
    pub status: DraftStatus,
    pub author_id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Optimistic concurrency: 1 when created, +1 for every saved change (edit or transition).
    pub version: u64,
    /// When it was last submitted for review.
    pub submitted_at_ms: Option<i64>,
    /// Who approved or rejected it.
    pub reviewer_id: Option<String>,
    /// The reviewer's comment (why it was rejected); empty when none.
    pub review_comment: String,
    pub source: DraftSource,
}

impl Draft {
    /// A new draft (status draft, version 1) of `change`, written against `base_revision` of the
    /// active entry (`None` when the entry is not active).
    pub fn new(
        id: impl Into<String>,
        project_id: impl Into<String>,
        change: DraftChange,
        base_revision: Option<u64>,
        author_id: impl Into<String>,
        source: DraftSource,
        now_ms: i64,
    ) -> Draft {
        Draft {
            id: id.into(),
            project_id: project_id.into(),
            key: change.key(),
            change,
            base_revision,
            status: DraftStatus::Draft,
            author_id: author_id.into(),
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            version: 1,
            submitted_at_ms: None,
            reviewer_id: None,
            review_comment: String::new(),
            source,
        }
    }

    /// Has the active entry moved since the draft was written? `active_revision` is the
    /// revision of the entry in the active release, `None` when it holds no such entry.
    /// (Meaningful for open drafts; a published draft's entry has moved by its own doing.)
    pub fn is_stale(&self, active_revision: Option<u64>) -> bool {
        self.base_revision != active_revision
    }

    /// Saves new content. `expected_version` is the version the editor loaded; when someone saved
    /// since, the result is [`KbRuleError::VersionConflict`] carrying the draft as it is now.
    /// A rejected draft goes back to draft (its reviewer's comment stays until it is submitted).
    pub fn save_edit(&mut self, expected_version: u64, change: DraftChange, now_ms: i64) -> Result<(), KbRuleError> {
        self.check_edit(expected_version, &change)?;
        self.change = change;
        self.touch(DraftStatus::Draft, now_ms);
        Ok(())
    }

    /// Like [`Self::save_edit`], and moves the draft onto `active_revision` of the entry: how a
    /// stale draft is brought up to date with the active entry. Also from review (a stale draft
    /// cannot be published as it is): it goes back to draft, to be submitted again.
    pub fn rebase(
        &mut self,
        expected_version: u64,
        active_revision: Option<u64>,
        change: DraftChange,
        now_ms: i64,
    ) -> Result<(), KbRuleError> {
        let in_review = self.status == DraftStatus::InReview;
        if in_review {
            self.status = DraftStatus::Draft;
        }
        if let Err(e) = self.check_edit(expected_version, &change) {
            if in_review {
                self.status = DraftStatus::InReview;
            }
            return Err(e);
        }
        self.change = change;
        self.base_revision = active_revision;
        self.touch(DraftStatus::Draft, now_ms);
        Ok(())
    }

    /// Sends the draft for review (from draft, or from rejected without changes).
    pub fn submit(&mut self, now_ms: i64) -> Result<(), KbRuleError> {
        if !self.status.is_editable() {
            return Err(self.wrong_status("submit", ""));
        }
        self.submitted_at_ms = Some(now_ms);
        self.reviewer_id = None;
        self.review_comment.clear();
        self.touch(DraftStatus::InReview, now_ms);
        Ok(())
    }

    /// Gives the draft up (from draft, in review or rejected). Check [`can_withdraw`] first.
    pub fn withdraw(&mut self, now_ms: i64) -> Result<(), KbRuleError> {
        if !self.status.is_open() {
            return Err(self.wrong_status("withdraw", ""));
        }
        self.touch(DraftStatus::Withdrawn, now_ms);
        Ok(())
    }

    /// Sends a draft in review back to its author with `comment` saying why. Check
    /// [`can_review`] first.
    pub fn reject(&mut self, reviewer_id: &str, comment: &str, now_ms: i64) -> Result<(), KbRuleError> {
        if self.status != DraftStatus::InReview {
            return Err(self.wrong_status("reject", ""));
        }
        if comment.trim().is_empty() {
            return Err(KbRuleError::CommentRequired);
        }
        self.reviewer_id = Some(reviewer_id.to_owned());
        self.review_comment = comment.trim().to_owned();
        self.touch(DraftStatus::Rejected, now_ms);
        Ok(())
    }

    /// Approves a draft in review for publication in release `release` (see
    /// [`super::release::publish`]). Check [`can_review`] first.
    pub fn approve(&mut self, reviewer_id: &str, release: u64, now_ms: i64) -> Result<(), KbRuleError> {
        if self.status != DraftStatus::InReview {
            return Err(self.wrong_status("approve", ""));
        }
        self.reviewer_id = Some(reviewer_id.to_owned());
        self.touch(DraftStatus::Approved { release }, now_ms);
        Ok(())
    }

    fn check_edit(&self, expected_version: u64, change: &DraftChange) -> Result<(), KbRuleError> {
        if expected_version != self.version {
            return Err(KbRuleError::VersionConflict { current: Box::new(self.clone()) });
        }
        if !self.status.is_editable() {
            let hint = if self.status == DraftStatus::InReview { "; withdraw it to change it, or wait for the review" } else { "" };
            return Err(self.wrong_status("edit", hint));
        }
        let key = change.key();
        if key != self.key {
            return Err(KbRuleError::KeyMismatch { draft: self.key.clone(), change: key });
        }
        Ok(())
    }

    fn wrong_status(&self, action: &'static str, hint: &'static str) -> KbRuleError {
        KbRuleError::WrongStatus { action, status: self.status, hint }
    }

    fn touch(&mut self, status: DraftStatus, now_ms: i64) {
        self.status = status;
        self.version += 1;
        self.updated_at_ms = now_ms;
    }
}

fn needs(role: ProjectRole, needed: ProjectRole, action: &'static str) -> Result<(), KbRuleError> {
    if role.allows(needed) {
        Ok(())
    } else {
        Err(KbRuleError::RoleNotAllowed { role, action, needed })
    }
}

/// Editors and owners write drafts (anyone's: drafts are shared work); analysts only read.
pub fn can_edit(role: ProjectRole) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Editor, "write knowledge-base drafts")
}

/// Editors and owners send drafts for review.
pub fn can_submit(role: ProjectRole) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Editor, "submit knowledge-base drafts for review")
}

/// The author (an editor or owner) withdraws their own draft; an owner withdraws any.
pub fn can_withdraw(role: ProjectRole, actor_id: &str, draft: &Draft) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Editor, "withdraw knowledge-base drafts")?;
    if role == ProjectRole::Owner || draft.author_id == actor_id {
        Ok(())
    } else {
        Err(KbRuleError::NotAuthor)
    }
}

/// Owners approve and reject drafts; with `require_other_approver`, never their own.
pub fn can_review(role: ProjectRole, actor_id: &str, draft: &Draft, policy: ReviewPolicy) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Owner, "review knowledge-base drafts")?;
    if policy.require_other_approver && draft.author_id == actor_id {
        return Err(KbRuleError::SelfApproval);
    }
    Ok(())
}

/// Owners publish releases of approved drafts.
pub fn can_publish(role: ProjectRole) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Owner, "publish knowledge-base releases")
}

/// Owners roll the knowledge base back to an earlier release.
pub fn can_rollback(role: ProjectRole) -> Result<(), KbRuleError> {
    needs(role, ProjectRole::Owner, "roll the knowledge base back to an earlier release")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::entry::{ApiOperation, Entry};
    use ProjectRole::{Analyst, Editor, Owner};

    fn op(path: &str, summary: &str) -> Entry {
        Entry::ApiOperation(ApiOperation {
            method: "GET".into(),
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

    fn draft() -> Draft {
        Draft::new("d1", "p1", DraftChange::Upsert(op("/users", "List users")), Some(3), "alice", DraftSource::Manual, 1_000)
    }

    fn in_review() -> Draft {
        let mut d = draft();
        d.submit(2_000).unwrap();
        d
    }

    #[test]
    fn a_new_draft_starts_at_version_one_with_its_key() {
        let d = draft();
        assert_eq!(d.version, 1);
        assert_eq!(d.status, DraftStatus::Draft);
        assert_eq!(d.key, EntryKey::api("GET", "/users"));
        assert_eq!((d.created_at_ms, d.updated_at_ms), (1_000, 1_000));
        assert_eq!(d.submitted_at_ms, None);
    }

    #[test]
    fn statuses_round_trip_for_storage() {
        for s in
            [DraftStatus::Draft, DraftStatus::InReview, DraftStatus::Approved { release: 7 }, DraftStatus::Rejected, DraftStatus::Withdrawn]
        {
            assert_eq!(DraftStatus::parse(s.as_str(), s.release()), Some(s));
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(serde_json::from_value::<DraftStatus>(json).unwrap(), s);
        }
        assert_eq!(DraftStatus::parse("approved", None), None);
        assert_eq!(DraftStatus::parse("draft", Some(1)), None);
        assert_eq!(DraftStatus::parse("published", None), None);
        assert_eq!(DraftStatus::Approved { release: 3 }.label(), "Approved (release 3)");
    }

    #[test]
    fn drafts_round_trip_through_json() {
        let mut d = in_review();
        d.source = DraftSource::OpenApiImport { import_id: "imp-1".into() };
        d.approve("bob", 4, 3_000).unwrap();
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["status"]["state"], "approved");
        assert_eq!(v["status"]["release"], 4);
        assert_eq!(v["change"]["op"], "upsert");
        assert_eq!(v["source"]["type"], "openapi_import");
        assert_eq!(serde_json::from_value::<Draft>(v).unwrap(), d);
        assert_eq!(DraftSource::Rollback { to_release: 2 }.kind(), "rollback");
    }

    #[test]
    fn analysts_read_editors_draft_owners_review() {
        assert!(matches!(can_edit(Analyst), Err(KbRuleError::RoleNotAllowed { .. })));
        assert!(can_submit(Analyst).is_err());
        assert!(can_edit(Editor).is_ok() && can_submit(Editor).is_ok());
        assert!(can_edit(Owner).is_ok() && can_submit(Owner).is_ok());

        let d = in_review();
        let policy = ReviewPolicy::default();
        assert!(can_review(Analyst, "carol", &d, policy).is_err());
        let err = can_review(Editor, "carol", &d, policy).unwrap_err();
        assert_eq!(err.to_string(), "only project owners can review knowledge-base drafts; you are an editor in this project");
        assert!(can_review(Owner, "carol", &d, policy).is_ok());

        for f in [can_publish, can_rollback] {
            assert!(f(Analyst).is_err());
            assert!(f(Editor).is_err());
            assert!(f(Owner).is_ok());
        }
    }

    #[test]
    fn the_author_may_approve_unless_the_project_requires_another_approver() {
        let d = in_review();
        assert!(can_review(Owner, "alice", &d, ReviewPolicy { require_other_approver: false }).is_ok());
        let strict = ReviewPolicy { require_other_approver: true };
        let err = can_review(Owner, "alice", &d, strict).unwrap_err();
        assert_eq!(err, KbRuleError::SelfApproval);
        assert!(err.to_string().contains("this project requires someone other than the author to approve"));
        assert!(can_review(Owner, "bob", &d, strict).is_ok());
        // The role is checked first: an editor-author hears about the role, not the policy.
        assert!(matches!(can_review(Editor, "alice", &d, strict), Err(KbRuleError::RoleNotAllowed { .. })));
    }

    #[test]
    fn authors_withdraw_their_own_drafts_owners_any() {
        let d = draft();
        assert!(can_withdraw(Editor, "alice", &d).is_ok());
        assert_eq!(can_withdraw(Editor, "bob", &d), Err(KbRuleError::NotAuthor));
        assert!(can_withdraw(Owner, "bob", &d).is_ok());
        assert!(can_withdraw(Analyst, "alice", &d).is_err());
    }

    #[test]
    fn saving_bumps_the_version_and_a_second_save_on_the_old_version_conflicts() {
        let mut d = draft();
        d.save_edit(1, DraftChange::Upsert(op("/users", "All users")), 5_000).unwrap();
        assert_eq!(d.version, 2);
        assert_eq!(d.updated_at_ms, 5_000);
        let saved = d.clone();

        // A second person had version 1 open too.
        let err = d.save_edit(1, DraftChange::Upsert(op("/users", "Users, paged")), 6_000).unwrap_err();
        match &err {
            KbRuleError::VersionConflict { current } => assert_eq!(**current, saved),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert!(err.to_string().contains("now at version 2"), "{err}");
        assert_eq!(d, saved, "a refused save changes nothing");

        d.save_edit(2, DraftChange::Upsert(op("/users", "Users, paged")), 7_000).unwrap();
        assert_eq!(d.version, 3);
    }

    #[test]
    fn a_draft_cannot_change_which_entry_it_is_for() {
        let mut d = draft();
        let err = d.save_edit(1, DraftChange::Upsert(op("/people", "x")), 2).unwrap_err();
        assert!(matches!(err, KbRuleError::KeyMismatch { .. }));
        assert!(err.to_string().contains("is for GET /users but the change is for GET /people"), "{err}");
        // A delete of the same entry is fine.
        d.save_edit(1, DraftChange::Delete(EntryKey::api("get", "/users")), 3).unwrap();
        assert!(d.change.is_delete());
    }

    #[test]
    fn the_review_path_submit_then_approve() {
        let mut d = draft();
        d.submit(2_000).unwrap();
        assert_eq!(d.status, DraftStatus::InReview);
        assert_eq!(d.submitted_at_ms, Some(2_000));
        assert_eq!(d.version, 2);
        d.approve("bob", 5, 3_000).unwrap();
        assert_eq!(d.status, DraftStatus::Approved { release: 5 });
        assert_eq!(d.reviewer_id.as_deref(), Some("bob"));
        assert_eq!(d.version, 3);

        // Published drafts are final.
        let before = d.clone();
        assert!(matches!(d.save_edit(3, d.change.clone(), 4_000), Err(KbRuleError::WrongStatus { .. })));
        assert!(d.submit(4_000).is_err());
        assert!(d.withdraw(4_000).is_err());
        assert!(d.reject("bob", "no", 4_000).is_err());
        assert!(d.approve("bob", 6, 4_000).is_err());
        assert_eq!(d, before);
    }

    #[test]
    fn only_drafts_in_review_are_reviewed() {
        let mut d = draft();
        let err = d.approve("bob", 1, 2).unwrap_err();
        assert_eq!(err.to_string(), "cannot approve this draft: it is still a draft");
        assert!(d.reject("bob", "why", 2).is_err());
        d.submit(3).unwrap();
        assert!(d.submit(4).is_err(), "submitting twice is refused");
    }

    #[test]
    fn a_rejection_needs_a_reason_and_sends_the_draft_back_for_editing() {
        let mut d = in_review();
        assert_eq!(d.reject("bob", "  ", 3_000), Err(KbRuleError::CommentRequired));
        assert_eq!(d.status, DraftStatus::InReview);
        d.reject("bob", " Describe the limit parameter. ", 3_000).unwrap();
        assert_eq!(d.status, DraftStatus::Rejected);
        assert_eq!(d.review_comment, "Describe the limit parameter.");
        assert_eq!(d.reviewer_id.as_deref(), Some("bob"));

        // The author edits it: back to draft, comment still visible; resubmitting clears it.
        let v = d.version;
        d.save_edit(v, DraftChange::Upsert(op("/users", "List users, paged by limit")), 4_000).unwrap();
        assert_eq!(d.status, DraftStatus::Draft);
        assert_eq!(d.review_comment, "Describe the limit parameter.");
        d.submit(5_000).unwrap();
        assert_eq!(d.status, DraftStatus::InReview);
        assert_eq!(d.review_comment, "");
        assert_eq!(d.reviewer_id, None);
        assert_eq!(d.submitted_at_ms, Some(5_000));
    }

    #[test]
    fn a_draft_in_review_is_not_edited_but_can_be_withdrawn() {
        let mut d = in_review();
        let err = d.save_edit(d.version, d.change.clone(), 3).unwrap_err();
        assert!(err.to_string().contains("it is in review; withdraw it to change it"), "{err}");
        d.withdraw(4).unwrap();
        assert_eq!(d.status, DraftStatus::Withdrawn);
        assert!(d.submit(5).is_err());
        assert!(d.withdraw(5).is_err());
        assert!(d.save_edit(d.version, d.change.clone(), 5).is_err());
    }

    #[test]
    fn a_draft_is_stale_when_the_active_entry_moved() {
        let d = draft(); // written against revision 3
        assert!(!d.is_stale(Some(3)));
        assert!(d.is_stale(Some(4)));
        assert!(d.is_stale(None), "removed since");
        let new = Draft::new("d2", "p1", DraftChange::Upsert(op("/teams", "")), None, "alice", DraftSource::Manual, 1);
        assert!(!new.is_stale(None));
        assert!(new.is_stale(Some(1)), "someone else added it meanwhile");
    }

    #[test]
    fn rebasing_moves_a_stale_draft_onto_the_active_revision() {
        let mut d = draft();
        assert!(d.is_stale(Some(4)));
        assert!(matches!(d.rebase(9, Some(4), d.change.clone(), 2), Err(KbRuleError::VersionConflict { .. })));
        d.rebase(1, Some(4), DraftChange::Upsert(op("/users", "Rebased")), 2).unwrap();
        assert!(!d.is_stale(Some(4)));
        assert_eq!(d.version, 2);
        // From review too: back to draft, to be submitted again.
        d.submit(3).unwrap();
        d.rebase(d.version, Some(5), DraftChange::Upsert(op("/users", "Again")), 4).unwrap();
        assert_eq!((d.status, d.base_revision), (DraftStatus::Draft, Some(5)));
    }
}
