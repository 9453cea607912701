//! Suites of test cases (issue 7): named, ordered lists of cases run together. Members read;
//! editors and owners create, change and delete them (audited). Running a suite is in
//! [`test_runs`](crate::test_runs).

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    ServiceError, ServiceResult, StoreError, Stores,
};
use domain::{
    testcases::{Suite, SuiteRun},
    ProjectRole,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_CASES: usize = 1000;

/// A suite as typed: cases in run order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub case_ids: Vec<String>,
}

/// A suite with its most recent run, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteSummary {
    pub suite: Suite,
    pub latest_run: Option<SuiteRun>,
}

fn invalid(m: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(m.into())
}

fn clean(input: &SuiteInput) -> ServiceResult<SuiteInput> {
    let name = input.name.trim().to_owned();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(format!("a suite's name has 1 to {MAX_NAME_CHARS} characters on one line")));
    }
    let description = input.description.trim().replace("\r\n", "\n");
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid(format!("a suite's description has at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    // Each case once, in the order first given (a form may repeat a checkbox).
    let mut case_ids: Vec<String> = Vec::new();
    for id in input.case_ids.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if !case_ids.iter().any(|c| c == id) {
            case_ids.push(id.to_owned());
        }
    }
    if case_ids.is_empty() {
        return Err(invalid("choose at least one test case for the suite"));
    }
    if case_ids.len() > MAX_CASES {
        return Err(invalid(format!("a suite has at most {MAX_CASES} test cases")));
    }
    Ok(SuiteInput { name, description, case_ids })
}

/// Store errors in the words of this use case.
fn store_error(e: StoreError, name: &str) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::Conflict(format!("the project already has a suite named “{name}”")),
        StoreError::NotFound => invalid("one of the chosen test cases no longer exists; reload the page"),
        other => other.into(),
    }
}

fn audit_view(s: &Suite) -> serde_json::Value {
    json!({"name": s.name, "description": s.description, "case_ids": s.case_ids})
}

/// Every member must be a case of this project: another project's case id is refused, not stored.
async fn check_members(stores: &Stores, project_id: &ProjectId, case_ids: &[String]) -> ServiceResult<()> {
    for id in case_ids {
        if stores.primary.case(project_id, id).await?.is_none() {
            return Err(ServiceError::Invalid(format!("this project has no test case “{id}”")));
        }
    }
    Ok(())
}

async fn load(stores: &Stores, access: &ProjectAccess, id: &str) -> ServiceResult<Suite> {
    stores.primary.suite(&access.id, id).await?.ok_or(ServiceError::NotFound("suite"))
}

pub async fn create(stores: &Stores, ctx: &RequestContext, slug: &str, input: &SuiteInput) -> ServiceResult<Suite> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let input = clean(input)?;
    check_members(stores, &access.id, &input.case_ids).await?;
    let now = now_ms();
    let suite = Suite {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: access.project.id.clone(),
        name: input.name,
        description: input.description,
        case_ids: input.case_ids,
        created_at_ms: now,
        updated_at_ms: now,
    };
    stores.primary.insert_suite(&suite).await.map_err(|e| store_error(e, &suite.name))?;
    let change = Change {
        action: "suite.create",
        entity_type: "suite",
        entity_id: &suite.id,
        project_id: Some(&suite.project_id),
        old: None,
        new: Some(audit_view(&suite)),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(suite)
}

pub async fn update(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str, input: &SuiteInput) -> ServiceResult<Suite> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let old = load(stores, &access, id).await?;
    let input = clean(input)?;
    check_members(stores, &access.id, &input.case_ids).await?;
    let suite =
        Suite { name: input.name, description: input.description, case_ids: input.case_ids, updated_at_ms: now_ms(), ..old.clone() };
    stores.primary.update_suite(&suite).await.map_err(|e| store_error(e, &suite.name))?;
    let change = Change {
        action: "suite.update",
        entity_type: "suite",
        entity_id: &suite.id,
        project_id: Some(&suite.project_id),
        old: Some(audit_view(&old)),
        new: Some(audit_view(&suite)),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(suite)
}

/// Delete a suite and its suite runs (its cases and their runs stay).
pub async fn delete(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<Suite> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let suite = load(stores, &access, id).await?;
    stores.primary.delete_suite(&access.id, id).await?;
    let change = Change {
        action: "suite.delete",
        entity_type: "suite",
        entity_id: &suite.id,
        project_id: Some(&suite.project_id),
        old: Some(audit_view(&suite)),
        new: None,
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(suite)
}

/// The project's suites by name, each with its latest run (members).
pub async fn list(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<(ProjectAccess, Vec<SuiteSummary>)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let mut out = Vec::new();
    for suite in stores.primary.list_suites(&access.id).await? {
        let latest_run = stores.primary.list_suite_runs(&access.id, &suite.id, 1).await?.into_iter().next();
        out.push(SuiteSummary { suite, latest_run });
    }
    Ok((access, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, ids: &[&str]) -> SuiteInput {
        SuiteInput { name: name.into(), description: " d \r\n e ".into(), case_ids: ids.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn input_is_trimmed_and_cases_deduplicated_in_order() {
        let c = clean(&input("  Smoke  ", &["b", "a", " b ", ""])).unwrap();
        assert_eq!(c.name, "Smoke");
        assert_eq!(c.description, "d \n e");
        assert_eq!(c.case_ids, ["b", "a"]);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(clean(&input(" ", &["a"])).unwrap_err().to_string().contains("name"));
        assert!(clean(&input("a\nb", &["a"])).is_err());
        assert!(clean(&input(&"x".repeat(MAX_NAME_CHARS + 1), &["a"])).is_err());
        assert!(clean(&input("ok", &[])).unwrap_err().to_string().contains("at least one"));
        let long = SuiteInput { description: "x".repeat(MAX_DESCRIPTION_CHARS + 1), ..input("ok", &["a"]) };
        assert!(clean(&long).is_err());
    }
}
