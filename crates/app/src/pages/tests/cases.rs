//! `/projects/:slug/tests`: the cases (filters in the URL), a form for a new case, the suites.

use super::{case_status_badge, fields, param, query, run_status_badge, tests_header, when};
use crate::api::testcases::{load_cases, CaseFilterParams, CasesView, SuiteRow};
use crate::components::flash::{FlashBanner, LoadError};
use domain::testcases::{CaseStatus, TestCase};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TestsPage() -> impl IntoView {
    let filter = CaseFilterParams { status: query("status"), tag: query("tag"), feature: query("feature"), search: query("search") };
    let data = load_cases(param("slug"), filter);
    view! {
        <Title text="Tests" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn filter_form(v: &CasesView) -> impl IntoView {
    let f = &v.filter;
    let statuses = CaseStatus::ALL
        .map(|s| {
            let on = f.status == s.as_str();
            view! { <option value=s.as_str() selected=on>{s.label()}</option> }
        })
        .collect_view();
    let option = |t: &String, current: &str| {
        let on = current == t;
        view! { <option value=t.clone() selected=on>{t.clone()}</option> }
    };
    let tags = v.tags.iter().map(|t| option(t, &f.tag)).collect_view();
    let features = v.features.iter().map(|t| option(t, &f.feature)).collect_view();
    let any = !(f.status.is_empty() && f.tag.is_empty() && f.feature.is_empty() && f.search.is_empty());
    view! {
        <form method="get" class="card filter-form" data-testid="case-filters">
            <div class="filter-main">
                <label class="search-box">"Search names" <input type="search" name="search" value=f.search.clone() placeholder="refund" /></label>
                <label>"Status" <select name="status"><option value="">"Any"</option>{statuses}</select></label>
                <label>"Tag" <select name="tag"><option value="">"Any"</option>{tags}</select></label>
                <label>"Feature" <select name="feature"><option value="">"Any"</option>{features}</select></label>
                <div class="filter-actions">
                    <button class="btn btn-primary btn-sm" type="submit">"Filter"</button>
                    {any.then(|| view! { <a class="btn btn-ghost btn-sm" href=v.head.base()>"Clear"</a> })}
                </div>
            </div>
        </form>
    }
}

fn case_row(base: &str, c: TestCase) -> impl IntoView {
    let tags = c.tags.iter().map(|t| view! { <span class="chip">{t.clone()}</span> " " }).collect_view();
    view! {
        <tr data-testid="case-row">
            <td><a href=format!("{base}/{}", c.id) data-testid="case-link">{c.name.clone()}</a></td>
            <td class="muted">{c.feature.clone()}</td>
            <td>{case_status_badge(c.status)}</td>
            <td>{tags}</td>
            <td class="num">{c.steps.len()}</td>
            <td class="nowrap muted">{when(c.updated_at_ms)}</td>
        </tr>
    }
}

fn cases_table(v: &CasesView) -> AnyView {
    if v.cases.is_empty() {
        let filtered = v.filter != CaseFilterParams::default();
        return view! {
            <section class="empty-state" data-testid="no-cases">
                <h2>{if filtered { "No test case matches" } else { "No test cases yet" }}</h2>
                <p>{if filtered {
                    "Change or clear the filters."
                } else {
                    "A test case calls your AI application (or a model) and checks each AI call against what you expect. Create one below, from a trace (its page has a button), or generate drafts with AI."
                }}</p>
            </section>
        }
        .into_any();
    }
    let base = v.head.base();
    let rows = v.cases.iter().cloned().map(|c| case_row(&base, c)).collect_view();
    view! {
        <div class="card table-wrap section-gap">
            <table class="data-table" data-testid="cases-table">
                <thead><tr><th>"Name"</th><th>"Feature"</th><th>"Status"</th><th>"Tags"</th><th class="num">"Steps"</th><th>"Updated (UTC)"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn suite_card(v: &CasesView, s: &SuiteRow) -> impl IntoView {
    let slug = &v.head.slug;
    let action = format!("/projects/{slug}/suites/{}", s.suite.id);
    let latest = s.latest_run.as_ref().map(|r| {
        let href = format!("/projects/{slug}/tests/suite-runs/{}", r.id);
        view! {
            <span class="muted small">"Latest run " {when(r.created_at_ms)} " "</span>
            {run_status_badge(r.status)}
            " "
            <a href=href data-testid="suite-report-link">"Report"</a>
        }
        .into_any()
    });
    let names: Vec<String> =
        s.suite.case_ids.iter().map(|id| v.approved.iter().find(|c| &c.id == id).map_or_else(|| id.clone(), |c| c.name.clone())).collect();
    let approved = s.suite.case_ids.iter().filter(|id| v.approved.iter().any(|c| &c.id == *id)).count();
    let checkboxes = suite_checkboxes(v, &s.suite.case_ids);
    let edit = v.head.can_edit.then(|| {
        view! {
            <div class="suite-actions">
                <form method="post" action=format!("{action}/run") class="inline-form">
                    <button class="btn btn-primary btn-sm" type="submit" data-testid="run-suite">"Run suite"</button>
                </form>
                <details class="inline-details">
                    <summary class="btn btn-ghost btn-sm">"Edit"</summary>
                    <form method="post" action=action.clone() class="form" data-testid="edit-suite">
                        <label>"Name" <input type="text" name="name" required maxlength="100" value=s.suite.name.clone() /></label>
                        <label>"Description" <textarea name="description" rows="2" maxlength="2000">{s.suite.description.clone()}</textarea></label>
                        {checkboxes}
                        <button class="btn btn-primary btn-sm" type="submit">"Save suite"</button>
                    </form>
                </details>
                <form method="post" action=format!("{action}/delete") class="inline-form">
                    <button class="btn btn-ghost btn-sm" type="submit">"Delete"</button>
                </form>
            </div>
        }
    });
    view! {
        <section class="card suite-card" data-testid="suite-card">
            <span class="card-kicker">{format!("{} case{} · {approved} approved", s.suite.case_ids.len(), if s.suite.case_ids.len() == 1 { "" } else { "s" })}</span>
            <h3 data-testid="suite-name">{s.suite.name.clone()}</h3>
            {(!s.suite.description.is_empty()).then(|| view! { <p class="muted">{s.suite.description.clone()}</p> })}
            <details>
                <summary class="muted small">"Cases"</summary>
                <ol class="plain-list small">{names.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ol>
            </details>
            <p>{latest.unwrap_or_else(|| view! { <span class="muted small">"Never run"</span> }.into_any())}</p>
            {edit}
        </section>
    }
}

/// Checkboxes of the approved cases (only approved cases run in suites), `checked` ticked.
fn suite_checkboxes(v: &CasesView, checked: &[String]) -> AnyView {
    if v.approved.is_empty() {
        return view! { <p class="muted small">"No approved case yet: approve cases after review to add them to a suite."</p> }.into_any();
    }
    let boxes = v
        .approved
        .iter()
        .map(|c| {
            view! {
                <label class="check"><input type="checkbox" name="case_ids" value=c.id.clone() checked=checked.contains(&c.id) />" " {c.name.clone()}</label>
            }
        })
        .collect_view();
    view! { <fieldset class="suite-cases"><legend>"Approved cases"</legend>{boxes}</fieldset> }.into_any()
}

fn suites_section(v: &CasesView) -> impl IntoView {
    let cards = if v.suites.is_empty() {
        view! { <p class="muted" data-testid="no-suites">"No suites yet. A suite runs its approved cases together and keeps a report of each run."</p> }
            .into_any()
    } else {
        view! { <div class="card-grid">{v.suites.iter().map(|s| suite_card(v, s)).collect_view()}</div> }.into_any()
    };
    let create = v.head.can_edit.then(|| {
        view! {
            <details class="card section-gap tests-collapsible" data-testid="new-suite">
                <summary class="btn btn-ghost">"New suite"</summary>
                <form method="post" action=format!("/projects/{}/suites", v.head.slug) class="form" data-testid="create-suite">
                    <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="Smoke" /></label>
                    <label>"Description" <textarea name="description" rows="2" maxlength="2000"></textarea></label>
                    {suite_checkboxes(v, &[])}
                    <div><button class="btn btn-primary" type="submit">"Create suite"</button></div>
                </form>
            </details>
        }
    });
    view! {
        <h2 class="section-title">"Suites"</h2>
        {cards}
        {create}
    }
}

fn create_form(v: &CasesView) -> impl IntoView {
    view! {
        <details class="card section-gap new-case tests-collapsible" data-testid="new-case">
            <summary class="btn btn-primary">"New test case"</summary>
            <form method="post" action=v.head.base() class="form tests-form" data-testid="create-case">
                {fields::case_fields(None)}
                {fields::target_fields(None, &v.keys, false)}
                <input type="hidden" name="steps" value="1" />
                {fields::step_fields(0, None, false)}
                <p class="muted small">"More steps can be added once the case exists."</p>
                <div><button class="btn btn-primary" type="submit">"Create test case"</button></div>
            </form>
        </details>
    }
}

fn page(v: CasesView) -> impl IntoView {
    let lead = "Each case calls your AI application and checks every AI call it makes. Drafts are reviewed; approved cases run in suites.";
    view! {
        <Title text=format!("Tests · {}", v.head.name) />
        {tests_header(&v.head, "Test cases".into(), Some(lead.into()), "cases")}
        <FlashBanner />
        {filter_form(&v)}
        {cases_table(&v)}
        {v.head.can_edit.then(|| create_form(&v))}
        {suites_section(&v)}
    }
}
