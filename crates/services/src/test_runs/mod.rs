//! Test runs (issue 7): start a case or a suite, execute a run on the worker, cancel, override a
//! step, compare two runs, report on a suite run.
//!
//! A run is executed by the `test_run.execute` job ([`execute`]). Its status moves by
//! compare-and-set only (pending → running → success | failed, or → cancelled), so a repeated or
//! stale job cannot finish a run twice, and a cancelled run drops the result its worker computed.
//! Step results are written once, with the final status, replacing whatever a crashed attempt
//! left: nothing is ever appended or counted twice. Suite counts are computed from the runs.
//!
//! - Model targets call the provider once per step (system prompt + the step's input) through the
//!   [`LlmGateway`]; each call becomes a span of the run's trace, as playground calls do.
//! - HTTP targets get a W3C `traceparent` carrying the run's trace id; the runner then waits for
//!   the application's LLM spans of that trace to arrive through OTLP ingestion and matches them
//!   to the steps in order ([`checks::match_spans_to_steps`]).
//! - Same-meaning steps ask an LLM judge through the LLM layer.
//!
//! Sending the HTTP request is behind [`TargetCaller`], so this crate carries no HTTP client.

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    llm_calls,
    llm_gateway::{KeyChoice, LlmGateway, LlmUse},
    provider_keys::KeyCipher,
    ServiceError, ServiceResult, StoreError, Stores,
};
use async_trait::async_trait;
use checks::{Observation, ObservedToolCall, StepExpectation, StepVerdict, TraceParent};
use domain::chat_payload::{reply_text, system_text, user_text};
use domain::{
    jobs::NewJob,
    test_steps::MatchType,
    testcases::{
        CaseStatus, HttpTarget, ModelTarget, RunStatus, StepOverride, StepResult, SuiteRun, SuiteRunCounts, Target, TestCase, TestRun,
    },
    traces::SpanRow,
    ProjectRole,
};
use llm::{ChatRequest, LlmProvider, Message};
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

pub use domain::jobs::Attempt;

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
    /// Decrypts the secret headers of HTTP targets.
    pub cipher: Arc<KeyCipher>,
    /// Model targets and the judge call through it.
    pub llm: Arc<dyn LlmGateway>,
    pub caller: Arc<dyn TargetCaller>,
    pub config: RunnerConfig,
    limiter: ProjectLimiter,
}

impl RunnerDeps {
    pub fn new(cipher: Arc<KeyCipher>, llm: Arc<dyn LlmGateway>, caller: Arc<dyn TargetCaller>, config: RunnerConfig) -> RunnerDeps {
        let limiter = ProjectLimiter { per_project: config.per_project, gates: Mutex::new(HashMap::new()) };
        RunnerDeps { cipher, llm, caller, config, limiter }
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

async fn load_case(stores: &Stores, project_id: &ProjectId, id: &str) -> ServiceResult<TestCase> {
    stores.primary.case(project_id, id).await?.ok_or(ServiceError::NotFound("test case"))
}

async fn load_run(stores: &Stores, project_id: &ProjectId, id: &str) -> ServiceResult<TestRun> {
    stores.primary.run(project_id, id).await?.ok_or(ServiceError::NotFound("test run"))
}

async fn load_suite_run(stores: &Stores, project_id: &ProjectId, id: &str) -> ServiceResult<SuiteRun> {
    stores.primary.suite_run(project_id, id).await?.ok_or(ServiceError::NotFound("suite run"))
}

mod compare;
mod judge;
mod lifecycle;
mod observed;
mod report;
mod runner;

use self::judge::*;
pub use self::{compare::*, lifecycle::*, observed::*, report::*, runner::*};

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
