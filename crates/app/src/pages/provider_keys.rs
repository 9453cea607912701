//! Provider keys: a project's own (owners manage them, editors chat with them) and the global
//! defaults (admins). A key is never shown again after it is saved: only its last 4 characters.

use crate::{
    api::provider_keys::{global_provider_keys, project_provider_keys, ProjectProvidersView, ProviderKeyRow},
    components::flash::{FlashBanner, LoadError},
    pages::admin::AdminTabs,
};
use domain::usage::utc_minute;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The vendors a key can be for: (form value, label).
const VENDORS: [(&str, &str); 5] = [
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("gemini", "Google Gemini"),
    ("xai", "xAI"),
    ("openai_compatible", "OpenAI-compatible (Ollama, vLLM…)"),
];

fn vendor_label(value: &str) -> String {
    VENDORS.iter().find(|(v, _)| *v == value).map(|(_, l)| (*l).to_owned()).unwrap_or_else(|| value.to_owned())
}

fn masked(last4: &Option<String>) -> String {
    match last4 {
        Some(l) => format!("••••{l}"),
        None => "no key".to_owned(),
    }
}

/// The fields of the add form (`None`) or of a key's edit form.
fn key_fields(existing: Option<&ProviderKeyRow>) -> impl IntoView {
    let selected = existing.map(|k| k.vendor.clone()).unwrap_or_else(|| "openai".into());
    let options =
        VENDORS.iter().map(|(value, label)| view! { <option value=*value selected=*value == selected>{*label}</option> }).collect_view();
    let key_placeholder = match existing {
        Some(k) if k.key_last4.is_some() => format!("leave empty to keep {}", masked(&k.key_last4)),
        Some(_) => "none stored".to_owned(),
        None => "sk-…".to_owned(),
    };
    let has_key = existing.is_some_and(|k| k.key_last4.is_some());
    view! {
        <label>"Name" <input type="text" name="name" required maxlength="80" placeholder="Production OpenAI" value=existing.map(|k| k.name.clone()) /></label>
        <label>"Vendor" <select name="vendor" required>{options}</select></label>
        <label>"Base URL" <input type="text" inputmode="url" name="base_url" maxlength="500" placeholder="vendor default; required for OpenAI-compatible" value=existing.and_then(|k| k.base_url.clone()) /></label>
        <label>"API key" <input type="password" name="api_key" maxlength="1000" autocomplete="new-password" placeholder=key_placeholder /></label>
        <label>"Default model" <input type="text" name="default_model" required maxlength="200" placeholder="gpt-4o-mini" value=existing.map(|k| k.default_model.clone()) /></label>
        {has_key.then(|| view! {
            <label class="check"><input type="checkbox" name="remove_key" value="on" /> "Remove the stored key"</label>
        })}
    }
}

/// One key's row. `base` is the forms' path (`/projects/{slug}/providers` or
/// `/admin/providers`); `None` shows it read-only.
fn key_row(k: ProviderKeyRow, base: Option<String>) -> impl IntoView {
    let actions = base.map(|base| {
        let edit = format!("{base}/{}", k.id);
        let delete = format!("{base}/{}/delete", k.id);
        view! {
            <details class="inline-details">
                <summary class="btn btn-ghost btn-sm">"Edit"</summary>
                <form method="post" action=edit class="form" data-testid="edit-provider">
                    {key_fields(Some(&k))}
                    <button class="btn btn-primary btn-sm" type="submit">"Save changes"</button>
                </form>
            </details>
            <form method="post" action=delete class="inline-form">
                <button class="btn btn-ghost btn-sm" type="submit">"Delete"</button>
            </form>
        }
    });
    view! {
        <tr data-testid="provider-row">
            <td>{k.name.clone()}</td>
            <td>{vendor_label(&k.vendor)}</td>
            <td><code>{k.base_url.clone().unwrap_or_else(|| "vendor default".into())}</code></td>
            <td><code>{k.default_model.clone()}</code></td>
            <td class="nowrap" data-testid="key-last4"><code>{masked(&k.key_last4)}</code></td>
            <td class="nowrap muted">{utc_minute(k.created_at_ms)}</td>
            <td class="actions nowrap">{actions}</td>
        </tr>
    }
}

fn key_table(rows: Vec<ProviderKeyRow>, base: Option<String>, testid: &'static str) -> impl IntoView {
    let body = rows.into_iter().map(|k| key_row(k, base.clone())).collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid=testid>
                <thead><tr><th>"Name"</th><th>"Vendor"</th><th>"Base URL"</th><th>"Default model"</th><th>"Key"</th><th>"Created"</th><th></th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn add_form(action: String) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Add a provider key"</h2>
            <p class="muted">"The key is encrypted before it is stored and never shown again: only its last 4 characters."</p>
            <form method="post" action=action class="form" data-testid="add-provider">
                {key_fields(None)}
                <button class="btn btn-primary" type="submit">"Save provider key"</button>
            </form>
        </section>
    }
}

fn project_view(v: ProjectProvidersView) -> impl IntoView {
    let project = format!("/projects/{}", v.slug);
    let base = format!("{project}/providers");
    let manage = v.can_manage.then(|| base.clone());
    let own = if v.own.is_empty() {
        view! { <p class="muted" data-testid="no-providers">"No provider keys in this project yet."</p> }.into_any()
    } else {
        key_table(v.own, manage.clone(), "provider-table").into_any()
    };
    let global = (!v.global.is_empty()).then(|| {
        view! {
            <section class="card section-gap">
                <h2>"Global defaults"</h2>
                <p class="muted">"Set by administrators; every project's editors can use them."</p>
                {key_table(v.global, None, "global-provider-table")}
            </section>
        }
    });
    view! {
        <Title text=format!("Provider keys · {}", v.project_name) />
        <header class="page-header">
            <span class="card-kicker"><a href=project>{v.project_name.clone()}</a></span>
            <h1>"Provider keys"</h1>
            <p class="lead">"LLM vendor keys the playground and AI test generation call with. Owners manage them; editors use them."</p>
        </header>
        <FlashBanner />
        {manage.map(add_form)}
        <section class="card section-gap">
            <h2>"This project's keys"</h2>
            {own}
        </section>
        {global}
    }
}

#[component]
pub fn ProviderKeysPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug")).unwrap_or_default();
    let data = project_provider_keys(slug);
    view! {
        <Title text="Provider keys" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => project_view(v).into_any(),
            }
        })}
    }
}

#[component]
pub fn AdminProvidersPage() -> impl IntoView {
    if let Some(refused) = crate::pages::admin::admin_refusal() {
        return refused;
    }
    let data = global_provider_keys();
    view! {
        <Title text="Global provider keys" />
        <AdminTabs current="/admin/providers" />
        <FlashBanner />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(rows) => {
                    let list = if rows.is_empty() {
                        view! { <p class="muted" data-testid="no-providers">"No global provider keys yet."</p> }.into_any()
                    } else {
                        key_table(rows, Some("/admin/providers".into()), "provider-table").into_any()
                    };
                    view! {
                        {add_form("/admin/providers".into())}
                        <section class="card section-gap">
                            <h2>"Global defaults"</h2>
                            <p class="muted">"Every project's editors can chat with these keys, after the project's own."</p>
                            {list}
                        </section>
                    }.into_any()
                }
            }
        })}
    }
    .into_any()
}
