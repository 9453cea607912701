//! Why a knowledge-base rule refused something, in words a person understands.

use super::draft::{Draft, DraftStatus};
use super::entry::EntryKey;
use crate::ProjectRole;

/// A refused knowledge-base action: a missing role, a review policy, a draft in the wrong
/// state, an edit made against an old version, or a release that cannot be published.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KbRuleError {
    /// The member's role does not include the action.
    #[error("{}", role_refusal(*.role, .action, *.needed))]
    RoleNotAllowed { role: ProjectRole, action: &'static str, needed: ProjectRole },

    /// The project's review policy forbids approving one's own draft.
    #[error("this project requires someone other than the author to approve a draft; ask another owner to review it")]
    SelfApproval,

    /// Only the author (or an owner) may withdraw a draft.
    #[error("only the author of this draft or a project owner can withdraw it")]
    NotAuthor,

    /// The draft was saved by someone else since the caller loaded it; `current` is what is
    /// stored now, for the page to show.
    #[error(
        "someone saved this draft after you opened it (it is now at version {}); reload it to see their change, then apply yours again",
        .current.version
    )]
    VersionConflict { current: Box<Draft> },

    /// The draft's state does not allow the action.
    #[error("cannot {action} this draft: it is {}{hint}", .status.describe())]
    WrongStatus { action: &'static str, status: DraftStatus, hint: &'static str },

    /// A draft's change names another entry than the draft is for.
    #[error(
        "this draft is for {draft} but the change is for {change}; a draft cannot rename an entry — delete the old one and add the new one in separate drafts"
    )]
    KeyMismatch { draft: EntryKey, change: EntryKey },

    /// A rejection without a reason.
    #[error("say why you reject the draft, so its author knows what to change")]
    CommentRequired,

    /// `publish` was given no drafts.
    #[error("nothing to publish: there are no approved drafts")]
    NothingToPublish,

    /// Every approved draft leaves its entry as the active release already has it.
    #[error("nothing to publish: the approved drafts leave the knowledge base exactly as it is")]
    NoChanges,

    /// A delete of an entry the active release does not hold.
    #[error("cannot delete {0}: it is not in the active knowledge base (it may have been deleted already)")]
    DeleteOfAbsent(EntryKey),

    /// The active entry moved since the draft was written.
    #[error("{}", stale_message(.key, *.base, *.active))]
    Stale { key: EntryKey, base: Option<u64>, active: Option<u64> },

    /// Two drafts of one release change one entry.
    #[error("two drafts change {0} in the same release; publish one of them first and update the other")]
    DuplicateDraft(EntryKey),

    /// A draft that is not (or not for this release) approved was given to `publish`.
    #[error("draft {draft_id} is {}; only drafts in review or approved for release {release} can be published in it", .status.describe())]
    NotApproved { draft_id: String, status: DraftStatus, release: u64 },

    /// Something from another project.
    #[error("{what} belongs to another project")]
    WrongProject { what: String },

    /// A rollback whose target is not an earlier release.
    #[error("release {target} is not earlier than the current release {current}; choose an earlier release to roll back to")]
    RollbackNotEarlier { target: u64, current: u64 },

    /// A rollback that would change nothing.
    #[error("release {target} has the same content as the current release; there is nothing to roll back")]
    RollbackNoChange { target: u64 },
}

fn who_may(needed: ProjectRole) -> &'static str {
    match needed {
        ProjectRole::Analyst => "members",
        ProjectRole::Editor => "editors and owners",
        ProjectRole::Owner => "owners",
    }
}

fn role_refusal(role: ProjectRole, action: &str, needed: ProjectRole) -> String {
    format!("only project {} can {action}; you are an {} in this project", who_may(needed), role.label().to_lowercase())
}

fn stale_message(key: &EntryKey, base: Option<u64>, active: Option<u64>) -> String {
    let hint = "update the draft to the current entry and have it reviewed again";
    match (base, active) {
        (None, Some(a)) => format!("the draft adds {key}, but {key} has since been added by someone else (revision {a}); {hint}"),
        (Some(b), None) => format!("the draft was written against revision {b} of {key}, but {key} has since been removed; {hint}"),
        (Some(b), Some(a)) => {
            format!("the draft was written against revision {b} of {key}, but the active entry is now at revision {a}; {hint}")
        }
        (None, None) => format!("the draft for {key} is out of date; {hint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_sentences() {
        let e = KbRuleError::RoleNotAllowed { role: ProjectRole::Analyst, action: "edit drafts", needed: ProjectRole::Editor };
        assert_eq!(e.to_string(), "only project editors and owners can edit drafts; you are an analyst in this project");
        let e = KbRuleError::Stale { key: EntryKey::api("get", "/users"), base: Some(2), active: Some(3) };
        assert!(e.to_string().contains("revision 2 of GET /users"), "{e}");
        assert!(e.to_string().contains("now at revision 3"), "{e}");
        let e = KbRuleError::Stale { key: EntryKey::table("public", "users"), base: None, active: Some(4) };
        assert!(e.to_string().contains("has since been added"), "{e}");
        assert!(KbRuleError::SelfApproval.to_string().contains("someone other than the author to approve"));
    }
}
