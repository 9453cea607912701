//! Test runs (issue 7): start a case or a suite, execute a run on the worker, cancel, override a
//! step, compare two runs, report on a suite run.
//!
//! A run is executed by the `test_run.execute` job ([`execute`]). Its status moves by
//! compare-and-set only (pending → running → success | failed, or → cancelled), so a repeated or
//! stale job cannot finish a run twice, and a cancelled run drops the result its worker computed.
//! Step results are written once, with the final status, replacing whatever a crashed attempt
//! left: nothing is ever appended or counted twice. Suite counts are computed from the runs.
//!
//! - Model targets call the provider once per step (system prompt + the step's input); each call
//!   becomes a span of the run's trace through a [`SpanSink`], as playground calls do.
//! - HTTP targets get a W3C `traceparent` carrying the run's trace id; the runner then waits for
//!   the application's LLM spans of that trace to arrive through OTLP ingestion and matches them
//!   to the steps in order ([`checks::match_spans_to_steps`]).
//! - Same-meaning steps ask an LLM judge through the LLM layer.
//!
//! Sending the HTTP request is behind [`TargetCaller`], so this crate carries no HTTP client.

use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    llm_calls::{self, CallContext, SpanObserver, SpanSink},
    ports::ProviderKeyRecord,
    prices::PriceCache,
    provider_keys::{self, KeyCipher},
    ServiceError, ServiceResult, StoreError, Stores,
};
use async_trait::async_trait;
use checks::{Observation, ObservedToolCall, StepExpectation, StepVerdict, TraceParent};
use domain::{
    jobs::NewJob,
    test_steps::MatchType,
    testcases::{
        CaseStatus, HttpTarget, ModelTarget, RunStatus, StepOverride, StepResult, SuiteRun, SuiteRunCounts, Target, TestCase, TestRun,
    },
    traces::SpanRow,
    ProjectRole,
};
use llm::{ApiKey, ChatRequest, LlmProvider, Message, ProviderConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The job that executes one run; its payload is a [`RunRef`].
pub const EXECUTE_JOB: &str = "test_run.execute";
/// Attempts of an execute job (a crashed or stopped worker's job is leased again).
pub const MAX_ATTEMPTS: u32 = 3;
pub const MAX_OVERRIDE_COMMENT_CHARS: usize = 2000;
/// What is kept of a target's answer in a failure reason.
const BODY_SNIPPET_CHARS: usize = 200;
/// Origin of the spans the runner's own model calls write.
const SPAN_ORIGIN: &str = "test_run";
/// Origin of the judge's calls (in a trace of their own: never mixed with the application's).
const JUDGE_ORIGIN: &str = "test_judge";

/// The payload of an [`EXECUTE_JOB`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub project_id: String,
    pub run_id: String,
}

/// Which attempt of the job this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub number: u32,
    pub max: u32,
}

impl Attempt {
    fn is_last(self) -> bool {
        self.number >= self.max
    }
}

/// How the runner waits and how much it runs at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerConfig {
    /// Longest wait for an HTTP target's spans to arrive.
    pub span_wait: Duration,
    /// Longest pause between two reads of the trace (the first reads come faster).
    pub span_poll: Duration,
    /// Once some LLM spans arrived, how long their number must stay the same before the runner
    /// stops waiting for more (when they do not already cover every step).
    pub span_settle: Duration,
    /// Runs executing at once per project.
    pub per_project: usize,
    /// Per attempt, for model steps and the judge.
    pub model_timeout: Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            span_wait: Duration::from_secs(10),
            span_poll: Duration::from_millis(200),
            span_settle: Duration::from_secs(1),
            per_project: 4,
            model_timeout: Duration::from_secs(60),
        }
    }
}

/// An HTTP request to a team's application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub timeout: Duration,
}

/// What the application answered (the body may be cut).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetResponse {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the target did not answer within {}", secs(*.0))]
    Timeout(Duration),
    #[error("the target could not be reached: {0}")]
    Unreachable(String),
    #[error("the target's answer could not be read: {0}")]
    BadResponse(String),
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Sends HTTP-target requests (the app gives one built on its HTTP client).
#[async_trait]
pub trait TargetCaller: Send + Sync {
    async fn call(&self, request: TargetRequest) -> Result<TargetResponse, TargetError>;
}

/// At most `per_project` runs of one project execute at once; other projects are not held up.
#[derive(Default)]
struct ProjectLimiter {
    per_project: usize,
    gates: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl ProjectLimiter {
    async fn acquire(&self, project_id: &str) -> OwnedSemaphorePermit {
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            gates.entry(project_id.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_project.max(1)))).clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        gate.acquire_owned().await.expect("project gate is never closed")
    }
}

/// What [`execute`] needs besides the stores.
pub struct RunnerDeps {
    pub cipher: Arc<KeyCipher>,
    /// Where the spans of the runner's own model calls go (the ingest path in the app).
    pub sink: Arc<dyn SpanSink>,
    pub prices: Arc<PriceCache>,
    pub caller: Arc<dyn TargetCaller>,
    pub config: RunnerConfig,
    limiter: ProjectLimiter,
}

impl RunnerDeps {
    pub fn new(
        cipher: Arc<KeyCipher>,
        sink: Arc<dyn SpanSink>,
        prices: Arc<PriceCache>,
        caller: Arc<dyn TargetCaller>,
        config: RunnerConfig,
    ) -> RunnerDeps {
        let limiter = ProjectLimiter { per_project: config.per_project, gates: Mutex::new(HashMap::new()) };
        RunnerDeps { cipher, sink, prices, caller, config, limiter }
    }
}

fn invalid(m: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(m.into())
}

fn new_run(case: &TestCase, suite_run_id: Option<&str>, created_by: Option<String>) -> TestRun {
    TestRun {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: case.project_id.clone(),
        case_id: case.id.clone(),
        case_version: case.version,
        suite_run_id: suite_run_id.map(str::to_owned),
        status: RunStatus::Pending,
        trace_id: TraceParent::new_random().trace_id_hex(),
        prompt_fingerprint: None,
        steps: Vec::new(),
        error: None,
        created_by,
        created_at_ms: now_ms(),
        started_at_ms: None,
        finished_at_ms: None,
    }
}

async fn enqueue(stores: &Stores, run: &TestRun) -> ServiceResult<()> {
    let job = NewJob::new(EXECUTE_JOB, json!({"project_id": run.project_id, "run_id": run.id})).with_max_attempts(MAX_ATTEMPTS);
    stores.primary.enqueue_job(&job, now_ms()).await?;
    Ok(())
}

/// Insert the run and queue its job; a run whose job could not be queued is failed at once
/// rather than left pending for ever.
async fn insert_and_enqueue(stores: &Stores, run: &TestRun) -> ServiceResult<()> {
    stores.primary.insert_run(run).await?;
    if let Err(e) = enqueue(stores, run).await {
        let mut failed = run.clone();
        failed.status = RunStatus::Failed;
        failed.error = Some("the run could not be queued".into());
        failed.finished_at_ms = Some(now_ms());
        let _ = stores.primary.update_run(&failed, RunStatus::Pending).await;
        return Err(e);
    }
    Ok(())
}

