//! Test cases (issue 7): create, edit, duplicate, delete, review (draft → review → approved |
//! rejected) and comments. Members read; editors and owners change (audited). Secret header
//! values of HTTP targets are encrypted with the provider-key cipher, bound to the case id.

use crate::ports::InProject;
use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    clock::now_ms,
    context::RequestContext,
    ports::testcases::CaseFilter,
    provider_keys::KeyCipher,
    ServiceError, ServiceResult, StoreError, Stores,
};
use domain::{
    testcases::{CaseComment, CaseStatus, HttpTarget, Target, TestCase},
    ProjectRole,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_STEPS: usize = 50;
pub const MAX_TAGS: usize = 20;
pub const MAX_COMMENT_CHARS: usize = 4000;
pub const MAX_HEADERS: usize = 50;
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A case as typed or generated. Secret headers are given in clear here, once; `None` on an edit
/// keeps the stored ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseInput {
    pub name: String,
    #[serde(default)]
    pub feature: String,
    #[serde(default)]
    pub source_trace_id: Option<String>,
    pub target: Target,
    pub steps: Vec<domain::test_steps::StepExpectation>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub secret_headers: Option<Vec<(String, String)>>,
}

fn invalid(m: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(m.into())
}

fn check_header_name(name: &str) -> ServiceResult<()> {
    if name.is_empty() || name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
        return Err(invalid(format!("“{name}” is not a valid header name")));
    }
    Ok(())
}

fn check_target(target: &Target, secret_names: &[String]) -> ServiceResult<()> {
    match target {
        Target::Http(HttpTarget { url, method, headers, body, timeout_ms, .. }) => {
            let parsed = url::Url::parse(url).map_err(|_| invalid(format!("“{url}” is not a URL")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("the target URL must start with http:// or https://"));
            }
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                return Err(invalid(format!("{method} is not a supported method (GET, POST, PUT, PATCH, DELETE)")));
            }
            if headers.len() + secret_names.len() > MAX_HEADERS {
                return Err(invalid(format!("a target has at most {MAX_HEADERS} headers")));
            }
            for (name, value) in headers {
                check_header_name(name)?;
                if value.chars().any(char::is_control) {
                    return Err(invalid(format!("the header {name} has control characters")));
                }
            }
            if body.len() > MAX_BODY_BYTES {
                return Err(invalid("the request body is larger than 256 KB"));
            }
            if !(100..=600_000).contains(timeout_ms) {
                return Err(invalid("the timeout must be between 0.1 s and 10 minutes"));
            }
        }
        Target::Model(m) => {
            if m.model.trim().is_empty() {
                return Err(invalid("choose the model to call"));
            }
            if m.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
                return Err(invalid("the temperature must be between 0 and 2"));
            }
        }
    }
    Ok(())
}

/// Check everything a person typed; the steps through `checks` (bad regex, schema, threshold).
fn clean(input: &CaseInput) -> ServiceResult<CaseInput> {
    let mut out = input.clone();
    out.name = input.name.trim().to_owned();
    let n = out.name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || out.name.chars().any(char::is_control) {
        return Err(invalid(format!("a test case's name has 1 to {MAX_NAME_CHARS} characters on one line")));
    }
    out.feature = input.feature.trim().chars().take(MAX_NAME_CHARS).collect();
    if input.steps.is_empty() || input.steps.len() > MAX_STEPS {
        return Err(invalid(format!("a test case has 1 to {MAX_STEPS} steps")));
    }
    for (i, step) in input.steps.iter().enumerate() {
        checks::validate_expectation(step).map_err(|e| invalid(format!("step {}: {e}", i + 1)))?;
    }
    let mut tags: Vec<String> = Vec::new();
    for t in input.tags.iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()) {
        if t.len() > 50 || t.contains('|') || t.chars().any(char::is_control) {
            return Err(invalid(format!("“{t}” is not a valid tag (50 characters at most, no “|”)")));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(invalid(format!("a test case has at most {MAX_TAGS} tags")));
    }
    out.tags = tags;
    if let Some(secrets) = &input.secret_headers {
        for (name, _) in secrets {
            check_header_name(name)?;
        }
    }
    if let Target::Http(http) = &mut out.target {
        if let Some(secrets) = &input.secret_headers {
            http.secret_header_names = secrets.iter().map(|(n, _)| n.clone()).collect();
        }
        http.method = http.method.to_ascii_uppercase();
    }
    let secret_names = match &out.target {
        Target::Http(h) => h.secret_header_names.clone(),
        Target::Model(_) => Vec::new(),
    };
    check_target(&out.target, &secret_names)?;
    Ok(out)
}

fn secret_ad(case_id: &str) -> String {
    format!("test-case:{case_id}")
}

