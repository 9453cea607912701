//! Test cases, comments, suites and runs for every sqlx backend: SQL, row conversions and
//! [`impl_testcase_repo!`](crate::impl_testcase_repo). What is filtered, ordered or
//! compared-and-set on is a column; the rest of a case, run or suite run is JSON text in
//! `record`, and the columns win over the copies in it (a status change touches only columns).

use crate::{accounts::Bind, datasets::to_i64, primary::corrupt};
use domain::testcases::{CaseComment, CaseStatus, RunStatus, Suite, SuiteRun, SuiteRunCounts, TestCase, TestRun};
use services::{ports::CaseFilter, StoreError};

macro_rules! case_columns {
    () => {
        "c.status, c.version, c.created_by, c.created_at_ms, c.updated_at_ms, c.record"
    };
}

macro_rules! run_columns {
    () => {
        "r.case_id, r.suite_run_id, r.status, r.finished_at_ms, r.record"
    };
}

macro_rules! suite_run_columns {
    () => {
        "s.status, s.finished_at_ms, s.record"
    };
}

pub mod sql {
    pub const INSERT_CASE: &str = "INSERT INTO test_cases (id, project_id, status, version, name, feature, tags_text, record, \
                                   secret_headers, created_by, created_at_ms, updated_at_ms) \
                                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    /// Binds: project, id, status, version, name, feature, tags_text, record, updated_at, expected version.
    pub const UPDATE_CASE: &str = "UPDATE test_cases SET status = $3, version = $4, name = $5, feature = $6, tags_text = $7, \
                                   record = $8, updated_at_ms = $9 WHERE project_id = $1 AND id = $2 AND version = $10";
    /// As [`UPDATE_CASE`], and `$11` the new secret headers (or NULL).
    pub const UPDATE_CASE_AND_SECRETS: &str = "UPDATE test_cases SET status = $3, version = $4, name = $5, feature = $6, \
                                               tags_text = $7, record = $8, updated_at_ms = $9, secret_headers = $11 \
                                               WHERE project_id = $1 AND id = $2 AND version = $10";
    pub const CASE: &str = concat!("SELECT ", case_columns!(), " FROM test_cases c WHERE c.project_id = $1 AND c.id = $2");
    pub const CASE_SECRETS: &str = "SELECT secret_headers FROM test_cases WHERE project_id = $1 AND id = $2";
    pub const CASE_EXISTS: &str = "SELECT COUNT(*) FROM test_cases WHERE project_id = $1 AND id = $2";
    /// Comments, runs and suite memberships go by `ON DELETE CASCADE`.
    pub const DELETE_CASE: &str = "DELETE FROM test_cases WHERE project_id = $1 AND id = $2";
    /// Binds: project, id, from, to, now.
    pub const SET_CASE_STATUS: &str =
        "UPDATE test_cases SET status = $4, updated_at_ms = $5 WHERE project_id = $1 AND id = $2 AND status = $3";

    pub const INSERT_COMMENT: &str =
        "INSERT INTO test_case_comments (id, project_id, case_id, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const COMMENTS: &str = "SELECT m.id, m.project_id, m.case_id, m.author_id, u.email, m.body, m.created_at_ms \
                                FROM test_case_comments m LEFT JOIN users u ON u.id = m.author_id \
                                WHERE m.project_id = $1 AND m.case_id = $2 ORDER BY m.created_at_ms, m.id";

