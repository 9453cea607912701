use crate::{
    api::projects::{load_project, my_projects, ProjectView},
    api::retention::{project_retention, RetentionView},
    components::flash::{FlashBanner, LoadError},
};
use domain::{usage::utc_minute, ProjectRole};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let data = my_projects();
    view! {
        <Title text="Projects" />
        <header class="page-header">
            <h1>"Projects"</h1>
            <p class="lead">"Each project groups the traces, tests, knowledge base and datasets of one application."</p>
        </header>
        <FlashBanner />
        <div class="grid-main-side">
            {Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <section class="empty-state" data-testid="no-projects">
                            <h2>"No projects yet"</h2>
                            <p>"Create your first project with the form, or ask a project owner to add you."</p>
                        </section>
                    }.into_any(),
                    Ok(list) => {
                        let cards = list.into_iter().map(|p| { let href = format!("/projects/{}", p.slug); view! {
                            <a class="card card-link" href=href data-testid="project-card">
                                <span class="card-kicker">{p.role.label()}</span>
                                <h3>{p.name}</h3>
                                <p>{if p.description.is_empty() { "No description.".to_owned() } else { p.description }}</p>
                                <small class="muted"><code>{p.slug}</code></small>
                            </a>
                        }}).collect_view();
                        view! { <div class="card-grid">{cards}</div> }.into_any()
                    }
                }
            })}
            <aside class="card">
                <h2>"New project"</h2>
                <form method="post" action="/projects" class="form" data-testid="create-project">
                    <label>"Name" <input type="text" name="name" required maxlength="80" /></label>
                    <label>"Slug (optional)" <input type="text" name="slug" pattern="[a-z0-9\\-]{3,40}" placeholder="from the name" /></label>
                    <label>"Description" <textarea name="description" rows="3" maxlength="2000"></textarea></label>
                    <button class="btn btn-primary" type="submit">"Create project"</button>
                </form>
            </aside>
        </div>
    }
}

fn slug_param() -> String {
    use_params_map().with_untracked(|p| p.get("slug")).unwrap_or_default()
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let data = load_project(slug_param());
    view! {
        <Title text="Project" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => project_overview(v).into_any(),
            }
        })}
    }
}

fn project_overview(v: ProjectView) -> impl IntoView {
    let p = v.project;
    let is_owner = p.role == ProjectRole::Owner;
    let settings = format!("/projects/{}/settings", p.slug);
    let providers = format!("/projects/{}/providers", p.slug);
    let personas = format!("/projects/{}/personas", p.slug);
    let dashboards = format!("/projects/{}/dashboards", p.slug);
    let datasets = format!("/projects/{}/datasets", p.slug);
    let slug = p.slug.to_string();
    let members = v.members.len();
    view! {
        <Title text=p.name.clone() />
        <header class="page-header with-actions">
            <div>
                <span class="card-kicker">{format!("Your role: {}", p.role.label())}</span>
                <h1 data-testid="project-name">{p.name}</h1>
                <p class="lead">{p.description}</p>
            </div>
            <div class="inline-form">
                <a class="btn btn-ghost" href=datasets data-testid="project-datasets-link">"Datasets"</a>
                <a class="btn btn-ghost" href=dashboards data-testid="project-dashboards-link">"Dashboards"</a>
                <a class="btn btn-ghost" href=providers data-testid="project-providers-link">"Providers"</a>
                <a class="btn btn-ghost" href=personas data-testid="project-personas-link">"Personas"</a>
                <a class="btn btn-ghost" href=settings data-testid="project-settings-link">{if is_owner { "Settings" } else { "Members" }}</a>
            </div>
        </header>
        <crate::components::trace_view::ExplorerTabs slug current="overview" />
        <div class="card-grid">
            <div class="card stat"><span class="muted">"Members"</span><strong>{members}</strong></div>
            <div class="card stat"><span class="muted">"Created"</span><strong>{utc_minute(p.created_at_ms)}</strong></div>
            <div class="card stat"><span class="muted">"Slug"</span><strong><code>{p.slug}</code></strong></div>
        </div>
    }
}

#[component]
pub fn ProjectSettingsPage() -> impl IntoView {
    let data = load_project(slug_param());
    let retention = project_retention(slug_param());
    view! {
        <Title text="Project settings" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => {
                    let retention = retention.await.ok();
                    settings_view(v, retention).into_any()
                }
            }
        })}
    }
}

fn role_options(selected: ProjectRole) -> impl IntoView {
    ProjectRole::ALL.map(|r| view! { <option value=r.as_str() selected=r == selected>{r.label()}</option> }).collect_view()
}

/// How long traces are kept; owners get the form.
fn retention_card(base: &str, r: RetentionView) -> impl IntoView {
    let current = match r.days {
        Some(d) => format!("Traces older than {d} days are removed, with their stored payloads."),
        None => "This project uses the server's default retention.".to_owned(),
    };
    view! {
        <section class="card section-gap" data-testid="retention">
            <h2>"Trace retention"</h2>
            <p class="muted">{current}</p>
            {r.can_edit.then(|| view! {
                <form method="post" action=format!("{base}/retention") class="form form-row" data-testid="retention-form">
                    <label>"Keep traces for (days)"
                        <input type="number" name="days" min="1" max="3650" step="1" value=r.days.map(|d| d.to_string()).unwrap_or_default() placeholder="server default" />
                    </label>
                    <button class="btn btn-primary" type="submit">"Save retention"</button>
                </form>
                <small class="muted">"Leave blank for the server default. Expired spans are removed by an hourly job."</small>
            })}
        </section>
    }
}