async fn load_case(stores: &Stores, project_id: &str, id: &str) -> ServiceResult<TestCase> {
    stores.primary.case(project_id, id).await?.ok_or(ServiceError::NotFound("test case"))
}

async fn load_run(stores: &Stores, project_id: &str, id: &str) -> ServiceResult<TestRun> {
    stores.primary.run(project_id, id).await?.ok_or(ServiceError::NotFound("test run"))
}

async fn load_suite_run(stores: &Stores, project_id: &str, id: &str) -> ServiceResult<SuiteRun> {
    stores.primary.suite_run(project_id, id).await?.ok_or(ServiceError::NotFound("suite run"))
}

/// Run one case now (editors; a case in any review state may be run by hand).
pub async fn start_case_run(stores: &Stores, ctx: &RequestContext, slug: &str, case_id: &str) -> ServiceResult<TestRun> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let case = load_case(stores, &access.project.id, case_id).await?;
    let run = new_run(&case, None, ctx.actor.as_ref().map(|a| a.user_id.clone()));
    insert_and_enqueue(stores, &run).await?;
    let change = Change {
        action: "test_run.start",
        entity_type: "test_run",
        entity_id: &run.id,
        project_id: Some(&run.project_id),
        old: None,
        new: Some(json!({"case_id": case.id, "case_version": case.version, "trace_id": run.trace_id})),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(run)
}

/// Who starts a suite run.
pub enum Starter<'a> {
    /// A signed-in editor, from the app.
    Person { ctx: &'a RequestContext, slug: &'a str },
    /// A project API key (CI).
    Key(&'a crate::api_keys::KeyPrincipal),
}

/// Run every approved case of a suite (others are skipped). `Invalid` when none is approved.
pub async fn start_suite_run(stores: &Stores, starter: Starter<'_>, suite_id: &str) -> ServiceResult<(SuiteRun, Vec<TestRun>)> {
    let system = RequestContext::system();
    let (project_id, ctx, created_by, trigger, key_id) = match starter {
        Starter::Person { ctx, slug } => {
            let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
            (access.project.id, ctx, ctx.actor.as_ref().map(|a| a.user_id.clone()), "ui", None)
        }
        Starter::Key(principal) => (principal.project_id.clone(), &system, None, "api", Some(principal.key_id.clone())),
    };
    let suite = stores.primary.suite(&project_id, suite_id).await?.ok_or(ServiceError::NotFound("suite"))?;
    let mut cases = Vec::new();
    for id in &suite.case_ids {
        if let Some(case) = stores.primary.case(&project_id, id).await? {
            if case.status == CaseStatus::Approved {
                cases.push(case);
            }
        }
    }
    if cases.is_empty() {
        return Err(invalid(format!(
            "the suite “{}” has no approved test case: approve its cases after review before running it",
            suite.name
        )));
    }
    let suite_run = SuiteRun {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: project_id.clone(),
        suite_id: suite.id.clone(),
        status: RunStatus::Running,
        total: cases.len() as u32,
        created_by: created_by.clone(),
        trigger: trigger.into(),
        created_at_ms: now_ms(),
        finished_at_ms: None,
    };
    stores.primary.insert_suite_run(&suite_run).await?;
    let runs: Vec<TestRun> = cases.iter().map(|c| new_run(c, Some(&suite_run.id), created_by.clone())).collect();
    for run in &runs {
        stores.primary.insert_run(run).await?;
    }
    for run in &runs {
        enqueue(stores, run).await?;
    }
    let skipped = suite.case_ids.len() - cases.len();
    let change = Change {
        action: "suite_run.start",
        entity_type: "suite_run",
        entity_id: &suite_run.id,
        project_id: Some(&project_id),
        old: None,
        new: Some(
            json!({"suite_id": suite.id, "runs": runs.len(), "skipped_unapproved": skipped, "trigger": trigger, "api_key_id": key_id}),
        ),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok((suite_run, runs))
}

/// Cancel one run: a pending one never starts; a running one is marked cancelled at once and its
/// worker's result is dropped when it finishes. `Conflict` when it already finished.
pub async fn cancel_run(stores: &Stores, ctx: &RequestContext, slug: &str, run_id: &str) -> ServiceResult<TestRun> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let mut run = load_run(stores, &access.project.id, run_id).await?;
    let from = run.status;
    if from.is_final() {
        return Err(ServiceError::Conflict(format!("this run is already {}", from.label().to_lowercase())));
    }
    run.status = RunStatus::Cancelled;
    run.finished_at_ms = Some(now_ms());
    stores.primary.update_run(&run, from).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("this run changed meanwhile; reload the page".into()),
        other => other.into(),
    })?;
    audit_simple(stores, ctx, "test_run.cancel", "test_run", &run.id, &run.project_id, json!({"status": from.as_str()})).await?;
    if let Some(suite_run_id) = &run.suite_run_id {
        settle_suite_run(stores, &run.project_id, suite_run_id).await?;
    }
    Ok(run)
}

/// Cancel a suite run: its pending runs in one statement, its running ones one by one.
pub async fn cancel_suite_run(stores: &Stores, ctx: &RequestContext, slug: &str, suite_run_id: &str) -> ServiceResult<SuiteRunCounts> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let project_id = access.project.id.as_str();
    let suite_run = load_suite_run(stores, project_id, suite_run_id).await?;
    if suite_run.status.is_final() {
        return Err(ServiceError::Conflict(format!("this suite run is already {}", suite_run.status.label().to_lowercase())));
    }
    let now = now_ms();
    let pending = stores.primary.cancel_pending_runs(project_id, suite_run_id, now).await?;
    let mut running = 0;
    for mut run in stores.primary.runs_of_suite_run(project_id, suite_run_id).await? {
        if run.status == RunStatus::Running {
            run.status = RunStatus::Cancelled;
            run.finished_at_ms = Some(now);
            // Lost races (the run just finished) are fine: it keeps its result.
            match stores.primary.update_run(&run, RunStatus::Running).await {
                Ok(()) => running += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let change = json!({"cancelled_pending": pending, "cancelled_running": running});
    audit_simple(stores, ctx, "suite_run.cancel", "suite_run", suite_run_id, project_id, change).await?;
    settle_suite_run(stores, project_id, suite_run_id).await?;
    Ok(stores.primary.suite_run_counts(project_id, suite_run_id).await?)
}

async fn audit_simple(
    stores: &Stores,
    ctx: &RequestContext,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    project_id: &str,
    new: Value,
) -> ServiceResult<()> {
    let change = Change { action, entity_type, entity_id, project_id: Some(project_id), old: None, new: Some(new) };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(())
}

/// A person's verdict on one step of a finished run (editors; audited). The run's status follows
/// (a run whose only failing step is overridden to pass becomes a success).
pub async fn override_step(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    run_id: &str,
    step_index: u32,
    passed: bool,
    comment: &str,
) -> ServiceResult<TestRun> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let actor = ctx.actor()?;
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > MAX_OVERRIDE_COMMENT_CHARS {
        return Err(invalid(format!("say why in a comment of 1 to {MAX_OVERRIDE_COMMENT_CHARS} characters")));
    }
    let mut run = load_run(stores, &access.project.id, run_id).await?;
    let from = run.status;
    if !matches!(from, RunStatus::Success | RunStatus::Failed) {
        return Err(ServiceError::Conflict("only a finished run's steps can be overridden".into()));
    }
    let Some(step) = run.steps.iter_mut().find(|s| s.index == step_index) else {
        return Err(ServiceError::NotFound("step"));
    };
    let old = json!({"step": step_index, "automatic": step.verdict.passed, "override": step.override_.as_ref().map(|o| o.passed)});
    step.override_ = Some(StepOverride { passed, comment: comment.to_owned(), by: Some(actor.user_id.clone()), at_ms: now_ms() });
    run.status = run.settled_status();
    stores.primary.update_run(&run, from).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("this run changed meanwhile; reload the page".into()),
        other => other.into(),
    })?;
    let change = Change {
        action: "test_run.override_step",
        entity_type: "test_run",
        entity_id: &run.id,
        project_id: Some(&run.project_id),
        old: Some(old),
        new: Some(json!({"step": step_index, "override": passed, "comment": comment, "run_status": run.status.as_str()})),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(run)
}