    pub const INSERT_SUITE: &str =
        "INSERT INTO test_suites (id, project_id, name, description, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6)";
    pub const UPDATE_SUITE: &str =
        "UPDATE test_suites SET name = $3, description = $4, updated_at_ms = $5 WHERE project_id = $1 AND id = $2";
    pub const SUITE: &str =
        "SELECT id, project_id, name, description, created_at_ms, updated_at_ms FROM test_suites WHERE project_id = $1 AND id = $2";
    pub const SUITES: &str =
        "SELECT id, project_id, name, description, created_at_ms, updated_at_ms FROM test_suites WHERE project_id = $1 ORDER BY name, id";
    pub const DELETE_SUITE: &str = "DELETE FROM test_suites WHERE project_id = $1 AND id = $2";
    pub const INSERT_MEMBER: &str = "INSERT INTO test_suite_cases (project_id, suite_id, case_id, position) VALUES ($1, $2, $3, $4)";
    pub const DELETE_MEMBERS: &str = "DELETE FROM test_suite_cases WHERE project_id = $1 AND suite_id = $2";
    pub const MEMBERS: &str = "SELECT case_id FROM test_suite_cases WHERE project_id = $1 AND suite_id = $2 ORDER BY position";
    pub const PROJECT_MEMBERS: &str = "SELECT suite_id, case_id FROM test_suite_cases WHERE project_id = $1 ORDER BY suite_id, position";

    pub const INSERT_RUN: &str = "INSERT INTO test_runs (id, project_id, case_id, suite_run_id, status, passed, record, \
                                  created_at_ms, updated_at_ms, finished_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    /// Binds: project, id, status, passed, record, updated_at, finished_at, expected status.
    pub const UPDATE_RUN: &str = "UPDATE test_runs SET status = $3, passed = $4, record = $5, updated_at_ms = $6, finished_at_ms = $7 \
                                  WHERE project_id = $1 AND id = $2 AND status = $8";
    pub const RUN: &str = concat!("SELECT ", run_columns!(), " FROM test_runs r WHERE r.project_id = $1 AND r.id = $2");
    pub const RUN_EXISTS: &str = "SELECT COUNT(*) FROM test_runs WHERE project_id = $1 AND id = $2";
    pub const RUNS_OF_CASE: &str = concat!(
        "SELECT ",
        run_columns!(),
        " FROM test_runs r WHERE r.project_id = $1 AND r.case_id = $2 ORDER BY r.created_at_ms DESC, r.id DESC LIMIT $3"
    );
    pub const RUNS_OF_SUITE_RUN: &str = concat!(
        "SELECT ",
        run_columns!(),
        " FROM test_runs r WHERE r.project_id = $1 AND r.suite_run_id = $2 ORDER BY r.created_at_ms, r.id"
    );
    pub const SUITE_RUN_COUNTS: &str =
        "SELECT status, passed, COUNT(*) FROM test_runs WHERE project_id = $1 AND suite_run_id = $2 GROUP BY status, passed";
    /// Binds: project, suite run, now.
    pub const CANCEL_PENDING: &str = "UPDATE test_runs SET status = 'cancelled', updated_at_ms = $3, finished_at_ms = $3 \
                                      WHERE project_id = $1 AND suite_run_id = $2 AND status = 'pending'";

    pub const INSERT_SUITE_RUN: &str = "INSERT INTO suite_runs (id, project_id, suite_id, status, record, created_at_ms, finished_at_ms) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7)";
    /// Binds: project, id, status, record, finished_at, expected status.
    pub const UPDATE_SUITE_RUN: &str = "UPDATE suite_runs SET status = $3, record = $4, finished_at_ms = $5 \
                                        WHERE project_id = $1 AND id = $2 AND status = $6";
    pub const SUITE_RUN: &str = concat!("SELECT ", suite_run_columns!(), " FROM suite_runs s WHERE s.project_id = $1 AND s.id = $2");
    pub const SUITE_RUN_EXISTS: &str = "SELECT COUNT(*) FROM suite_runs WHERE project_id = $1 AND id = $2";
    pub const SUITE_RUNS: &str = concat!(
        "SELECT ",
        suite_run_columns!(),
        " FROM suite_runs s WHERE s.project_id = $1 AND s.suite_id = $2 ORDER BY s.created_at_ms DESC, s.id DESC LIMIT $3"
    );
}

fn invalid(e: serde_json::Error) -> StoreError {
    StoreError::Invalid(e.to_string())
}

pub fn case_record(case: &TestCase) -> Result<String, StoreError> {
    serde_json::to_string(case).map_err(invalid)
}