fn settings_view(v: ProjectView, retention: Option<RetentionView>) -> impl IntoView {
    let p = v.project;
    let owner = p.role == ProjectRole::Owner;
    let base = format!("/projects/{}", p.slug);
    let members = v
        .members
        .into_iter()
        .map(|m| {
            let base = base.clone();
            view! {
                <tr data-testid="member-row">
                    <td>{if m.name.is_empty() { m.email.clone() } else { format!("{} ({})", m.name, m.email) }}</td>
                    <td>{if owner {
                        view! {
                            <form method="post" action=format!("{base}/members") class="inline-form">
                                <input type="hidden" name="email" value=m.email.clone() />
                                <select name="role" aria-label="Role">{role_options(m.role)}</select>
                                <button class="btn btn-ghost btn-sm" type="submit">"Change"</button>
                            </form>
                        }.into_any()
                    } else {
                        view! { <span>{m.role.label()}</span> }.into_any()
                    }}</td>
                    <td>{owner.then(|| view! {
                        <form method="post" action=format!("{base}/members/remove") class="inline-form">
                            <input type="hidden" name="user_id" value=m.user_id.clone() />
                            <button class="btn btn-ghost btn-sm" type="submit">"Remove"</button>
                        </form>
                        {(m.role != ProjectRole::Owner).then(|| view! {
                            <form method="post" action=format!("{base}/members/transfer") class="inline-form">
                                <input type="hidden" name="user_id" value=m.user_id.clone() />
                                <button class="btn btn-ghost btn-sm" type="submit">"Make owner"</button>
                            </form>
                        })}
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    let keys = v.keys.map(|keys| {
        let rows = keys
            .into_iter()
            .map(|k| {
                view! {
                    <tr data-testid="key-row" class:revoked=k.revoked>
                        <td>{k.name}</td>
                        <td><code>{k.public_id}</code></td>
                        <td>{k.scopes.join(", ")}</td>
                        <td>{utc_minute(k.created_at_ms)}</td>
                        <td>{k.last_used_at_ms.map(utc_minute).unwrap_or_else(|| "never".into())}</td>
                        <td>{if k.revoked {
                            view! { <span class="pill pill-bad">"revoked"</span> }.into_any()
                        } else {
                            view! {
                                <form method="post" action=format!("{base}/keys/revoke") class="inline-form">
                                    <input type="hidden" name="key_id" value=k.id />
                                    <button class="btn btn-ghost btn-sm" type="submit">"Revoke"</button>
                                </form>
                            }.into_any()
                        }}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <section class="card section-gap">
                <h2>"API keys"</h2>
                <p class="muted">"For SDKs and OpenTelemetry exporters. The secret is shown once, when the key is created."</p>
                <div class="table-wrap">
                    <table class="data-table">
                        <thead><tr><th>"Name"</th><th>"Public id"</th><th>"Scopes"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <form method="post" action=format!("{base}/keys") class="form form-row" data-testid="create-key">
                    <label>"Key name" <input type="text" name="name" required maxlength="80" placeholder="production ingest" /></label>
                    <label class="check"><input type="checkbox" name="ingest" value="on" checked /> "ingest"</label>
                    <label class="check"><input type="checkbox" name="read" value="on" /> "read"</label>
                    <button class="btn btn-primary" type="submit">"Create key"</button>
                </form>
            </section>
        }
    });
    view! {
        <header class="page-header">
            <span class="card-kicker"><a href=base.clone()>{p.name.clone()}</a></span>
            <h1>{if owner { "Settings" } else { "Members" }}</h1>
        </header>
        {owner.then(|| view! {
            <section class="card">
                <h2>"Project"</h2>
                <form method="post" action=format!("{base}/settings") class="form">
                    <label>"Name" <input type="text" name="name" value=p.name.clone() required maxlength="80" /></label>
                    <label>"Description" <textarea name="description" rows="3" maxlength="2000">{p.description.clone()}</textarea></label>
                    <button class="btn btn-primary" type="submit">"Save"</button>
                </form>
            </section>
        })}
        {retention.map(|r| retention_card(&base, r))}
        <section class="card section-gap">
            <h2>"Members"</h2>
            <div class="table-wrap">
                <table class="data-table">
                    <thead><tr><th>"Person"</th><th>"Role"</th><th></th></tr></thead>
                    <tbody>{members}</tbody>
                </table>
            </div>
            {owner.then(|| view! {
                <form method="post" action=format!("{base}/members") class="form form-row" data-testid="add-member">
                    <label>"E-mail" <input type="email" name="email" required /></label>
                    <label>"Role" <select name="role">{role_options(ProjectRole::Editor)}</select></label>
                    <button class="btn btn-primary" type="submit">"Add member"</button>
                </form>
            })}
        </section>
        {keys}
        {owner.then(|| view! {
            <section class="card section-gap danger">
                <h2>"Delete project"</h2>
                <p class="muted">"This removes the project, its members and API keys. Type the slug to confirm."</p>
                <form method="post" action=format!("{base}/delete") class="form form-row">
                    <label>"Slug" <input type="text" name="confirm" required placeholder=p.slug.clone() /></label>
                    <button class="btn btn-danger" type="submit">"Delete project"</button>
                </form>
            </section>
        })}
    }
}
