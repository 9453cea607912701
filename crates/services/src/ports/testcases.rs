//! Test cases, their review comments, suites and runs in the primary store. Every method is
//! scoped by project: an id of another project is as unknown as a missing one.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::testcases::{CaseComment, CaseStatus, RunStatus, Suite, SuiteRun, SuiteRunCounts, TestCase, TestRun};

/// Which cases [`TestCaseRepo::list_cases`] returns; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    /// Cases carrying exactly this tag.
    pub tag: Option<String>,
    /// Cases of exactly this feature.
    pub feature: Option<String>,
    /// Cases whose name contains this (ASCII case-insensitive).
    pub search: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[async_trait]
pub trait TestCaseRepo {
    /// Store a new case with the ciphertext of its secret header values (bytes, kept as given).
    /// `NotFound` for an unknown project, `Conflict` when the id exists.
    async fn insert_case(&self, case: &TestCase, secret_headers: Option<&[u8]>) -> StoreResult<()>;
    /// Write every field of `case` but its identity, creator and creation time, if its stored
    /// version is still `expected_version` (optimistic lock: the caller bumps `case.version`).
    /// `secret_headers`: `None` keeps the stored ciphertext, `Some(None)` removes it,
    /// `Some(Some(bytes))` replaces it. `Conflict` when the version differs, `NotFound` for no
    /// such case.
    async fn update_case(&self, case: &TestCase, expected_version: u32, secret_headers: Option<Option<&[u8]>>) -> StoreResult<()>;
    async fn case(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<TestCase>>;
    /// The ciphertext of the case's secret header values; `None` when it has none or the case
    /// is unknown.
    async fn case_secret_headers(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Matching cases, most recently updated first, one page.
    async fn list_cases(&self, project_id: &ProjectId, filter: &CaseFilter) -> StoreResult<Vec<TestCase>>;
    /// The case with its comments, runs and suite memberships. `NotFound`.
    async fn delete_case(&self, project_id: &ProjectId, id: &str) -> StoreResult<()>;
    /// Move the case from `from` to `to` (compare-and-set; the version is not bumped, the
    /// workflow rules are the caller's). `Conflict` when its status is not `from`, `NotFound`
    /// for no such case.
    async fn set_case_status(&self, project_id: &ProjectId, id: &str, from: CaseStatus, to: CaseStatus, now_ms: i64) -> StoreResult<()>;

    /// `NotFound` for an unknown project or case. `author_email` is ignored.
    async fn add_comment(&self, comment: &CaseComment) -> StoreResult<()>;
    /// A case's comments, oldest first, each with its author's e-mail (when the author still
    /// exists).
    async fn list_comments(&self, project_id: &ProjectId, case_id: &str) -> StoreResult<Vec<CaseComment>>;

    /// `Conflict` when the project has a suite of that name or a case is listed twice;
    /// `NotFound` for an unknown project or a case not in the project.
    async fn insert_suite(&self, suite: &Suite) -> StoreResult<()>;
    /// Name, description, cases (replaced, in the new order) and update time. `NotFound` for no
    /// such suite or a case not in the project, `Conflict` as for insert.
    async fn update_suite(&self, suite: &Suite) -> StoreResult<()>;
    async fn suite(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Suite>>;
    /// By name.
    async fn list_suites(&self, project_id: &ProjectId) -> StoreResult<Vec<Suite>>;
    /// The suite and its suite runs (their case runs stay in the cases' history, detached).
    /// `NotFound`.
    async fn delete_suite(&self, project_id: &ProjectId, id: &str) -> StoreResult<()>;

    /// `NotFound` for an unknown project, case or suite run; `Conflict` when the id exists.
    async fn insert_run(&self, run: &TestRun) -> StoreResult<()>;
    async fn run(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<TestRun>>;
    /// Write every field of `run` but its identity, case, suite run and creation, if its stored
    /// status is still `expected` (compare-and-set, so a stale or repeated writer loses).
    /// `Conflict` when the status differs, `NotFound` for no such run.
    async fn update_run(&self, run: &TestRun, expected: RunStatus) -> StoreResult<()>;
    /// A case's runs, newest first.
    async fn list_runs_of_case(&self, project_id: &ProjectId, case_id: &str, limit: u32) -> StoreResult<Vec<TestRun>>;
    /// A suite run's runs, in the order they were created.
    async fn runs_of_suite_run(&self, project_id: &ProjectId, suite_run_id: &str) -> StoreResult<Vec<TestRun>>;

    /// `NotFound` for an unknown project or suite; `Conflict` when the id exists.
    async fn insert_suite_run(&self, suite_run: &SuiteRun) -> StoreResult<()>;
    async fn suite_run(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<SuiteRun>>;
    /// Status, total and finish time, if its stored status is still `expected`
    /// (compare-and-set). `Conflict` when it differs, `NotFound` for no such suite run.
    async fn update_suite_run(&self, suite_run: &SuiteRun, expected: RunStatus) -> StoreResult<()>;
    /// A suite's runs, newest first.
    async fn list_suite_runs(&self, project_id: &ProjectId, suite_id: &str, limit: u32) -> StoreResult<Vec<SuiteRun>>;
    /// Counted from the runs as they are now (all zero for an unknown suite run).
    async fn suite_run_counts(&self, project_id: &ProjectId, suite_run_id: &str) -> StoreResult<SuiteRunCounts>;
    /// Cancel the suite run's pending runs in one statement (running ones are left to their
    /// worker); returns how many.
    async fn cancel_pending_runs(&self, project_id: &ProjectId, suite_run_id: &str, now_ms: i64) -> StoreResult<u64>;
}