/// `|tag1|tag2|`, so one tag is found with `LIKE '%|tag|%'`.
pub fn tags_text(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!("|{}|", tags.join("|"))
    }
}

/// `text` as a literal inside a `LIKE ... ESCAPE '\'` pattern.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The case list's query: only the filters that are set, newest update first, one page.
pub fn list_cases_query(project_id: &str, filter: &CaseFilter) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(project_id.to_owned())];
    let mut text = concat!("SELECT ", case_columns!(), " FROM test_cases c WHERE c.project_id = $1").to_owned();
    let mut add = |condition: &str, value: Bind| {
        binds.push(value);
        text.push_str(&format!(" AND {}", condition.replace('?', &format!("${}", binds.len()))));
    };
    if let Some(status) = filter.status {
        add("c.status = ?", Bind::Text(status.as_str().to_owned()));
    }
    if let Some(feature) = &filter.feature {
        add("c.feature = ?", Bind::Text(feature.clone()));
    }
    if let Some(tag) = &filter.tag {
        add("c.tags_text LIKE ? ESCAPE '\\'", Bind::Text(format!("%|{}|%", like_literal(tag))));
    }
    if let Some(search) = &filter.search {
        // LOWER on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
        add("LOWER(c.name) LIKE ? ESCAPE '\\'", Bind::Text(format!("%{}%", like_literal(&search.to_lowercase()))));
    }
    binds.push(Bind::Int(i64::from(filter.limit)));
    binds.push(Bind::Int(i64::from(filter.offset)));
    text.push_str(&format!(" ORDER BY c.updated_at_ms DESC, c.id DESC LIMIT ${} OFFSET ${}", binds.len() - 1, binds.len()));
    (text, binds)
}

/// See `case_columns`.
pub type CaseRow = (String, i64, Option<String>, i64, i64, String);

pub fn case_from_row((status, version, created_by, created_at_ms, updated_at_ms, text): CaseRow) -> Result<TestCase, StoreError> {
    let mut case: TestCase = serde_json::from_str(&text).map_err(|e| corrupt("test_cases.record", e))?;
    case.status = CaseStatus::parse(&status).ok_or_else(|| corrupt("test_cases.status", &status))?;
    case.version = u32::try_from(version).map_err(|_| corrupt("test_cases.version", version))?;
    case.created_by = created_by;
    case.created_at_ms = created_at_ms;
    case.updated_at_ms = updated_at_ms;
    Ok(case)
}

/// See `sql::COMMENTS`.
pub type CommentRow = (String, String, String, Option<String>, Option<String>, String, i64);

pub fn comment_from_row((id, project_id, case_id, author_id, author_email, body, created_at_ms): CommentRow) -> CaseComment {
    CaseComment { id, project_id, case_id, author_id, author_email, body, created_at_ms }
}

/// See `sql::SUITE`; the case ids are read apart.
pub type SuiteRow = (String, String, String, String, i64, i64);

pub fn suite_from_row((id, project_id, name, description, created_at_ms, updated_at_ms): SuiteRow, case_ids: Vec<String>) -> Suite {
    Suite { id, project_id, name, description, case_ids, created_at_ms, updated_at_ms }
}

pub fn position(index: usize) -> Result<i64, StoreError> {
    to_i64("suite position", index as u64)
}

/// See `run_columns`.
pub type RunRow = (String, Option<String>, String, Option<i64>, String);

pub fn run_from_row((case_id, suite_run_id, status, finished_at_ms, text): RunRow) -> Result<TestRun, StoreError> {
    let mut run: TestRun = serde_json::from_str(&text).map_err(|e| corrupt("test_runs.record", e))?;
    run.case_id = case_id;
    run.suite_run_id = suite_run_id;
    run.status = RunStatus::parse(&status).ok_or_else(|| corrupt("test_runs.status", &status))?;
    run.finished_at_ms = finished_at_ms;
    Ok(run)
}

pub fn run_record(run: &TestRun) -> Result<String, StoreError> {
    serde_json::to_string(run).map_err(invalid)
}