/// One run, for members.
pub async fn get_run(stores: &Stores, ctx: &RequestContext, slug: &str, run_id: &str) -> ServiceResult<(ProjectAccess, TestRun)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let run = load_run(stores, &access.project.id, run_id).await?;
    Ok((access, run))
}

/// A case's runs, newest first (members).
pub async fn case_history(stores: &Stores, ctx: &RequestContext, slug: &str, case_id: &str, limit: u32) -> ServiceResult<Vec<TestRun>> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    load_case(stores, &access.project.id, case_id).await?;
    Ok(stores.primary.list_runs_of_case(&access.project.id, case_id, limit.clamp(1, 500)).await?)
}

/// One step of a side-by-side comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDiff {
    pub index: u32,
    pub output_a: Option<String>,
    pub output_b: Option<String>,
    pub output_changed: bool,
    pub score_a: Option<f64>,
    pub score_b: Option<f64>,
    pub passed_a: Option<bool>,
    pub passed_b: Option<bool>,
    pub pass_changed: bool,
}

/// What changed between two runs (of one case, usually).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunComparison {
    pub a: TestRun,
    pub b: TestRun,
    pub fingerprint_a: Option<String>,
    pub fingerprint_b: Option<String>,
    pub fingerprint_changed: bool,
    pub steps: Vec<StepDiff>,
}

/// Pure: the per-step differences of two runs.
pub fn diff_runs(a: &TestRun, b: &TestRun) -> Vec<StepDiff> {
    let count = a.steps.iter().chain(&b.steps).map(|s| s.index + 1).max().unwrap_or(0);
    (0..count)
        .map(|index| {
            let (sa, sb) = (a.steps.iter().find(|s| s.index == index), b.steps.iter().find(|s| s.index == index));
            let output = |s: Option<&StepResult>| s.and_then(|s| s.observed.as_ref()).map(|o| o.output.clone());
            let (output_a, output_b) = (output(sa), output(sb));
            let (passed_a, passed_b) = (sa.map(StepResult::effective_pass), sb.map(StepResult::effective_pass));
            StepDiff {
                index,
                output_changed: output_a != output_b,
                output_a,
                output_b,
                score_a: sa.map(|s| s.verdict.score),
                score_b: sb.map(|s| s.verdict.score),
                pass_changed: passed_a != passed_b,
                passed_a,
                passed_b,
            }
        })
        .collect()
}

pub async fn compare_runs(stores: &Stores, ctx: &RequestContext, slug: &str, a: &str, b: &str) -> ServiceResult<RunComparison> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let (a, b) = (load_run(stores, &access.project.id, a).await?, load_run(stores, &access.project.id, b).await?);
    let steps = diff_runs(&a, &b);
    Ok(RunComparison {
        fingerprint_a: a.prompt_fingerprint.clone(),
        fingerprint_b: b.prompt_fingerprint.clone(),
        fingerprint_changed: a.prompt_fingerprint != b.prompt_fingerprint,
        steps,
        a,
        b,
    })
}

/// One run in a suite report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run: TestRun,
    pub case_name: String,
    /// The case changed after this run.
    pub outdated: bool,
    /// Why it did not pass, in plain words ("step 2: …"); empty when it passed.
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteReport {
    pub suite_run: SuiteRun,
    pub suite_name: String,
    pub counts: SuiteRunCounts,
    /// Failed runs first, then the others, each group in creation order.
    pub runs: Vec<RunSummary>,
}

impl SuiteReport {
    /// Passed / finished (cancelled runs excluded); `None` before any run finished.
    pub fn pass_rate(&self) -> Option<f64> {
        pass_rate(&self.counts)
    }
}

fn pass_rate(c: &SuiteRunCounts) -> Option<f64> {
    let finished = c.passed + c.failed;
    (finished > 0).then(|| f64::from(c.passed) / f64::from(finished))
}

/// Why a run did not pass, one line per problem.
pub fn failures_of(run: &TestRun) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &run.error {
        out.push(e.clone());
    }
    for s in run.steps.iter().filter(|s| !s.effective_pass()) {
        let why = match &s.override_ {
            Some(o) => format!("failed by hand: {}", o.comment),
            None if s.verdict.reasons.is_empty() => "failed".to_owned(),
            None => s.verdict.reasons.join("; "),
        };
        out.push(format!("step {}: {why}", s.index + 1));
    }
    out
}

async fn report_in(stores: &Stores, project_id: &str, suite_run_id: &str) -> ServiceResult<SuiteReport> {
    settle_suite_run(stores, project_id, suite_run_id).await?;
    let suite_run = load_suite_run(stores, project_id, suite_run_id).await?;
    let suite_name = stores.primary.suite(project_id, &suite_run.suite_id).await?.map(|s| s.name).unwrap_or_default();
    let counts = stores.primary.suite_run_counts(project_id, suite_run_id).await?;
    let mut names: HashMap<String, (String, u32)> = HashMap::new();
    let mut runs = Vec::new();
    for run in stores.primary.runs_of_suite_run(project_id, suite_run_id).await? {
        if !names.contains_key(&run.case_id) {
            let found = stores.primary.case(project_id, &run.case_id).await?;
            let entry = found.map(|c| (c.name, c.version)).unwrap_or_else(|| ("(deleted case)".into(), run.case_version));
            names.insert(run.case_id.clone(), entry);
        }
        let (case_name, version) = names[&run.case_id].clone();
        let failures =
            if run.status.is_final() && !run.passed() && run.status != RunStatus::Cancelled { failures_of(&run) } else { Vec::new() };
        runs.push(RunSummary { outdated: run.is_outdated(version), case_name, failures, run });
    }
    // Failures first, creation order kept within each group.
    let (mut failed, rest): (Vec<_>, Vec<_>) = runs.into_iter().partition(|r| !r.failures.is_empty());
    failed.extend(rest);
    Ok(SuiteReport { suite_run, suite_name, counts, runs: failed })
}