fn seal(cipher: &KeyCipher, project_id: &str, case_id: &str, secrets: &[(String, String)]) -> ServiceResult<Vec<u8>> {
    let plain = serde_json::to_string(secrets).map_err(|_| ServiceError::Internal)?;
    Ok(cipher.encrypt(Some(project_id), &secret_ad(case_id), &plain))
}

/// Ids a case refers to must belong to its project (or be a global provider key): an id from
/// another project would be stored and fail, or leak, at run time.
async fn check_references(stores: &Stores, project_id: &ProjectId, input: &CaseInput) -> ServiceResult<()> {
    if let Target::Model(m) = &input.target {
        if let Some(key_id) = m.provider_key_id.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            crate::provider_keys::usable_by_project(stores.primary.as_ref(), project_id, key_id)
                .await?
                .ok_or_else(|| invalid("the chosen provider key is not one this project can use"))?;
        }
    }
    Ok(())
}

/// The secret headers of a case in clear (for the runner only).
pub async fn secret_headers(stores: &Stores, cipher: &KeyCipher, case: &TestCase) -> ServiceResult<Vec<(String, String)>> {
    let Some(blob) = stores.primary.case_secret_headers(&case.project(), &case.id).await? else { return Ok(Vec::new()) };
    let plain = cipher
        .decrypt(Some(&case.project_id), &secret_ad(&case.id), &blob)
        .map_err(|_| invalid("the secret headers of this test case cannot be decrypted with this server's master key; enter them again"))?;
    serde_json::from_str(&plain).map_err(|_| ServiceError::Internal)
}

/// What audit rows say about a case: never the secret values.
fn audit_view(case: &TestCase) -> serde_json::Value {
    json!({"name": case.name, "feature": case.feature, "status": case.status.as_str(), "version": case.version,
    "steps": case.steps.len(), "tags": case.tags, "target": match &case.target {
        Target::Http(h) => json!({"kind": "http", "method": h.method, "url": h.url, "secret_headers": h.secret_header_names}),
        Target::Model(m) => json!({"kind": "model", "model": m.model}),
    }})
}

async fn load(stores: &Stores, access: &ProjectAccess, id: &str) -> ServiceResult<TestCase> {
    stores.primary.case(&access.id, id).await?.ok_or(ServiceError::NotFound("test case"))
}

pub async fn create(stores: &Stores, cipher: &KeyCipher, ctx: &RequestContext, slug: &str, input: &CaseInput) -> ServiceResult<TestCase> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    create_in(stores, cipher, ctx, &access, input).await
}

/// Create in a project already authorised (AI generation creates several).
pub async fn create_in(
    stores: &Stores,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    access: &ProjectAccess,
    input: &CaseInput,
) -> ServiceResult<TestCase> {
    let input = clean(input)?;
    check_references(stores, &access.id, &input).await?;
    let now = now_ms();
    let case = TestCase {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: access.project.id.clone(),
        name: input.name.clone(),
        feature: input.feature.clone(),
        source_trace_id: input.source_trace_id.clone(),
        target: input.target.clone(),
        steps: input.steps.clone(),
        tags: input.tags.clone(),
        status: CaseStatus::Draft,
        version: 1,
        created_by: ctx.actor.as_ref().map(|a| a.user_id.clone()),
        created_at_ms: now,
        updated_at_ms: now,
    };
    let sealed = match &input.secret_headers {
        Some(s) if !s.is_empty() => Some(seal(cipher, &case.project_id, &case.id, s)?),
        _ => None,
    };
    stores.primary.insert_case(&case, sealed.as_deref()).await?;
    let change = Change {
        action: "test_case.create",
        entity_type: "test_case",
        entity_id: &case.id,
        project_id: Some(&case.project_id),
        old: None,
        new: Some(audit_view(&case)),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(case)
}

/// Edit a case the caller saw at `version` (a stale form gets a conflict, not a lost update).
/// Any edit bumps the version (older runs become outdated) and sends an approved case back to
/// draft: what runs in suites is always what was reviewed.
pub async fn update(
    stores: &Stores,
    cipher: &KeyCipher,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    version: u32,
    input: &CaseInput,
) -> ServiceResult<TestCase> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let old = load(stores, &access, id).await?;
    let mut input = clean(input)?;
    check_references(stores, &access.id, &input).await?;
    // Secret values not re-entered are kept, and so are their names (whatever the form sent).
    if input.secret_headers.is_none() {
        if let (Target::Http(new), Target::Http(stored)) = (&mut input.target, &old.target) {
            new.secret_header_names = stored.secret_header_names.clone();
        }
    }
    let mut case = old.clone();
    case.name = input.name;
    case.feature = input.feature;
    case.target = input.target;
    case.steps = input.steps;
    case.tags = input.tags;
    case.version = version + 1;
    case.updated_at_ms = now_ms();
    if case.status != CaseStatus::Draft {
        case.status = CaseStatus::Draft;
    }
    let sealed = match &input.secret_headers {
        None => None,
        Some(s) if s.is_empty() => Some(None),
        Some(s) => Some(Some(seal(cipher, &case.project_id, &case.id, s)?)),
    };
    stores.primary.update_case(&case, version, sealed.as_ref().map(|o| o.as_deref())).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("someone changed this test case meanwhile; reload it and edit again".into()),
        other => other.into(),
    })?;
    let change = Change {
        action: "test_case.update",
        entity_type: "test_case",
        entity_id: &case.id,
        project_id: Some(&case.project_id),
        old: Some(audit_view(&old)),
        new: Some(audit_view(&case)),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(case)
}

