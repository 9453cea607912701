//! The primary store's account-side repositories: projects and members, API
//! keys, plans, the audit log. Times are Unix milliseconds.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::{AuditRecord, PlanLimits, ProjectRole, ProjectSlug};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub data: Vec<u8>,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub slug: ProjectSlug,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: String,
    pub slug: ProjectSlug,
    pub name: String,
    pub description: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: ProjectRole,
    pub added_at_ms: i64,
}

#[async_trait]
pub trait ProjectRepo {
    /// Create the project with `owner_id` as its owner, atomically.
    /// `Conflict` when the slug is taken.
    async fn create_project(&self, project: NewProject, owner_id: &str, now_ms: i64) -> StoreResult<Project>;
    async fn project_by_id(&self, id: &str) -> StoreResult<Option<Project>>;
    async fn project_by_slug(&self, slug: &ProjectSlug) -> StoreResult<Option<Project>>;
    /// Projects `user_id` is a member of, with the role, by name.
    async fn projects_of_user(&self, user_id: &str) -> StoreResult<Vec<(Project, ProjectRole)>>;
    /// Every project, by name (admins).
    async fn list_projects(&self) -> StoreResult<Vec<Project>>;
    async fn update_project(&self, id: &ProjectId, name: &str, description: &str) -> StoreResult<()>;
    /// Deletes the project and its memberships and API keys.
    async fn delete_project(&self, id: &ProjectId) -> StoreResult<()>;
    /// How many projects `user_id` owns (plan quota).
    async fn count_owned_projects(&self, user_id: &str) -> StoreResult<u64>;
    async fn members(&self, project_id: &ProjectId) -> StoreResult<Vec<Member>>;
    async fn member_role(&self, project_id: &ProjectId, user_id: &str) -> StoreResult<Option<ProjectRole>>;
    /// Add or change a member's role. `Conflict` when it would demote the
    /// project's last owner (checked atomically with the change).
    async fn set_member(&self, project_id: &ProjectId, user_id: &str, role: ProjectRole, now_ms: i64) -> StoreResult<()>;
    /// `NotFound` when not a member; `Conflict` when removing the last owner.
    async fn remove_member(&self, project_id: &ProjectId, user_id: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub project_id: String,
    pub name: String,
    /// Shown in lists and used to find the key: `pk-ed-…`.
    pub public_id: String,
    /// SHA-256 (hex) of the secret; the secret itself is never stored.
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub public_id: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

#[async_trait]
pub trait ApiKeyRepo {
    async fn create_api_key(&self, key: NewApiKey, now_ms: i64) -> StoreResult<ApiKeyRecord>;
    async fn api_key_by_public_id(&self, public_id: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// A project's keys, newest first, revoked ones included.
    async fn project_api_keys(&self, project_id: &ProjectId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// `NotFound` unless the key belongs to `project_id`.
    async fn revoke_api_key(&self, project_id: &ProjectId, id: &str, now_ms: i64) -> StoreResult<()>;
    async fn touch_api_key(&self, id: &str, now_ms: i64) -> StoreResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub name: String,
    pub limits: PlanLimits,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub limits: PlanLimits,
    /// New users get the default plan; exactly one plan is the default.
    pub is_default: bool,
    pub created_at_ms: i64,
}

#[async_trait]
pub trait PlanRepo {
    /// `Conflict` when the name is taken.
    async fn create_plan(&self, plan: NewPlan, now_ms: i64) -> StoreResult<Plan>;
    async fn update_plan(&self, id: &str, plan: NewPlan) -> StoreResult<()>;
    async fn list_plans(&self) -> StoreResult<Vec<Plan>>;
    async fn plan_by_id(&self, id: &str) -> StoreResult<Option<Plan>>;
    /// Make `id` the only default plan.
    async fn set_default_plan(&self, id: &str) -> StoreResult<()>;
    /// The user's assigned plan, else the default plan, else `None`.
    async fn plan_of_user(&self, user_id: &str) -> StoreResult<Option<Plan>>;
    /// `None` returns the user to the default plan.
    async fn assign_plan(&self, user_id: &str, plan_id: Option<&str>) -> StoreResult<()>;
    /// Every user's assigned plan id (`None`: the default plan), in one read for the admin list.
    async fn plan_assignments(&self) -> StoreResult<Vec<(String, Option<String>)>>;
}

/// A stored audit entry: its position in the chain and the hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for the audit screen; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor_user_id: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub project_id: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// Append-only, hash-chained audit log (domain::audit::entry_hash).
#[async_trait]
pub trait AuditLog {
    /// Append at the end of the chain: the store serialises appends (one
    /// chain head), computes `entry_hash(prev_hash, seq, record)` and stores
    /// both hashes.
    async fn append_audit(&self, record: AuditRecord) -> StoreResult<AuditEntry>;
    /// Newest first, matching `filter`, with `seq < before_seq` (keyset
    /// pagination), at most `limit`.
    async fn list_audit(&self, filter: &AuditFilter, before_seq: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// Oldest first from `after_seq` (exclusive), for verification.
    async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Password-reset tokens. Only the token's SHA-256 (hex) is stored; a token
/// is good once, until it expires.
#[async_trait]
pub trait PasswordResetRepo {
    /// `NotFound` when the user does not exist; `Conflict` on a repeated hash.
    async fn create_reset(&self, token_hash: &str, user_id: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<()>;
    /// Marks the token used and returns its user, in one statement, only if
    /// it was unused and unexpired at `now_ms`; `None` otherwise.
    async fn consume_reset(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>>;
    /// Removes every reset token of the user, used or not; returns how many.
    async fn delete_resets_of_user(&self, user_id: &str) -> StoreResult<u64>;
}
