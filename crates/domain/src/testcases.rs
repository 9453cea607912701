//! Test cases, suites and runs (issue 7): what a team records about its AI application and the
//! results of checking the application against it. The step types themselves are in
//! [`test_steps`](crate::test_steps); the checks in the `checks` crate.

use crate::test_steps::{Observation, StepExpectation, StepVerdict};
use serde::{Deserialize, Serialize};

/// Review state of a test case: draft → review → approved | rejected. Only approved cases run
/// in suites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Draft,
    Review,
    Approved,
    Rejected,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] = [CaseStatus::Draft, CaseStatus::Review, CaseStatus::Approved, CaseStatus::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Review => "review",
            CaseStatus::Approved => "approved",
            CaseStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => CaseStatus::Draft,
            "review" => CaseStatus::Review,
            "approved" => CaseStatus::Approved,
            "rejected" => CaseStatus::Rejected,
            _ => return None,
        })
    }

    /// Shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CaseStatus::Draft => "Draft",
            CaseStatus::Review => "In review",
            CaseStatus::Approved => "Approved",
            CaseStatus::Rejected => "Rejected",
        }
    }

    /// The review workflow. A reviewer may send a case in review back to draft; an approved or
    /// rejected case goes back to draft to be reworked (editing an approved case does that).
    pub fn can_move_to(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, next),
            (Draft, Review) | (Review, Approved) | (Review, Rejected) | (Review, Draft) | (Rejected, Draft) | (Approved, Draft)
        )
    }
}

/// An HTTP request to the team's own application. Header values that are secrets (API keys,
/// cookies) are not here: only their names, the values are encrypted and stored apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpTarget {
    pub url: String,
    pub method: String,
    /// Plain headers, in order, sent as written.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Names of the headers whose values are encrypted (`TestCaseRepo::case_secret_headers`).
    #[serde(default)]
    pub secret_header_names: Vec<String>,
    #[serde(default)]
    pub body: String,
    pub timeout_ms: u64,
}

/// A direct model call through the LLM layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTarget {
    /// A provider key of the project (or a global one); `None` for the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_key_id: Option<String>,
    pub model: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// What a run calls. Serialised with a `kind` tag (`"http"`, `"model"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Http(HttpTarget),
    Model(ModelTarget),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// Free-form grouping ("checkout", "refunds"); empty for none.
    #[serde(default)]
    pub feature: String,
    /// The trace the case was made from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_trace_id: Option<String>,
    pub target: Target,
    /// The expected AI calls, in the order they must happen.
    pub steps: Vec<StepExpectation>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub status: CaseStatus,
    /// Bumped on every edit; runs record the version they ran, so a run of an older version is
    /// outdated.
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A reviewer's comment on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseComment {
    pub id: String,
    pub project_id: String,
    pub case_id: String,
    pub author_id: Option<String>,
    /// Filled when comments are listed (from the author's account); ignored when saving.
    #[serde(default)]
    pub author_email: Option<String>,
    pub body: String,
    pub created_at_ms: i64,
}

/// A named, ordered list of cases run together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suite {
    pub id: String,
    pub project_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// In run order, each case once.
    pub case_ids: Vec<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Stored status of a run or a suite run. "Outdated" is not stored: it is derived from the
/// case's version ([`TestRun::is_outdated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    /// Finished and every step passed.
    Success,
    /// Finished with a failing step, or could not finish (`error` says why).
    Failed,
    Cancelled,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [RunStatus::Pending, RunStatus::Running, RunStatus::Success, RunStatus::Failed, RunStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RunStatus::Pending,
            "running" => RunStatus::Running,
            "success" => RunStatus::Success,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            _ => return None,
        })
    }

    /// Shown to people.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Pending => "Pending",
            RunStatus::Running => "Running",
            RunStatus::Success => "Passed",
            RunStatus::Failed => "Failed",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Success | RunStatus::Failed | RunStatus::Cancelled)
    }
}

/// A person's verdict on a step, replacing the automatic one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOverride {
    pub passed: bool,
    pub comment: String,
    pub by: Option<String>,
    pub at_ms: i64,
}

/// One step of a run: what was observed and how it was judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// Index into the case's steps.
    pub index: u32,
    /// `None` when no matching AI call was observed.
    pub observed: Option<Observation>,
    pub verdict: StepVerdict,
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<StepOverride>,
}

impl StepResult {
    /// The person's verdict when there is one, else the automatic one.
    pub fn effective_pass(&self) -> bool {
        self.override_.as_ref().map_or(self.verdict.passed, |o| o.passed)
    }
}

/// One execution of one case (alone or as part of a suite run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRun {
    pub id: String,
    pub project_id: String,
    pub case_id: String,
    /// The case version that ran.
    pub case_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_run_id: Option<String>,
    pub status: RunStatus,
    /// W3C trace id (32 lowercase hex) the runner chose and sent in `traceparent`.
    pub trace_id: String,
    /// Fingerprint of the system prompt and model parameters observed, for comparisons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_fingerprint: Option<String>,
    #[serde(default)]
    pub steps: Vec<StepResult>,
    /// Why the run could not finish, in words a person understands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<i64>,
}

impl TestRun {
    /// Finished successfully and every step passes (human overrides included).
    pub fn passed(&self) -> bool {
        self.status == RunStatus::Success && self.steps.iter().all(StepResult::effective_pass)
    }

