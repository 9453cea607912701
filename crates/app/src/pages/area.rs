use leptos::prelude::*;
use leptos_meta::Title;

/// What each area of the product is for, in the words of the people using it.
pub struct AreaInfo {
    pub title: &'static str,
    pub audience: &'static str,
    pub summary: &'static str,
    pub features: &'static [&'static str],
}

pub fn area_info(slug: &str) -> AreaInfo {
    match slug {
        "projects" => AreaInfo {
            title: "Projects",
            audience: "AI teams",
            summary: "Group traces, tests and knowledge per application, with members and API keys.",
            features: &["Members with owner, editor and analyst roles", "API keys for SDKs and OTLP ingestion", "Plans and usage quotas"],
        },
        "traces" => AreaInfo {
            title: "Traces",
            audience: "AI teams",
            summary: "OpenTelemetry traces of your LLM calls: explore, chart and find the root cause of drift.",
            features: &["OTLP/HTTP ingestion (protobuf and JSON)", "Prompt fingerprints and drift", "Cost, latency and token charts"],
        },
        "tests" => AreaInfo {
            title: "Tests",
            audience: "AI teams",
            summary: "Regression tests that call your AI and check its output, run by a background worker.",
            features: &[
                "Exact, contains, regex, JSON schema and same-meaning checks",
                "Tests generated from traces, reviewed by people",
                "Run history with pass rates",
            ],
        },
        "knowledge-base" => AreaInfo {
            title: "Knowledge base",
            audience: "AI teams",
            summary: "Your APIs and database tables, reviewed before they feed retrieval.",
            features: &["Draft → review → active workflow", "OpenAPI upload", "RAG index"],
        },
        "datasets" => AreaInfo {
            title: "Datasets",
            audience: "Analysts",
            summary: "Upload ledger spreadsheets (xlsx, xls, csv) of hundreds of megabytes.",
            features: &["Resumable uploads with progress", "Exact decimal amounts", "Original files kept"],
        },
        "dashboards" => AreaInfo {
            title: "Dashboards",
            audience: "Analysts",
            summary: "Revenue, gross profit, EBITDA and net income with filters, drill-down and export.",
            features: &[
                "KPI cards and charts",
                "Filters by entity, region and period",
                "An assistant that answers questions about your data",
            ],
        },
        _ => AreaInfo {
            title: "Admin",
            audience: "Admins",
            summary: "Users, roles, plans and a tamper-evident audit trail.",
            features: &["User management", "Plans and quotas", "Verifiable audit trail"],
        },
    }
}

/// An area whose features have not shipped yet: say what it will hold,
/// and nothing that pretends to work.
#[component]
pub fn AreaPage(area: &'static str) -> impl IntoView {
    let info = area_info(area);
    let features = info.features.iter().map(|f| view! { <li>{*f}</li> }).collect_view();
    view! {
        <Title text=info.title />
        <header class="page-header">
            <span class="card-kicker">{info.audience}</span>
            <h1>{info.title}</h1>
            <p class="lead">{info.summary}</p>
        </header>
        <section class="empty-state" data-testid="area-empty">
            <h2>"Nothing here yet"</h2>
            <p>"This area is being built. It will offer:"</p>
            <ul class="checklist">{features}</ul>
        </section>
    }
}

/// `/traces`: pick a project; each links to its trace list, sessions and analytics.
#[component]
pub fn TracesChooser() -> impl IntoView {
    view! {
        <ProjectChooser
            area="traces"
            testid="trace-project"
            empty="Traces belong to a project. Create one, add an API key, and point your OpenTelemetry exporter at /v1/traces."
            links=&[("Traces", "traces"), ("Sessions", "sessions"), ("Analytics", "analytics")]
        />
    }
}

/// `/dashboards`: pick a project; each links to its ledger dashboard.
#[component]
pub fn DashboardsChooser() -> impl IntoView {
    view! {
        <ProjectChooser
            area="dashboards"
            testid="dashboard-project"
            empty="Dashboards belong to a project. Create one to hold your ledger data."
            links=&[("Dashboard", "dashboards")]
        />
    }
}

/// An area that lives inside projects: one card per project with links to its pages
/// (`links`: label and path below `/projects/<slug>/`; the first is the main one).
#[component]
fn ProjectChooser(
    area: &'static str,
    testid: &'static str,
    empty: &'static str,
    links: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let data = crate::api::projects::my_projects();
    let info = area_info(area);
    view! {
        <Title text=info.title />
        <header class="page-header">
            <span class="card-kicker">{info.audience}</span>
            <h1>{info.title}</h1>
            <p class="lead">{info.summary}</p>
        </header>
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <crate::components::flash::LoadError message=e.to_string() /> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <section class="empty-state" data-testid="no-projects">
                        <h2>"No projects yet"</h2>
                        <p>{empty}</p>
                        <a class="btn btn-primary" href="/projects">"Create a project"</a>
                    </section>
                }.into_any(),
                Ok(list) => {
                    let cards = list.into_iter().map(|p| {
                        let base = format!("/projects/{}", p.slug);
                        let buttons = links.iter().enumerate().map(|(i, (label, path))| {
                            let class = if i == 0 { "btn btn-primary btn-sm" } else { "btn btn-ghost btn-sm" };
                            view! { <a class=class href=format!("{base}/{path}")>{*label}</a> }
                        }).collect_view();
                        view! {
                            <div class="card chooser-card" data-testid=testid>
                                <span class="card-kicker">{p.role.label()}</span>
                                <h3><a href=format!("{base}/{}", links[0].1)>{p.name}</a></h3>
                                <p class="muted small">{if p.description.is_empty() { "No description.".to_owned() } else { p.description }}</p>
                                <div class="chooser-links">{buttons}</div>
                            </div>
                        }
                    }).collect_view();
                    view! { <div class="card-grid">{cards}</div> }.into_any()
                }
            }
        })}
    }
}
