//! The primary store's account side (projects and members, API keys, plans,
//! the hash-chained audit log) for every sqlx backend: SQL, row conversions
//! and [`impl_account_repos!`](crate::impl_account_repos), which
//! [`impl_primary_store!`](crate::impl_primary_store) expands for each store.
//!
//! JSON (API key scopes, audit values) is stored as text on both databases,
//! so an audit entry reads back exactly as it was hashed.

use crate::primary::{corrupt, to_u64};
use domain::{
    audit::{entry_hash, GENESIS_HASH},
    AuditRecord, PlanLimits, ProjectRole, ProjectSlug,
};
use services::{
    ports::{ApiKeyRecord, AuditEntry, AuditFilter, Member, NewApiKey, NewPlan, NewProject, Plan, Project},
    StoreError,
};

/// The columns each row type is read from (`macro_rules!` so `concat!` can
/// build the statements at compile time).
macro_rules! project_columns {
    () => {
        "p.id, p.slug, p.name, p.description, p.created_at_ms"
    };
}
macro_rules! api_key_columns {
    () => {
        "id, project_id, name, public_id, secret_hash, scopes, created_by, created_at_ms, last_used_at_ms, revoked_at_ms"
    };
}
macro_rules! plan_columns {
    () => {
        "p.id, p.name, p.projects, p.members_per_project, p.traces_per_month, p.test_runs_per_month, p.dataset_rows, \
         p.storage_bytes, p.is_default, p.created_at_ms"
    };
}
macro_rules! audit_columns {
    () => {
        "seq, time_ms, actor_user_id, actor_label, action, entity_type, entity_id, project_id, old_value, new_value, \
         ip, user_agent, request_id, prev_hash, hash"
    };
}

/// The statements both dialects share.
pub mod sql {
    /// Binds: token hash, user, expiry, now.
    pub const INSERT_RESET: &str =
        "INSERT INTO password_resets (token_hash, user_id, expires_at_ms, used_at_ms, created_at_ms) VALUES ($1, $2, $3, NULL, $4)";
    /// Binds: token hash, now. One statement: two concurrent uses cannot both
    /// get the user.
    pub const CONSUME_RESET: &str = "UPDATE password_resets SET used_at_ms = $2 \
         WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2 RETURNING user_id";
    pub const DELETE_RESETS_OF_USER: &str = "DELETE FROM password_resets WHERE user_id = $1";
    /// Binds: id, slug, name, description, now.
    pub const INSERT_PROJECT: &str = "INSERT INTO projects (id, slug, name, description, created_at_ms) VALUES ($1, $2, $3, $4, $5)";
    /// Binds: project, user, role, now. Adds a member or changes the role (the
    /// date they joined stays).
    pub const UPSERT_MEMBER: &str = "INSERT INTO project_members (project_id, user_id, role, added_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role";
    pub const PROJECT_BY_ID: &str = concat!("SELECT ", project_columns!(), " FROM projects p WHERE p.id = $1");
    pub const PROJECT_BY_SLUG: &str = concat!("SELECT ", project_columns!(), " FROM projects p WHERE p.slug = $1");
    pub const PROJECTS_OF_USER: &str = concat!(
        "SELECT ",
        project_columns!(),
        ", m.role FROM projects p JOIN project_members m ON m.project_id = p.id WHERE m.user_id = $1 ORDER BY p.name, p.id"
    );
    pub const LIST_PROJECTS: &str = concat!("SELECT ", project_columns!(), " FROM projects p ORDER BY p.name, p.id");
    pub const UPDATE_PROJECT: &str = "UPDATE projects SET name = $2, description = $3 WHERE id = $1";
    /// Members and API keys go with it (`ON DELETE CASCADE`).
    pub const DELETE_PROJECT: &str = "DELETE FROM projects WHERE id = $1";
    pub const COUNT_OWNED_PROJECTS: &str = "SELECT COUNT(*) FROM project_members WHERE user_id = $1 AND role = 'owner'";
    pub const MEMBERS: &str = "SELECT m.user_id, u.email, u.name, m.role, m.added_at_ms \
         FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.email";
    pub const MEMBER_ROLE: &str = "SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2";
    pub const REMOVE_MEMBER: &str = "DELETE FROM project_members WHERE project_id = $1 AND user_id = $2";
    pub const COUNT_OWNERS: &str = "SELECT COUNT(*) FROM project_members WHERE project_id = $1 AND role = 'owner'";