/// The last time anything happened to the run (it carries no update time of its own).
pub fn run_updated_at(run: &TestRun) -> i64 {
    let overrides = run.steps.iter().filter_map(|s| s.override_.as_ref().map(|o| o.at_ms));
    [Some(run.created_at_ms), run.started_at_ms, run.finished_at_ms].into_iter().flatten().chain(overrides).max().unwrap_or_default()
}

/// See `suite_run_columns`.
pub type SuiteRunRow = (String, Option<i64>, String);

pub fn suite_run_from_row((status, finished_at_ms, text): SuiteRunRow) -> Result<SuiteRun, StoreError> {
    let mut suite_run: SuiteRun = serde_json::from_str(&text).map_err(|e| corrupt("suite_runs.record", e))?;
    suite_run.status = RunStatus::parse(&status).ok_or_else(|| corrupt("suite_runs.status", &status))?;
    suite_run.finished_at_ms = finished_at_ms;
    Ok(suite_run)
}

pub fn suite_run_record(suite_run: &SuiteRun) -> Result<String, StoreError> {
    serde_json::to_string(suite_run).map_err(invalid)
}

/// Adds up the `(status, passed, count)` groups of `sql::SUITE_RUN_COUNTS`.
pub fn counts_from_rows(rows: Vec<(String, bool, i64)>) -> Result<SuiteRunCounts, StoreError> {
    let mut counts = SuiteRunCounts::default();
    for (status, passed, n) in rows {
        let n = u32::try_from(n).map_err(|_| corrupt("test_runs count", n))?;
        let slot = match RunStatus::parse(&status).ok_or_else(|| corrupt("test_runs.status", &status))? {
            RunStatus::Pending => &mut counts.pending,
            RunStatus::Running => &mut counts.running,
            RunStatus::Cancelled => &mut counts.cancelled,
            RunStatus::Success | RunStatus::Failed if passed => &mut counts.passed,
            RunStatus::Success | RunStatus::Failed => &mut counts.failed,
        };
        *slot += n;
    }
    Ok(counts)
}

