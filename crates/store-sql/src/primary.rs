//! The primary store (users, sessions, job queue) for every sqlx backend.
//!
//! Both schemas use the same table and column names and store times as
//! `i64` Unix milliseconds, and sqlx binds `$1`-style parameters on SQLite
//! too, so one SQL text serves both databases. Where they differ (row locking
//! for the job queue) a [`Dialect`] carries the variant.
//!
//! The port is implemented by [`impl_primary_store!`](crate::impl_primary_store)
//! for a concrete store type that has a `pool` field: writing it once as
//! generic sqlx code would need a long list of higher-ranked bounds on every
//! impl, while the macro expands to plain, concretely-typed sqlx calls that
//! the compiler checks per backend.

use domain::{Email, GlobalRole, JobId, JobStatus};
use services::{
    ports::{JobRecord, LeasedJob, NewUser, User},
    StoreError,
};
use sqlx::types::Json;

/// What differs between the SQL dialects.
#[derive(Debug)]
pub struct Dialect {
    /// `PrimaryStore::backend()`.
    pub backend: &'static str,
    /// Marks running jobs whose lease expired with no attempt left as failed.
    /// Binds: `$1` now.
    pub fail_exhausted_leases: &'static str,
    /// Leases the oldest runnable job. Binds: `$1` worker, `$2` now, `$3`
    /// lease expiry. Returns a [`LeasedRow`] or nothing.
    pub lease_next_job: &'static str,
}

/// Both job-queue statements, with `$lock` after the row-picking subquery:
/// PostgreSQL locks the picked rows and skips those another transaction holds,
/// SQLite needs nothing (one writer at a time, and each statement is atomic).
macro_rules! job_queue_dialect {
    ($backend:literal, $lock:literal) => {
        Dialect {
            backend: $backend,
            fail_exhausted_leases: concat!(
                "UPDATE jobs SET status = 'failed', lease_expires_at_ms = NULL, ",
                "last_error = 'lease expired after ' || attempts || ' attempts', updated_at_ms = $1 ",
                "WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at_ms <= $1 ",
                "AND attempts >= max_attempts",
                $lock,
                ")"
            ),
            lease_next_job: concat!(
                "UPDATE jobs SET status = 'running', worker = $1, lease_expires_at_ms = $3, ",
                "attempts = attempts + 1, updated_at_ms = $2 ",
                "WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'running') ",
                "AND ((status = 'queued' AND run_at_ms <= $2) ",
                "OR (status = 'running' AND lease_expires_at_ms <= $2 AND attempts < max_attempts)) ",
                "ORDER BY id LIMIT 1",
                $lock,
                ") RETURNING id, kind, payload, attempts, max_attempts, lease_expires_at_ms"
            ),
        }
    };
}

pub const SQLITE: Dialect = job_queue_dialect!("sqlite", "");
pub const POSTGRES: Dialect = job_queue_dialect!("postgres", " FOR UPDATE SKIP LOCKED");

/// The statements both dialects share.
pub mod sql {
    pub const PING: &str = "SELECT 1";

    pub const INSERT_USER: &str = "INSERT INTO users (id, email, password_hash, role, created_at_ms) VALUES ($1, $2, $3, $4, $5)";
    pub const USER_BY_EMAIL: &str = "SELECT id, email, password_hash, role, created_at_ms FROM users WHERE email = $1";
    pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

    pub const INSERT_SESSION: &str = "INSERT INTO sessions (id, data, expires_at_ms) VALUES ($1, $2, $3)";
    pub const UPSERT_SESSION: &str = "INSERT INTO sessions (id, data, expires_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at_ms = excluded.expires_at_ms";
    pub const LOAD_SESSION: &str = "SELECT data FROM sessions WHERE id = $1 AND expires_at_ms > $2";
    pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";
    pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";