    /// Binds: the [`api_key_columns`] but the last two.
    pub const INSERT_API_KEY: &str =
        concat!("INSERT INTO api_keys (", api_key_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)");
    pub const API_KEY_BY_PUBLIC_ID: &str = concat!("SELECT ", api_key_columns!(), " FROM api_keys WHERE public_id = $1");
    pub const PROJECT_API_KEYS: &str =
        concat!("SELECT ", api_key_columns!(), " FROM api_keys WHERE project_id = $1 ORDER BY created_at_ms DESC, id DESC");
    /// Binds: project, id, now. Revoking again keeps the first time.
    pub const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at_ms = COALESCE(revoked_at_ms, $3) WHERE id = $2 AND project_id = $1";
    pub const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at_ms = $2 WHERE id = $1";

    /// Binds: id, name, the six limits, now. Never the default when created.
    pub const INSERT_PLAN: &str = "INSERT INTO plans (id, name, projects, members_per_project, traces_per_month, \
         test_runs_per_month, dataset_rows, storage_bytes, is_default, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, $9)";
    /// Binds: id, name, the six limits.
    pub const UPDATE_PLAN: &str = "UPDATE plans SET name = $2, projects = $3, members_per_project = $4, traces_per_month = $5, \
         test_runs_per_month = $6, dataset_rows = $7, storage_bytes = $8 WHERE id = $1";
    pub const LIST_PLANS: &str = concat!("SELECT ", plan_columns!(), " FROM plans p ORDER BY p.name");
    pub const PLAN_BY_ID: &str = concat!("SELECT ", plan_columns!(), " FROM plans p WHERE p.id = $1");
    /// Binds: the new default. First of two statements in one transaction
    /// (at most one row may be the default at any time): clear the others,
    /// but only if the new default exists.
    pub const CLEAR_OTHER_DEFAULT_PLANS: &str = "UPDATE plans SET is_default = FALSE \
         WHERE is_default AND id <> $1 AND EXISTS (SELECT 1 FROM plans WHERE id = $1)";
    pub const SET_DEFAULT_PLAN: &str = "UPDATE plans SET is_default = TRUE WHERE id = $1";
    /// Binds: user. The assigned plan, else the default one.
    pub const PLAN_ASSIGNMENTS: &str = "SELECT id, plan_id FROM users ORDER BY id";
    pub const PLAN_OF_USER: &str = concat!(
        "SELECT ",
        plan_columns!(),
        " FROM plans p WHERE p.id = COALESCE((SELECT plan_id FROM users WHERE id = $1), ",
        "(SELECT id FROM plans WHERE is_default))"
    );
    /// Binds: user, plan or NULL. Touches no row when either is unknown.
    pub const ASSIGN_PLAN: &str =
        "UPDATE users SET plan_id = $2 WHERE id = $1 AND ($2 IS NULL OR EXISTS (SELECT 1 FROM plans WHERE id = $2))";

    /// The chain head, read after the append lock is held.
    pub const AUDIT_HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
    /// Binds: the [`audit_columns`] in order.
    pub const INSERT_AUDIT: &str =
        concat!("INSERT INTO audit_log (", audit_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)");
    /// Binds: after seq, limit.
    pub const AUDIT_CHAIN: &str = concat!("SELECT ", audit_columns!(), " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
}

/// `id, slug, name, description, created_at_ms`.
pub type ProjectRow = (String, String, String, String, i64);
/// A [`ProjectRow`] and the member's role.
pub type ProjectRoleRow = (String, String, String, String, i64, String);
/// `user_id, email, name, role, added_at_ms`.
pub type MemberRow = (String, String, String, String, i64);
/// See `api_key_columns`; scopes are a JSON array.
pub type ApiKeyRow = (String, String, String, String, String, String, String, i64, Option<i64>, Option<i64>);
/// `id, name`, the six limits, `is_default, created_at_ms`.
pub type PlanRow = (String, String, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>, bool, i64);
/// See `audit_columns`; old and new values are JSON text.
pub type AuditRow = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

pub fn new_project(project: NewProject, now_ms: i64) -> Project {
    Project {
        id: crate::primary::new_id(),
        slug: project.slug,
        name: project.name,
        description: project.description,
        created_at_ms: now_ms,
    }
}

pub fn project_from_row((id, slug, name, description, created_at_ms): ProjectRow) -> Result<Project, StoreError> {
    let slug = ProjectSlug::parse(&slug).map_err(|e| corrupt("projects.slug", e))?;
    Ok(Project { id, slug, name, description, created_at_ms })
}

pub fn project_role_from_row(
    (id, slug, name, description, created_at_ms, role): ProjectRoleRow,
) -> Result<(Project, ProjectRole), StoreError> {
    Ok((project_from_row((id, slug, name, description, created_at_ms))?, parse_role(&role)?))
}

pub fn member_from_row((user_id, email, name, role, added_at_ms): MemberRow) -> Result<Member, StoreError> {
    Ok(Member { user_id, email, name, role: parse_role(&role)?, added_at_ms })
}

pub fn parse_role(role: &str) -> Result<ProjectRole, StoreError> {
    ProjectRole::parse(role).ok_or_else(|| corrupt("project_members.role", role))
}

pub fn new_api_key(key: NewApiKey, now_ms: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: crate::primary::new_id(),
        project_id: key.project_id,
        name: key.name,
        public_id: key.public_id,
        secret_hash: key.secret_hash,
        scopes: key.scopes,
        created_by: key.created_by,
        created_at_ms: now_ms,
        last_used_at_ms: None,
        revoked_at_ms: None,
    }
}

