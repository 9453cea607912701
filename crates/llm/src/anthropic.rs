//! Anthropic's messages API (`POST /v1/messages`), whole and streamed. Anthropic has no
//! embeddings API and no JSON output mode.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::ProviderConfig;
use crate::error::LlmError;
use crate::provider::{ChatStream, LlmProvider};
use crate::sse::{self, SseEvent};
use crate::stream_decode::{decode, Decoder, Ending};
use crate::transport::{endpoint, excerpt, secret_header, to_body, Transport};
use crate::turns::{arguments_object, merged_turns, system_texts};
use crate::types::*;
use crate::vendor_error::{classify, map_error, VendorError};
use reqwest::Url;

pub const API_VERSION: &str = "2023-06-01";
/// Anthropic requires `max_tokens`; used when the request leaves it open.
const DEFAULT_MAX_TOKENS: u32 = 4096;

pub struct Anthropic {
    messages_url: Url,
    headers: HeaderMap,
    transport: Transport,
}

impl Anthropic {
    pub fn new(config: &ProviderConfig) -> Result<Self, LlmError> {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("x-api-key"), secret_header(config.required_key()?.expose())?);
        headers.insert(HeaderName::from_static("anthropic-version"), HeaderValue::from_static(API_VERSION));
        Ok(Anthropic {
            messages_url: endpoint(&format!("{}/v1/messages", config.base_url_or("https://api.anthropic.com")?))?,
            headers,
            transport: Transport::new(config.http_client()?, config.timeout, config.retry.clone(), map_error::<WireError>),
        })
    }
}

fn messages_body(request: &ChatRequest, stream: bool) -> Result<Value, LlmError> {
    if matches!(request.response_format, Some(ResponseFormat::Json | ResponseFormat::JsonSchema { .. })) {
        return Err(LlmError::unsupported("Anthropic has no JSON output mode; ask for JSON in the prompt or use a tool"));
    }
    let system = system_texts(&request.messages);
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": wire_messages(&request.messages)?,
    });
    let fields = body.as_object_mut().expect("an object");
    if !system.is_empty() {
        fields.insert("system".into(), json!(system.join("\n\n")));
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> =
            request.tools.iter().map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters})).collect();
        fields.insert("tools".into(), tools.into());
    }
    if let Some(choice) = &request.tool_choice {
        let choice = match choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool { name } => json!({"type": "tool", "name": name}),
        };
        fields.insert("tool_choice".into(), choice);
    }
    if let Some(t) = request.temperature {
        fields.insert("temperature".into(), json!(t));
    }
    if !request.stop.is_empty() {
        fields.insert("stop_sequences".into(), json!(request.stop));
    }
    if stream {
        fields.insert("stream".into(), json!(true));
    }
    Ok(body)
}

/// Content blocks per turn; tool results travel in a user turn.
fn wire_messages(messages: &[Message]) -> Result<Vec<Value>, LlmError> {
    let turns = merged_turns(messages, |message| {
        Ok(match message {
            // `merged_turns` hands over no system messages.
            Message::User { content } | Message::System { content } => ("user", vec![json!({"type": "text", "text": content})]),
            Message::Assistant { content, tool_calls } => {
                let mut blocks = Vec::new();
                if !content.is_empty() {
                    blocks.push(json!({"type": "text", "text": content}));
                }
                for call in tool_calls {
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": arguments_object(call)?}));
                }
                ("assistant", blocks)
            }
            Message::Tool { tool_call_id, content } => {
                ("user", vec![json!({"type": "tool_result", "tool_use_id": tool_call_id, "content": content})])
            }
        })
    })?;
    Ok(turns.into_iter().map(|(role, content)| json!({"role": role, "content": content})).collect())
}

