use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use domain::{GlobalRole, PlanLimits};
use serde::Deserialize;
use services::{plans, ports::NewPlan, users, ServiceError, ServiceResult};
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct NewUserForm {
    email: String,
    #[serde(default)]
    name: String,
    password: String,
    role: String,
}

fn role(s: &str) -> ServiceResult<GlobalRole> {
    GlobalRole::parse(s).ok_or_else(|| ServiceError::Invalid("choose a role: admin or user".into()))
}

pub async fn create_user(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<NewUserForm>) -> Response {
    let cost = state.settings.auth.hash_cost();
    let r = match role(&f.role) {
        Ok(role) => users::create(state.services.stores.primary.as_ref(), &ctx, &f.email, &f.name, &f.password, role, cost).await,
        Err(e) => Err(e),
    };
    finish(&session, r, |u| format!("Account {} created. They must change the password at first sign-in.", u.email), "/admin", "/admin")
        .await
}

/// One form per action on a user row: `action` says which.
#[derive(Deserialize)]
pub struct UserActionForm {
    action: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    plan_id: String,
}

pub async fn update_user(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    Form(f): Form<UserActionForm>,
) -> Response {
    let store = state.services.stores.primary.as_ref();
    let cost = state.settings.auth.hash_cost();
    if let Err(e) = ctx.admin() {
        return finish::<()>(&session, Err(e), |_| String::new(), "/admin", "/admin").await;
    }
    let r = match f.action.as_str() {
        "disable" => users::set_disabled(store, &ctx, &id, true).await.map(|_| "Account disabled."),
        "enable" => users::set_disabled(store, &ctx, &id, false).await.map(|_| "Account enabled."),
        "role" => match role(&f.role) {
            Ok(r) => users::set_role(store, &ctx, &id, r).await.map(|_| "Role changed."),
            Err(e) => Err(e),
        },
        "reset" => users::reset_password(store, &ctx, &id, &f.password, cost)
            .await
            .map(|_| "Password reset: the user must change it at next sign-in."),
        "plan" => {
            let plan = (!f.plan_id.is_empty()).then_some(f.plan_id.as_str());
            plans::assign(store, &ctx, &id, plan).await.map(|_| "Plan assigned.")
        }
        _ => Err(ServiceError::Invalid("unknown action".into())),
    };
    finish(&session, r, |m| m.to_owned(), "/admin", "/admin").await
}

#[derive(Deserialize)]
pub struct PlanForm {
    name: String,
    #[serde(default)]
    projects: String,
    #[serde(default)]
    members_per_project: String,
    #[serde(default)]
    traces_per_month: String,
    #[serde(default)]
    test_runs_per_month: String,
    #[serde(default)]
    dataset_rows: String,
    #[serde(default)]
    storage_bytes: String,
    #[serde(default)]
    make_default: Option<String>,
}

/// Empty means unlimited.
fn limit(field: &str, v: &str) -> ServiceResult<Option<u64>> {
    let v = v.trim().replace(['_', ',', ' '], "");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| ServiceError::Invalid(format!("{field} must be a whole number, or empty for unlimited")))
}

fn plan_of(f: &PlanForm) -> ServiceResult<NewPlan> {
    Ok(NewPlan {
        name: f.name.clone(),
        limits: PlanLimits {
            projects: limit("projects", &f.projects)?,
            members_per_project: limit("members per project", &f.members_per_project)?,
            traces_per_month: limit("traces per month", &f.traces_per_month)?,
            test_runs_per_month: limit("test runs per month", &f.test_runs_per_month)?,
            dataset_rows: limit("dataset rows", &f.dataset_rows)?,
            storage_bytes: limit("storage bytes", &f.storage_bytes)?,
        },
    })
}

pub async fn create_plan(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<PlanForm>) -> Response {
    let store = state.services.stores.primary.as_ref();
    let r = async {
        let plan = plans::create(store, &ctx, plan_of(&f)?).await?;
        if f.make_default.is_some() {
            plans::set_default(store, &ctx, &plan.id).await?;
        }
        Ok(plan)
    }
    .await;
    finish(&session, r, |p| format!("Plan “{}” created.", p.name), "/admin/plans", "/admin/plans").await
}

pub async fn update_plan(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> Response {
    let store = state.services.stores.primary.as_ref();
    let r = async {
        plans::update(store, &ctx, &id, plan_of(&f)?).await?;
        if f.make_default.is_some() {
            plans::set_default(store, &ctx, &id).await?;
        }
        Ok(())
    }
    .await;
    finish(&session, r, |_| "Plan saved.".into(), "/admin/plans", "/admin/plans").await
}
