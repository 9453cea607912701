//! `/projects/:slug/tests/generate`: draft cases written by an LLM from the project's traces
//! and personas. The prompt is shown and editable; what comes back lands as drafts for review.

use super::{param, tests_header};
use crate::api::testcases::{load_generate, GenerateView};
use crate::components::flash::{FlashBanner, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn GeneratePage() -> impl IntoView {
    let data = load_generate(param("slug"));
    view! {
        <Title text="Generate tests" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

fn page(v: GenerateView) -> impl IntoView {
    let key_options = |selected_first: bool| {
        v.keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let label =
                    format!("{} ({}{}) — default model {}", k.name, k.vendor, if k.global { ", global" } else { "" }, k.default_model);
                let on = selected_first && i == 0;
                view! { <option value=k.id.clone() selected=on>{label}</option> }
            })
            .collect_view()
    };
    let body = if v.keys.is_empty() {
        view! {
            <section class="empty-state" data-testid="generate-no-keys">
                <h2>"No provider key yet"</h2>
                <p>"Generating tests calls a model. Add a key on the "<a href=format!("/projects/{}/providers", v.head.slug)>"Providers"</a>" page first."</p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <form method="post" action=format!("{}/generate", v.head.base()) class="form card tests-form generate-form" data-testid="generate-form">
                <label>"Prompt (edit it as you like)" <textarea name="prompt" rows="16" class="mono" maxlength="100000" required>{v.prompt.clone()}</textarea></label>
                <fieldset>
                    <legend>"Ask"</legend>
                    <div class="form-grid">
                        <label>"Provider key" <select name="key_id" required>{key_options(true)}</select></label>
                        <label>"Model (empty: the key's default)" <input type="text" name="model" maxlength="200" /></label>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"The generated cases will call"</legend>
                    <div class="form-grid">
                        <label>"Provider key" <select name="target_key_id"><option value="">"Project default"</option>{key_options(false)}</select></label>
                        <label>"Model" <input type="text" name="target_model" maxlength="200" required placeholder="gpt-4o-mini" /></label>
                    </div>
                    <label>"System prompt" <textarea name="target_system_prompt" rows="3" placeholder="You are the support assistant of ACME."></textarea></label>
                </fieldset>
                <p class="muted small">"The model's answer is read as a JSON list of cases. Each becomes a draft (tag ai-generated); none runs before someone approves it."</p>
                <div><button class="btn btn-primary" type="submit" data-testid="generate">"Generate drafts"</button></div>
            </form>
        }
        .into_any()
    };
    view! {
        <Title text=format!("Generate tests · {}", v.head.name) />
        {tests_header(&v.head, "Generate test cases with AI".into(), Some("From your recent traces (failures first) and your personas.".into()), "generate")}
        <FlashBanner />
        {body}
    }
}