/// A copy as a new draft (secret headers copied too).
pub async fn duplicate(stores: &Stores, cipher: &KeyCipher, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<TestCase> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let case = load(stores, &access, id).await?;
    let secrets = secret_headers(stores, cipher, &case).await?;
    let input = CaseInput {
        name: format!("{} (copy)", case.name).chars().take(MAX_NAME_CHARS).collect(),
        feature: case.feature,
        source_trace_id: case.source_trace_id,
        target: case.target,
        steps: case.steps,
        tags: case.tags,
        secret_headers: Some(secrets),
    };
    create_in(stores, cipher, ctx, &access, &input).await
}

pub async fn delete(stores: &Stores, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let case = load(stores, &access, id).await?;
    stores.primary.delete_case(&access.id, id).await?;
    let change = Change {
        action: "test_case.delete",
        entity_type: "test_case",
        entity_id: &case.id,
        project_id: Some(&case.project_id),
        old: Some(audit_view(&case)),
        new: None,
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(())
}

/// Move a case through review; a comment may go with it (a reviewer's reason).
pub async fn set_status(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
    to: CaseStatus,
    comment: Option<&str>,
) -> ServiceResult<TestCase> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    let mut case = load(stores, &access, id).await?;
    if !case.status.can_move_to(to) {
        return Err(ServiceError::Conflict(format!("a case that is {} cannot become {}", case.status.label(), to.label())));
    }
    let now = now_ms();
    stores.primary.set_case_status(&access.id, id, case.status, to, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("someone changed this test case meanwhile; reload it".into()),
        other => other.into(),
    })?;
    let from = case.status;
    case.status = to;
    case.updated_at_ms = now;
    if let Some(text) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        add_comment_in(stores, ctx, &access, id, text).await?;
    }
    let change = Change {
        action: "test_case.review",
        entity_type: "test_case",
        entity_id: id,
        project_id: Some(&access.project.id),
        old: Some(json!({"status": from.as_str()})),
        new: Some(json!({"status": to.as_str()})),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(case)
}

pub async fn add_comment(stores: &Stores, ctx: &RequestContext, slug: &str, case_id: &str, body: &str) -> ServiceResult<CaseComment> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await?;
    load(stores, &access, case_id).await?;
    add_comment_in(stores, ctx, &access, case_id, body).await
}

async fn add_comment_in(
    stores: &Stores,
    ctx: &RequestContext,
    access: &ProjectAccess,
    case_id: &str,
    body: &str,
) -> ServiceResult<CaseComment> {
    let body = body.trim();
    if body.is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
        return Err(invalid(format!("a comment has 1 to {MAX_COMMENT_CHARS} characters")));
    }
    let actor = ctx.actor()?;
    let comment = CaseComment {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: access.project.id.clone(),
        case_id: case_id.to_owned(),
        author_id: Some(actor.user_id.clone()),
        author_email: Some(actor.email.clone()),
        body: body.replace("\r\n", "\n"),
        created_at_ms: now_ms(),
    };
    stores.primary.add_comment(&comment).await?;
    let change = Change {
        action: "test_case.comment",
        entity_type: "test_case",
        entity_id: case_id,
        project_id: Some(&access.project.id),
        old: None,
        new: Some(json!({"comment_id": comment.id})),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(comment)
}

pub async fn get(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    id: &str,
) -> ServiceResult<(ProjectAccess, TestCase, Vec<CaseComment>)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let case = load(stores, &access, id).await?;
    let comments = stores.primary.list_comments(&access.id, id).await?;
    Ok((access, case, comments))
}

pub async fn list(stores: &Stores, ctx: &RequestContext, slug: &str, filter: &CaseFilter) -> ServiceResult<(ProjectAccess, Vec<TestCase>)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    let mut filter = filter.clone();
    filter.limit = filter.limit.clamp(1, 500);
    let cases = stores.primary.list_cases(&access.id, &filter).await?;
    Ok((access, cases))
}

/// The project, if the actor may change its test cases (editor or owner). Forms call it before
/// reading their fields, so a caller without the right learns nothing from validation messages.
pub async fn authorize_edit(stores: &Stores, ctx: &RequestContext, slug: &str) -> ServiceResult<ProjectAccess> {
    authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Editor).await
}
