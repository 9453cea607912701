//! Plans and their assignment (admins only).

use crate::{
    audit::{self, Change},
    clock::now_ms,
    context::RequestContext,
    ports::{NewPlan, Plan, PrimaryStore},
    ServiceError, ServiceResult,
};
use serde_json::json;

fn check(plan: &NewPlan) -> ServiceResult<()> {
    let n = plan.name.trim().chars().count();
    if n == 0 || n > 60 {
        return Err(ServiceError::Invalid("a plan name has 1 to 60 characters".into()));
    }
    Ok(())
}

fn plan_change<'a>(action: &'a str, id: &'a str, old: Option<serde_json::Value>, new: Option<serde_json::Value>) -> Change<'a> {
    Change { action, entity_type: "plan", entity_id: id, project_id: None, old, new }
}

fn as_json(p: &NewPlan) -> serde_json::Value {
    json!({ "name": p.name, "limits": p.limits })
}

pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<Plan>> {
    ctx.admin()?;
    Ok(store.list_plans().await?)
}

pub async fn create(store: &dyn PrimaryStore, ctx: &RequestContext, plan: NewPlan) -> ServiceResult<Plan> {
    ctx.admin()?;
    check(&plan)?;
    let new = as_json(&plan);
    let created = store.create_plan(NewPlan { name: plan.name.trim().to_owned(), ..plan }, now_ms()).await.map_err(|e| match e {
        crate::StoreError::Conflict(_) => ServiceError::Conflict("a plan with this name already exists".into()),
        other => other.into(),
    })?;
    audit::record(store, ctx, plan_change("plan.create", &created.id, None, Some(new))).await?;
    Ok(created)
}

pub async fn update(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str, plan: NewPlan) -> ServiceResult<()> {
    ctx.admin()?;
    check(&plan)?;
    let old = store.plan_by_id(id).await?.ok_or(ServiceError::NotFound("plan"))?;
    let new = as_json(&plan);
    store.update_plan(id, plan).await?;
    audit::record(store, ctx, plan_change("plan.update", id, Some(json!({ "name": old.name, "limits": old.limits })), Some(new))).await?;
    Ok(())
}

pub async fn set_default(store: &dyn PrimaryStore, ctx: &RequestContext, id: &str) -> ServiceResult<()> {
    ctx.admin()?;
    store.plan_by_id(id).await?.ok_or(ServiceError::NotFound("plan"))?;
    store.set_default_plan(id).await?;
    audit::record(store, ctx, plan_change("plan.set_default", id, None, None)).await?;
    Ok(())
}

pub async fn assign(store: &dyn PrimaryStore, ctx: &RequestContext, user_id: &str, plan_id: Option<&str>) -> ServiceResult<()> {
    ctx.admin()?;
    store.user_by_id(user_id).await?.ok_or(ServiceError::NotFound("user"))?;
    if let Some(p) = plan_id {
        store.plan_by_id(p).await?.ok_or(ServiceError::NotFound("plan"))?;
    }
    store.assign_plan(user_id, plan_id).await?;
    let change = Change {
        action: "plan.assign",
        entity_type: "user",
        entity_id: user_id,
        project_id: None,
        old: None,
        new: Some(json!({ "plan_id": plan_id })),
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}
