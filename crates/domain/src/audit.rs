//! The audit trail's hash chain: each entry's hash covers the previous
//! entry's hash and this entry's content, so changing, removing or reordering
//! any stored row breaks every hash after it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first entry chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit entry records (everything but its position and hashes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time_ms: i64,
    pub actor_user_id: Option<String>,
    /// Who, for people: an e-mail, "system", "api key abc…".
    pub actor_label: String,
    /// e.g. `user.login`, `project.create`, `member.role_change`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub project_id: Option<String>,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// SHA-256 (hex) over the previous hash and a canonical encoding of the
/// record: fields in a fixed order, length-prefixed so no two records encode
/// alike, JSON values re-serialised with sorted keys.
pub fn entry_hash(prev_hash: &str, seq: i64, r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    field(prev_hash);
    field(&seq.to_string());
    field(&r.time_ms.to_string());
    field(r.actor_user_id.as_deref().unwrap_or("\u{0}"));
    field(&r.actor_label);
    field(&r.action);
    field(&r.entity_type);
    field(&r.entity_id);
    field(r.project_id.as_deref().unwrap_or("\u{0}"));
    field(&canonical(r.old_value.as_ref()));
    field(&canonical(r.new_value.as_ref()));
    field(r.ip.as_deref().unwrap_or("\u{0}"));
    field(r.user_agent.as_deref().unwrap_or("\u{0}"));
    field(r.request_id.as_deref().unwrap_or("\u{0}"));
    hex(&h.finalize())
}

/// serde_json's `Value` keeps object keys sorted (no `preserve_order`), so
/// `to_string` is canonical for our purposes.
fn canonical(v: Option<&serde_json::Value>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "\u{0}".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(action: &str) -> AuditRecord {
        AuditRecord {
            time_ms: 1,
            actor_user_id: Some("u1".into()),
            actor_label: "ada@example.com".into(),
            action: action.into(),
            entity_type: "project".into(),
            entity_id: "p1".into(),
            project_id: Some("p1".into()),
            old_value: None,
            new_value: Some(serde_json::json!({"b": 1, "a": 2})),
            ip: None,
            user_agent: None,
            request_id: None,
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let base = entry_hash(GENESIS_HASH, 1, &rec("project.create"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, entry_hash(GENESIS_HASH, 1, &rec("project.create")), "deterministic");
        assert_ne!(base, entry_hash(GENESIS_HASH, 1, &rec("project.delete")));
        assert_ne!(base, entry_hash(GENESIS_HASH, 2, &rec("project.create")));
        assert_ne!(base, entry_hash(&"1".repeat(64), 1, &rec("project.create")));
        let mut r = rec("project.create");
        r.actor_user_id = None;
        r.actor_label = "u1ada@example.com".into();
        assert_ne!(base, entry_hash(GENESIS_HASH, 1, &r), "fields cannot bleed into each other");
    }
}