/// A suite run's report (members).
pub async fn suite_report(stores: &Stores, ctx: &RequestContext, slug: &str, suite_run_id: &str) -> ServiceResult<SuiteReport> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    report_in(stores, &access.project.id, suite_run_id).await
}

/// A suite run's report for a project API key (another project's id is unknown).
pub async fn suite_report_for_key(
    stores: &Stores,
    principal: &crate::api_keys::KeyPrincipal,
    suite_run_id: &str,
) -> ServiceResult<SuiteReport> {
    report_in(stores, &principal.project_id, suite_run_id).await
}

/// One point of a suite's trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub suite_run_id: String,
    pub created_at_ms: i64,
    pub status: RunStatus,
    pub counts: SuiteRunCounts,
    pub pass_rate: Option<f64>,
}

/// Pass rate of the suite's last `n` runs, oldest first (for a chart).
pub async fn suite_trend(stores: &Stores, ctx: &RequestContext, slug: &str, suite_id: &str, n: u32) -> ServiceResult<Vec<TrendPoint>> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let project_id = access.project.id.as_str();
    stores.primary.suite(project_id, suite_id).await?.ok_or(ServiceError::NotFound("suite"))?;
    let mut points = Vec::new();
    for sr in stores.primary.list_suite_runs(project_id, suite_id, n.clamp(1, 200)).await? {
        let counts = stores.primary.suite_run_counts(project_id, &sr.id).await?;
        points.push(TrendPoint {
            pass_rate: pass_rate(&counts),
            suite_run_id: sr.id,
            created_at_ms: sr.created_at_ms,
            status: sr.status,
            counts,
        });
    }
    points.reverse();
    Ok(points)
}

/// Once every run of a suite run is final, record the suite run's own final status (failed if any
/// run failed, else cancelled if any was cancelled, else success). Repeating it is harmless.
pub async fn settle_suite_run(stores: &Stores, project_id: &str, suite_run_id: &str) -> ServiceResult<()> {
    let Some(mut suite_run) = stores.primary.suite_run(project_id, suite_run_id).await? else { return Ok(()) };
    if suite_run.status.is_final() {
        return Ok(());
    }
    let counts = stores.primary.suite_run_counts(project_id, suite_run_id).await?;
    if !counts.is_done() {
        return Ok(());
    }
    let expected = suite_run.status;
    suite_run.status = if counts.failed > 0 {
        RunStatus::Failed
    } else if counts.cancelled > 0 {
        RunStatus::Cancelled
    } else {
        RunStatus::Success
    };
    suite_run.finished_at_ms = Some(now_ms());
    match stores.primary.update_suite_run(&suite_run, expected).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// JUnit XML of a suite report: one `<testcase>` per run, a `<failure>` for each failed one and
/// `<skipped>` for cancelled or unfinished ones.
pub fn junit_xml(report: &SuiteReport) -> String {
    let c = &report.counts;
    let skipped = c.cancelled + c.pending + c.running;
    let secs = |r: &TestRun| match (r.started_at_ms, r.finished_at_ms) {
        (Some(s), Some(f)) if f >= s => (f - s) as f64 / 1000.0,
        _ => 0.0,
    };
    let total_secs: f64 = report.runs.iter().map(|r| secs(&r.run)).sum();
    let name = xml_escape(&report.suite_name);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total_secs:.3}\">\n",
        c.total(),
        c.failed
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{name}\" id=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{skipped}\" time=\"{total_secs:.3}\">\n",
        xml_escape(&report.suite_run.id),
        c.total(),
        c.failed
    ));
    for r in &report.runs {
        out.push_str(&format!(
            "    <testcase classname=\"{name}\" name=\"{}\" id=\"{}\" time=\"{:.3}\"",
            xml_escape(&r.case_name),
            xml_escape(&r.run.id),
            secs(&r.run)
        ));
        let status = r.run.status;
        if status == RunStatus::Cancelled || !status.is_final() {
            let why = if status == RunStatus::Cancelled { "cancelled" } else { "not finished" };
            out.push_str(&format!(">\n      <skipped message=\"{why}\"/>\n    </testcase>\n"));
        } else if r.run.passed() {
            out.push_str("/>\n");
        } else {
            let failures = if r.failures.is_empty() { vec!["failed".to_owned()] } else { r.failures.clone() };
            out.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"assertion\">{}</failure>\n    </testcase>\n",
                xml_escape(&failures[0]),
                xml_escape(&failures.join("\n"))
            ));
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escape for XML text and attributes; characters XML 1.0 cannot carry are dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Execution (the worker)
// ---------------------------------------------------------------------------------------------

type JobResult = Result<(), String>;

/// A run's outcome before it is written.
struct Outcome {
    steps: Vec<StepResult>,
    fingerprint: Option<String>,
    error: Option<String>,
}

impl Outcome {
    /// Every step failed for one reason (the target could not be asked).
    fn broken(steps: &[StepExpectation], reason: String) -> Outcome {
        let steps = (0..steps.len())
            .map(|i| StepResult { index: i as u32, observed: None, verdict: StepVerdict::fail(reason.clone()), override_: None })
            .collect();
        Outcome { steps, fingerprint: None, error: Some(reason) }
    }
}

