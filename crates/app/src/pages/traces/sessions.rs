//! Sessions: the traces sharing a session id, listed, and one session read as a conversation.

use super::{
    explorer_header,
    filters::{Fields, FilterForm},
    param, query_params,
};
use crate::api::traces::{encode, load_session, load_sessions, SessionData, SessionListData};
use crate::components::flash::LoadError;
use crate::components::trace_view::{count, dollars, duration, render_payload, time_of, Bubble, Message, Rendered};
use domain::traces::TraceSummary;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let params = query_params();
    let data = load_sessions(param("slug"), params.clone());
    view! {
        <Title text="Sessions" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => list_view(d, params.clone()).into_any(),
            }
        })}
    }
}

fn list_view(d: SessionListData, params: crate::api::traces::TraceParams) -> impl IntoView {
    let slug = d.project.slug.clone();
    let action = format!("/projects/{slug}/sessions");
    let empty = d.sessions.is_empty();
    let rows = d
        .sessions
        .into_iter()
        .map(|s| {
            let href = format!("/projects/{slug}/sessions/{}", encode(&s.session_id));
            view! {
                <tr data-testid="session-row">
                    <td><a href=href>{s.session_id}</a></td>
                    <td class="muted">{s.user_id.unwrap_or_default()}</td>
                    <td class="num">{count(s.trace_count)}</td>
                    <td class="nowrap muted">{time_of(s.first_ns)}</td>
                    <td class="nowrap muted">{time_of(s.last_ns)}</td>
                    <td class="num">{count(s.input_tokens)}" / "{count(s.output_tokens)}</td>
                    <td class="num">{dollars(s.cost_micros)}</td>
                    <td>{if s.error_count > 0 {
                        view! { <span class="pill pill-bad">{format!("{} errors", s.error_count)}</span> }.into_any()
                    } else {
                        view! { <span class="pill pill-ok">"ok"</span> }.into_any()
                    }}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {explorer_header(&d.project, "Sessions".into(), "sessions", Some("Conversations: the traces that share a session id.".into()))}
        <FilterForm action=action params=params range=d.range fields=Fields::RangeOnly />
        {if empty {
            view! { <section class="empty-state section-gap"><h2>"No sessions in this range"</h2><p>"Spans carry a session through "<code>"session.id"</code>" (or "<code>"gen_ai.conversation.id"</code>")."</p></section> }.into_any()
        } else {
            view! {
                <section class="card section-gap flush"><div class="table-wrap"><table class="data-table">
                    <thead><tr><th>"Session"</th><th>"User"</th><th class="num">"Traces"</th><th>"First (UTC)"</th><th>"Last (UTC)"</th>
                        <th class="num">"Tokens in / out"</th><th class="num">"Cost"</th><th>"Status"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table></div></section>
            }.into_any()
        }}
    }
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let data = load_session(param("slug"), param("session_id"), query_params());
    view! {
        <Title text="Session" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(d) => session_view(d).into_any(),
            }
        })}
    }
}

/// What a person said in one turn: the last user message of a chat input, or the whole input.
fn said(input: &str) -> Vec<Message> {
    match render_payload(input) {
        Rendered::Chat(m) => {
            let last_user = m.iter().rposition(|m| m.role == "user");
            match last_user {
                Some(i) => m[i..i + 1].to_vec(),
                None => m,
            }
        }
        Rendered::Json(t) | Rendered::Text(t) => vec![Message { role: "user".into(), text: t }],
    }
}

/// What the application answered: the output's messages, or the whole output.
fn answered(output: &str) -> Vec<Message> {
    match render_payload(output) {
        Rendered::Chat(m) => m,
        Rendered::Json(t) | Rendered::Text(t) => vec![Message { role: "assistant".into(), text: t }],
    }
}

fn turn(slug: &str, t: TraceSummary) -> AnyView {
    let href = format!("/projects/{slug}/traces/{}", t.trace_id);
    let bubbles: Vec<Message> =
        t.input.as_deref().map(said).unwrap_or_default().into_iter().chain(t.output.as_deref().map(answered).unwrap_or_default()).collect();
    view! {
        <article class="turn" data-testid="session-turn">
            <div class="turn-meta muted small">
                <span>{time_of(t.start_ns)}</span>
                <a href=href>{t.name}</a>
                <span>{duration(t.duration_ns)}</span>
                <span>{dollars(t.cost_micros)}</span>
                {(t.error_count > 0).then(|| view! { <span class="pill pill-bad">"error"</span> })}
            </div>
            <div class="chat">{bubbles.into_iter().map(|m| view! { <Bubble role=m.role text=m.text /> }).collect_view()}</div>
        </article>
    }
    .into_any()
}

fn session_view(d: SessionData) -> impl IntoView {
    let slug = d.project.slug.clone();
    let (tokens, cost): (u64, u64) = d.traces.iter().fold((0, 0), |(t, c), x| (t + x.input_tokens + x.output_tokens, c + x.cost_micros));
    let lead = format!("{} turns · {} tokens · {}", d.traces.len(), count(tokens), dollars(cost));
    let turns = d.traces.into_iter().map(|t| turn(&slug, t)).collect_view();
    view! {
        {explorer_header(&d.project, format!("Session {}", d.session_id), "sessions", Some(lead))}
        <section class="conversation card">{turns}</section>
    }
}
