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
