//! Google Gemini's generateContent / streamGenerateContent (`alt=sse`) and embedContent /
//! batchEmbedContents, key in the `x-goog-api-key` header.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName};
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
use crate::vendor_error::{in_stream, map_error, VendorError};
use reqwest::Url;

pub struct Gemini {
    base_url: String,
    headers: HeaderMap,
    transport: Transport,
}

impl Gemini {
    pub fn new(config: &ProviderConfig) -> Result<Self, LlmError> {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static("x-goog-api-key"), secret_header(config.required_key()?.expose())?);
        Ok(Gemini {
            base_url: config.base_url_or("https://generativelanguage.googleapis.com")?,
            headers,
            transport: Transport::new(config.http_client()?, config.timeout, config.retry.clone(), map_error::<WireError>),
        })
    }

    /// `{base}/v1beta/models/{model}:{method}`; accepts models named with or without `models/`.
    fn url(&self, model: &str, method: &str) -> Result<Url, LlmError> {
        endpoint(&format!("{}/v1beta/{}:{method}", self.base_url, model_path(model)?))
    }
}

/// The model goes into the URL path: refuse anything that could change the path or add a query.
fn model_path(model: &str) -> Result<String, LlmError> {
    let name = model.strip_prefix("models/").unwrap_or(model);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
        return Err(LlmError::InvalidRequest { message: format!("not a Gemini model name: {model:?}") });
    }
    Ok(format!("models/{name}"))
}

fn generate_body(request: &ChatRequest) -> Result<Value, LlmError> {
    let system: Vec<Value> = system_texts(&request.messages).into_iter().map(|text| json!({"text": text})).collect();
    let mut body = json!({"contents": contents(&request.messages)?});
    let fields = body.as_object_mut().expect("an object");
    if !system.is_empty() {
        fields.insert("systemInstruction".into(), json!({"parts": system}));
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description.as_deref().unwrap_or_default(), "parametersJsonSchema": t.parameters}))
            .collect();
        fields.insert("tools".into(), json!([{"functionDeclarations": declarations}]));
    }
    if let Some(choice) = &request.tool_choice {
        let config = match choice {
            ToolChoice::Auto => json!({"mode": "AUTO"}),
            ToolChoice::None => json!({"mode": "NONE"}),
            ToolChoice::Required => json!({"mode": "ANY"}),
            ToolChoice::Tool { name } => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
        };
        fields.insert("toolConfig".into(), json!({"functionCallingConfig": config}));
    }
    let mut generation = serde_json::Map::new();
    if let Some(t) = request.temperature {
        generation.insert("temperature".into(), json!(t));
    }
    if let Some(max) = request.max_tokens {
        generation.insert("maxOutputTokens".into(), json!(max));
    }
    if !request.stop.is_empty() {
        generation.insert("stopSequences".into(), json!(request.stop));
    }
    match &request.response_format {
        None | Some(ResponseFormat::Text) => {}
        Some(ResponseFormat::Json) => {
            generation.insert("responseMimeType".into(), json!("application/json"));
        }
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            generation.insert("responseMimeType".into(), json!("application/json"));
            generation.insert("responseJsonSchema".into(), schema.clone());
        }
    }
    if !generation.is_empty() {
        fields.insert("generationConfig".into(), generation.into());
    }
    Ok(body)
}

/// Turns as `contents`: roles `user` and `model`, tool results as `functionResponse` parts of a
/// user turn.
fn contents(messages: &[Message]) -> Result<Vec<Value>, LlmError> {
    let turns = merged_turns(messages, |message| {
        Ok(match message {
            // `merged_turns` hands over no system messages.
            Message::User { content } | Message::System { content } => ("user", vec![json!({"text": content})]),
            Message::Assistant { content, tool_calls } => {
                let mut parts = Vec::new();
                if !content.is_empty() {
                    parts.push(json!({"text": content}));
                }
                for call in tool_calls {
                    parts.push(json!({"functionCall": {"name": call.name, "args": arguments_object(call)?}}));
                }
                ("model", parts)
            }
            Message::Tool { tool_call_id, content } => ("user", vec![function_response(messages, tool_call_id, content)?]),
        })
    })?;
    Ok(turns.into_iter().map(|(role, parts)| json!({"role": role, "parts": parts})).collect())
}