#[async_trait]
impl LlmProvider for Anthropic {
    fn vendor(&self) -> Vendor {
        Vendor::Anthropic
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        let body = to_body(&messages_body(request, false)?);
        let message: WireMessage = self.transport.post_json(&self.messages_url, &self.headers, body).await?;
        let mut content = String::new();
        let mut tool_calls = Vec::new();
        for block in message.content {
            match block {
                Block::Text { text } => content.push_str(&text),
                Block::ToolUse { id, name, input } => tool_calls.push(ToolCall { id, name, arguments: input.to_string() }),
                Block::Other => {}
            }
        }
        Ok(ChatResponse {
            model: message.model,
            content,
            tool_calls,
            usage: Some(Usage { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens }),
            finish: finish(message.stop_reason.unwrap_or_default()),
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = self.transport.post_stream(&self.messages_url, &self.headers, to_body(&messages_body(request, true)?)).await?;
        Ok(decode(sse::events(body), EventDecoder::default()))
    }

    async fn embed(&self, _request: &EmbedRequest) -> Result<EmbedResponse, LlmError> {
        Err(LlmError::unsupported("Anthropic has no embeddings API"))
    }
}

fn finish(raw: String) -> Finish {
    let reason = match raw.as_str() {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    Finish { reason, raw }
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    model: String,
    content: Vec<Block>,
    stop_reason: Option<String>,
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: u32,
        content_block: Block,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: WireUsage,
    },
    MessageStop,
    Error {
        error: WireError,
    },
    // ping, content_block_stop and event types added later.
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDelta {
    stop_reason: Option<String>,
}

/// Content block indexes count text blocks too; tool calls get their own count from 0, and the
/// map from block index to tool-call index is kept for the argument deltas.
#[derive(Default)]
struct EventDecoder {
    ending: Ending,
    tool_blocks: Vec<u32>,
    input_tokens: u32,
}

impl Decoder for EventDecoder {
    fn event(&mut self, event: SseEvent, out: &mut Vec<ChatEvent>) -> Result<bool, LlmError> {
        let parsed: StreamEvent =
            serde_json::from_str(&event.data).map_err(|e| LlmError::bad_response(format!("{e} in {}", excerpt(&event.data))))?;
        match parsed {
            StreamEvent::MessageStart { message } => self.input_tokens = message.usage.input_tokens,
            StreamEvent::ContentBlockStart { index, content_block: Block::ToolUse { id, name, .. } } => {
                self.tool_blocks.push(index);
                out.push(ChatEvent::ToolCallStart { index: self.tool_blocks.len() as u32 - 1, id, name });
            }
            StreamEvent::ContentBlockStart { content_block: Block::Text { text }, .. } if !text.is_empty() => {
                out.push(ChatEvent::TextDelta { text });
            }
            StreamEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text }, .. } => out.push(ChatEvent::TextDelta { text }),
            StreamEvent::ContentBlockDelta { index, delta: BlockDelta::InputJsonDelta { partial_json } } => {
                let call = self
                    .tool_blocks
                    .iter()
                    .position(|&b| b == index)
                    .ok_or_else(|| LlmError::bad_response("input_json_delta outside a tool_use block"))?;
                if !partial_json.is_empty() {
                    out.push(ChatEvent::ToolCallDelta { index: call as u32, arguments: partial_json });
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                // `message_delta` usage counts are cumulative.
                self.ending.usage =
                    Some(Usage { input_tokens: self.input_tokens.max(usage.input_tokens), output_tokens: usage.output_tokens });
                if let Some(raw) = delta.stop_reason {
                    self.ending.finish = Some(finish(raw));
                }
            }
            StreamEvent::MessageStop => return Ok(true),
            StreamEvent::Error { error } => return Err(classify(error, 500, None)),
            _ => {}
        }
        Ok(false)
    }

    fn ending(&mut self) -> &mut Ending {
        &mut self.ending
    }
}

/// Anthropic's error object, `{"type": "error", "error": {"type", "message"}}`.
#[derive(Deserialize)]
struct WireError {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    message: String,
}

/// By Anthropic's documented error types.
impl VendorError for WireError {
    fn by_code(self, retry_after: Option<Duration>) -> Result<LlmError, String> {
        let message = self.message;
        Ok(match self.kind.as_str() {
            "authentication_error" | "permission_error" => LlmError::InvalidKey { message },
            "not_found_error" => LlmError::ModelNotFound { message },
            "rate_limit_error" => LlmError::RateLimited { retry_after, message },
            "billing_error" => LlmError::QuotaExceeded { message },
            "request_too_large" => LlmError::ContextTooLong { message },
            "api_error" | "overloaded_error" | "timeout_error" => LlmError::Unavailable { message },
            // Anthropic has no code for these two: both are `invalid_request_error`, told apart only by
            // their documented messages ("prompt is too long: N tokens > M maximum", "Your credit balance
            // is too low ...").
            "invalid_request_error" if message.contains("prompt is too long") => LlmError::ContextTooLong { message },
            "invalid_request_error" if message.contains("credit balance is too low") => LlmError::QuotaExceeded { message },
            _ => return Err(message),
        })
    }
}
