//! The primary store (users, sessions, job queue; projects, API keys, plans
//! and the audit log in [`accounts`](crate::accounts)) for every sqlx backend.
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
    ports::{JobRecord, LeasedJob, NewUser, SessionInfo, User},
    StoreError,
};
use sqlx::types::Json;

/// What differs between the SQL dialects.
#[derive(Debug)]
pub struct Dialect {
    /// `PrimaryStore::backend()`.
    pub backend: &'static str,
    /// Starts the transaction that appends to the audit chain. SQLite:
    /// `BEGIN IMMEDIATE` takes the database's write lock up front, so two
    /// appends never read the same chain head.
    pub begin_audit_append: &'static str,
    /// Then run inside that transaction, if any. PostgreSQL: a table lock
    /// that only one appender holds at a time (readers are not blocked),
    /// released at commit or rollback.
    pub lock_audit_chain: Option<&'static str>,
    /// Run first in a membership change (after `begin_audit_append`, which
    /// serialises writers on SQLite). PostgreSQL: lock the project's row so
    /// two owners demoting each other cannot both pass the last-owner check.
    /// Binds: `$1` project id.
    pub lock_project: Option<&'static str>,
    /// Marks running jobs whose lease expired with no attempt left as failed.
    /// Binds: `$1` now.
    pub fail_exhausted_leases: &'static str,
    /// Leases the oldest runnable job. Binds: `$1` worker, `$2` now, `$3`
    /// lease expiry. Returns a [`LeasedRow`] or nothing.
    pub lease_next_job: &'static str,
}

