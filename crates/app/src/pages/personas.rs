//! Personas of a project: who a playground chat or a generated test speaks as. Every member
//! sees them; editors and owners create, change and delete them.

use crate::{
    api::personas::{project_personas, PersonasView},
    components::flash::{FlashBanner, LoadError},
};
use domain::{personas::Persona, usage::utc_minute};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The fields of the create form (`None`) or of a persona's edit form.
fn persona_fields(p: Option<&Persona>) -> impl IntoView {
    view! {
        <label>"Name" <input type="text" name="name" required maxlength="80" placeholder="Impatient small-business owner" value=p.map(|p| p.name.clone()) /></label>
        <label>"Description" <textarea name="description" rows="3" maxlength="2000" placeholder="Who they are, what they know">{p.map(|p| p.description.clone())}</textarea></label>
        <label>"Goals" <textarea name="goals" rows="2" maxlength="2000" placeholder="What they want from the conversation">{p.map(|p| p.goals.clone())}</textarea></label>
        <label>"Tone" <input type="text" name="tone" maxlength="200" placeholder="curt, friendly, formal…" value=p.map(|p| p.tone.clone()) /></label>
        <label>"Language" <input type="text" name="language" maxlength="50" placeholder="English" value=p.map(|p| p.language.clone()) /></label>
        <label>"Traits (comma-separated)" <input type="text" name="traits" maxlength="1100" placeholder="skeptical, detail-oriented" value=p.map(|p| p.traits.join(", ")) /></label>
    }
}

fn persona_card(p: Persona, base: Option<String>) -> impl IntoView {
    let prompt = p.system_prompt();
    let traits = p.traits.iter().map(|t| view! { <span class="chip">{t.clone()}</span> " " }).collect_view();
    let actions = base.map(|base| {
        let edit = format!("{base}/{}", p.id);
        let delete = format!("{base}/{}/delete", p.id);
        view! {
            <details class="inline-details">
                <summary class="btn btn-ghost btn-sm">"Edit"</summary>
                <form method="post" action=edit class="form" data-testid="edit-persona">
                    {persona_fields(Some(&p))}
                    <button class="btn btn-primary btn-sm" type="submit">"Save persona"</button>
                </form>
            </details>
            <form method="post" action=delete class="inline-form">
                <button class="btn btn-ghost btn-sm" type="submit">"Delete"</button>
            </form>
        }
    });
    let field = |label: &'static str, value: String| (!value.is_empty()).then(|| view! { <p><strong>{label}</strong> " " {value}</p> });
    view! {
        <section class="card section-gap" data-testid="persona-card">
            <span class="card-kicker">{if p.language.is_empty() { "Any language".to_owned() } else { p.language.clone() }}</span>
            <h3 data-testid="persona-name">{p.name.clone()}</h3>
            {field("Who:", p.description.clone())}
            {field("Goals:", p.goals.clone())}
            {field("Tone:", p.tone.clone())}
            <p>{traits}</p>
            <details>
                <summary class="muted small">"System prompt"</summary>
                <pre><code>{prompt}</code></pre>
            </details>
            <small class="muted">{format!("Updated {}", utc_minute(p.updated_at_ms))}</small>
            {actions}
        </section>
    }
}

fn personas_view(v: PersonasView) -> impl IntoView {
    let project = format!("/projects/{}", v.slug);
    let base = format!("{project}/personas");
    let edit_base = v.can_edit.then(|| base.clone());
    let list = if v.personas.is_empty() {
        view! {
            <section class="empty-state" data-testid="no-personas">
                <h2>"No personas yet"</h2>
                <p>"A persona is a simulated user: the playground can chat as one, and test generation will write cases in its voice."</p>
            </section>
        }
        .into_any()
    } else {
        v.personas.into_iter().map(|p| persona_card(p, edit_base.clone())).collect_view().into_any()
    };
    let form = v.can_edit.then(|| {
        view! {
            <aside class="card">
                <h2>"New persona"</h2>
                <form method="post" action=base.clone() class="form" data-testid="create-persona">
                    {persona_fields(None)}
                    <button class="btn btn-primary" type="submit">"Create persona"</button>
                </form>
            </aside>
        }
    });
    view! {
        <Title text=format!("Personas · {}", v.project_name) />
        <header class="page-header">
            <span class="card-kicker"><a href=project>{v.project_name.clone()}</a></span>
            <h1>"Personas"</h1>
            <p class="lead">"Who a playground chat or a generated test speaks as."</p>
        </header>
        <FlashBanner />
        <div class="grid-main-side">
            <div>{list}</div>
            {form}
        </div>
    }
}

#[component]
pub fn PersonasPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug")).unwrap_or_default();
    let data = project_personas(slug);
    view! {
        <Title text="Personas" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => personas_view(v).into_any(),
            }
        })}
    }
}