/// Implements `TestCaseRepo` for a store type with a `pool` field:
///
/// ```ignore
/// store_sql::impl_testcase_repo!(SqlitePrimaryStore);
/// ```
#[macro_export]
macro_rules! impl_testcase_repo {
    ($store:ty) => {
        const _: () = {
            use $crate::__private::domain::testcases::{
                CaseComment, CaseStatus, RunStatus, Suite, SuiteRun, SuiteRunCounts, TestCase, TestRun,
            };
            use $crate::__private::services::{
                error::StoreResult,
                ports::{CaseFilter, TestCaseRepo},
                StoreError,
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::accounts::Bind;
            use $crate::primary::found;
            use $crate::testcases::{self as shared, sql};
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl TestCaseRepo for $store {
                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %c.project_id, id = %c.id))]
                async fn insert_case(&self, c: &TestCase, secret_headers: Option<&[u8]>) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_CASE)
                        .bind(&c.id)
                        .bind(&c.project_id)
                        .bind(c.status.as_str())
                        .bind(i64::from(c.version))
                        .bind(&c.name)
                        .bind(&c.feature)
                        .bind(shared::tags_text(&c.tags))
                        .bind(shared::case_record(c)?)
                        .bind(secret_headers)
                        .bind(&c.created_by)
                        .bind(c.created_at_ms)
                        .bind(c.updated_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %c.project_id, id = %c.id, version = c.version))]
                async fn update_case(&self, c: &TestCase, expected_version: u32, secret_headers: Option<Option<&[u8]>>) -> StoreResult<()> {
                    let text = if secret_headers.is_some() { sql::UPDATE_CASE_AND_SECRETS } else { sql::UPDATE_CASE };
                    let mut query = sqlx::query(text)
                        .bind(&c.project_id)
                        .bind(&c.id)
                        .bind(c.status.as_str())
                        .bind(i64::from(c.version))
                        .bind(&c.name)
                        .bind(&c.feature)
                        .bind(shared::tags_text(&c.tags))
                        .bind(shared::case_record(c)?)
                        .bind(c.updated_at_ms)
                        .bind(i64::from(expected_version));
                    if let Some(secrets) = secret_headers {
                        query = query.bind(secrets);
                    }
                    let done = query.execute(&self.pool).await.map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::CASE_EXISTS, &c.project_id, &c.id, || {
                        format!("test case {} was changed by someone else", c.id)
                    })
                    .await
                }

                async fn case(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<TestCase>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::CaseRow> =
                        sqlx::query_as(sql::CASE).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::case_from_row).transpose()
                }

                async fn case_secret_headers(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Vec<u8>>> {
                    let project_id = project_id.as_str();
                    let row: Option<Option<Vec<u8>>> =
                        sqlx::query_scalar(sql::CASE_SECRETS).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    Ok(row.flatten())
                }

                async fn list_cases(&self, project_id: &services::ports::ProjectId, filter: &CaseFilter) -> StoreResult<Vec<TestCase>> {
                    let project_id = project_id.as_str();
                    let (text, binds) = shared::list_cases_query(project_id, filter);
                    let mut query = sqlx::query_as::<_, shared::CaseRow>(&text);
                    for value in binds {
                        query = match value {
                            Bind::Text(s) => query.bind(s),
                            Bind::Int(n) => query.bind(n),
                        };
                    }
                    let rows = query.fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(shared::case_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, id = %id))]
                async fn delete_case(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::DELETE_CASE).bind(project_id).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, id = %id, to = to.as_str()))]
                async fn set_case_status(
                    &self,
                    project_id: &services::ports::ProjectId,
                    id: &str,
                    from: CaseStatus,
                    to: CaseStatus,
                    now_ms: i64,
                ) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::SET_CASE_STATUS)
                        .bind(project_id)
                        .bind(id)
                        .bind(from.as_str())
                        .bind(to.as_str())
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::CASE_EXISTS, project_id, id, || {
                        format!("test case {id} is no longer {}", from.as_str())
                    })
                    .await
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %m.project_id, case_id = %m.case_id))]
                async fn add_comment(&self, m: &CaseComment) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_COMMENT)
                        .bind(&m.id)
                        .bind(&m.project_id)
                        .bind(&m.case_id)
                        .bind(&m.author_id)
                        .bind(&m.body)
                        .bind(m.created_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn list_comments(&self, project_id: &services::ports::ProjectId, case_id: &str) -> StoreResult<Vec<CaseComment>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::CommentRow> =
                        sqlx::query_as(sql::COMMENTS).bind(project_id).bind(case_id).fetch_all(&self.pool).await.map_err(db_err)?;
                    Ok(rows.into_iter().map(shared::comment_from_row).collect())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %s.project_id, id = %s.id))]
                async fn insert_suite(&self, s: &Suite) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    sqlx::query(sql::INSERT_SUITE)
                        .bind(&s.id)
                        .bind(&s.project_id)
                        .bind(&s.name)
                        .bind(&s.description)
                        .bind(s.created_at_ms)
                        .bind(s.updated_at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(ref_err)?;
                    for (index, case_id) in s.case_ids.iter().enumerate() {
                        sqlx::query(sql::INSERT_MEMBER)
                            .bind(&s.project_id)
                            .bind(&s.id)
                            .bind(case_id)
                            .bind(shared::position(index)?)
                            .execute(&mut *tx)
                            .await
                            .map_err(ref_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %s.project_id, id = %s.id))]
                async fn update_suite(&self, s: &Suite) -> StoreResult<()> {
                    // The update first, so SQLite takes its write lock before anything is read.
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    let done = sqlx::query(sql::UPDATE_SUITE)
                        .bind(&s.project_id)
                        .bind(&s.id)
                        .bind(&s.name)
                        .bind(&s.description)
                        .bind(s.updated_at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    found(done.rows_affected())?;
                    sqlx::query(sql::DELETE_MEMBERS).bind(&s.project_id).bind(&s.id).execute(&mut *tx).await.map_err(db_err)?;
                    for (index, case_id) in s.case_ids.iter().enumerate() {
                        sqlx::query(sql::INSERT_MEMBER)
                            .bind(&s.project_id)
                            .bind(&s.id)
                            .bind(case_id)
                            .bind(shared::position(index)?)
                            .execute(&mut *tx)
                            .await
                            .map_err(ref_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn suite(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Suite>> {
                    let project_id = project_id.as_str();
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    let row: Option<shared::SuiteRow> =
                        sqlx::query_as(sql::SUITE).bind(project_id).bind(id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                    let Some(row) = row else { return Ok(None) };
                    let case_ids: Vec<String> =
                        sqlx::query_scalar(sql::MEMBERS).bind(project_id).bind(id).fetch_all(&mut *tx).await.map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    Ok(Some(shared::suite_from_row(row, case_ids)))
                }

                async fn list_suites(&self, project_id: &services::ports::ProjectId) -> StoreResult<Vec<Suite>> {
                    let project_id = project_id.as_str();
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    let rows: Vec<shared::SuiteRow> =
                        sqlx::query_as(sql::SUITES).bind(project_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                    let members: Vec<(String, String)> =
                        sqlx::query_as(sql::PROJECT_MEMBERS).bind(project_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                    tx.commit().await.map_err(db_err)?;
                    let mut by_suite = std::collections::HashMap::<String, Vec<String>>::new();
                    for (suite_id, case_id) in members {
                        by_suite.entry(suite_id).or_default().push(case_id);
                    }
                    Ok(rows
                        .into_iter()
                        .map(|row| {
                            let case_ids = by_suite.remove(&row.0).unwrap_or_default();
                            shared::suite_from_row(row, case_ids)
                        })
                        .collect())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, id = %id))]
                async fn delete_suite(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::DELETE_SUITE).bind(project_id).bind(id).execute(&self.pool).await.map_err(db_err)?;
                    found(done.rows_affected())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %r.project_id, id = %r.id))]
                async fn insert_run(&self, r: &TestRun) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_RUN)
                        .bind(&r.id)
                        .bind(&r.project_id)
                        .bind(&r.case_id)
                        .bind(&r.suite_run_id)
                        .bind(r.status.as_str())
                        .bind(r.passed())
                        .bind(shared::run_record(r)?)
                        .bind(r.created_at_ms)
                        .bind(shared::run_updated_at(r))
                        .bind(r.finished_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn run(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<TestRun>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::RunRow> =
                        sqlx::query_as(sql::RUN).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::run_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %r.id, status = r.status.as_str()))]
                async fn update_run(&self, r: &TestRun, expected: RunStatus) -> StoreResult<()> {
                    let done = sqlx::query(sql::UPDATE_RUN)
                        .bind(&r.project_id)
                        .bind(&r.id)
                        .bind(r.status.as_str())
                        .bind(r.passed())
                        .bind(shared::run_record(r)?)
                        .bind(shared::run_updated_at(r))
                        .bind(r.finished_at_ms)
                        .bind(expected.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::RUN_EXISTS, &r.project_id, &r.id, || {
                        format!("run {} is no longer {}", r.id, expected.as_str())
                    })
                    .await
                }

                async fn list_runs_of_case(
                    &self,
                    project_id: &services::ports::ProjectId,
                    case_id: &str,
                    limit: u32,
                ) -> StoreResult<Vec<TestRun>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::RunRow> = sqlx::query_as(sql::RUNS_OF_CASE)
                        .bind(project_id)
                        .bind(case_id)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::run_from_row).collect()
                }

                async fn runs_of_suite_run(
                    &self,
                    project_id: &services::ports::ProjectId,
                    suite_run_id: &str,
                ) -> StoreResult<Vec<TestRun>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::RunRow> = sqlx::query_as(sql::RUNS_OF_SUITE_RUN)
                        .bind(project_id)
                        .bind(suite_run_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::run_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %s.project_id, id = %s.id))]
                async fn insert_suite_run(&self, s: &SuiteRun) -> StoreResult<()> {
                    sqlx::query(sql::INSERT_SUITE_RUN)
                        .bind(&s.id)
                        .bind(&s.project_id)
                        .bind(&s.suite_id)
                        .bind(s.status.as_str())
                        .bind(shared::suite_run_record(s)?)
                        .bind(s.created_at_ms)
                        .bind(s.finished_at_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn suite_run(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<SuiteRun>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::SuiteRunRow> =
                        sqlx::query_as(sql::SUITE_RUN).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::suite_run_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %s.id, status = s.status.as_str()))]
                async fn update_suite_run(&self, s: &SuiteRun, expected: RunStatus) -> StoreResult<()> {
                    let done = sqlx::query(sql::UPDATE_SUITE_RUN)
                        .bind(&s.project_id)
                        .bind(&s.id)
                        .bind(s.status.as_str())
                        .bind(shared::suite_run_record(s)?)
                        .bind(s.finished_at_ms)
                        .bind(expected.as_str())
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::SUITE_RUN_EXISTS, &s.project_id, &s.id, || {
                        format!("suite run {} is no longer {}", s.id, expected.as_str())
                    })
                    .await
                }

                async fn list_suite_runs(
                    &self,
                    project_id: &services::ports::ProjectId,
                    suite_id: &str,
                    limit: u32,
                ) -> StoreResult<Vec<SuiteRun>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::SuiteRunRow> = sqlx::query_as(sql::SUITE_RUNS)
                        .bind(project_id)
                        .bind(suite_id)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::suite_run_from_row).collect()
                }

                async fn suite_run_counts(
                    &self,
                    project_id: &services::ports::ProjectId,
                    suite_run_id: &str,
                ) -> StoreResult<SuiteRunCounts> {
                    let project_id = project_id.as_str();
                    let rows: Vec<(String, bool, i64)> = sqlx::query_as(sql::SUITE_RUN_COUNTS)
                        .bind(project_id)
                        .bind(suite_run_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    shared::counts_from_rows(rows)
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id, suite_run_id = %suite_run_id))]
                async fn cancel_pending_runs(
                    &self,
                    project_id: &services::ports::ProjectId,
                    suite_run_id: &str,
                    now_ms: i64,
                ) -> StoreResult<u64> {
                    let project_id = project_id.as_str();
                    let done = sqlx::query(sql::CANCEL_PENDING)
                        .bind(project_id)
                        .bind(suite_run_id)
                        .bind(now_ms)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
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
    fn list_query_binds_only_the_filters_set() {
        let (text, binds) = list_cases_query("p", &CaseFilter { limit: 20, ..Default::default() });
        assert!(text.ends_with("WHERE c.project_id = $1 ORDER BY c.updated_at_ms DESC, c.id DESC LIMIT $2 OFFSET $3"), "{text}");
        assert_eq!(binds, [Bind::Text("p".into()), Bind::Int(20), Bind::Int(0)]);

        let filter = CaseFilter {
            status: Some(CaseStatus::Approved),
            tag: Some("a_b".into()),
            feature: None,
            search: Some("50% Off".into()),
            limit: 10,
            offset: 30,
        };
        let (text, binds) = list_cases_query("p", &filter);
        assert!(text.contains("c.status = $2 AND c.tags_text LIKE $3 ESCAPE '\\' AND LOWER(c.name) LIKE $4 ESCAPE '\\'"), "{text}");
        assert!(text.ends_with("LIMIT $5 OFFSET $6"), "{text}");
        assert_eq!(binds[2], Bind::Text("%|a\\_b|%".into()), "LIKE wildcards in a tag are literal");
        assert_eq!(binds[3], Bind::Text("%50\\% off%".into()));
    }

    #[test]
    fn tags_are_fenced() {
        assert_eq!(tags_text(&[]), "");
        assert_eq!(tags_text(&["smoke".into(), "refunds".into()]), "|smoke|refunds|");
    }
}