/// A [`Dialect`]: both job-queue statements, with `$lock` after the
/// row-picking subquery (PostgreSQL locks the picked rows and skips those
/// another transaction holds, SQLite needs nothing: one writer at a time, and
/// each statement is atomic), and how an audit append is serialised.
macro_rules! dialect {
    ($backend:literal, $lock:literal, $begin_audit:literal, $lock_audit:expr, $lock_project:expr) => {
        Dialect {
            backend: $backend,
            begin_audit_append: $begin_audit,
            lock_audit_chain: $lock_audit,
            lock_project: $lock_project,
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

pub const SQLITE: Dialect = dialect!("sqlite", "", "BEGIN IMMEDIATE", None, None);
pub const POSTGRES: Dialect = dialect!(
    "postgres",
    " FOR UPDATE SKIP LOCKED",
    "BEGIN",
    Some("LOCK TABLE audit_log IN EXCLUSIVE MODE"),
    Some("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
);

/// The columns a [`UserRow`] is read from.
macro_rules! user_columns {
    () => {
        "id, email, password_hash, role, created_at_ms, name, disabled, must_change_password, failed_logins, \
         locked_until_ms, password_changed_at_ms"
    };
}

/// The statements both dialects share.
pub mod sql {
    pub const PING: &str = "SELECT 1";

    /// Binds: id, email, password_hash, role, now, name, must_change_password.
    pub const INSERT_USER: &str = "INSERT INTO users (id, email, password_hash, role, created_at_ms, name, disabled, \
         must_change_password, failed_logins, locked_until_ms, password_changed_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, 0, NULL, $5)";
    pub const USER_BY_EMAIL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
    pub const USER_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
    pub const LIST_USERS: &str = concat!("SELECT ", user_columns!(), " FROM users ORDER BY email");
    pub const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
    /// Binds: id, hash, must_change, now.
    pub const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at_ms = $4, \
         failed_logins = 0, locked_until_ms = NULL WHERE id = $1";
    pub const SET_USER_DISABLED: &str = "UPDATE users SET disabled = $2 WHERE id = $1";
    pub const SET_USER_ROLE: &str = "UPDATE users SET role = $2 WHERE id = $1";
    pub const SET_USER_NAME: &str = "UPDATE users SET name = $2 WHERE id = $1";
    /// Binds: id, lock end or NULL. One statement, so concurrent failures all
    /// count; a lock is only ever extended here, never shortened or lifted.
    pub const RECORD_LOGIN_FAILURE: &str = "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until_ms = CASE WHEN $2 IS NULL THEN locked_until_ms \
         WHEN locked_until_ms IS NULL OR locked_until_ms < $2 THEN $2 ELSE locked_until_ms END \
         WHERE id = $1 RETURNING failed_logins";
    pub const CLEAR_LOGIN_FAILURES: &str = "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE id = $1";

    /// Binds: id, user_id, data, expiry.
    pub const INSERT_SESSION: &str = "INSERT INTO sessions (id, user_id, data, expires_at_ms) VALUES ($1, $2, $3, $4)";
    pub const UPSERT_SESSION: &str = "INSERT INTO sessions (id, user_id, data, expires_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, expires_at_ms = excluded.expires_at_ms";
    pub const LOAD_SESSION: &str = "SELECT data FROM sessions WHERE id = $1 AND expires_at_ms > $2";
    pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";
    pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";
    /// Binds: user_id, now. Longest-lived first.
    pub const USER_SESSIONS: &str = "SELECT id, data, expires_at_ms FROM sessions WHERE user_id = $1 AND expires_at_ms > $2 \
         ORDER BY expires_at_ms DESC, id";
    /// Binds: user_id, the session to keep or NULL.
    pub const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR id <> $2)";

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

/// `id, email, password_hash, role, created_at_ms, name, disabled,
/// must_change_password, failed_logins, locked_until_ms, password_changed_at_ms`.
pub type UserRow = (String, String, String, String, i64, String, bool, bool, i64, Option<i64>, i64);
/// `id, data, expires_at_ms`.
pub type SessionRow = (String, Vec<u8>, i64);
/// `id, kind, payload, attempts, max_attempts, lease_expires_at_ms`.
pub type LeasedRow = (i64, String, Json<serde_json::Value>, i64, i64, i64);
/// `id, kind, status, attempts, max_attempts, last_error, worker`.
pub type JobRow = (i64, String, String, i64, i64, Option<String>, Option<String>);

/// The row a new user becomes (ids are UUID v7: unique and time-ordered).
pub fn new_user(user: NewUser, now_ms: i64) -> User {
    User {
        id: new_id(),
        email: user.email,
        name: user.name,
        password_hash: user.password_hash,
        role: user.role,
        created_at_ms: now_ms,
        disabled: false,
        must_change_password: user.must_change_password,
        failed_logins: 0,
        locked_until_ms: None,
        password_changed_at_ms: now_ms,
    }
}

/// A new row id: UUID v7, unique and time-ordered.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn user_from_row(row: UserRow) -> Result<User, StoreError> {
    let (
        id,
        email,
        password_hash,
        role,
        created_at_ms,
        name,
        disabled,
        must_change_password,
        failed_logins,
        locked_until_ms,
        password_changed_at_ms,
    ) = row;
    let email = Email::parse(&email).map_err(|e| corrupt("users.email", e))?;
    let role = GlobalRole::parse(&role).ok_or_else(|| corrupt("users.role", role))?;
    Ok(User {
        id,
        email,
        name,
        password_hash,
        role,
        created_at_ms,
        disabled,
        must_change_password,
        failed_logins: to_u32("users.failed_logins", failed_logins)?,
        locked_until_ms,
        password_changed_at_ms,
    })
}

pub fn session_from_row((id, data, expires_at_ms): SessionRow) -> SessionInfo {
    SessionInfo { id, data, expires_at_ms }
}

/// An update or delete by id that touched no row: the id is unknown.
pub fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected > 0 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
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

pub fn to_u32(what: &str, n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(what, n))
}

pub(crate) fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("unexpected value in {what}: {value}"))
}