pub fn scopes_json(scopes: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(scopes).map_err(|e| StoreError::Internal(format!("cannot encode scopes: {e}")))
}

pub fn api_key_from_row(row: ApiKeyRow) -> Result<ApiKeyRecord, StoreError> {
    let (id, project_id, name, public_id, secret_hash, scopes, created_by, created_at_ms, last_used_at_ms, revoked_at_ms) = row;
    let scopes = serde_json::from_str(&scopes).map_err(|e| corrupt("api_keys.scopes", e))?;
    Ok(ApiKeyRecord { id, project_id, name, public_id, secret_hash, scopes, created_by, created_at_ms, last_used_at_ms, revoked_at_ms })
}

/// A plan's limits as stored: `[projects, members_per_project,
/// traces_per_month, test_runs_per_month, dataset_rows, storage_bytes]`.
pub fn limit_columns(l: &PlanLimits) -> Result<[Option<i64>; 6], StoreError> {
    let col = |what: &str, v: Option<u64>| {
        v.map(|n| i64::try_from(n).map_err(|_| StoreError::Invalid(format!("the {what} limit {n} is too large")))).transpose()
    };
    Ok([
        col("projects", l.projects)?,
        col("members per project", l.members_per_project)?,
        col("traces per month", l.traces_per_month)?,
        col("test runs per month", l.test_runs_per_month)?,
        col("dataset rows", l.dataset_rows)?,
        col("storage bytes", l.storage_bytes)?,
    ])
}

pub fn new_plan(plan: NewPlan, now_ms: i64) -> Plan {
    Plan { id: crate::primary::new_id(), name: plan.name, limits: plan.limits, is_default: false, created_at_ms: now_ms }
}

pub fn plan_from_row(row: PlanRow) -> Result<Plan, StoreError> {
    let (id, name, projects, members, traces, test_runs, dataset_rows, storage_bytes, is_default, created_at_ms) = row;
    let limit = |what: &str, v: Option<i64>| v.map(|n| to_u64(what, n)).transpose();
    let limits = PlanLimits {
        projects: limit("plans.projects", projects)?,
        members_per_project: limit("plans.members_per_project", members)?,
        traces_per_month: limit("plans.traces_per_month", traces)?,
        test_runs_per_month: limit("plans.test_runs_per_month", test_runs)?,
        dataset_rows: limit("plans.dataset_rows", dataset_rows)?,
        storage_bytes: limit("plans.storage_bytes", storage_bytes)?,
    };
    Ok(Plan { id, name, limits, is_default, created_at_ms })
}

/// A membership change may not leave a project without an owner: `owners`
/// is the count before the change removes one.
pub fn keep_an_owner(owners: i64) -> Result<(), StoreError> {
    if owners <= 1 {
        Err(StoreError::Conflict("a project needs an owner".into()))
    } else {
        Ok(())
    }
}

/// The entry that follows `head` (`seq, hash` of the last one; `None` for an
/// empty log, which chains from [`GENESIS_HASH`]).
pub fn next_audit_entry(head: Option<(i64, String)>, record: AuditRecord) -> AuditEntry {
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let hash = entry_hash(&prev_hash, seq, &record);
    AuditEntry { seq, record, prev_hash, hash }
}