/// `test_run.execute`: run one test run to its end. User-level problems (target down, model
/// refused, judge garbage) end the run failed with a reason and the job succeeds; store errors
/// return `Err` so the job is retried, and the last attempt fails the run.
pub async fn execute(stores: &Stores, deps: &RunnerDeps, r: &RunRef, attempt: Attempt) -> JobResult {
    let store_err = |e: StoreError| e.to_string();
    let Some(mut run) = stores.primary.run(&r.project_id, &r.run_id).await.map_err(store_err)? else {
        return Ok(()); // deleted with its case: nothing to do
    };
    match run.status {
        RunStatus::Pending => {
            run.status = RunStatus::Running;
            run.started_at_ms = Some(now_ms());
            match stores.primary.update_run(&run, RunStatus::Pending).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => return Ok(()), // cancelled or taken meanwhile
                Err(e) => return Err(e.to_string()),
            }
        }
        // A retried job (the worker died or was stopped): start over; the final write replaces
        // whatever the previous attempt computed.
        RunStatus::Running => run.started_at_ms = Some(now_ms()),
        _ => return Ok(()),
    }
    let _permit = deps.limiter.acquire(&run.project_id).await;
    let outcome = match stores.primary.case(&run.project_id, &run.case_id).await {
        Ok(Some(case)) => run_case(stores, deps, &run, &case).await,
        Ok(None) => Ok(Outcome { steps: Vec::new(), fingerprint: None, error: Some("the test case was deleted".into()) }),
        Err(e) => Err(e.to_string()),
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(reason) if attempt.is_last() => Outcome {
            steps: Vec::new(),
            fingerprint: None,
            error: Some(format!("the run stopped after {} attempts: {reason}", attempt.number)),
        },
        Err(reason) => return Err(reason),
    };
    run.steps = outcome.steps;
    run.prompt_fingerprint = outcome.fingerprint;
    run.error = outcome.error;
    run.status = run.settled_status();
    run.finished_at_ms = Some(now_ms());
    match stores.primary.update_run(&run, RunStatus::Running).await {
        Ok(()) => {}
        // Cancelled while it ran (or finished by another attempt): its result is dropped.
        Err(StoreError::Conflict(_)) => tracing::info!(run_id = %run.id, "run changed while it executed; result dropped"),
        Err(e) => return Err(e.to_string()),
    }
    if let Some(suite_run_id) = &run.suite_run_id {
        settle_suite_run(stores, &run.project_id, suite_run_id).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `Err` only for store errors (worth a retry).
async fn run_case(stores: &Stores, deps: &RunnerDeps, run: &TestRun, case: &TestCase) -> Result<Outcome, String> {
    match &case.target {
        Target::Model(target) => run_model(stores, deps, run, case, target).await,
        Target::Http(target) => run_http(stores, deps, run, case, target).await,
    }
}

/// A provider key record ready to call, without a request context (the worker's own access).
pub fn provider_config(cipher: &KeyCipher, record: &ProviderKeyRecord) -> ServiceResult<ProviderConfig> {
    let vendor = provider_keys::parse_vendor(&record.vendor).map_err(|_| ServiceError::Internal)?;
    let api_key = match &record.key_ciphertext {
        Some(blob) => Some(ApiKey::new(cipher.decrypt(record.project_id.as_deref(), &record.id, blob).map_err(|_| {
            invalid(format!("the provider key “{}” cannot be decrypted with this server's master key; enter the key again", record.name))
        })?)),
        None => None,
    };
    let mut config = ProviderConfig::new(vendor, api_key);
    config.base_url = record.base_url.clone();
    Ok(config)
}

/// The key a model target names, or the project's first usable key (its own, then the global
/// defaults). `Ok(None)` when there is none.
async fn pick_key(stores: &Stores, project_id: &str, key_id: Option<&str>) -> Result<Option<ProviderKeyRecord>, String> {
    let store = stores.primary.as_ref();
    if let Some(id) = key_id {
        return provider_keys::usable_by_project(store, project_id, id).await.map_err(|e| e.to_string());
    }
    let own = store.list_provider_keys(Some(project_id)).await.map_err(|e| e.to_string())?;
    if let Some(k) = own.into_iter().next() {
        return Ok(Some(k));
    }
    Ok(store.list_provider_keys(None).await.map_err(|e| e.to_string())?.into_iter().next())
}

fn random_span_id() -> String {
    format!("{:016x}", rand::random::<u64>().max(1))
}

async fn prices(stores: &Stores, deps: &RunnerDeps) -> Arc<otlp::PriceTable> {
    match deps.prices.table(stores.primary.as_ref()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "price table unavailable; test-run calls are not costed");
            Arc::new(otlp::PriceTable::default())
        }
    }
}

fn with_timeout(mut config: ProviderConfig, timeout: Duration) -> ProviderConfig {
    config.timeout = timeout;
    config
}

async fn run_model(stores: &Stores, deps: &RunnerDeps, run: &TestRun, case: &TestCase, target: &ModelTarget) -> Result<Outcome, String> {
    let params = json!({"temperature": target.temperature, "max_tokens": target.max_tokens});
    let fingerprint = Some(checks::prompt_fingerprint(&target.system_prompt, &target.model, &params));
    let Some(key) = pick_key(stores, &run.project_id, target.provider_key_id.as_deref()).await? else {
        let why = match &target.provider_key_id {
            Some(_) => "the provider key of this test case no longer exists",
            None => "the project has no provider key: add one under Settings → LLM providers",
        };
        return Ok(Outcome { fingerprint, ..Outcome::broken(&case.steps, why.into()) });
    };
    let config = match provider_config(&deps.cipher, &key) {
        Ok(c) => with_timeout(c, deps.config.model_timeout),
        Err(e) => return Ok(Outcome { fingerprint, ..Outcome::broken(&case.steps, e.to_string()) }),
    };
    let prices = prices(stores, deps).await;
    let mut observed = Vec::with_capacity(case.steps.len());
    for step in &case.steps {
        let span = CallContext {
            trace_id: run.trace_id.clone(),
            span_id: random_span_id(),
            provider_key_id: Some(key.id.clone()),
            ..CallContext::new(&run.project_id, SPAN_ORIGIN)
        };
        let observer = Arc::new(SpanObserver::new(span, prices.clone(), deps.sink.clone()));
        let model = step.model.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| target.model.clone());
        let mut messages = Vec::with_capacity(2);
        if !target.system_prompt.trim().is_empty() {
            messages.push(Message::system(target.system_prompt.clone()));
        }
        messages.push(Message::user(step.input.clone()));
        let request = ChatRequest {
            temperature: target.temperature.map(|t| t as f32),
            max_tokens: target.max_tokens,
            ..ChatRequest::new(model, messages)
        };
        let reply = match llm::build_provider(&config, observer) {
            Ok(provider) => provider.chat(&request).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        observed.push(reply.map(|r| {
            let tokens = r.usage.map(|u| u64::from(u.input_tokens) + u64::from(u.output_tokens));
            let cost =
                llm_calls::cost_micros(&prices, &r.model, r.usage).or_else(|| llm_calls::cost_micros(&prices, &request.model, r.usage));
            Observation {
                model: Some(r.model),
                input: step.input.clone(),
                output: r.content,
                tool_calls: r
                    .tool_calls
                    .into_iter()
                    .map(|t| ObservedToolCall { name: t.name, arguments: Value::String(t.arguments) })
                    .collect(),
                latency_ms: r.latency_ms,
                tokens,
                cost_usd: cost.map(|c| c as f64 / 1e6),
            }
        }));
    }
    let mut judge = Judge::new(stores, deps, &run.project_id, Some((&key, &target.model)));
    let mut steps = Vec::with_capacity(case.steps.len());
    for (i, (step, seen)) in case.steps.iter().zip(observed).enumerate() {
        let result = match seen {
            Ok(obs) => {
                let verdict = judge.verdict(step, &obs).await?;
                StepResult { index: i as u32, verdict: checks::evaluate(step, &obs, verdict), observed: Some(obs), override_: None }
            }
            Err(e) => StepResult {
                index: i as u32,
                observed: None,
                verdict: StepVerdict::fail(format!("the model call failed: {e}")),
                override_: None,
            },
        };
        steps.push(result);
    }
    Ok(Outcome { steps, fingerprint, error: None })
}