/// Implements `PrimaryStore` (and `UserRepo`, `SessionRecords`, `JobQueue`;
/// `ProjectRepo`, `ApiKeyRepo`, `PlanRepo` and `AuditLog` through
/// [`impl_account_repos!`](crate::impl_account_repos)) for a store type with
/// a `pool: sqlx::Pool<_>` field, in the crate that defines it:
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
            use $crate::__private::domain::{Email, GlobalRole, JobId, JobStatus, NewJob};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{JobQueue, JobRecord, LeasedJob, NewUser, PrimaryStore, SessionInfo, SessionRecords, User, UserRepo},
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::map_sqlx_error as db_err;
            use $crate::primary::{self as shared, sql};

            impl $store {
                /// The outcome of a compare-and-set `UPDATE … WHERE project_id AND id AND <expected>`
                /// that changed `affected` rows: `Ok` for one; else `NotFound` when `exists` (a
                /// `COUNT(*)` bound with project id and id) finds nothing, else `Conflict(why())`.
                async fn compare_and_set(
                    &self,
                    affected: u64,
                    exists: &str,
                    project_id: &str,
                    id: &str,
                    why: impl FnOnce() -> String,
                ) -> StoreResult<()> {
                    if affected == 1 {
                        return Ok(());
                    }
                    let (n,): (i64,) = sqlx::query_as(exists).bind(project_id).bind(id).fetch_one(&self.pool).await.map_err(db_err)?;
                    if n == 0 {
                        Err($crate::__private::services::StoreError::NotFound)
                    } else {
                        Err($crate::__private::services::StoreError::Conflict(why()))
                    }
                }

                /// `statement` binds: id, user_id, data, expiry.
                async fn write_session(
                    &self,
                    statement: &'static str,
                    id: &str,
                    user_id: Option<&str>,
                    data: &[u8],
                    expires_at_ms: i64,
                ) -> StoreResult<()> {
                    sqlx::query(statement)
                        .bind(id)
                        .bind(user_id)
                        .bind(data)
                        .bind(expires_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(())
                }

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
                        .bind(&user.name)
                        .bind(user.must_change_password)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    Ok(user)
                }

                async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
                    let row: Option<shared::UserRow> =
                        sqlx::query_as(sql::USER_BY_ID).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::user_from_row).transpose()
                }

                async fn list_users(&self) -> StoreResult<Vec<User>> {
                    let rows: Vec<shared::UserRow> = sqlx::query_as(sql::LIST_USERS).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::user_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
                async fn set_password(&self, id: &str, password_hash: &str, must_change: bool, now_ms: i64) -> StoreResult<()> {
                    let done = sqlx::query(sql::SET_PASSWORD)
                        .bind(id)
                        .bind(password_hash)
                        .bind(must_change)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    shared::found(done.rows_affected())
                }

                async fn set_user_disabled(&self, id: &str, disabled: bool) -> StoreResult<()> {
                    let done = sqlx::query(sql::SET_USER_DISABLED).bind(id).bind(disabled).execute(&self.pool).await.map_err(db_err)?;
                    shared::found(done.rows_affected())
                }

                async fn set_user_role(&self, id: &str, role: GlobalRole) -> StoreResult<()> {
                    let done = sqlx::query(sql::SET_USER_ROLE).bind(id).bind(role.as_str()).execute(&self.pool).await.map_err(db_err)?;
                    shared::found(done.rows_affected())
                }

                async fn set_user_name(&self, id: &str, name: &str) -> StoreResult<()> {
                    let done = sqlx::query(sql::SET_USER_NAME).bind(id).bind(name).execute(&self.pool).await.map_err(db_err)?;
                    shared::found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
                async fn record_login_failure(&self, id: &str, locked_until_ms: Option<i64>) -> StoreResult<u32> {
                    let counts: Vec<i64> = sqlx::query_scalar(sql::RECORD_LOGIN_FAILURE)
                        .bind(id)
                        .bind(locked_until_ms)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    let count = counts.first().copied().ok_or($crate::__private::services::StoreError::NotFound)?;
                    shared::to_u32("users.failed_logins", count)
                }

                async fn clear_login_failures(&self, id: &str) -> StoreResult<()> {
                    let done = sqlx::query(sql::CLEAR_LOGIN_FAILURES).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    shared::found(done.rows_affected())
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
                async fn create_session(&self, id: &str, user_id: Option<&str>, data: &[u8], expires_at_ms: i64) -> StoreResult<()> {
                    self.write_session(sql::INSERT_SESSION, id, user_id, data, expires_at_ms).await
                }

                async fn save_session(&self, id: &str, user_id: Option<&str>, data: &[u8], expires_at_ms: i64) -> StoreResult<()> {
                    self.write_session(sql::UPSERT_SESSION, id, user_id, data, expires_at_ms).await
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

                async fn user_sessions(&self, user_id: &str, now_ms: i64) -> StoreResult<Vec<SessionInfo>> {
                    let rows: Vec<shared::SessionRow> =
                        sqlx::query_as(sql::USER_SESSIONS).bind(user_id).bind(now_ms).fetch_all(&self.pool).await.map_err(db_err)?;
                    Ok(rows.into_iter().map(shared::session_from_row).collect())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(user_id = %user_id))]
                async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> StoreResult<u64> {
                    let done = sqlx::query(sql::DELETE_USER_SESSIONS).bind(user_id).bind(keep).execute(&self.pool).await.map_err(db_err)?;
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
        $crate::impl_account_repos!($store, $dialect);
    };
}
