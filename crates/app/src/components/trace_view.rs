//! Small pieces of the trace explorer's pages: numbers for people, and span inputs/outputs
//! rendered as chat messages when they are message lists, else pretty JSON or text.

use leptos::prelude::*;
use serde_json::Value;

const NS_PER_MS: u64 = 1_000_000;

/// Micro-dollars for people: `$0.0123`.
pub fn dollars(micros: u64) -> String {
    let (whole, frac) = (micros / 1_000_000, micros % 1_000_000);
    if micros == 0 {
        "$0".into()
    } else if whole == 0 && frac < 100 {
        format!("${whole}.{frac:06}")
    } else {
        format!("${whole}.{:04}", frac / 100)
    }
}

/// A duration for people: `840 ms`, `2.31 s`, `3m 05s`.
pub fn duration(ns: u64) -> String {
    if ns < NS_PER_MS {
        format!("{:.2} ms", ns as f64 / NS_PER_MS as f64)
    } else if ns < 1_000 * NS_PER_MS {
        format!("{} ms", ns / NS_PER_MS)
    } else if ns < 60_000 * NS_PER_MS {
        format!("{:.2} s", ns as f64 / 1e9)
    } else {
        format!("{}m {:02}s", ns / (60_000 * NS_PER_MS), ns % (60_000 * NS_PER_MS) / 1_000_000_000)
    }
}

/// `2026-11-22 09:30:05` (UTC) from Unix nanoseconds.
pub fn time_of(ns: u64) -> String {
    let ms = (ns / NS_PER_MS) as i64;
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{} {:02}:{:02}:{:02}", domain::usage::utc_day(ms), secs / 3600, secs / 60 % 60, secs % 60)
}

/// Thousands separated: `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One chat message: who said it and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub role: String,
    pub text: String,
}

/// How a payload reads best.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    Chat(Vec<Message>),
    Json(String),
    Text(String),
}

/// The payload as chat when every message has a role (read by `domain::chat_payload`, the same
/// reading the test runner matches); a bubble shows the text, then any tool calls or other parts
/// as JSON.
pub fn render_payload(raw: &str) -> Rendered {
    let chat = domain::chat_payload::messages(raw).filter(|m| !m.is_empty()).and_then(|msgs| {
        msgs.into_iter()
            .map(|m| {
                let role = m.role?;
                let mut lines: Vec<String> = m.text.into_iter().collect();
                lines.extend(m.other.iter().map(|v| serde_json::to_string_pretty(v).unwrap_or_default()));
                Some(Message { role, text: lines.join("\n") })
            })
            .collect::<Option<Vec<_>>>()
    });
    if let Some(messages) = chat {
        return Rendered::Chat(messages);
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ (Value::Array(_) | Value::Object(_))) => Rendered::Json(serde_json::to_string_pretty(&v).unwrap_or_else(|_| raw.to_owned())),
        Ok(Value::String(s)) => Rendered::Text(s),
        _ => Rendered::Text(raw.to_owned()),
    }
}

/// Chat bubbles for one message.
#[component]
pub fn Bubble(role: String, text: String) -> impl IntoView {
    let class = match role.as_str() {
        "user" | "human" => "bubble bubble-user",
        "assistant" | "model" | "ai" => "bubble bubble-assistant",
        "system" | "developer" => "bubble bubble-system",
        _ => "bubble bubble-tool",
    };
    view! {
        <div class=class data-testid="chat-message">
            <span class="bubble-role">{role}</span>
            <div class="bubble-text">{text}</div>
        </div>
    }
}

/// A span's input or output, readable.
#[component]
pub fn Payload(raw: String) -> impl IntoView {
    match render_payload(&raw) {
        Rendered::Chat(messages) => view! {
            <div class="chat">{messages.into_iter().map(|m| view! { <Bubble role=m.role text=m.text /> }).collect_view()}</div>
        }
        .into_any(),
        Rendered::Json(pretty) => view! { <pre class="payload json">{pretty}</pre> }.into_any(),
        Rendered::Text(text) => view! { <pre class="payload text">{text}</pre> }.into_any(),
    }
}

/// A JSON object column (attributes) pretty-printed; empty objects say so.
pub fn pretty_json(raw: &str) -> Option<String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(o)) if o.is_empty() => None,
        Ok(Value::Array(a)) if a.is_empty() => None,
        Ok(v) => Some(serde_json::to_string_pretty(&v).unwrap_or_else(|_| raw.to_owned())),
        Err(_) => (!raw.trim().is_empty()).then(|| raw.to_owned()),
    }
}

/// Tabs of a project's trace explorer (and the project's own pages around them).
#[component]
pub fn ExplorerTabs(slug: String, current: &'static str) -> impl IntoView {
    let tabs = [
        ("overview", "Overview", ""),
        ("traces", "Traces", "/traces"),
        ("sessions", "Sessions", "/sessions"),
        ("analytics", "Analytics", "/analytics"),
        ("playground", "Playground", "/playground"),
    ];
    let links = tabs
        .into_iter()
        .map(|(key, label, suffix)| {
            let href = format!("/projects/{slug}{suffix}");
            view! { <a class="tab" href=href aria-current=(key == current).then_some("page") data-testid=format!("tab-{key}")>{label}</a> }
        })
        .collect_view();
    view! { <nav class="tabs explorer-tabs" aria-label="Project">{links}</nav> }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(role: &str, text: &str) -> Message {
        Message { role: role.into(), text: text.into() }
    }

    #[test]
    fn message_lists_become_chat() {
        let raw = r#"[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}]"#;
        assert_eq!(render_payload(raw), Rendered::Chat(vec![m("system", "Be brief."), m("user", "Hi")]));
        let choices = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"}}]}"#;
        assert_eq!(render_payload(choices), Rendered::Chat(vec![m("assistant", "Hello!")]));
        let single = r#"{"role":"assistant","content":"مرحبا"}"#;
        assert_eq!(render_payload(single), Rendered::Chat(vec![m("assistant", "مرحبا")]));
    }

    #[test]
    fn other_payloads_stay_json_or_text() {
        assert_eq!(render_payload(r#"{"query":"x"}"#), Rendered::Json("{\n  \"query\": \"x\"\n}".into()));
        assert_eq!(render_payload(r#"[{"role":"user"}, 3]"#), Rendered::Json("[\n  {\n    \"role\": \"user\"\n  },\n  3\n]".into()));
        assert_eq!(render_payload("plain words"), Rendered::Text("plain words".into()));
        assert_eq!(render_payload(r#""quoted""#), Rendered::Text("quoted".into()));
        assert_eq!(render_payload("[]"), Rendered::Json("[]".into()));
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(dollars(1_234_567), "$1.2345");
        assert_eq!(dollars(42), "$0.000042");
        assert_eq!(duration(840 * NS_PER_MS), "840 ms");
        assert_eq!(duration(2_310 * NS_PER_MS), "2.31 s");
        assert_eq!(duration(185_000 * NS_PER_MS), "3m 05s");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(time_of(1_795_305_600_000 * NS_PER_MS + 3_723_000 * NS_PER_MS), "2026-11-22 01:02:03");
        assert_eq!(pretty_json("{}"), None);
    }
}
