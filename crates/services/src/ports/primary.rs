use crate::error::StoreResult;
use async_trait::async_trait;
use domain::{Email, GlobalRole, JobId, JobStatus, NewJob};

pub use super::accounts::{
    ApiKeyRecord, ApiKeyRepo, AuditEntry, AuditFilter, AuditLog, Member, NewApiKey, NewPlan, NewProject, PasswordResetRepo, Plan, PlanRepo,
    Project, ProjectRepo, SessionInfo,
};

/// The transactional store: users, sessions, jobs (and, later, projects, KB,
/// tests, audit). SQLite by default, PostgreSQL when scaled out.
#[async_trait]
pub trait PrimaryStore:
    UserRepo
    + SessionRecords
    + JobQueue
    + ProjectRepo
    + ApiKeyRepo
    + AuditLog
    + PlanRepo
    + PasswordResetRepo
    + super::prices::PriceRepo
    + super::prices::RetentionRepo
    + super::llm_config::ProviderKeyRepo
    + super::llm_config::PersonaRepo
    + super::llm_config::ConversationRepo
    + super::datasets::DatasetRepo
    + super::testcases::TestCaseRepo
    + super::kb::KbRepo
    + Send
    + Sync
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
    /// Apply pending migrations (idempotent).
    async fn migrate(&self) -> StoreResult<()>;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub role: GlobalRole,
    /// Set when an admin chose the password: the user must change it.
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub role: GlobalRole,
    pub created_at_ms: i64,
    pub disabled: bool,
    pub must_change_password: bool,
    /// Consecutive failed logins since the last success.
    pub failed_logins: u32,
    /// Logins are refused until then (lockout).
    pub locked_until_ms: Option<i64>,
    /// Bumped at every password change (invalidates reset tokens, sessions).
    pub password_changed_at_ms: i64,
}

#[async_trait]
pub trait UserRepo {
    /// `Conflict` when the e-mail is taken.
    async fn create_user(&self, user: NewUser, now_ms: i64) -> StoreResult<User>;
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn count_users(&self) -> StoreResult<u64>;
    /// All users, by e-mail.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// `NotFound` for an unknown id. Also clears the failed-login counter and lock.
    async fn set_password(&self, id: &str, password_hash: &str, must_change: bool, now_ms: i64) -> StoreResult<()>;
    async fn set_user_disabled(&self, id: &str, disabled: bool) -> StoreResult<()>;
    async fn set_user_role(&self, id: &str, role: GlobalRole) -> StoreResult<()>;
    async fn set_user_name(&self, id: &str, name: &str) -> StoreResult<()>;
    /// Count a failed login (atomically) and set the lock; returns the new count.
    async fn record_login_failure(&self, id: &str, locked_until_ms: Option<i64>) -> StoreResult<u32>;
    /// After a successful login.
    async fn clear_login_failures(&self, id: &str) -> StoreResult<()>;
}

/// Raw session rows for the tower-sessions adapter (which owns encoding).
/// `user_id` is copied out of the data so a user's sessions can be listed
/// and revoked.
#[async_trait]
pub trait SessionRecords {
    /// `Conflict` if `id` exists (tower-sessions then picks another id).
    async fn create_session(&self, id: &str, user_id: Option<&str>, data: &[u8], expires_at_ms: i64) -> StoreResult<()>;
    /// Insert or replace.
    async fn save_session(&self, id: &str, user_id: Option<&str>, data: &[u8], expires_at_ms: i64) -> StoreResult<()>;
    /// `None` when missing or expired at `now_ms`.
    async fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>>;
    async fn delete_session(&self, id: &str) -> StoreResult<()>;
    /// Returns how many expired rows were removed.
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
    /// A user's unexpired sessions (raw data, for the adapter to decode).
    async fn user_sessions(&self, user_id: &str, now_ms: i64) -> StoreResult<Vec<SessionInfo>>;
    /// Revoke every session of `user_id` except `keep`; returns how many.
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeasedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 on the first run, incremented at every lease.
    pub attempt: u32,
    pub max_attempts: u32,
    pub lease_expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub status: JobStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub worker: Option<String>,
}

/// A durable job queue with leases. A job is held by one worker at a time;
/// when a lease expires (worker died) the job can be leased again, until
/// `max_attempts` leases have been used, after which it is marked failed.
#[async_trait]
pub trait JobQueue {
    async fn enqueue_job(&self, job: &NewJob, now_ms: i64) -> StoreResult<JobId>;
    /// Lease the oldest runnable job: queued and due, or running with an
    /// expired lease. `None` when there is nothing to do.
    async fn lease_job(&self, worker: &str, now_ms: i64, lease_ms: i64) -> StoreResult<Option<LeasedJob>>;
    /// Extend a lease. `Conflict` when `worker` no longer holds the job.
    async fn heartbeat_job(&self, id: JobId, worker: &str, now_ms: i64, lease_ms: i64) -> StoreResult<()>;
    /// `Conflict` when `worker` no longer holds the job.
    async fn complete_job(&self, id: JobId, worker: &str, now_ms: i64) -> StoreResult<()>;
    /// Record a failure; requeue after `retry_delay_ms` if attempts remain.
    /// Returns the job's new status (`Queued` or `Failed`).
    async fn fail_job(&self, id: JobId, worker: &str, error: &str, now_ms: i64, retry_delay_ms: i64) -> StoreResult<JobStatus>;
    /// Give back every job `worker` holds (graceful shutdown); they are
    /// queued again without using up an attempt.
    async fn release_worker_jobs(&self, worker: &str) -> StoreResult<u64>;
    async fn job(&self, id: JobId) -> StoreResult<Option<JobRecord>>;
    /// Jobs queued or running (for `/metrics`).
    async fn queue_depth(&self) -> StoreResult<u64>;
}
