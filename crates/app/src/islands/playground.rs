//! The playground's chat island: posts a turn to `POST /projects/{slug}/playground/chat` and
//! reads the server-sent events off the fetch body as they arrive (tokens appear live). Stop
//! aborts the fetch, which drops the server's upstream call. Compare sends the same message to a
//! second key/model in a pane of its own, both streams at once.

use domain::{
    personas::{ChatTurn, ConversationInput},
    playground::{format_cost, ChatCall, Grounded, KeyChoice, PlaygroundData},
};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // set by the browser code only
enum Status {
    Idle,
    Streaming,
    Done,
    Stopped,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Streaming => "streaming",
            Status::Done => "done",
            Status::Stopped => "stopped",
            Status::Failed => "error",
        }
    }
}

/// One side of the chat: its key and model, its own history (replies differ per model) and counters.
#[derive(Clone, Copy)]
struct Pane {
    index: usize,
    key: RwSignal<String>,
    model: RwSignal<String>,
    history: RwSignal<Vec<ChatTurn>>,
    live: RwSignal<String>,
    status: RwSignal<Status>,
    error: RwSignal<Option<String>>,
    input_tokens: RwSignal<u64>,
    output_tokens: RwSignal<u64>,
    cost_micros: RwSignal<u64>,
    /// Some reply had no price (an unknown model): the cost shown is a lower bound.
    unpriced: RwSignal<bool>,
    last_trace: RwSignal<Option<String>>,
    latency_ms: RwSignal<Option<u64>>,
    /// What the knowledge base added to the last turn's system prompt.
    grounded: RwSignal<Option<Grounded>>,
}

impl Pane {
    fn new(index: usize, key: &KeyChoice, model: String, history: Vec<ChatTurn>) -> Pane {
        Pane {
            index,
            key: RwSignal::new(key.id.clone()),
            model: RwSignal::new(model),
            history: RwSignal::new(history),
            live: RwSignal::new(String::new()),
            status: RwSignal::new(Status::Idle),
            error: RwSignal::new(None),
            input_tokens: RwSignal::new(0),
            output_tokens: RwSignal::new(0),
            cost_micros: RwSignal::new(0),
            unpriced: RwSignal::new(false),
            last_trace: RwSignal::new(None),
            latency_ms: RwSignal::new(None),
            grounded: RwSignal::new(None),
        }
    }

    fn name(&self) -> &'static str {
        if self.index == 0 {
            "a"
        } else {
            "b"
        }
    }

    fn clear(&self) {
        self.history.set(Vec::new());
        self.live.set(String::new());
        self.status.set(Status::Idle);
        self.error.set(None);
        self.input_tokens.set(0);
        self.output_tokens.set(0);
        self.cost_micros.set(0);
        self.unpriced.set(false);
        self.last_trace.set(None);
        self.latency_ms.set(None);
        self.grounded.set(None);
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    /// The reply so far becomes a turn (also when stopped: the conversation can go on from it).
    fn keep_live_text(&self) {
        let text = self.live.get_untracked();
        if !text.is_empty() {
            self.history.update(|h| h.push(ChatTurn { role: "assistant".into(), content: text }));
        }
        self.live.set(String::new());
    }
}

fn parse_number<T: std::str::FromStr>(raw: &str, what: &str) -> Result<Option<T>, String> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| format!("{what} must be a number")),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn error_text(e: &crate::api::AppError) -> String {
    e.to_string()
}

/// One line saying what the knowledge base added to the turn.
fn grounding_note(g: &Grounded) -> String {
    match (g.release, g.entries.is_empty()) {
        (None, _) => "Knowledge base: no release has a ready index yet, so the answer is not grounded.".into(),
        (Some(n), true) => format!("Knowledge base release {n}: no entry matched this message."),
        (Some(n), false) => format!("Grounded on knowledge base release {n}: {}", g.entries.join(", ")),
    }
}

