//! Conversation shaping shared by Anthropic and Gemini: system text goes in a field of its own,
//! turns of one role must not follow each other, and tool-call arguments travel as JSON objects.

use serde_json::{json, Value};

use crate::error::LlmError;
use crate::types::{Message, ToolCall};

/// The text of every system message, in order.
pub(crate) fn system_texts(messages: &[Message]) -> Vec<&str> {
    messages.iter().filter_map(|m| if let Message::System { content } = m { Some(content.as_str()) } else { None }).collect()
}

/// Converts every non-system message to a (role, parts) turn with `convert`, merging consecutive
/// turns of one role (several tool results become one user turn).
pub(crate) fn merged_turns<R: PartialEq>(
    messages: &[Message],
    mut convert: impl FnMut(&Message) -> Result<(R, Vec<Value>), LlmError>,
) -> Result<Vec<(R, Vec<Value>)>, LlmError> {
    let mut turns: Vec<(R, Vec<Value>)> = Vec::new();
    for message in messages.iter().filter(|m| !matches!(m, Message::System { .. })) {
        let (role, parts) = convert(message)?;
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    Ok(turns)
}

/// The arguments of a tool call as a JSON object (empty text counts as `{}`).
pub(crate) fn arguments_object(call: &ToolCall) -> Result<Value, LlmError> {
    if call.arguments.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(&call.arguments)
        .map_err(|e| LlmError::InvalidRequest { message: format!("the arguments of tool call {} are not JSON: {e}", call.id) })
}