    /// The case changed after this run.
    pub fn is_outdated(&self, case_version: u32) -> bool {
        self.case_version < case_version
    }

    /// The final status a finished run deserves from its steps: success when it ran without
    /// error and every step passes (overrides included), failed otherwise. For the runner at
    /// the end of a run, and after a human override.
    pub fn settled_status(&self) -> RunStatus {
        if self.error.is_none() && self.steps.iter().all(StepResult::effective_pass) {
            RunStatus::Success
        } else {
            RunStatus::Failed
        }
    }
}

/// One execution of a suite: one [`TestRun`] per case, each with this `suite_run_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteRun {
    pub id: String,
    pub project_id: String,
    pub suite_id: String,
    pub status: RunStatus,
    /// Runs started (approved cases at start time).
    pub total: u32,
    pub created_by: Option<String>,
    /// "ui" or "api" (CI).
    pub trigger: String,
    pub created_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

/// Where a suite run's runs are, counted from the runs themselves (never incremented, so a
/// retried job cannot count twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteRunCounts {
    pub pending: u32,
    pub running: u32,
    /// Finished and [`TestRun::passed`].
    pub passed: u32,
    /// Finished and not passed.
    pub failed: u32,
    pub cancelled: u32,
}

impl SuiteRunCounts {
    pub fn total(&self) -> u32 {
        self.pending + self.running + self.passed + self.failed + self.cancelled
    }

    /// Every run is finished or cancelled.
    pub fn is_done(&self) -> bool {
        self.pending == 0 && self.running == 0
    }
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
    /// The cases' names ("(deleted case)" when gone).
    pub case_name_a: String,
    pub case_name_b: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CaseStatus::parse("Draft"), None);
        assert_eq!(RunStatus::parse("outdated"), None, "outdated is derived, never stored");
    }

    #[test]
    fn review_workflow() {
        use CaseStatus::*;
        let allowed: Vec<_> =
            CaseStatus::ALL.iter().flat_map(|&a| CaseStatus::ALL.iter().map(move |&b| (a, b))).filter(|(a, b)| a.can_move_to(*b)).collect();
        assert_eq!(
            allowed,
            [(Draft, Review), (Review, Draft), (Review, Approved), (Review, Rejected), (Approved, Draft), (Rejected, Draft)]
        );
    }

    #[test]
    fn target_is_tagged_by_kind() {
        let t = Target::Http(HttpTarget {
            url: "http://localhost:9/chat".into(),
            method: "POST".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            secret_header_names: vec!["authorization".into()],
            body: "{}".into(),
            timeout_ms: 5_000,
        });
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["kind"], "http");
        assert_eq!(v["headers"], json!([["content-type", "application/json"]]));
        assert_eq!(serde_json::from_value::<Target>(v).unwrap(), t);
        let m: Target = serde_json::from_value(json!({"kind": "model", "model": "gpt-4o-mini"})).unwrap();
        assert_eq!(
            m,
            Target::Model(ModelTarget {
                provider_key_id: None,
                model: "gpt-4o-mini".into(),
                system_prompt: String::new(),
                temperature: None,
                max_tokens: None
            })
        );
    }

    fn step(passed: bool, override_: Option<bool>) -> StepResult {
        StepResult {
            index: 0,
            observed: None,
            verdict: if passed { StepVerdict::pass(1.0) } else { StepVerdict::fail("no") },
            override_: override_.map(|passed| StepOverride { passed, comment: "checked".into(), by: None, at_ms: 1 }),
        }
    }

    fn run(status: RunStatus, steps: Vec<StepResult>) -> TestRun {
        TestRun {
            id: "r".into(),
            project_id: "p".into(),
            case_id: "c".into(),
            case_version: 2,
            suite_run_id: None,
            status,
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            prompt_fingerprint: None,
            steps,
            error: None,
            created_by: None,
            created_at_ms: 0,
            started_at_ms: None,
            finished_at_ms: None,
        }
    }

    #[test]
    fn overrides_decide_the_step_and_the_run() {
        assert!(step(true, None).effective_pass());
        assert!(!step(true, Some(false)).effective_pass());
        assert!(step(false, Some(true)).effective_pass());

        let overridden = run(RunStatus::Failed, vec![step(true, None), step(false, Some(true))]);
        assert!(!overridden.passed(), "status not settled yet");
        assert_eq!(overridden.settled_status(), RunStatus::Success);
        assert!(run(RunStatus::Success, vec![step(true, None), step(false, Some(true))]).passed());
        assert!(!run(RunStatus::Success, vec![step(true, Some(false))]).passed());
        assert!(!run(RunStatus::Running, vec![step(true, None)]).passed());
        let broken = TestRun { error: Some("target down".into()), ..run(RunStatus::Running, vec![]) };
        assert_eq!(broken.settled_status(), RunStatus::Failed);
    }

    #[test]
    fn override_is_serialised_as_override_and_runs_get_outdated() {
        let v = serde_json::to_value(step(false, Some(true))).unwrap();
        assert_eq!(v["override"]["passed"], true);
        assert!(v.get("override_").is_none());
        let r = run(RunStatus::Success, vec![]);
        assert!(!r.is_outdated(2));
        assert!(r.is_outdated(3));
    }
}
