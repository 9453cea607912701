//! What OpenAI sends back: completions, stream chunks, embeddings.

use serde::Deserialize;

use super::error::WireError;
use crate::error::LlmError;
use crate::sse::SseEvent;
use crate::stream_decode::{Decoder, Ending};
use crate::transport::excerpt;
use crate::types::{ChatEvent, ChatResponse, EmbedResponse, Finish, FinishReason, ToolCall, Usage};
use crate::vendor_error::in_stream;

#[derive(Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    model: String,
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
}

impl Completion {
    pub(super) fn into_response(self, latency_ms: u64) -> Result<ChatResponse, LlmError> {
        let choice = self.choices.into_iter().next().ok_or_else(|| LlmError::bad_response("the completion has no choices"))?;
        Ok(ChatResponse {
            model: self.model,
            content: choice.message.content.unwrap_or_default(),
            tool_calls: choice
                .message
                .tool_calls
                .into_iter()
                .map(|c| ToolCall { id: c.id, name: c.function.name, arguments: c.function.arguments })
                .collect(),
            usage: self.usage.map(Usage::from),
            finish: finish(choice.finish_reason.unwrap_or_default()),
            latency_ms,
        })
    }
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCall>,
}

#[derive(Deserialize)]
struct WireToolCall {
    id: String,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    arguments: String,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Self {
        Usage { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens }
    }
}

#[derive(Deserialize)]
pub(super) struct EmbeddingList {
    data: Vec<Embedding>,
    usage: Option<WireUsage>,
}

impl EmbeddingList {
    pub(super) fn into_response(mut self, latency_ms: u64) -> EmbedResponse {
        self.data.sort_by_key(|e| e.index);
        EmbedResponse { embeddings: self.data.into_iter().map(|e| e.embedding).collect(), usage: self.usage.map(Usage::from), latency_ms }
    }
}

#[derive(Deserialize)]
struct Embedding {
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallChunk>,
}

#[derive(Deserialize)]
struct ToolCallChunk {
    index: u32,
    id: Option<String>,
    function: Option<FunctionChunk>,
}

#[derive(Deserialize)]
struct FunctionChunk {
    name: Option<String>,
    arguments: Option<String>,
}

/// Chunks carry `delta`s; the finish reason comes in the last choice chunk, usage in a chunk
/// of its own after it (`stream_options.include_usage`), then `data: [DONE]`.
#[derive(Default)]
pub(super) struct ChunkDecoder {
    ending: Ending,
}

impl Decoder for ChunkDecoder {
    fn event(&mut self, event: SseEvent, out: &mut Vec<ChatEvent>) -> Result<bool, LlmError> {
        if event.data == "[DONE]" {
            return Ok(true);
        }
        // An error mid-stream arrives as a data event holding the usual error body.
        if let Some(error) = in_stream::<WireError>(&event.data) {
            return Err(error);
        }
        let chunk: Chunk =
            serde_json::from_str(&event.data).map_err(|e| LlmError::bad_response(format!("{e} in {}", excerpt(&event.data))))?;
        if let Some(usage) = chunk.usage {
            self.ending.usage = Some(usage.into());
        }
        for choice in chunk.choices {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                out.push(ChatEvent::TextDelta { text });
            }
            for call in choice.delta.tool_calls {
                let function = call.function.unwrap_or(FunctionChunk { name: None, arguments: None });
                if let Some(id) = call.id {
                    out.push(ChatEvent::ToolCallStart { index: call.index, id, name: function.name.unwrap_or_default() });
                }
                if let Some(arguments) = function.arguments.filter(|a| !a.is_empty()) {
                    out.push(ChatEvent::ToolCallDelta { index: call.index, arguments });
                }
            }
            if let Some(raw) = choice.finish_reason {
                self.ending.finish = Some(finish(raw));
            }
        }
        Ok(false)
    }

    fn ending(&mut self) -> &mut Ending {
        &mut self.ending
    }
}

fn finish(raw: String) -> Finish {
    let reason = match raw.as_str() {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    Finish { reason, raw }
}