#[island]
pub fn PlaygroundChat(data: PlaygroundData) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let slug = StoredValue::new(data.slug.clone());
    let keys = StoredValue::new(data.keys.clone());
    let personas = StoredValue::new(data.personas.clone());
    let open = data.open.clone().unwrap_or_default();
    let none = KeyChoice { id: String::new(), name: String::new(), vendor: String::new(), default_model: String::new(), global: false };
    let first = open.key_id.as_ref().and_then(|id| data.keys.iter().find(|k| &k.id == id)).or(data.keys.first()).unwrap_or(&none).clone();
    let second = data.keys.get(1).unwrap_or(&first).clone();
    let model_a = if open.model.is_empty() { first.default_model.clone() } else { open.model.clone() };
    let panes = [Pane::new(0, &first, model_a, open.messages.clone()), Pane::new(1, &second, second.default_model.clone(), Vec::new())];

    let persona = RwSignal::new(open.persona_id.clone().unwrap_or_default());
    let system = RwSignal::new(open.system_prompt.clone());
    let temperature = RwSignal::new(open.temperature.map(|t| t.to_string()).unwrap_or_default());
    let max_tokens = RwSignal::new(open.max_tokens.map(|t| t.to_string()).unwrap_or_default());
    let compare = RwSignal::new(false);
    let ground = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let title = RwSignal::new(open.title.clone());
    let saved_id = RwSignal::new((!open.id.is_empty()).then(|| open.id.clone()));
    let session_id = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        session_id.set(format!("playground-{:012x}", (js_sys::Math::random() * 2f64.powi(48)) as u64));
    });

    let streaming = move || panes.iter().any(|p| p.status.get() == Status::Streaming);
    let active = move || if compare.get_untracked() { 2 } else { 1 };

    let choose_persona = move |id: String| {
        if let Some(p) = personas.with_value(|ps| ps.iter().find(|p| p.id == id).cloned()) {
            system.set(p.system_prompt);
        }
        persona.set(id);
    };
    let choose_key = move |pane: Pane, id: String| {
        if let Some(k) = keys.with_value(|ks| ks.iter().find(|k| k.id == id).cloned()) {
            pane.model.set(k.default_model);
        }
        pane.key.set(id);
    };

    let send = move || {
        problem.set(None);
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some("Write a message first.".into()));
            return;
        }
        let (temperature, max_tokens) = match (
            parse_number::<f32>(&temperature.get_untracked(), "Temperature"),
            parse_number::<u32>(&max_tokens.get_untracked(), "Max tokens"),
        ) {
            (Ok(t), Ok(m)) => (t, m),
            (Err(e), _) | (_, Err(e)) => {
                problem.set(Some(e));
                return;
            }
        };
        for pane in panes.iter().take(active()).copied() {
            pane.history.update(|h| h.push(ChatTurn { role: "user".into(), content: text.clone() }));
            let call = ChatCall {
                key_id: pane.key.get_untracked(),
                model: pane.model.get_untracked(),
                system_prompt: system.get_untracked(),
                messages: pane.history.get_untracked(),
                temperature,
                max_tokens,
                session_id: Some(session_id.get_untracked()).filter(|s| !s.is_empty()),
                ground_on_kb: ground.get_untracked(),
            };
            if let Err(e) = call.check() {
                pane.history.update(|h| {
                    h.pop();
                });
                problem.set(Some(capitalise(&e)));
                return;
            }
            pane.error.set(None);
            pane.live.set(String::new());
            pane.status.set(Status::Streaming);
            #[cfg(feature = "hydrate")]
            browser::start(slug.get_value(), pane, call);
            #[cfg(not(feature = "hydrate"))]
            let _ = call;
        }
        draft.set(String::new());
        saved_id.set(None);
    };
    let stop = move || {
        #[cfg(feature = "hydrate")]
        browser::stop_all();
    };
    let new_chat = move || {
        stop();
        for p in panes {
            p.clear();
        }
        saved_id.set(None);
        title.set(String::new());
    };

    let save = Action::new(move |input: &(String, ConversationInput)| {
        let (slug, input) = input.clone();
        async move { crate::api::playground::save_conversation(slug, serde_json::to_string(&input).unwrap_or_default()).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(id)) => saved_id.set(Some(id)),
        Some(Err(e)) => problem.set(Some(error_text(&e))),
        None => {}
    });
    let on_save = move || {
        let a = panes[0];
        if a.history.with_untracked(Vec::is_empty) {
            problem.set(Some("Nothing to save yet: send a message first.".into()));
            return;
        }
        let params = serde_json::json!({
            "temperature": parse_number::<f32>(&temperature.get_untracked(), "").ok().flatten(),
            "max_tokens": parse_number::<u32>(&max_tokens.get_untracked(), "").ok().flatten(),
        });
        let input = ConversationInput {
            title: title.get_untracked(),
            provider_key_id: Some(a.key.get_untracked()).filter(|k| !k.is_empty()),
            model: a.model.get_untracked(),
            system_prompt: system.get_untracked(),
            persona_id: Some(persona.get_untracked()).filter(|p| !p.is_empty()),
            messages: a.history.get_untracked(),
            params,
        };
        save.dispatch((slug.get_value(), input));
    };

    let key_options = move |selected: RwSignal<String>| {
        keys.with_value(|ks| {
            ks.iter()
                .map(|k| {
                    let label = format!("{} ({}{})", k.name, k.vendor, if k.global { ", global" } else { "" });
                    let id = k.id.clone();
                    let id2 = k.id.clone();
                    view! { <option value=id selected=move || selected.get() == id2>{label}</option> }
                })
                .collect_view()
        })
    };
    let persona_options = move || {
        personas.with_value(|ps| {
            ps.iter()
                .map(|p| {
                    let id = p.id.clone();
                    let id2 = p.id.clone();
                    view! { <option value=id selected=move || persona.get() == id2>{p.name.clone()}</option> }
                })
                .collect_view()
        })
    };
    let key_picker = move |pane: Pane| {
        let n = pane.name();
        view! {
            <label class="field">
                <span>{format!("Provider key {}", n.to_uppercase())}</span>
                <select data-testid=format!("playground-key-{n}") on:change=move |ev| choose_key(pane, event_target_value(&ev))>
                    {key_options(pane.key)}
                </select>
            </label>
            <label class="field">
                <span>{format!("Model {}", n.to_uppercase())}</span>
                <input
                    type="text"
                    data-testid=format!("playground-model-{n}")
                    prop:value=move || pane.model.get()
                    on:input=move |ev| pane.model.set(event_target_value(&ev))
                    placeholder="the key's default model"
                />
            </label>
        }
    };

    let pane_view = move |pane: Pane| {
        let n = pane.name();
        let turns = move || {
            pane.history
                .get()
                .into_iter()
                .map(|t| {
                    let class = if t.role == "user" { "pg-turn pg-user" } else { "pg-turn pg-assistant" };
                    view! { <div class=class data-role=t.role.clone()><span class="pg-role">{t.role.clone()}</span><p>{t.content}</p></div> }
                })
                .collect_view()
        };
        let counters = move || {
            let cost = format_cost(pane.cost_micros.get());
            let cost = if pane.unpriced.get() { format!("{cost} (some calls unpriced)") } else { cost };
            view! {
                <span data-testid=format!("pane-{n}-tokens")>{format!("{} in · {} out tokens", pane.input_tokens.get(), pane.output_tokens.get())}</span>
                <span data-testid=format!("pane-{n}-cost")>{cost}</span>
                {move || pane.latency_ms.get().map(|ms| view! { <span class="muted">{format!("{ms} ms")}</span> })}
            }
        };
        view! {
            <section class="pg-pane card" data-testid=format!("pane-{n}") data-status=move || pane.status.get().as_str()>
                <header class="pg-pane-head">
                    <strong>{move || pane.model.get()}</strong>
                    <span class="pg-counters">{counters}</span>
                </header>
                <div class="pg-turns" aria-live="polite">
                    {turns}
                    <Show when=move || pane.status.get() == Status::Streaming || !pane.live.get().is_empty()>
                        <div class="pg-turn pg-assistant pg-live" data-testid=format!("pane-{n}-live")>
                            <span class="pg-role">"assistant"</span>
                            <p>{move || pane.live.get()}<span class="pg-caret" aria-hidden="true"></span></p>
                        </div>
                    </Show>
                </div>
                {move || pane.error.get().map(|e| view! { <div class="banner banner-bad" role="alert" data-testid=format!("pane-{n}-error")>{e}</div> })}
                {move || pane.grounded.get().map(|g| view! { <p class="pg-grounded muted" data-testid=format!("pane-{n}-grounded")>{grounding_note(&g)}</p> })}
                {move || {
                    let slug = slug.get_value();
                    pane.last_trace.get().map(|t| view! { <a class="pg-trace-link" href=format!("/projects/{slug}/traces/{t}")>"View trace"</a> })
                }}
            </section>
        }
    };

    view! {
        <div class="playground" data-testid="playground" data-hydrated=move || hydrated.get().to_string()>
            <form class="pg-settings card" on:submit=move |ev| ev.prevent_default()>
                <div class="pg-grid">
                    {key_picker(panes[0])}
                    <label class="field">
                        <span>"Persona"</span>
                        <select data-testid="playground-persona" on:change=move |ev| choose_persona(event_target_value(&ev))>
                            <option value="">"None"</option>
                            {persona_options}
                        </select>
                    </label>
                    <label class="field">
                        <span>"Temperature"</span>
                        <input type="number" min="0" max="2" step="0.1" placeholder="default" data-testid="playground-temperature"
                            prop:value=move || temperature.get() on:input=move |ev| temperature.set(event_target_value(&ev)) />
                    </label>
                    <label class="field">
                        <span>"Max tokens"</span>
                        <input type="number" min="1" step="1" placeholder="default" data-testid="playground-max-tokens"
                            prop:value=move || max_tokens.get() on:input=move |ev| max_tokens.set(event_target_value(&ev)) />
                    </label>
                </div>
                <label class="field">
                    <span>"System prompt"</span>
                    <textarea rows="3" data-testid="playground-system" placeholder="You are a helpful assistant."
                        prop:value=move || system.get() on:input=move |ev| system.set(event_target_value(&ev))></textarea>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="playground-ground" prop:checked=move || ground.get()
                        on:change=move |ev| ground.set(event_target_checked(&ev)) />
                    " Ground on the knowledge base "
                    <span class="muted">"(the entries nearest to your message join the system prompt)"</span>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="playground-compare" prop:checked=move || compare.get()
                        on:change=move |ev| compare.set(event_target_checked(&ev)) />
                    " Compare with a second model"
                </label>
                <Show when=move || compare.get()>
                    <div class="pg-grid">{key_picker(panes[1])}</div>
                </Show>
            </form>

            <div class="pg-panes" class:pg-compare=move || compare.get()>
                {pane_view(panes[0])}
                <Show when=move || compare.get()>{pane_view(panes[1])}</Show>
            </div>

            {move || problem.get().map(|p| view! { <div class="banner banner-bad" role="alert" data-testid="playground-problem">{p}</div> })}

            <form class="pg-compose" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <textarea rows="3" data-testid="playground-input" placeholder="Message…" prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            send();
                        }
                    }></textarea>
                <div class="pg-actions">
                    <button type="submit" class="btn btn-primary" data-testid="playground-send" disabled=move || !hydrated.get() || streaming()>"Send"</button>
                    <button type="button" class="btn btn-ghost" data-testid="playground-stop" disabled=move || !streaming() on:click=move |_| stop()>"Stop"</button>
                    <button type="button" class="btn btn-ghost" data-testid="playground-new" disabled=move || !hydrated.get() on:click=move |_| new_chat()>"New chat"</button>
                </div>
            </form>

            <form class="pg-save" on:submit=move |ev| { ev.prevent_default(); on_save(); }>
                <label class="field">
                    <span>"Title"</span>
                    <input type="text" data-testid="playground-title" placeholder="from the first message" prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="btn btn-ghost" data-testid="playground-save" disabled=move || !hydrated.get() || streaming() || save.pending().get()>
                    "Save conversation"
                </button>
                {move || saved_id.get().map(|id| view! {
                    <span class="pg-saved" data-testid="playground-saved">"Saved. "<a href=format!("?conversation={id}")>"Reopen"</a></span>
                })}
            </form>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! fetch + ReadableStream: EventSource cannot POST a body, and an aborted fetch closes the
    //! connection, which is what tells the server to drop the vendor's stream.

    use super::{Pane, Status};
    use domain::playground::{event, ChatCall, SseParser, StreamDone, StreamError, StreamStart, TextDelta};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, Request, RequestInit, Response};

    thread_local! {
        static CONTROLLERS: RefCell<[Option<AbortController>; 2]> = const { RefCell::new([None, None]) };
    }

    pub fn stop_all() {
        CONTROLLERS.with(|c| {
            for controller in c.borrow_mut().iter_mut() {
                if let Some(controller) = controller.take() {
                    controller.abort();
                }
            }
        });
    }

    pub fn start(slug: String, pane: Pane, call: ChatCall) {
        leptos::task::spawn_local(async move {
            let aborted = match run(&slug, pane, &call).await {
                Ok(()) => false,
                Err(Failure::Aborted) => true,
                Err(Failure::Message(m)) => {
                    pane.error.set(Some(m));
                    pane.status.set(Status::Failed);
                    false
                }
            };
            CONTROLLERS.with(|c| c.borrow_mut()[pane.index] = None);
            if aborted {
                pane.keep_live_text();
                pane.status.set(Status::Stopped);
            } else if pane.status.get_untracked() == Status::Streaming {
                // The body ended without `done` or `error`.
                pane.live.set(String::new());
                pane.error.set(Some("The connection closed before the reply ended.".into()));
                pane.status.set(Status::Failed);
            }
        });
    }

    enum Failure {
        Aborted,
        Message(String),
    }

    impl From<JsValue> for Failure {
        fn from(e: JsValue) -> Self {
            let name = js_sys::Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string());
            if name.as_deref() == Some("AbortError") {
                return Failure::Aborted;
            }
            let message = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string());
            Failure::Message(format!("The request failed: {}", message.unwrap_or_else(|| "network error".into())))
        }
    }

    async fn run(slug: &str, pane: Pane, call: &ChatCall) -> Result<(), Failure> {
        let controller = AbortController::new()?;
        let headers = Headers::new()?;
        headers.set("content-type", "application/json")?;
        headers.set("accept", "text/event-stream")?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&serde_json::to_string(call).unwrap_or_default()));
        init.set_signal(Some(&controller.signal()));
        let request = Request::new_with_str_and_init(&format!("/projects/{slug}/playground/chat"), &init)?;
        CONTROLLERS.with(|c| {
            if let Some(old) = c.borrow_mut()[pane.index].replace(controller) {
                old.abort();
            }
        });
        let response: Response = JsFuture::from(window().fetch_with_request(&request)).await?.dyn_into()?;
        if !response.ok() {
            let text = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
            let message = serde_json::from_str::<StreamError>(&text).map(|e| e.message).unwrap_or_else(|_| {
                if text.trim().is_empty() {
                    format!("The server answered {}.", response.status())
                } else {
                    text
                }
            });
            // The user turn was not answered: take it back so it can be sent again.
            pane.history.update(|h| {
                h.pop();
            });
            return Err(Failure::Message(message));
        }
        let body = response.body().ok_or_else(|| Failure::Message("The response has no body.".into()))?;
        let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(JsValue::from)?;
        let mut parser = SseParser::default();
        loop {
            let chunk = JsFuture::from(reader.read()).await?;
            if js_sys::Reflect::get(&chunk, &"done".into())?.as_bool().unwrap_or(true) {
                return Ok(());
            }
            let bytes = js_sys::Uint8Array::new(&js_sys::Reflect::get(&chunk, &"value".into())?).to_vec();
            for e in parser.push(&bytes) {
                apply(pane, &e.event, &e.data);
            }
        }
    }

    fn apply(pane: Pane, name: &str, data: &str) {
        match name {
            event::START => {
                if let Ok(s) = serde_json::from_str::<StreamStart>(data) {
                    pane.last_trace.set(Some(s.trace_id));
                    pane.grounded.set(s.grounded);
                }
            }
            event::DELTA => {
                if let Ok(d) = serde_json::from_str::<TextDelta>(data) {
                    pane.live.update(|t| t.push_str(&d.text));
                }
            }
            event::DONE => {
                if let Ok(d) = serde_json::from_str::<StreamDone>(data) {
                    pane.keep_live_text();
                    pane.input_tokens.update(|n| *n += d.input_tokens.unwrap_or(0));
                    pane.output_tokens.update(|n| *n += d.output_tokens.unwrap_or(0));
                    match d.cost_micros {
                        Some(c) => pane.cost_micros.update(|n| *n += c),
                        None => pane.unpriced.set(true),
                    }
                    pane.latency_ms.set(Some(d.latency_ms));
                    pane.status.set(Status::Done);
                }
            }
            event::ERROR => {
                let message = serde_json::from_str::<StreamError>(data).map(|e| e.message).unwrap_or_else(|_| data.to_owned());
                pane.live.set(String::new());
                pane.history.update(|h| {
                    h.pop();
                });
                pane.error.set(Some(message));
                pane.status.set(Status::Failed);
            }
            _ => {}
        }
    }
}
