//! The chat playground's shapes, shared by the page, the island and the server: what the island
//! posts to `POST /projects/{slug}/playground/chat`, the server-sent events it reads back, and
//! the page's data.

use crate::personas::{ChatTurn, ConversationSummary};
use serde::{Deserialize, Serialize};

/// Largest `max_tokens` the playground asks for.
pub const MAX_OUTPUT_TOKENS: u32 = 32_768;

/// One chat request from the playground.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatCall {
    /// A provider key usable by the project (its own or a global default).
    pub key_id: String,
    /// Empty: the key's default model.
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub system_prompt: String,
    /// The conversation so far, ending with the user's new message.
    pub messages: Vec<ChatTurn>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Groups the calls of one conversation in the project's Sessions view.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Add the knowledge-base entries nearest to the last user message to the system prompt.
    #[serde(default)]
    pub ground_on_kb: bool,
}

impl ChatCall {
    /// What must hold before any vendor is called; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.key_id.trim().is_empty() {
            return Err("choose a provider key".into());
        }
        if self.messages.is_empty() {
            return Err("write a message first".into());
        }
        if let Some(turn) = self.messages.iter().find(|t| t.role != "user" && t.role != "assistant") {
            return Err(format!("a message has the role “{}”; only user and assistant turns can be sent", turn.role));
        }
        if self.messages.last().is_some_and(|t| t.role != "user") {
            return Err("the last message must be the user's".into());
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err("the temperature must be between 0 and 2".into());
            }
        }
        if let Some(m) = self.max_tokens {
            if m == 0 || m > MAX_OUTPUT_TOKENS {
                return Err(format!("max tokens must be between 1 and {MAX_OUTPUT_TOKENS}"));
            }
        }
        Ok(())
    }
}

/// SSE event names of a playground stream.
pub mod event {
    /// [`super::StreamStart`], once, first.
    pub const START: &str = "start";
    /// [`super::TextDelta`], any number.
    pub const DELTA: &str = "delta";
    /// [`super::StreamDone`], last on success.
    pub const DONE: &str = "done";
    /// [`super::StreamError`], last on failure.
    pub const ERROR: &str = "error";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamStart {
    pub model: String,
    /// The trace the call's span is written to.
    pub trace_id: String,
    /// What the knowledge base added to the system prompt (when grounding was asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounded: Option<Grounded>,
}

/// Knowledge-base entries retrieved into a prompt: which release answered (`None`: no index is
/// ready yet) and the entries' keys, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grounded {
    pub release: Option<u64>,
    pub entries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDelta {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamDone {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Micro-dollars from the price table; `None` for a model without a price.
    pub cost_micros: Option<u64>,
    pub latency_ms: u64,
    /// `stop`, `length`, `tool_calls`, `content_filter`, `other`.
    pub finish_reason: String,
    pub trace_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamError {
    /// `invalid_key`, `model_not_found`, `rate_limited`, `quota_exceeded`, `context_too_long`, ...
    pub code: String,
    /// A sentence for the person, with what to do.
    pub message: String,
}

/// A provider key as the playground offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyChoice {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub default_model: String,
    /// A global default rather than the project's own.
    pub global: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonaChoice {
    pub id: String,
    pub name: String,
    pub system_prompt: String,
}

/// Everything the playground page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaygroundData {
    pub slug: String,
    pub project_name: String,
    /// Editors and owners chat; analysts see the page but not the chat.
    pub can_chat: bool,
    pub keys: Vec<KeyChoice>,
    pub personas: Vec<PersonaChoice>,
    pub conversations: Vec<ConversationSummary>,
    /// The saved conversation named by `?conversation=`, reopened.
    pub open: Option<OpenConversation>,
}

/// A saved conversation reopened in the island.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OpenConversation {
    pub id: String,
    pub title: String,
    pub key_id: Option<String>,
    pub model: String,
    pub system_prompt: String,
    pub persona_id: Option<String>,
    pub messages: Vec<ChatTurn>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}

/// One server-sent event as the island reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `message` when the event named none.
    pub event: String,
    pub data: String,
}

