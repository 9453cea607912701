//! Suite-run reports, pass-rate trends, settling a suite run, and JUnit XML for CI.

use super::*;
use crate::ports::ProjectId;

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

pub(super) fn pass_rate(c: &SuiteRunCounts) -> Option<f64> {
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

pub(super) async fn report_in(stores: &Stores, project_id: &ProjectId, suite_run_id: &str) -> ServiceResult<SuiteReport> {
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
    report_in(stores, &access.id, suite_run_id).await
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
    let project_id = &access.id;
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
pub async fn settle_suite_run(stores: &Stores, project_id: &ProjectId, suite_run_id: &str) -> ServiceResult<()> {
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
