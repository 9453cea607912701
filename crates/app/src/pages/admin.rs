use crate::{
    api::admin::{admin_plans, admin_users, audit_page, verify_audit_chain, AuditQuery, PlanRow},
    components::flash::{FlashBanner, LoadError},
};
use domain::{usage::utc_minute, GlobalRole, QuotaKind};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Non-admins get a refusal (403) and nothing of the admin page: no forms, no tabs. The server
/// functions and form handlers refuse them too; this keeps the page from pretending otherwise.
pub(crate) fn admin_refusal() -> Option<AnyView> {
    if crate::session_view::page_context().viewer.is_some_and(|v| v.is_admin) {
        return None;
    }
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::FORBIDDEN);
    }
    Some(view! { <FlashBanner /> <LoadError message="Only administrators can open this page.".to_owned() /> }.into_any())
}

#[component]
pub(crate) fn AdminTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str| {
        view! { <a href=href class="tab" aria-current=(current == href).then_some("page")>{label}</a> }
    };
    view! {
        <header class="page-header">
            <span class="card-kicker">"Admins"</span>
            <h1>"Administration"</h1>
            <nav class="tabs" aria-label="Administration">
                {tab("/admin", "Users")}
                {tab("/admin/plans", "Plans")}
                {tab("/admin/prices", "Model prices")}
                {tab("/admin/providers", "Provider keys")}
                {tab("/admin/audit", "Audit trail")}
            </nav>
        </header>
    }
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    if let Some(refused) = crate::pages::admin::admin_refusal() {
        return refused;
    }
    let data = admin_users();
    view! {
        <Title text="Users" />
        <AdminTabs current="/admin" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => {
                    let plans = v.plans;
                    let rows = v.users.into_iter().map(|u| {
                        let action = format!("/admin/users/{}", u.id);
                        let plan_options = plans.iter().map(|p| view! {
                            <option value=p.id.clone() selected=u.plan_id.as_deref() == Some(p.id.as_str())>{p.name.clone()}</option>
                        }).collect_view();
                        let status = if u.disabled { "disabled" } else if u.locked { "locked" } else if u.must_change_password { "must change password" } else { "active" };
                        view! {
                            <tr data-testid="user-row">
                                <td><strong>{u.email}</strong><br /><small class="muted">{u.name}</small></td>
                                <td>
                                    <form method="post" action=action.clone() class="inline-form">
                                        <input type="hidden" name="action" value="role" />
                                        <select name="role" aria-label="Role">
                                            <option value="user" selected=u.role == GlobalRole::User>"User"</option>
                                            <option value="admin" selected=u.role == GlobalRole::Admin>"Admin"</option>
                                        </select>
                                        <button class="btn btn-ghost btn-sm" type="submit">"Set"</button>
                                    </form>
                                </td>
                                <td>
                                    <form method="post" action=action.clone() class="inline-form">
                                        <input type="hidden" name="action" value="plan" />
                                        <select name="plan_id" aria-label="Plan">{plan_options}</select>
                                        <button class="btn btn-ghost btn-sm" type="submit">"Assign"</button>
                                    </form>
                                </td>
                                <td><span class=if status == "active" { "pill pill-ok" } else { "pill pill-bad" }>{status}</span></td>
                                <td>{utc_minute(u.created_at_ms)}</td>
                                <td class="actions">
                                    <form method="post" action=action.clone() class="inline-form">
                                        <input type="hidden" name="action" value=if u.disabled { "enable" } else { "disable" } />
                                        <button class="btn btn-ghost btn-sm" type="submit">{if u.disabled { "Enable" } else { "Disable" }}</button>
                                    </form>
                                    <details class="inline-details">
                                        <summary class="btn btn-ghost btn-sm">"Reset password"</summary>
                                        <form method="post" action=action class="inline-form">
                                            <input type="hidden" name="action" value="reset" />
                                            <input type="password" name="password" minlength="12" maxlength="128" required placeholder="new password" aria-label="New password" />
                                            <button class="btn btn-primary btn-sm" type="submit">"Reset"</button>
                                        </form>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <section class="card">
                            <h2>"Users"</h2>
                            <div class="table-wrap">
                                <table class="data-table">
                                    <thead><tr><th>"Account"</th><th>"Role"</th><th>"Plan"</th><th>"Status"</th><th>"Created"</th><th></th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        </section>
                    }.into_any()
                }
            }
        })}
        <section class="card section-gap">
            <h2>"Create a user"</h2>
            <p class="muted">"They will be asked to choose their own password at first sign-in."</p>
            <form method="post" action="/admin/users" class="form form-row" data-testid="create-user">
                <label>"E-mail" <input type="email" name="email" required /></label>
                <label>"Name" <input type="text" name="name" maxlength="120" /></label>
                <label>"Temporary password" <input type="password" name="password" required minlength="12" maxlength="128" autocomplete="new-password" /></label>
                <label>"Role" <select name="role"><option value="user">"User"</option><option value="admin">"Admin"</option></select></label>
                <button class="btn btn-primary" type="submit">"Create"</button>
            </form>
        </section>
    }
    .into_any()
}

fn limit_text(v: Option<u64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "unlimited".into())
}

fn plan_fields(p: Option<&PlanRow>) -> impl IntoView {
    let value = move |k: QuotaKind| p.and_then(|p| k.limit(&p.limits)).map(|n| n.to_string()).unwrap_or_default();
    let fields = QuotaKind::ALL
        .map(|k| view! { <label>{k.label()} <input type="text" inputmode="numeric" name=k.as_str() value=value(k) placeholder="unlimited" /></label> })
        .collect_view();
    view! {
        <label>"Name" <input type="text" name="name" required maxlength="60" value=p.map(|p| p.name.clone()).unwrap_or_default() /></label>
        {fields}
        <label class="check"><input type="checkbox" name="make_default" value="on" checked=p.is_some_and(|p| p.is_default) /> "Default plan for new users"</label>
    }
}