/// An audit value as stored: the JSON text `entry_hash` covered.
pub fn audit_json(v: Option<&serde_json::Value>) -> Option<String> {
    v.map(|v| v.to_string())
}

pub fn audit_entry_from_row(row: AuditRow) -> Result<AuditEntry, StoreError> {
    let (
        seq,
        time_ms,
        actor_user_id,
        actor_label,
        action,
        entity_type,
        entity_id,
        project_id,
        old_value,
        new_value,
        ip,
        user_agent,
        request_id,
        prev_hash,
        hash,
    ) = row;
    let json = |what: &str, v: Option<String>| {
        v.map(|text| serde_json::from_str(&text).map_err(|e| corrupt(what, format!("seq {seq}: {e}")))).transpose()
    };
    let record = AuditRecord {
        time_ms,
        actor_user_id,
        actor_label,
        action,
        entity_type,
        entity_id,
        project_id,
        old_value: json("audit_log.old_value", old_value)?,
        new_value: json("audit_log.new_value", new_value)?,
        ip,
        user_agent,
        request_id,
    };
    Ok(AuditEntry { seq, record, prev_hash, hash })
}

/// A bound parameter of a statement built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// The audit screen's query: only the filters that are set, so each can use
/// its `(column, seq)` index, newest first from `before_seq` (keyset
/// pagination: a page costs the same at any depth). The time range is
/// half-open, `from_ms <= time_ms < to_ms`.
pub fn list_audit_query(filter: &AuditFilter, before_seq: Option<i64>, limit: u32) -> (String, Vec<Bind>) {
    let mut binds = Vec::new();
    let mut conditions = Vec::new();
    let mut add = |condition: &str, value: Bind| {
        binds.push(value);
        conditions.push(format!("{condition} ${}", binds.len()));
    };
    let text_filters = [
        ("actor_user_id =", &filter.actor_user_id),
        ("action =", &filter.action),
        ("entity_type =", &filter.entity_type),
        ("project_id =", &filter.project_id),
    ];
    for (condition, value) in text_filters {
        if let Some(v) = value {
            add(condition, Bind::Text(v.clone()));
        }
    }
    if let Some(from) = filter.from_ms {
        add("time_ms >=", Bind::Int(from));
    }
    if let Some(to) = filter.to_ms {
        add("time_ms <", Bind::Int(to));
    }
    if let Some(before) = before_seq {
        add("seq <", Bind::Int(before));
    }
    let mut text = concat!("SELECT ", audit_columns!(), " FROM audit_log").to_owned();
    if !conditions.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&conditions.join(" AND "));
    }
    binds.push(Bind::Int(i64::from(limit)));
    text.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", binds.len()));
    (text, binds)
}