async fn run_http(stores: &Stores, deps: &RunnerDeps, run: &TestRun, case: &TestCase, target: &HttpTarget) -> Result<Outcome, String> {
    let secrets = match crate::testcases::secret_headers(stores, &deps.cipher, case).await {
        Ok(s) => s,
        Err(ServiceError::Invalid(m)) => return Ok(Outcome::broken(&case.steps, m)),
        Err(e) => return Err(e.to_string()),
    };
    let parent = TraceParent::from_hex(&run.trace_id, &random_span_id()).map_err(|e| format!("bad trace id {}: {e}", run.trace_id))?;
    let mut headers: Vec<(String, String)> =
        target.headers.iter().chain(&secrets).filter(|(n, _)| !n.eq_ignore_ascii_case("traceparent")).cloned().collect();
    headers.push(("traceparent".into(), parent.to_header()));
    let timeout = Duration::from_millis(target.timeout_ms);
    let request = TargetRequest { method: target.method.clone(), url: target.url.clone(), headers, body: target.body.clone(), timeout };
    match deps.caller.call(request).await {
        Err(e) => return Ok(Outcome::broken(&case.steps, e.to_string())),
        Ok(resp) if !(200..300).contains(&resp.status) => {
            let body: String = resp.body.trim().chars().take(BODY_SNIPPET_CHARS).collect();
            let reason = if body.is_empty() {
                format!("the target answered HTTP {}", resp.status)
            } else {
                format!("the target answered HTTP {}: {body}", resp.status)
            };
            return Ok(Outcome::broken(&case.steps, reason));
        }
        Ok(_) => {}
    }
    let calls = wait_for_calls(stores, &deps.config, &run.project_id, &run.trace_id, &case.steps).await?;
    let fingerprint = calls.first().map(|(obs, row)| {
        let params = row_params(row);
        checks::prompt_fingerprint(&system_text(row.input.as_deref().unwrap_or(&obs.input)), obs.model.as_deref().unwrap_or(""), &params)
    });
    let observed: Vec<Observation> = calls.into_iter().map(|(o, _)| o).collect();
    let matched = checks::match_spans_to_steps(&case.steps, &observed);
    let mut judge = Judge::new(stores, deps, &run.project_id, None);
    let mut steps = Vec::with_capacity(case.steps.len());
    for (i, (step, m)) in case.steps.iter().zip(matched).enumerate() {
        let result = match m {
            Some(j) => {
                let obs = observed[j].clone();
                let verdict = judge.verdict(step, &obs).await?;
                StepResult { index: i as u32, verdict: checks::evaluate(step, &obs, verdict), observed: Some(obs), override_: None }
            }
            None => StepResult { index: i as u32, observed: None, verdict: StepVerdict::fail(checks::NO_CALL_OBSERVED), override_: None },
        };
        steps.push(result);
    }
    let error = observed.is_empty().then(|| {
        format!(
            "no AI call of this run's trace arrived within {}: is the application instrumented with OpenTelemetry, \
             continuing the traceparent header and exporting to ElasticDash?",
            secs(deps.config.span_wait)
        )
    });
    Ok(Outcome { steps, fingerprint, error })
}

/// Poll the run's trace until its LLM calls cover every step, or their number stopped changing
/// for `span_settle`, or `span_wait` is over. Returns the calls in start order.
async fn wait_for_calls(
    stores: &Stores,
    config: &RunnerConfig,
    project_id: &str,
    trace_id: &str,
    steps: &[StepExpectation],
) -> Result<Vec<(Observation, SpanRow)>, String> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(10);
    let mut last_count = 0;
    let mut stable_since = Instant::now();
    loop {
        let rows = stores.analytics.trace_spans(project_id, trace_id).await.map_err(|e| e.to_string())?;
        let calls = llm_calls_of(rows);
        let observed: Vec<Observation> = calls.iter().map(|(o, _)| o.clone()).collect();
        if !calls.is_empty() && checks::match_spans_to_steps(steps, &observed).iter().all(Option::is_some) {
            return Ok(calls);
        }
        if calls.len() != last_count {
            last_count = calls.len();
            stable_since = Instant::now();
        } else if !calls.is_empty() && stable_since.elapsed() >= config.span_settle {
            return Ok(calls);
        }
        if started.elapsed() >= config.span_wait {
            return Ok(calls);
        }
        tokio::time::sleep(pause.min(config.span_wait.saturating_sub(started.elapsed()))).await;
        pause = (pause * 2).min(config.span_poll);
    }
}

/// The LLM calls of a trace (spans with a model), in start order, as observations. Spans the
/// platform wrote itself (judge calls, playground) are left out.
pub fn llm_calls_of(mut rows: Vec<SpanRow>) -> Vec<(Observation, SpanRow)> {
    rows.sort_by(|a, b| (a.start_time_unix_nano, &a.span_id).cmp(&(b.start_time_unix_nano, &b.span_id)));
    rows.into_iter()
        .filter(|r| r.model.as_deref().is_some_and(|m| !m.trim().is_empty()))
        .filter(|r| !r.attributes.contains(llm_calls::ORIGIN_ATTRIBUTE) || r.attributes.contains(&format!("\"{SPAN_ORIGIN}\"")))
        .map(|r| (observation_of(&r), r))
        .collect()
}

/// One span as an observed AI call.
pub fn observation_of(row: &SpanRow) -> Observation {
    let output = row.output.as_deref().unwrap_or("");
    let tokens = row.total_tokens.or(match (row.input_tokens, row.output_tokens) {
        (None, None) => None,
        (i, o) => Some(i.unwrap_or(0) + o.unwrap_or(0)),
    });
    Observation {
        model: row.model.clone(),
        input: user_text(row.input.as_deref().unwrap_or("")),
        output: reply_text(output),
        tool_calls: tool_calls_of(output),
        latency_ms: row.duration_ns / 1_000_000,
        tokens,
        cost_usd: row.cost_micros.map(|c| c as f64 / 1e6),
    }
}

fn row_params(row: &SpanRow) -> Value {
    let attrs: Value = serde_json::from_str(&row.attributes).unwrap_or(Value::Null);
    let mut params = serde_json::Map::new();
    for (key, name) in [("gen_ai.request.temperature", "temperature"), ("gen_ai.request.max_tokens", "max_tokens")] {
        if let Some(v) = attrs.get(key).filter(|v| !v.is_null()) {
            params.insert(name.into(), v.clone());
        }
    }
    Value::Object(params)
}

