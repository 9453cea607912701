use crate::error::StoreResult;
use async_trait::async_trait;
use domain::{Email, GlobalRole, JobId, JobStatus, NewJob};

/// The transactional store: users, sessions, jobs (and, later, projects, KB,
/// tests, audit). SQLite by default, PostgreSQL when scaled out.
#[async_trait]
pub trait PrimaryStore: UserRepo + SessionRecords + JobQueue + Send + Sync {
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
    pub password_hash: String,
    pub role: GlobalRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: Email,
    pub password_hash: String,
    pub role: GlobalRole,
    pub created_at_ms: i64,
}

#[async_trait]
pub trait UserRepo {
    /// `Conflict` when the e-mail is taken.
    async fn create_user(&self, user: NewUser, now_ms: i64) -> StoreResult<User>;
    async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>>;
    async fn count_users(&self) -> StoreResult<u64>;
}

/// Raw session rows for the tower-sessions adapter (which owns encoding).
#[async_trait]
pub trait SessionRecords {
    /// `Conflict` if `id` exists (tower-sessions then picks another id).
    async fn create_session(&self, id: &str, data: &[u8], expires_at_ms: i64) -> StoreResult<()>;
    /// Insert or replace.
    async fn save_session(&self, id: &str, data: &[u8], expires_at_ms: i64) -> StoreResult<()>;
    /// `None` when missing or expired at `now_ms`.
    async fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>>;
    async fn delete_session(&self, id: &str) -> StoreResult<()>;
    /// Returns how many expired rows were removed.
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
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
