//! The chat playground: chat with any provider key the project may use, as a persona or not,
//! compare two models on the same message, save conversations. The chat is an island (it
//! streams); the rest of the page — and a clear note when JavaScript is off — renders on the server.

use crate::api::playground::load_playground;
use crate::components::{flash::LoadError, trace_view::ExplorerTabs};
use crate::islands::playground::PlaygroundChat;
use domain::playground::PlaygroundData;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let slug = use_params_map().with_untracked(|p| p.get("slug")).unwrap_or_default();
    let conversation = use_query_map().with_untracked(|q| q.get("conversation")).filter(|c| !c.is_empty());
    let data = load_playground(slug, conversation);
    view! {
        <Title text="Playground" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => page(d).into_any(),
            }
        })}
    }
}

fn page(d: PlaygroundData) -> impl IntoView {
    let slug = d.slug.clone();
    let providers = format!("/projects/{slug}/providers");
    let personas = format!("/projects/{slug}/personas");
    let chat = if !d.can_chat {
        view! {
            <section class="empty-state section-gap" data-testid="playground-readonly">
                <h2>"Chatting is for editors"</h2>
                <p>"Your role in this project lets you read saved conversations; ask an owner to make you an editor to chat."</p>
            </section>
        }
        .into_any()
    } else if d.keys.is_empty() {
        view! {
            <section class="empty-state section-gap" data-testid="playground-no-keys">
                <h2>"No provider key yet"</h2>
                <p>"Add an OpenAI, Anthropic, Gemini, xAI or OpenAI-compatible key on the "<a href=providers.clone()>"Providers"</a>" page, then chat here."</p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <noscript>
                <div class="banner banner-bad" data-testid="playground-noscript">
                    "Chatting streams the reply as it is written, which needs JavaScript. Turn it on to chat; saved conversations below stay readable."
                </div>
            </noscript>
            <PlaygroundChat data=d.clone() />
        }
        .into_any()
    };
    let saved = saved_list(&d);
    view! {
        <header class="page-header explorer-header">
            <span class="card-kicker"><a href=format!("/projects/{slug}")>{d.project_name.clone()}</a></span>
            <h1>"Playground"</h1>
            <p class="lead">
                "Chat with the project's models. Every call is traced in this project (tag "<code>"playground"</code>") with its tokens and cost. "
                <a href=providers>"Providers"</a>" · "<a href=personas>"Personas"</a>
            </p>
            <ExplorerTabs slug=slug.clone() current="playground" />
        </header>
        {chat}
        {saved}
    }
}

fn saved_list(d: &PlaygroundData) -> impl IntoView {
    let rows = d
        .conversations
        .iter()
        .map(|c| {
            let href = format!("/projects/{}/playground?conversation={}", d.slug, c.id);
            let title = if c.title.is_empty() { "(untitled)".to_owned() } else { c.title.clone() };
            view! {
                <tr data-testid="conversation-row">
                    <td><a href=href>{title}</a></td>
                    <td class="muted">{c.model.clone()}</td>
                    <td class="num">{c.turns}</td>
                    <td class="nowrap muted">{crate::components::trace_view::time_of(c.created_at_ms.max(0) as u64 * 1_000_000)}</td>
                    <td>{d.can_chat.then(|| view! {
                        <form method="post" action=format!("/projects/{}/tests/from-conversation/{}", d.slug, c.id) class="inline-form">
                            <button class="btn btn-ghost btn-sm" type="submit" data-testid="conversation-to-test">"Save as test case"</button>
                        </form>
                    })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section-gap" data-testid="saved-conversations">
            <h2>"Saved conversations"</h2>
            {if d.conversations.is_empty() {
                view! { <p class="muted">"None yet: chat, then “Save conversation”."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="data-table">
                        <thead><tr><th>"Title"</th><th>"Model"</th><th class="num">"Turns"</th><th>"Saved (UTC)"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}
