//! Two runs of a case side by side, step by step.

use super::*;

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
