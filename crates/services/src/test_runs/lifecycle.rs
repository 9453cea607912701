//! Starting, cancelling and overriding runs; reading one run and a case's history.

use super::*;
use crate::ports::InProject;

/// Run one case now (editors; a case in any review state may be run by hand).
pub async fn start_case_run(stores: &Stores, ctx: &RequestContext, slug: &str, case_id: &str) -> ServiceResult<TestRun> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let case = load_case(stores, &access.id, case_id).await?;
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
            (access.id, ctx, ctx.actor.as_ref().map(|a| a.user_id.clone()), "ui", None)
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
        project_id: project_id.to_string(),
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
        project_id: Some(project_id.as_str()),
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
    let mut run = load_run(stores, &access.id, run_id).await?;
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
        settle_suite_run(stores, &run.project(), suite_run_id).await?;
    }
    Ok(run)
}

/// Cancel a suite run: its pending runs in one statement, its running ones one by one.
pub async fn cancel_suite_run(stores: &Stores, ctx: &RequestContext, slug: &str, suite_run_id: &str) -> ServiceResult<SuiteRunCounts> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let project_id = &access.id;
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
    audit_simple(stores, ctx, "suite_run.cancel", "suite_run", suite_run_id, project_id.as_str(), change).await?;
    settle_suite_run(stores, project_id, suite_run_id).await?;
    Ok(stores.primary.suite_run_counts(project_id, suite_run_id).await?)
}

pub(super) async fn audit_simple(
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
    let mut run = load_run(stores, &access.id, run_id).await?;
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
    let run = load_run(stores, &access.id, run_id).await?;
    Ok((access, run))
}

/// A run with what its page shows: the case (when it still exists) and who overrode steps.
#[derive(Debug, Clone)]
pub struct RunDetails {
    pub access: ProjectAccess,
    pub run: TestRun,
    pub case: Option<TestCase>,
    /// `(user id, e-mail)` of the people who overrode a step.
    pub people: Vec<(String, String)>,
}

pub async fn run_details(stores: &Stores, ctx: &RequestContext, slug: &str, run_id: &str) -> ServiceResult<RunDetails> {
    let (access, run) = get_run(stores, ctx, slug, run_id).await?;
    let case = stores.primary.case(&access.id, &run.case_id).await?;
    let mut ids: Vec<&String> = run.steps.iter().filter_map(|s| s.override_.as_ref().and_then(|o| o.by.as_ref())).collect();
    ids.sort();
    ids.dedup();
    let mut people = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = stores.primary.user_by_id(id).await? {
            people.push((id.clone(), user.email.to_string()));
        }
    }
    Ok(RunDetails { access, run, case, people })
}

/// A case's runs, newest first (members).
pub async fn case_history(stores: &Stores, ctx: &RequestContext, slug: &str, case_id: &str, limit: u32) -> ServiceResult<Vec<TestRun>> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    load_case(stores, &access.id, case_id).await?;
    Ok(stores.primary.list_runs_of_case(&access.id, case_id, limit.clamp(1, 500)).await?)
}