/// Text of a content value: a string, or content parts (`{"type":"text","text"|"content":…}`).
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let texts: Vec<String> = parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) if o.get("type").and_then(Value::as_str).is_none_or(|t| t == "text") => {
                        o.get("text").or_else(|| o.get("content")).and_then(Value::as_str).map(str::to_owned)
                    }
                    _ => None,
                })
                .collect();
            (!texts.is_empty()).then(|| texts.join(""))
        }
        _ => None,
    }
}

/// A message's text: `content` (string or parts) or GenAI `parts`.
fn message_text(m: &Value) -> Option<String> {
    match m {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .get("content")
            .and_then(content_text)
            .or_else(|| o.get("parts").and_then(content_text))
            .or_else(|| o.get("message").and_then(message_text))
            .or_else(|| o.get("text").and_then(Value::as_str).map(str::to_owned)),
        _ => None,
    }
}

fn role_of(m: &Value) -> Option<&str> {
    m.get("role").and_then(Value::as_str)
}

/// The messages a span's input/output text holds, when it is JSON of messages.
fn messages(text: &str) -> Option<Vec<Value>> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('[') || trimmed.starts_with('{')) {
        return None;
    }
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(items) => Some(items),
        Value::Object(o) if o.contains_key("messages") => o.get("messages").and_then(Value::as_array).cloned(),
        Value::Object(o) if o.contains_key("choices") => {
            Some(o["choices"].as_array()?.iter().map(|c| c.get("message").cloned().unwrap_or(Value::Null)).collect())
        }
        other => Some(vec![other]),
    }
}

/// The answer's text: the last assistant message of a JSON output, or the text as it is.
pub fn reply_text(output: &str) -> String {
    let Some(msgs) = messages(output) else { return output.to_owned() };
    let pick = msgs.iter().rev().find(|m| role_of(m).is_none_or(|r| r == "assistant" || r == "model"));
    pick.and_then(message_text).unwrap_or_else(|| output.to_owned())
}

/// The question's text: the last user message of a JSON input, or the text as it is.
pub fn user_text(input: &str) -> String {
    let Some(msgs) = messages(input) else { return input.to_owned() };
    msgs.iter().rev().find(|m| role_of(m) == Some("user")).and_then(message_text).unwrap_or_else(|| input.to_owned())
}

/// The system prompt of a JSON input (all system messages), or the whole input.
fn system_text(input: &str) -> String {
    let Some(msgs) = messages(input) else { return input.to_owned() };
    let system: Vec<String> = msgs.iter().filter(|m| role_of(m) == Some("system")).filter_map(message_text).collect();
    if system.is_empty() {
        input.to_owned()
    } else {
        system.join("\n")
    }
}

/// Tool calls of a JSON output: OpenAI `tool_calls` (`function.name/arguments` or flat) and
/// GenAI `parts` of type `tool_call`.
pub fn tool_calls_of(output: &str) -> Vec<ObservedToolCall> {
    let Some(msgs) = messages(output) else { return Vec::new() };
    let mut calls = Vec::new();
    for m in &msgs {
        for c in m.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            let f = c.get("function").unwrap_or(c);
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                calls.push(ObservedToolCall { name: name.to_owned(), arguments: f.get("arguments").cloned().unwrap_or(Value::Null) });
            }
        }
        for p in m.get("parts").and_then(Value::as_array).into_iter().flatten() {
            if p.get("type").and_then(Value::as_str) == Some("tool_call") {
                if let Some(name) = p.get("name").and_then(Value::as_str) {
                    calls.push(ObservedToolCall { name: name.to_owned(), arguments: p.get("arguments").cloned().unwrap_or(Value::Null) });
                }
            }
        }
    }
    calls
}

/// The judge's provider and model, or why there is none (a reason for the step).
type JudgeProvider = Result<(Arc<dyn LlmProvider>, String), String>;

/// The same-meaning judge of one run: its provider is resolved once, on first use.
struct Judge<'a> {
    stores: &'a Stores,
    deps: &'a RunnerDeps,
    project_id: &'a str,
    /// A model target's key and model.
    preferred: Option<(&'a ProviderKeyRecord, &'a str)>,
    ready: Option<JudgeProvider>,
}

impl<'a> Judge<'a> {
    fn new(stores: &'a Stores, deps: &'a RunnerDeps, project_id: &'a str, preferred: Option<(&'a ProviderKeyRecord, &'a str)>) -> Self {
        Judge { stores, deps, project_id, preferred, ready: None }
    }

    /// `Err` for store errors only.
    async fn provider(&mut self) -> Result<JudgeProvider, String> {
        if let Some(ready) = &self.ready {
            return Ok(ready.clone());
        }
        let (key, model) = match self.preferred {
            Some((k, m)) => (Some(k.clone()), m.to_owned()),
            None => match pick_key(self.stores, self.project_id, None).await? {
                Some(k) => {
                    let m = k.default_model.clone();
                    (Some(k), m)
                }
                None => (None, String::new()),
            },
        };
        let ready = match key {
            None => Err("the project has no provider key to ask the judge with; add one under Settings → LLM providers".to_owned()),
            Some(key) => match provider_config(&self.deps.cipher, &key) {
                Err(e) => Err(e.to_string()),
                Ok(config) => {
                    let prices = prices(self.stores, self.deps).await;
                    // The judge's calls are recorded in a trace of their own.
                    let span = CallContext { provider_key_id: Some(key.id.clone()), ..CallContext::new(self.project_id, JUDGE_ORIGIN) };
                    let observer = Arc::new(SpanObserver::new(span, prices, self.deps.sink.clone()));
                    llm::build_provider(&with_timeout(config, self.deps.config.model_timeout), observer)
                        .map(|p| (p, model))
                        .map_err(|e| e.to_string())
                }
            },
        };
        self.ready = Some(ready.clone());
        Ok(ready)
    }