/// Opens the serialised transaction of a membership change (project row
/// locked where the dialect needs it) and refuses it when `$user_id` is an
/// owner who `$stops_owning` and no other owner would remain. Used by
/// [`impl_account_repos!`]; expands to the open transaction.
#[doc(hidden)]
#[macro_export]
macro_rules! __membership_change {
    ($self:ident, $dialect:expr, $project_id:expr, $user_id:expr, $stops_owning:expr) => {{
        let mut tx = $self.pool.begin_with($dialect.begin_audit_append).await.map_err(db_err)?;
        if let Some(lock) = $dialect.lock_project {
            sqlx::query(lock).bind($project_id).execute(&mut *tx).await.map_err(db_err)?;
        }
        let current: Option<String> =
            sqlx::query_scalar(sql::MEMBER_ROLE).bind($project_id).bind($user_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
        if current.as_deref() == Some("owner") && $stops_owning {
            let owners: i64 = sqlx::query_scalar(sql::COUNT_OWNERS).bind($project_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            shared::keep_an_owner(owners)?;
        }
        tx
    }};
}

/// Implements `ProjectRepo`, `ApiKeyRepo`, `PlanRepo`, `AuditLog` and `PasswordResetRepo` for a
/// store type with a `pool` field; expanded by
/// [`impl_primary_store!`](crate::impl_primary_store).
#[doc(hidden)]
#[macro_export]
macro_rules! impl_account_repos {
    ($store:ty, $dialect:expr) => {
        const _: () = {
            use $crate::__private::domain::{AuditRecord, ProjectRole, ProjectSlug};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{
                    ApiKeyRecord, ApiKeyRepo, AuditEntry, AuditFilter, AuditLog, Member, NewApiKey, NewPlan, NewProject, PasswordResetRepo,
                    Plan, PlanRepo, Project, ProjectRepo,
                },
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::accounts::{self as shared, sql};
            use $crate::primary::{found, to_u64};
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl ProjectRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(owner_id = %owner_id))]
                async fn create_project(&self, project: NewProject, owner_id: &str, now_ms: i64) -> StoreResult<Project> {
                    let project = shared::new_project(project, now_ms);
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    sqlx::query(sql::INSERT_PROJECT)
                        .bind(&project.id)
                        .bind(project.slug.as_str())
                        .bind(&project.name)
                        .bind(&project.description)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    sqlx::query(sql::UPSERT_MEMBER)
                        .bind(&project.id)
                        .bind(owner_id)
                        .bind(ProjectRole::Owner.as_str())
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(ref_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(project)
                }

                async fn project_by_id(&self, id: &str) -> StoreResult<Option<Project>> {
                    let row: Option<shared::ProjectRow> =
                        sqlx::query_as(sql::PROJECT_BY_ID).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::project_from_row).transpose()
                }

                async fn project_by_slug(&self, slug: &ProjectSlug) -> StoreResult<Option<Project>> {
                    let row: Option<shared::ProjectRow> =
                        sqlx::query_as(sql::PROJECT_BY_SLUG).bind(slug.as_str()).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::project_from_row).transpose()
                }

                async fn projects_of_user(&self, user_id: &str) -> StoreResult<Vec<(Project, ProjectRole)>> {
                    let rows: Vec<shared::ProjectRoleRow> =
                        sqlx::query_as(sql::PROJECTS_OF_USER).bind(user_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::project_role_from_row).collect()
                }

                async fn list_projects(&self) -> StoreResult<Vec<Project>> {
                    let rows: Vec<shared::ProjectRow> = sqlx::query_as(sql::LIST_PROJECTS).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::project_from_row).collect()
                }

                async fn update_project(&self, id: &services::ports::ProjectId, name: &str, description: &str) -> StoreResult<()> {
                    let id = id.as_str();
                    let done =
                        sqlx::query(sql::UPDATE_PROJECT).bind(id).bind(name).bind(description).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %id))]
                async fn delete_project(&self, id: &services::ports::ProjectId) -> StoreResult<()> {
                    let id = id.as_str();
                    let done = sqlx::query(sql::DELETE_PROJECT).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn count_owned_projects(&self, user_id: &str) -> StoreResult<u64> {
                    let n: i64 = sqlx::query_scalar(sql::COUNT_OWNED_PROJECTS).bind(user_id).fetch_one(&self.pool).await.map_err(db_err)?;
                    to_u64("COUNT(project_members)", n)
                }

                async fn members(&self, project_id: &services::ports::ProjectId) -> StoreResult<Vec<Member>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::MemberRow> =
                        sqlx::query_as(sql::MEMBERS).bind(project_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::member_from_row).collect()
                }

                async fn member_role(&self, project_id: &services::ports::ProjectId, user_id: &str) -> StoreResult<Option<ProjectRole>> {
                    let project_id = project_id.as_str();
                    let role: Option<String> = sqlx::query_scalar(sql::MEMBER_ROLE)
                        .bind(project_id)
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    role.as_deref().map(shared::parse_role).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, user_id = %user_id))]
                async fn set_member(
                    &self,
                    project_id: &services::ports::ProjectId,
                    user_id: &str,
                    role: ProjectRole,
                    now_ms: i64,
                ) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let mut tx = $crate::__membership_change!(self, $dialect, project_id, user_id, role != ProjectRole::Owner);
                    sqlx::query(sql::UPSERT_MEMBER)
                        .bind(project_id)
                        .bind(user_id)
                        .bind(role.as_str())
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(ref_err)?;
                    tx.commit().await.map_err(db_err)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, user_id = %user_id))]
                async fn remove_member(&self, project_id: &services::ports::ProjectId, user_id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let mut tx = $crate::__membership_change!(self, $dialect, project_id, user_id, true);
                    let done = sqlx::query(sql::REMOVE_MEMBER).bind(project_id).bind(user_id).execute(&mut *tx).await.map_err(db_err)?;
                    found(done.rows_affected())?;
                    tx.commit().await.map_err(db_err)
                }
            }

            #[async_trait]
            impl ApiKeyRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %key.project_id))]
                async fn create_api_key(&self, key: NewApiKey, now_ms: i64) -> StoreResult<ApiKeyRecord> {
                    let key = shared::new_api_key(key, now_ms);
                    sqlx::query(sql::INSERT_API_KEY)
                        .bind(&key.id)
                        .bind(&key.project_id)
                        .bind(&key.name)
                        .bind(&key.public_id)
                        .bind(&key.secret_hash)
                        .bind(shared::scopes_json(&key.scopes)?)
                        .bind(&key.created_by)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(key)
                }

                async fn api_key_by_public_id(&self, public_id: &str) -> StoreResult<Option<ApiKeyRecord>> {
                    let row: Option<shared::ApiKeyRow> =
                        sqlx::query_as(sql::API_KEY_BY_PUBLIC_ID).bind(public_id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::api_key_from_row).transpose()
                }

                async fn project_api_keys(&self, project_id: &services::ports::ProjectId) -> StoreResult<Vec<ApiKeyRecord>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::ApiKeyRow> =
                        sqlx::query_as(sql::PROJECT_API_KEYS).bind(project_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::api_key_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, key_id = %id))]
                async fn revoke_api_key(&self, project_id: &services::ports::ProjectId, id: &str, now_ms: i64) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::REVOKE_API_KEY)
                        .bind(project_id)
                        .bind(id)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn touch_api_key(&self, id: &str, now_ms: i64) -> StoreResult<()> {
                    sqlx::query(sql::TOUCH_API_KEY).bind(id).bind(now_ms).execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl PlanRepo for $store {
                #[tracing::instrument(level = "debug", skip_all)]
                async fn create_plan(&self, plan: NewPlan, now_ms: i64) -> StoreResult<Plan> {
                    let limits = shared::limit_columns(&plan.limits)?;
                    let plan = shared::new_plan(plan, now_ms);
                    let mut query = sqlx::query(sql::INSERT_PLAN).bind(&plan.id).bind(&plan.name);
                    for limit in limits {
                        query = query.bind(limit);
                    }
                    query.bind(now_ms).execute(&self.pool).await.map_err(db_err)?;
                    Ok(plan)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(plan_id = %id))]
                async fn update_plan(&self, id: &str, plan: NewPlan) -> StoreResult<()> {
                    let limits = shared::limit_columns(&plan.limits)?;
                    let mut query = sqlx::query(sql::UPDATE_PLAN).bind(id).bind(&plan.name);
                    for limit in limits {
                        query = query.bind(limit);
                    }
                    let done = query.execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                async fn list_plans(&self) -> StoreResult<Vec<Plan>> {
                    let rows: Vec<shared::PlanRow> = sqlx::query_as(sql::LIST_PLANS).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::plan_from_row).collect()
                }

                async fn plan_by_id(&self, id: &str) -> StoreResult<Option<Plan>> {
                    let row: Option<shared::PlanRow> =
                        sqlx::query_as(sql::PLAN_BY_ID).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::plan_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(plan_id = %id))]
                async fn set_default_plan(&self, id: &str) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    sqlx::query(sql::CLEAR_OTHER_DEFAULT_PLANS).bind(id).execute(&mut *tx).await.map_err(db_err)?;
                    let done = sqlx::query(sql::SET_DEFAULT_PLAN).bind(id).execute(&mut *tx).await.map_err(db_err)?;
                    // An unknown id changed nothing; dropping `tx` rolls back anyway.
                    found(done.rows_affected())?;
                    tx.commit().await.map_err(db_err)
                }

                async fn plan_of_user(&self, user_id: &str) -> StoreResult<Option<Plan>> {
                    let row: Option<shared::PlanRow> =
                        sqlx::query_as(sql::PLAN_OF_USER).bind(user_id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::plan_from_row).transpose()
                }

                async fn plan_assignments(&self) -> StoreResult<Vec<(String, Option<String>)>> {
                    sqlx::query_as(sql::PLAN_ASSIGNMENTS).fetch_all(&self.pool).await.map_err(db_err)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
                async fn assign_plan(&self, user_id: &str, plan_id: Option<&str>) -> StoreResult<()> {
                    let done = sqlx::query(sql::ASSIGN_PLAN).bind(user_id).bind(plan_id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }
            }

            #[async_trait]
            impl AuditLog for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(action = %record.action))]
                async fn append_audit(&self, record: AuditRecord) -> StoreResult<AuditEntry> {
                    // One appender at a time (see `Dialect`), so the head read
                    // here is still the head when the new entry is inserted.
                    let mut tx = self.pool.begin_with($dialect.begin_audit_append).await.map_err(db_err)?;
                    if let Some(lock) = $dialect.lock_audit_chain {
                        sqlx::query(lock).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    let head: Option<(i64, String)> = sqlx::query_as(sql::AUDIT_HEAD).fetch_optional(&mut *tx).await.map_err(db_err)?;
                    let entry = shared::next_audit_entry(head, record);
                    let r = &entry.record;
                    sqlx::query(sql::INSERT_AUDIT)
                        .bind(entry.seq)
                        .bind(r.time_ms)
                        .bind(&r.actor_user_id)
                        .bind(&r.actor_label)
                        .bind(&r.action)
                        .bind(&r.entity_type)
                        .bind(&r.entity_id)
                        .bind(&r.project_id)
                        .bind(shared::audit_json(r.old_value.as_ref()))
                        .bind(shared::audit_json(r.new_value.as_ref()))
                        .bind(&r.ip)
                        .bind(&r.user_agent)
                        .bind(&r.request_id)
                        .bind(&entry.prev_hash)
                        .bind(&entry.hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(entry)
                }

                async fn list_audit(&self, filter: &AuditFilter, before_seq: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                    let (text, binds) = shared::list_audit_query(filter, before_seq, limit);
                    let mut query = sqlx::query_as::<_, shared::AuditRow>(&text);
                    for value in binds {
                        query = match value {
                            shared::Bind::Text(s) => query.bind(s),
                            shared::Bind::Int(n) => query.bind(n),
                        };
                    }
                    let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::audit_entry_from_row).collect()
                }

                async fn audit_chain(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                    let rows: Vec<shared::AuditRow> = sqlx::query_as(sql::AUDIT_CHAIN)
                        .bind(after_seq)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::audit_entry_from_row).collect()
                }
            }

            #[async_trait]
            impl PasswordResetRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
                async fn create_reset(&self, token_hash: &str, user_id: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_RESET)
                        .bind(token_hash)
                        .bind(user_id)
                        .bind(expires_at_ms)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all)]
                async fn consume_reset(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<String>> {
                    let users: Vec<String> =
                        sqlx::query_scalar(sql::CONSUME_RESET).bind(token_hash).bind(now_ms).fetch_all(&self.pool).await.map_err(db_err)?;
                    Ok(users.into_iter().next())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
                async fn delete_resets_of_user(&self, user_id: &str) -> StoreResult<u64> {
                    let done = sqlx::query(sql::DELETE_RESETS_OF_USER).bind(user_id).execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_query_binds_only_the_filters_set() {
        let (text, binds) = list_audit_query(&AuditFilter::default(), None, 50);
        assert!(text.ends_with("FROM audit_log ORDER BY seq DESC LIMIT $1"), "{text}");
        assert_eq!(binds, vec![Bind::Int(50)]);

        let filter = AuditFilter { action: Some("user.login".into()), project_id: Some("p1".into()), to_ms: Some(9), ..Default::default() };
        let (text, binds) = list_audit_query(&filter, Some(100), 20);
        assert!(text.ends_with("WHERE action = $1 AND project_id = $2 AND time_ms < $3 AND seq < $4 ORDER BY seq DESC LIMIT $5"), "{text}");
        assert_eq!(binds, vec![Bind::Text("user.login".into()), Bind::Text("p1".into()), Bind::Int(9), Bind::Int(100), Bind::Int(20)]);
    }

    #[test]
    fn the_chain_starts_at_genesis_and_links() {
        let record = AuditRecord {
            time_ms: 1,
            actor_user_id: None,
            actor_label: "system".into(),
            action: "a".into(),
            entity_type: "t".into(),
            entity_id: "1".into(),
            project_id: None,
            old_value: None,
            new_value: Some(serde_json::json!({"k": [1, 2.5, "x"]})),
            ip: None,
            user_agent: None,
            request_id: None,
        };
        let first = next_audit_entry(None, record.clone());
        assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS_HASH));
        let second = next_audit_entry(Some((first.seq, first.hash.clone())), record);
        assert_eq!((second.seq, &second.prev_hash), (2, &first.hash));
        assert_eq!(second.hash, entry_hash(&first.hash, 2, &second.record));
    }
}