    /// Binds: kind, payload, max_attempts, now.
    pub const ENQUEUE_JOB: &str =
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at_ms, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, 'queued', 0, $3, $4, $4, $4) RETURNING id";
    /// Binds: id, worker, lease expiry, now.
    pub const HEARTBEAT_JOB: &str = "UPDATE jobs SET lease_expires_at_ms = $3, updated_at_ms = $4 \
         WHERE id = $1 AND worker = $2 AND status = 'running'";
    /// Binds: id, worker, now.
    pub const COMPLETE_JOB: &str = "UPDATE jobs SET status = 'succeeded', lease_expires_at_ms = NULL, updated_at_ms = $3 \
         WHERE id = $1 AND worker = $2 AND status = 'running'";
    /// Binds: id, worker, error, now, run_at for a retry. Requeues while
    /// attempts remain (right-hand sides read the row before the update).
    pub const FAIL_JOB: &str = "UPDATE jobs SET \
         status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
         run_at_ms = CASE WHEN attempts < max_attempts THEN $5 ELSE run_at_ms END, \
         worker = CASE WHEN attempts < max_attempts THEN NULL ELSE worker END, \
         lease_expires_at_ms = NULL, last_error = $3, updated_at_ms = $4 \
         WHERE id = $1 AND worker = $2 AND status = 'running' RETURNING status";
    /// Binds: worker. Gives the attempt back: a graceful shutdown is not a failure.
    /// (`updated_at_ms` stays: the port passes no clock here.)
    pub const RELEASE_WORKER_JOBS: &str = "UPDATE jobs SET status = 'queued', worker = NULL, lease_expires_at_ms = NULL, \
         attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
         WHERE worker = $1 AND status = 'running'";
    pub const JOB_BY_ID: &str = "SELECT id, kind, status, attempts, max_attempts, last_error, worker FROM jobs WHERE id = $1";
    pub const JOB_EXISTS: &str = "SELECT id FROM jobs WHERE id = $1";
    pub const QUEUE_DEPTH: &str = "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')";
}

/// `id, email, password_hash, role, created_at_ms`.
pub type UserRow = (String, String, String, String, i64);
/// `id, kind, payload, attempts, max_attempts, lease_expires_at_ms`.
pub type LeasedRow = (i64, String, Json<serde_json::Value>, i64, i64, i64);
/// `id, kind, status, attempts, max_attempts, last_error, worker`.
pub type JobRow = (i64, String, String, i64, i64, Option<String>, Option<String>);

/// The row a new user becomes (ids are UUID v7: unique and time-ordered).
pub fn new_user(user: NewUser, now_ms: i64) -> User {
    User {
        id: uuid::Uuid::now_v7().to_string(),
        email: user.email,
        password_hash: user.password_hash,
        role: user.role,
        created_at_ms: now_ms,
    }
}

pub fn user_from_row((id, email, password_hash, role, created_at_ms): UserRow) -> Result<User, StoreError> {
    let email = Email::parse(&email).map_err(|e| corrupt("users.email", e))?;
    let role = GlobalRole::parse(&role).ok_or_else(|| corrupt("users.role", role))?;
    Ok(User { id, email, password_hash, role, created_at_ms })
}

pub fn leased_job_from_row(
    (id, kind, Json(payload), attempts, max_attempts, lease_expires_at_ms): LeasedRow,
) -> Result<LeasedJob, StoreError> {
    Ok(LeasedJob {
        id: JobId(id),
        kind,
        payload,
        attempt: to_u32("jobs.attempts", attempts)?,
        max_attempts: to_u32("jobs.max_attempts", max_attempts)?,
        lease_expires_at_ms,
    })
}

pub fn job_from_row((id, kind, status, attempts, max_attempts, last_error, worker): JobRow) -> Result<JobRecord, StoreError> {
    Ok(JobRecord {
        id: JobId(id),
        kind,
        status: parse_status(&status)?,
        attempts: to_u32("jobs.attempts", attempts)?,
        max_attempts: to_u32("jobs.max_attempts", max_attempts)?,
        last_error,
        worker,
    })
}

pub fn parse_status(status: &str) -> Result<JobStatus, StoreError> {
    JobStatus::parse(status).ok_or_else(|| corrupt("jobs.status", status))
}

/// `max_attempts` as stored: at least one lease.
pub fn max_attempts(n: u32) -> i64 {
    i64::from(n.max(1))
}

/// `duration_ms` after `now_ms` (a lease's end, a retry's time); negative
/// durations count as zero.
pub fn ms_after(now_ms: i64, duration_ms: i64) -> i64 {
    now_ms.saturating_add(duration_ms.max(0))
}