/// Splits a byte stream into server-sent events. Bytes arrive in arbitrary pieces (a UTF-8
/// character or a line may be cut); only whole events, which end with a blank line, come out.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
}

impl SseParser {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        loop {
            let text_end = self.buffer.windows(2).position(|w| w == b"\n\n");
            let Some(end) = text_end else { break };
            let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
            let block = String::from_utf8_lossy(&block).replace("\r\n", "\n");
            let (mut event, mut data) = (String::new(), Vec::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    event = v.trim_start().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                }
            }
            // Comments (keep-alives) and blocks without data are not events.
            if !data.is_empty() {
                let event = if event.is_empty() { "message".to_owned() } else { event };
                events.push(SseEvent { event, data: data.join("\n") });
            }
        }
        events
    }
}

/// `$0.001350` style, enough decimals for single calls.
pub fn format_cost(micros: u64) -> String {
    format!("${}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: &str, content: &str) -> ChatTurn {
        ChatTurn { role: role.into(), content: content.into() }
    }

    fn call() -> ChatCall {
        ChatCall { key_id: "k1".into(), messages: vec![turn("user", "Hi")], ..ChatCall::default() }
    }

    #[test]
    fn a_call_needs_a_key_and_ends_with_the_user() {
        assert_eq!(call().check(), Ok(()));
        assert!(ChatCall { key_id: " ".into(), ..call() }.check().unwrap_err().contains("provider key"));
        assert!(ChatCall { messages: vec![], ..call() }.check().is_err());
        assert!(ChatCall { messages: vec![turn("user", "Hi"), turn("assistant", "Hello")], ..call() }
            .check()
            .unwrap_err()
            .contains("last"));
        assert!(ChatCall { messages: vec![turn("system", "x"), turn("user", "Hi")], ..call() }.check().unwrap_err().contains("system"));
    }

    #[test]
    fn parameters_are_bounded() {
        assert!(ChatCall { temperature: Some(2.5), ..call() }.check().unwrap_err().contains("temperature"));
        assert!(ChatCall { temperature: Some(-0.1), ..call() }.check().is_err());
        assert_eq!(ChatCall { temperature: Some(0.0), max_tokens: Some(1), ..call() }.check(), Ok(()));
        assert!(ChatCall { max_tokens: Some(0), ..call() }.check().is_err());
        assert!(ChatCall { max_tokens: Some(MAX_OUTPUT_TOKENS + 1), ..call() }.check().is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let raw = r#"{"key_id":"k","messages":[{"role":"user","content":"Hi"}],"stream":false}"#;
        assert!(serde_json::from_str::<ChatCall>(raw).is_err());
    }

    #[test]
    fn events_come_out_whole_whatever_the_pieces() {
        let wire = "event: start\ndata: {\"a\":1}\n\n:\n\nevent: delta\ndata: {\"text\":\"日本\"}\n\ndata: x\ndata: y\n\n";
        let bytes = wire.as_bytes();
        for piece in [1, 2, 3, 7, bytes.len()] {
            let mut parser = SseParser::default();
            let events: Vec<SseEvent> = bytes.chunks(piece).flat_map(|c| parser.push(c)).collect();
            assert_eq!(
                events,
                vec![
                    SseEvent { event: "start".into(), data: r#"{"a":1}"#.into() },
                    SseEvent { event: "delta".into(), data: r#"{"text":"日本"}"#.into() },
                    SseEvent { event: "message".into(), data: "x\ny".into() },
                ],
                "pieces of {piece}"
            );
        }
        assert!(SseParser::default().push(b"event: delta\ndata: {}\n").is_empty(), "not ended yet");
    }

    #[test]
    fn costs_show_micro_dollars() {
        assert_eq!(format_cost(1_350), "$0.001350");
        assert_eq!(format_cost(2_500_000), "$2.500000");
    }
}
