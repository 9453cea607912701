//! One reading of the chat payloads SDKs record as span input and output (wasm-safe): the trace
//! page shows what the test runner matches. Shapes: an array of messages, `{messages: [...]}`,
//! `{choices: [{message}]}`, or one message; a message is `{role, content}` where content is a
//! string or parts (`{type: "text", text | content}`), or GenAI `{role, parts}`.
//!
//! Text parts are joined with "" — as the vendors' SDKs do (`output_text`, Gemini's `.text`).
//! Parts that are not text (tool calls, images) are kept aside as `other`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub role: Option<String>,
    /// The text parts, joined; `None` when the message has none.
    pub text: Option<String>,
    /// Everything else the message carries: non-text parts, tool calls.
    pub other: Vec<Value>,
}

/// The message values of a payload, when it is JSON of messages.
pub fn message_values(raw: &str) -> Option<Vec<Value>> {
    let trimmed = raw.trim_start();
    if !(trimmed.starts_with('[') || trimmed.starts_with('{')) {
        return None;
    }
    match serde_json::from_str::<Value>(raw).ok()? {
        Value::Array(items) => Some(items),
        Value::Object(o) if o.contains_key("messages") => o.get("messages").and_then(Value::as_array).cloned(),
        Value::Object(o) if o.contains_key("choices") => {
            Some(o["choices"].as_array()?.iter().map(|c| c.get("message").cloned().unwrap_or(Value::Null)).collect())
        }
        other => Some(vec![other]),
    }
}

/// The messages of a payload, when it is JSON of messages.
pub fn messages(raw: &str) -> Option<Vec<ChatMessage>> {
    Some(message_values(raw)?.iter().map(message).collect())
}

/// One message value read: a plain string is a message without a role.
pub fn message(v: &Value) -> ChatMessage {
    let mut m = ChatMessage { role: None, text: None, other: Vec::new() };
    match v {
        Value::String(s) => m.text = Some(s.clone()),
        Value::Object(o) => {
            if let Some(inner) = o.get("message") {
                return message(inner);
            }
            m.role = o.get("role").and_then(Value::as_str).map(str::to_owned);
            for body in [o.get("content"), o.get("parts")].into_iter().flatten() {
                if m.text.is_none() {
                    m.text = content(body, &mut m.other);
                }
            }
            if m.text.is_none() {
                m.text = o.get("text").and_then(Value::as_str).map(str::to_owned);
            }
            m.other.extend(o.get("tool_calls").and_then(Value::as_array).into_iter().flatten().cloned());
        }
        _ => {}
    }
    m
}

/// The text of a content value (a string, or parts); non-text parts go to `other`.
fn content(v: &Value, other: &mut Vec<Value>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let mut texts = Vec::new();
            for p in parts {
                match p {
                    Value::String(s) => texts.push(s.clone()),
                    Value::Object(o) if o.get("type").and_then(Value::as_str).is_none_or(|t| t == "text") => {
                        match o.get("text").or_else(|| o.get("content")).and_then(Value::as_str) {
                            Some(t) => texts.push(t.to_owned()),
                            None => other.push(p.clone()),
                        }
                    }
                    _ => other.push(p.clone()),
                }
            }
            (!texts.is_empty()).then(|| texts.concat())
        }
        Value::Null => None,
        v => {
            other.push(v.clone());
            None
        }
    }
}

fn role_is(m: &ChatMessage, roles: &[&str]) -> bool {
    m.role.as_deref().is_some_and(|r| roles.contains(&r))
}

/// The answer's text: the last assistant (or role-less) message of a JSON output, or the text as it is.
pub fn reply_text(output: &str) -> String {
    let Some(msgs) = messages(output) else { return output.to_owned() };
    let pick = msgs.into_iter().rev().find(|m| m.role.is_none() || role_is(m, &["assistant", "model"]));
    pick.and_then(|m| m.text).unwrap_or_else(|| output.to_owned())
}

/// The question's text: the last user message of a JSON input, or the text as it is.
pub fn user_text(input: &str) -> String {
    let Some(msgs) = messages(input) else { return input.to_owned() };
    msgs.into_iter().rev().find(|m| role_is(m, &["user"])).and_then(|m| m.text).unwrap_or_else(|| input.to_owned())
}

/// The system prompt of a JSON input (all system messages, one per line), or the whole input.
pub fn system_text(input: &str) -> String {
    let Some(msgs) = messages(input) else { return input.to_owned() };
    let system: Vec<String> = msgs.into_iter().filter(|m| role_is(m, &["system"])).filter_map(|m| m.text).collect();
    if system.is_empty() {
        input.to_owned()
    } else {
        system.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_sdks_send() {
        let raw = r#"[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]}]"#;
        let m = messages(raw).unwrap();
        assert_eq!((m[0].role.as_deref(), m[0].text.as_deref()), (Some("system"), Some("Be brief.")));
        assert_eq!(m[1].text.as_deref(), Some("Hello"), "text parts joined as the SDKs join them");
        let choices = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"}}]}"#;
        assert_eq!(reply_text(choices), "Hi!");
        let genai = r#"[{"role":"model","parts":[{"type":"text","content":"Bonjour"}]}]"#;
        assert_eq!(reply_text(genai), "Bonjour");
        assert_eq!(
            user_text(r#"{"messages":[{"role":"user","content":"q1"},{"role":"assistant","content":"a"},{"role":"user","content":"q2"}]}"#),
            "q2"
        );
        assert_eq!(system_text(r#"[{"role":"system","content":"a"},{"role":"system","content":"b"}]"#), "a\nb");
    }

    #[test]
    fn tool_calls_and_other_parts_are_kept_aside() {
        let raw = r#"[{"role":"assistant","content":null,"tool_calls":[{"id":"1","function":{"name":"f","arguments":"{}"}}]}]"#;
        let m = &messages(raw).unwrap()[0];
        assert_eq!(m.text, None);
        assert_eq!(m.other.len(), 1);
        let image = r#"[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"what is it?"}]}]"#;
        let m = &messages(image).unwrap()[0];
        assert_eq!((m.text.as_deref(), m.other.len()), (Some("what is it?"), 1));
    }

    #[test]
    fn plain_text_stays_as_it_is() {
        assert_eq!(messages("plain words"), None);
        assert_eq!(reply_text("plain words"), "plain words");
        assert_eq!(user_text("[not json"), "[not json");
        assert_eq!(system_text(r#"[{"role":"user","content":"q"}]"#), r#"[{"role":"user","content":"q"}]"#);
    }
}