/// Why a job update by `worker` matched no row: the job is gone, or the
/// worker no longer holds it (lease taken over, job finished or released).
pub fn lost_lease(job_exists: bool, id: JobId, worker: &str) -> StoreError {
    if job_exists {
        StoreError::Conflict(format!("job {} is not held by worker {worker}", id.0))
    } else {
        StoreError::NotFound
    }
}

pub fn to_u64(what: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(what, n))
}

fn to_u32(what: &str, n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(what, n))
}

fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("unexpected value in {what}: {value}"))
}

/// Implements `PrimaryStore` (and `UserRepo`, `SessionRecords`, `JobQueue`)
/// for a store type with a `pool: sqlx::Pool<_>` field, in the crate that
/// defines it:
///
/// ```ignore
/// static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
/// store_sql::impl_primary_store!(SqlitePrimaryStore, store_sql::primary::SQLITE, MIGRATOR);
/// ```
///
/// Statements that return rows are read with `fetch_all`, so each one runs to
/// completion (and, in autocommit, commits) before the call returns.
#[macro_export]
macro_rules! impl_primary_store {
    ($store:ty, $dialect:expr, $migrator:expr) => {
        const _: () = {
            use $crate::__private::domain::{Email, JobId, JobStatus, NewJob};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{JobQueue, JobRecord, LeasedJob, NewUser, PrimaryStore, SessionRecords, User, UserRepo},
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::map_sqlx_error as db_err;
            use $crate::primary::{self as shared, sql};

            impl $store {
                /// `Ok` when the update that touched `changed` rows found the
                /// job held by `worker`; otherwise `NotFound` or `Conflict`.
                async fn ensure_job_held(&self, changed: u64, id: JobId, worker: &str) -> StoreResult<()> {
                    if changed > 0 {
                        Ok(())
                    } else {
                        Err(self.job_not_held(id, worker).await)
                    }
                }

                async fn job_not_held(&self, id: JobId, worker: &str) -> $crate::__private::services::StoreError {
                    match sqlx::query_scalar::<_, i64>(sql::JOB_EXISTS).bind(id.0).fetch_optional(&self.pool).await {
                        Ok(found) => shared::lost_lease(found.is_some(), id, worker),
                        Err(e) => db_err(e),
                    }
                }
            }

            #[async_trait]
            impl PrimaryStore for $store {
                fn backend(&self) -> &'static str {
                    $dialect.backend
                }

                async fn migrate(&self) -> StoreResult<()> {
                    $migrator.run(&self.pool).await.map_err($crate::map_migrate_error)
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query(sql::PING).execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl UserRepo for $store {
                #[tracing::instrument(level = "debug", skip_all)]
                async fn create_user(&self, user: NewUser, now_ms: i64) -> StoreResult<User> {
                    let user = shared::new_user(user, now_ms);
                    sqlx::query(sql::INSERT_USER)
                        .bind(&user.id)
                        .bind(user.email.as_str())
                        .bind(&user.password_hash)
                        .bind(user.role.as_str())
                        .bind(user.created_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(user)
                }

                #[tracing::instrument(level = "debug", skip_all)]
                async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
                    let row: Option<shared::UserRow> =
                        sqlx::query_as(sql::USER_BY_EMAIL).bind(email.as_str()).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::user_from_row).transpose()
                }

                async fn count_users(&self) -> StoreResult<u64> {
                    let n: i64 = sqlx::query_scalar(sql::COUNT_USERS).fetch_one(&self.pool).await.map_err(db_err)?;
                    shared::to_u64("COUNT(users)", n)
                }
            }

            #[async_trait]
            impl SessionRecords for $store {
                async fn create_session(&self, id: &str, data: &[u8], expires_at_ms: i64) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_SESSION).bind(id).bind(data).bind(expires_at_ms).execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn save_session(&self, id: &str, data: &[u8], expires_at_ms: i64) -> StoreResult<()> {
                    sqlx::query(sql::UPSERT_SESSION).bind(id).bind(data).bind(expires_at_ms).execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn load_session(&self, id: &str, now_ms: i64) -> StoreResult<Option<Vec<u8>>> {
                    sqlx::query_scalar(sql::LOAD_SESSION).bind(id).bind(now_ms).fetch_optional(&self.pool).await.map_err(db_err)
                }

                async fn delete_session(&self, id: &str) -> StoreResult<()> {
                    sqlx::query(sql::DELETE_SESSION).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    Ok(())
                }

                async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
                    let done = sqlx::query(sql::DELETE_EXPIRED_SESSIONS).bind(now_ms).execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }
            }

            #[async_trait]
            impl JobQueue for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(kind = %job.kind))]
                async fn enqueue_job(&self, job: &NewJob, now_ms: i64) -> StoreResult<JobId> {
                    let ids: Vec<i64> = sqlx::query_scalar(sql::ENQUEUE_JOB)
                        .bind(&job.kind)
                        .bind(sqlx::types::Json(&job.payload))
                        .bind(shared::max_attempts(job.max_attempts))
                        .bind(now_ms)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    ids.first().map(|&id| JobId(id)).ok_or_else(|| db_err(sqlx::Error::RowNotFound))
                }

                #[tracing::instrument(level = "debug", skip_all, fields(worker = %worker))]
                async fn lease_job(&self, worker: &str, now_ms: i64, lease_ms: i64) -> StoreResult<Option<LeasedJob>> {
                    sqlx::query($dialect.fail_exhausted_leases).bind(now_ms).execute(&self.pool).await.map_err(db_err)?;
                    let rows: Vec<shared::LeasedRow> = sqlx::query_as($dialect.lease_next_job)
                        .bind(worker)
                        .bind(now_ms)
                        .bind(shared::ms_after(now_ms, lease_ms))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().next().map(shared::leased_job_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = id.0, worker = %worker))]
                async fn heartbeat_job(&self, id: JobId, worker: &str, now_ms: i64, lease_ms: i64) -> StoreResult<()> {
                    let done = sqlx::query(sql::HEARTBEAT_JOB)
                        .bind(id.0)
                        .bind(worker)
                        .bind(shared::ms_after(now_ms, lease_ms))
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.ensure_job_held(done.rows_affected(), id, worker).await
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = id.0, worker = %worker))]
                async fn complete_job(&self, id: JobId, worker: &str, now_ms: i64) -> StoreResult<()> {
                    let done =
                        sqlx::query(sql::COMPLETE_JOB).bind(id.0).bind(worker).bind(now_ms).execute(&self.pool).await.map_err(db_err)?;
                    self.ensure_job_held(done.rows_affected(), id, worker).await
                }

                #[tracing::instrument(level = "debug", skip_all, fields(job_id = id.0, worker = %worker))]
                async fn fail_job(&self, id: JobId, worker: &str, error: &str, now_ms: i64, retry_delay_ms: i64) -> StoreResult<JobStatus> {
                    let statuses: Vec<String> = sqlx::query_scalar(sql::FAIL_JOB)
                        .bind(id.0)
                        .bind(worker)
                        .bind(error)
                        .bind(now_ms)
                        .bind(shared::ms_after(now_ms, retry_delay_ms))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    match statuses.first() {
                        Some(status) => shared::parse_status(status),
                        None => Err(self.job_not_held(id, worker).await),
                    }
                }

                #[tracing::instrument(level = "debug", skip_all, fields(worker = %worker))]
                async fn release_worker_jobs(&self, worker: &str) -> StoreResult<u64> {
                    let done = sqlx::query(sql::RELEASE_WORKER_JOBS).bind(worker).execute(&self.pool).await.map_err(db_err)?;
                    Ok(done.rows_affected())
                }

                async fn job(&self, id: JobId) -> StoreResult<Option<JobRecord>> {
                    let row: Option<shared::JobRow> =
                        sqlx::query_as(sql::JOB_BY_ID).bind(id.0).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::job_from_row).transpose()
                }

                async fn queue_depth(&self) -> StoreResult<u64> {
                    let n: i64 = sqlx::query_scalar(sql::QUEUE_DEPTH).fetch_one(&self.pool).await.map_err(db_err)?;
                    shared::to_u64("COUNT(jobs)", n)
                }
            }
        };
    };
}
