//! Two runs of a case side by side, step by step.

use super::*;

pub use domain::testcases::{diff_runs, RunComparison, StepDiff};

/// Two runs of project `slug` side by side, with their cases' names, for any member.
pub async fn compare_runs(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    a: &str,
    b: &str,
) -> ServiceResult<(ProjectAccess, RunComparison)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let (a, b) = (load_run(stores, &access.id, a).await?, load_run(stores, &access.id, b).await?);
    let steps = diff_runs(&a, &b);
    let project_id = &access.id;
    let name = |case_id: String| async move {
        Ok::<_, ServiceError>(stores.primary.case(project_id, &case_id).await?.map(|c| c.name).unwrap_or_else(|| "(deleted case)".into()))
    };
    let (case_name_a, case_name_b) = futures::try_join!(name(a.case_id.clone()), name(b.case_id.clone()))?;
    let comparison = RunComparison {
        case_name_a,
        case_name_b,
        fingerprint_a: a.prompt_fingerprint.clone(),
        fingerprint_b: b.prompt_fingerprint.clone(),
        fingerprint_changed: a.prompt_fingerprint != b.prompt_fingerprint,
        steps,
        a,
        b,
    };
    Ok((access, comparison))
}