    /// The judge's verdict for same-meaning steps, `None` for the others.
    async fn verdict(&mut self, step: &StepExpectation, obs: &Observation) -> Result<Option<StepVerdict>, String> {
        let MatchType::SameMeaning { threshold, .. } = &step.match_type else { return Ok(None) };
        let (provider, model) = match self.provider().await? {
            Ok(p) => p,
            Err(why) => return Ok(Some(checks::judge_unavailable(&why))),
        };
        let prompt = checks::judge_request(step, obs);
        let request = ChatRequest {
            temperature: Some(0.0),
            ..ChatRequest::new(model, vec![Message::system(prompt.system), Message::user(prompt.user)])
        };
        Ok(Some(match provider.chat(&request).await {
            Ok(reply) => checks::judge_verdict(&reply.content, *threshold),
            Err(e) => checks::judge_unavailable(&e.to_string()),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::traces::SpanRow;

    fn row(start: u64, model: Option<&str>, input: &str, output: &str) -> SpanRow {
        SpanRow {
            model: model.map(str::to_owned),
            input: Some(input.into()),
            output: Some(output.into()),
            total_tokens: Some(12),
            cost_micros: Some(1500),
            ..SpanRow::new("0af7651916cd43dd8448eb211c80319c", &format!("{start:016x}"), None, "chat", start, 2_000_000)
        }
    }

    #[test]
    fn texts_are_read_from_every_message_shape() {
        assert_eq!(reply_text("plain answer"), "plain answer");
        assert_eq!(reply_text(r#"{"role":"assistant","content":"Hello!"}"#), "Hello!");
        assert_eq!(reply_text(r#"[{"role":"assistant","parts":[{"type":"text","content":"Hi"}]}]"#), "Hi");
        assert_eq!(reply_text(r#"[{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]"#), "ab");
        assert_eq!(reply_text(r#"{"choices":[{"message":{"role":"assistant","content":"x"}}]}"#), "x");
        assert_eq!(reply_text("[not json"), "[not json");
        let input = r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"one"},{"role":"assistant","content":"a"},{"role":"user","content":"two"}]"#;
        assert_eq!(user_text(input), "two");
        assert_eq!(system_text(input), "Be brief.");
        assert_eq!(system_text("just text"), "just text");
    }

    #[test]
    fn tool_calls_are_read_from_openai_and_genai_shapes() {
        let openai = r#"{"role":"assistant","content":"","tool_calls":[{"id":"1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}"#;
        let calls = tool_calls_of(openai);
        assert_eq!(calls.len(), 1);
        assert_eq!((calls[0].name.as_str(), calls[0].arguments.clone()), ("get_weather", json!("{\"city\":\"Paris\"}")));
        let flat = r#"{"role":"assistant","content":"","tool_calls":[{"id":"1","name":"lookup","arguments":"{}"}]}"#;
        assert_eq!(tool_calls_of(flat)[0].name, "lookup");
        let genai = r#"[{"role":"assistant","parts":[{"type":"tool_call","name":"refund","arguments":{"id":7}}]}]"#;
        assert_eq!(tool_calls_of(genai)[0].arguments, json!({"id": 7}));
        assert!(tool_calls_of("no tools").is_empty());
    }

    #[test]
    fn only_llm_spans_count_in_start_order_and_platform_spans_are_left_out() {
        let mut judge = row(5, Some("gpt-4o"), "q", "j");
        judge.attributes = json!({"elasticdash.origin": "test_judge"}).to_string();
        let rows = vec![row(30, Some("b"), "q2", "second"), row(10, None, "", ""), row(20, Some("a"), "q1", "first"), judge];
        let calls = llm_calls_of(rows);
        let outputs: Vec<&str> = calls.iter().map(|(o, _)| o.output.as_str()).collect();
        assert_eq!(outputs, ["first", "second"]);
        let o = &calls[0].0;
        assert_eq!((o.latency_ms, o.tokens, o.cost_usd), (2, Some(12), Some(0.0015)));
    }

    #[test]
    fn junit_is_escaped_and_counts_failures() {
        let run = |id: &str, status: RunStatus, error: Option<&str>| TestRun {
            id: id.into(),
            project_id: "p".into(),
            case_id: "c".into(),
            case_version: 1,
            suite_run_id: Some("s".into()),
            status,
            trace_id: "t".into(),
            prompt_fingerprint: None,
            steps: Vec::new(),
            error: error.map(str::to_owned),
            created_by: None,
            created_at_ms: 0,
            started_at_ms: Some(1_000),
            finished_at_ms: Some(2_500),
        };
        let failed = run("r1", RunStatus::Failed, Some("the target answered HTTP 500: <oops> & \"bad\""));
        let report = SuiteReport {
            suite_run: SuiteRun {
                id: "s".into(),
                project_id: "p".into(),
                suite_id: "x".into(),
                status: RunStatus::Failed,
                total: 3,
                created_by: None,
                trigger: "api".into(),
                created_at_ms: 0,
                finished_at_ms: None,
            },
            suite_name: "Checkout & <refunds>".into(),
            counts: SuiteRunCounts { passed: 1, failed: 1, cancelled: 1, ..Default::default() },
            runs: vec![
                RunSummary { failures: failures_of(&failed), run: failed, case_name: "Bad \u{1} case".into(), outdated: false },
                RunSummary { run: run("r2", RunStatus::Success, None), case_name: "Good".into(), outdated: false, failures: vec![] },
                RunSummary { run: run("r3", RunStatus::Cancelled, None), case_name: "Stopped".into(), outdated: false, failures: vec![] },
            ],
        };
        let xml = junit_xml(&report);
        assert!(xml.contains("name=\"Checkout &amp; &lt;refunds&gt;\""), "{xml}");
        assert!(xml.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), "{xml}");
        assert!(xml.contains("<failure message=\"the target answered HTTP 500: &lt;oops&gt; &amp; &quot;bad&quot;\""), "{xml}");
        assert!(xml.contains("name=\"Bad  case\""), "control characters are dropped: {xml}");
        assert!(xml.contains("<testcase classname=\"Checkout &amp; &lt;refunds&gt;\" name=\"Good\" id=\"r2\" time=\"1.500\"/>"), "{xml}");
        assert!(xml.contains("<skipped message=\"cancelled\"/>"));
        assert_eq!(xml.matches("<testcase ").count(), 3);
    }

    #[test]
    fn diffs_show_changed_outputs_and_passes() {
        let obs = |out: &str| Observation {
            model: None,
            input: String::new(),
            output: out.into(),
            tool_calls: vec![],
            latency_ms: 1,
            tokens: None,
            cost_usd: None,
        };
        let step = |i: u32, out: &str, pass: bool| StepResult {
            index: i,
            observed: Some(obs(out)),
            verdict: if pass { StepVerdict::pass(1.0) } else { StepVerdict::fail("no") },
            override_: None,
        };
        let mut a = TestRun {
            id: "a".into(),
            project_id: "p".into(),
            case_id: "c".into(),
            case_version: 1,
            suite_run_id: None,
            status: RunStatus::Success,
            trace_id: "t".into(),
            prompt_fingerprint: Some("f1".into()),
            steps: vec![step(0, "same", true), step(1, "old", true)],
            error: None,
            created_by: None,
            created_at_ms: 0,
            started_at_ms: None,
            finished_at_ms: None,
        };
        let mut b = a.clone();
        b.steps = vec![step(0, "same", true), step(1, "new", false)];
        a.prompt_fingerprint = Some("f0".into());
        let d = diff_runs(&a, &b);
        assert_eq!(d.len(), 2);
        assert!(!d[0].output_changed && !d[0].pass_changed);
        assert!(d[1].output_changed && d[1].pass_changed);
        assert_eq!((d[1].score_a, d[1].score_b), (Some(1.0), Some(0.0)));
    }

    #[test]
    fn timeouts_read_well() {
        assert_eq!(TargetError::Timeout(Duration::from_secs(5)).to_string(), "the target did not answer within 5 s");
        assert_eq!(TargetError::Timeout(Duration::from_millis(1500)).to_string(), "the target did not answer within 1.5 s");
    }
}