/// Gemini matches results to calls by function name, which our messages hold on the call.
fn function_response(messages: &[Message], tool_call_id: &str, content: &str) -> Result<Value, LlmError> {
    let name = messages
        .iter()
        .find_map(|m| match m {
            Message::Assistant { tool_calls, .. } => tool_calls.iter().find(|c| c.id == tool_call_id).map(|c| c.name.as_str()),
            _ => None,
        })
        .ok_or_else(|| LlmError::InvalidRequest { message: format!("no tool call {tool_call_id} precedes its result") })?;
    // `response` must be an object: wrap anything else.
    let response = match serde_json::from_str::<Value>(content) {
        Ok(Value::Object(object)) => Value::Object(object),
        Ok(other) => json!({"result": other}),
        Err(_) => json!({"result": content}),
    };
    Ok(json!({"functionResponse": {"name": name, "response": response}}))
}

#[async_trait]
impl LlmProvider for Gemini {
    fn vendor(&self) -> Vendor {
        Vendor::Gemini
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        let body = to_body(&generate_body(request)?);
        let generated: Generated = self.transport.post_json(&self.url(&request.model, "generateContent")?, &self.headers, body).await?;
        let mut content = String::new();
        let mut tool_calls = Vec::new();
        let finish = generated.read(|part| match part {
            Part::Text(text) => content.push_str(&text),
            Part::Call { id, name, arguments } => {
                let id = id.unwrap_or_else(|| format!("call_{}", tool_calls.len()));
                tool_calls.push(ToolCall { id, name, arguments });
            }
        });
        Ok(ChatResponse {
            model: generated.model_version.unwrap_or_else(|| request.model.clone()),
            content,
            tool_calls,
            usage: generated.usage_metadata.map(Usage::from),
            finish: finish.ok_or_else(|| LlmError::bad_response("the response has no finish reason"))?,
            latency_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = to_body(&generate_body(request)?);
        let url = self.url(&request.model, "streamGenerateContent?alt=sse")?;
        let body = self.transport.post_stream(&url, &self.headers, body).await?;
        Ok(decode(sse::events(body), ChunkDecoder::default()))
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<EmbedResponse, LlmError> {
        let started = Instant::now();
        let model = model_path(&request.model)?;
        let one = |text: &str| {
            let mut item = json!({"model": model, "content": {"parts": [{"text": text}]}});
            if let Some(dimensions) = request.dimensions {
                item["outputDimensionality"] = json!(dimensions);
            }
            item
        };
        let embeddings = if let [text] = request.inputs.as_slice() {
            let url = self.url(&request.model, "embedContent")?;
            vec![self.transport.post_json::<EmbedOne>(&url, &self.headers, to_body(&one(text))).await?.embedding.values]
        } else {
            let body = json!({"requests": request.inputs.iter().map(|t| one(t)).collect::<Vec<_>>()});
            let url = self.url(&request.model, "batchEmbedContents")?;
            self.transport
                .post_json::<EmbedBatch>(&url, &self.headers, to_body(&body))
                .await?
                .embeddings
                .into_iter()
                .map(|e| e.values)
                .collect()
        };
        Ok(EmbedResponse { embeddings, usage: None, latency_ms: started.elapsed().as_millis() as u64 })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Generated {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<UsageMetadata>,
    model_version: Option<String>,
    prompt_feedback: Option<PromptFeedback>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<WirePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePart {
    text: Option<String>,
    function_call: Option<FunctionCall>,
    /// Thought summaries are not part of the answer.
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
struct FunctionCall {
    id: Option<String>,
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
}

impl From<UsageMetadata> for Usage {
    fn from(u: UsageMetadata) -> Self {
        Usage { input_tokens: u.prompt_token_count, output_tokens: u.candidates_token_count }
    }
}

enum Part {
    Text(String),
    /// Older Gemini models send no call id: the caller numbers the calls then.
    Call {
        id: Option<String>,
        name: String,
        arguments: String,
    },
}

impl Generated {
    /// Hands the first candidate's parts to `each` and returns its finish, if it has one yet.
    fn read(&self, mut each: impl FnMut(Part)) -> Option<Finish> {
        if let Some(reason) = self.prompt_feedback.as_ref().and_then(|f| f.block_reason.clone()) {
            return Some(Finish { reason: FinishReason::ContentFilter, raw: reason });
        }
        let candidate = self.candidates.first()?;
        let mut called = false;
        for part in candidate.content.iter().flat_map(|c| &c.parts) {
            if let Some(call) = &part.function_call {
                called = true;
                each(Part::Call { id: call.id.clone(), name: call.name.clone(), arguments: call.args.to_string() });
            } else if let Some(text) = part.text.as_ref().filter(|_| !part.thought) {
                each(Part::Text(text.clone()));
            }
        }
        candidate.finish_reason.clone().map(|raw| finish(raw, called))
    }
}

/// Gemini says `STOP` after function calls too; report those as tool calls like the others do.
fn finish(raw: String, called: bool) -> Finish {
    let reason = match raw.as_str() {
        "STOP" if called => FinishReason::ToolCalls,
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    };
    Finish { reason, raw }
}

#[derive(Deserialize)]
struct EmbedOne {
    embedding: Values,
}

#[derive(Deserialize)]
struct EmbedBatch {
    embeddings: Vec<Values>,
}

#[derive(Deserialize)]
struct Values {
    values: Vec<f32>,
}

/// Every SSE event is a whole `GenerateContentResponse` with the next piece of text; function
/// calls come whole (Gemini streams no argument deltas). The stream simply ends, no sentinel.
#[derive(Default)]
struct ChunkDecoder {
    ending: Ending,
    calls: u32,
    called: bool,
}

impl Decoder for ChunkDecoder {
    fn event(&mut self, event: SseEvent, out: &mut Vec<ChatEvent>) -> Result<bool, LlmError> {
        if let Some(error) = in_stream::<WireError>(&event.data) {
            return Err(error);
        }
        let chunk: Generated =
            serde_json::from_str(&event.data).map_err(|e| LlmError::bad_response(format!("{e} in {}", excerpt(&event.data))))?;
        let finish = chunk.read(|part| match part {
            Part::Text(text) if !text.is_empty() => out.push(ChatEvent::TextDelta { text }),
            Part::Text(_) => {}
            Part::Call { id, name, arguments } => {
                let index = self.calls;
                self.calls += 1;
                self.called = true;
                out.push(ChatEvent::ToolCallStart { index, id: id.unwrap_or_else(|| format!("call_{index}")), name });
                out.push(ChatEvent::ToolCallDelta { index, arguments });
            }
        });
        if let Some(usage) = chunk.usage_metadata {
            self.ending.usage = Some(usage.into());
        }
        if let Some(f) = finish {
            self.ending.finish = Some(if self.called { self::finish(f.raw, true) } else { f });
        }
        Ok(false)
    }

    fn ending(&mut self) -> &mut Ending {
        &mut self.ending
    }
}

/// Google's RPC status, `{"error": {"code", "message", "status", "details"}}`.
#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Value>,
}

impl WireError {
    /// The `google.rpc.ErrorInfo` reason, e.g. `API_KEY_INVALID`.
    fn reason(&self) -> Option<&str> {
        self.details.iter().find_map(|d| d.get("reason").and_then(Value::as_str))
    }

    /// `google.rpc.RetryInfo.retryDelay`, e.g. `"37s"`.
    fn retry_delay(&self) -> Option<Duration> {
        let delay = self.details.iter().find_map(|d| d.get("retryDelay").and_then(Value::as_str))?;
        delay.strip_suffix('s')?.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
    }

    /// A `google.rpc.QuotaFailure` on a per-day quota: waiting seconds will not help.
    fn daily_quota(&self) -> bool {
        self.details
            .iter()
            .filter_map(|d| d.get("violations").and_then(Value::as_array))
            .flatten()
            .any(|v| v.get("quotaId").and_then(Value::as_str).is_some_and(|id| id.contains("PerDay")))
    }
}

/// By Google's RPC status codes and `ErrorInfo` reasons.
impl VendorError for WireError {
    fn by_code(self, retry_after: Option<Duration>) -> Result<LlmError, String> {
        let retry_after = retry_after.or_else(|| self.retry_delay());
        let daily = self.daily_quota();
        let key_invalid = self.reason() == Some("API_KEY_INVALID");
        let message = self.message;
        Ok(match self.status.as_str() {
            _ if key_invalid => LlmError::InvalidKey { message },
            "UNAUTHENTICATED" | "PERMISSION_DENIED" => LlmError::InvalidKey { message },
            "NOT_FOUND" => LlmError::ModelNotFound { message },
            "RESOURCE_EXHAUSTED" if daily => LlmError::QuotaExceeded { message },
            "RESOURCE_EXHAUSTED" => LlmError::RateLimited { retry_after, message },
            "UNAVAILABLE" | "INTERNAL" | "DEADLINE_EXCEEDED" => LlmError::Unavailable { message },
            // Gemini has no code for an over-long prompt: it is an INVALID_ARGUMENT whose documented
            // message reads "The input token count (N) exceeds the maximum number of tokens allowed (M)".
            "INVALID_ARGUMENT" if message.contains("exceeds the maximum number of tokens") => LlmError::ContextTooLong { message },
            _ => return Err(message),
        })
    }
}