#[component]
pub fn AdminPlansPage() -> impl IntoView {
    if let Some(refused) = crate::pages::admin::admin_refusal() {
        return refused;
    }
    let data = admin_plans();
    view! {
        <Title text="Plans" />
        <AdminTabs current="/admin/plans" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(plans) => {
                    let cards = plans.iter().map(|p| {
                        let summary = QuotaKind::ALL.map(|k| view! { <li><span class="muted">{k.label()}</span>" "<strong>{limit_text(k.limit(&p.limits))}</strong></li> }).collect_view();
                        view! {
                            <section class="card" data-testid="plan-card">
                                <h2>{p.name.clone()} {p.is_default.then(|| view! { <span class="pill pill-ok">"default"</span> })}</h2>
                                <ul class="plain-list">{summary}</ul>
                                <details>
                                    <summary class="btn btn-ghost btn-sm">"Edit"</summary>
                                    <form method="post" action=format!("/admin/plans/{}", p.id) class="form">{plan_fields(Some(p))}<button class="btn btn-primary" type="submit">"Save"</button></form>
                                </details>
                            </section>
                        }
                    }).collect_view();
                    view! { <div class="card-grid">{cards}</div> }.into_any()
                }
            }
        })}
        <section class="card section-gap">
            <h2>"New plan"</h2>
            <form method="post" action="/admin/plans" class="form form-grid" data-testid="create-plan">
                {plan_fields(None)}
                <button class="btn btn-primary" type="submit">"Create plan"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    if let Some(refused) = crate::pages::admin::admin_refusal() {
        return refused;
    }
    let q = use_query_map().get_untracked();
    let get = |k: &str| q.get(k).unwrap_or_default();
    let query = AuditQuery {
        action: get("action"),
        actor: get("actor"),
        entity_type: get("entity_type"),
        project: get("project"),
        from: get("from"),
        to: get("to"),
    };
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok());
    let verify = q.get("verify").is_some();
    let page = audit_page(query.clone(), before);
    let chain = async move {
        if verify {
            Some(verify_audit_chain().await)
        } else {
            None
        }
    };
    let qs = query.to_query();
    let csv = format!("/admin/audit.csv?{qs}");
    let query_for_pages = qs.clone();
    let field = |name: &'static str, label: &'static str, value: String, placeholder: &'static str| {
        view! { <label>{label} <input type="text" name=name value=value placeholder=placeholder /></label> }
    };
    view! {
        <Title text="Audit trail" />
        <AdminTabs current="/admin/audit" />
        <form method="get" action="/admin/audit" class="form form-grid card" data-testid="audit-filters">
            {field("action", "Action", query.action.clone(), "project.create")}
            {field("actor", "Actor", query.actor.clone(), "e-mail or user id")}
            {field("entity_type", "Entity type", query.entity_type.clone(), "user, project, api_key…")}
            {field("project", "Project", query.project.clone(), "slug or id")}
            <label>"From" <input type="date" name="from" value=query.from.clone() /></label>
            <label>"To" <input type="date" name="to" value=query.to.clone() /></label>
            <div class="form-actions">
                <button class="btn btn-primary" type="submit">"Filter"</button>
                <a class="btn btn-ghost" href="/admin/audit">"Clear"</a>
                <a class="btn btn-ghost" href=csv>"Export CSV"</a>
                <a class="btn btn-ghost" href="/admin/audit?verify=1" data-testid="verify-chain">"Verify chain"</a>
            </div>
        </form>
        {Suspend::new(async move {
            chain.await.map(|r| match r {
                Ok(c) => match c.first_broken_seq {
                    None => view! {
                        <div class="banner banner-ok" data-testid="chain-ok">
                            {format!("The chain is intact: {} entries verified.", c.checked)}
                            <small>" Head hash " <code>{c.head_hash}</code> " — note it: a later check showing an earlier head means entries were cut off the end."</small>
                        </div>
                    }.into_any(),
                    Some(seq) => view! { <div class="banner banner-bad" data-testid="chain-broken">{format!("The chain is broken at entry #{seq}: the trail was altered after it was written.")}</div> }.into_any(),
                },
                Err(e) => view! { <div class="banner banner-bad">{e.to_string()}</div> }.into_any(),
            })
        })}
        {
            let query = query_for_pages;
            Suspend::new(async move {
            match page.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => {
                    let none = v.rows.is_empty();
                    let rows = v.rows.into_iter().map(|r| view! {
                        <tr data-testid="audit-row">
                            <td class="num">{r.seq}</td>
                            <td>{utc_minute(r.time_ms)}</td>
                            <td>{r.actor}</td>
                            <td><code>{r.action}</code></td>
                            <td>{r.entity}</td>
                            <td class="detail"><code>{r.detail}</code></td>
                            <td>{r.ip.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view();
                    let next = v.next_before.map(|b| view! { <a class="btn btn-ghost" href=format!("/admin/audit?{query}&before={b}") data-testid="older">"Older entries →"</a> });
                    let empty = none.then(|| view! { <p class="muted">"No entry matches these filters."</p> });
                    view! {
                        <section class="card section-gap">
                            <div class="table-wrap">
                                <table class="data-table">
                                    <thead><tr><th class="num">"#"</th><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Entity"</th><th>"Change"</th><th>"IP"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            {empty}
                            {next}
                        </section>
                    }.into_any()
                }
            }
        })}
    }
    .into_any()
}
