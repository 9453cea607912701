//! The chat completions request body, borrowed from the [`ChatRequest`]: typed so that no
//! prompt text is copied on the way to the wire.

use serde::Serialize;
use serde_json::Value;

use crate::types::{ChatRequest, Message, ResponseFormat, ToolChoice, Vendor};

#[derive(Serialize)]
pub(super) struct ChatBody<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

impl<'a> ChatBody<'a> {
    pub(super) fn new(vendor: Vendor, request: &'a ChatRequest, stream: bool) -> Self {
        // OpenAI deprecated `max_tokens` (reasoning models reject it); compatible servers only know `max_tokens`.
        let (max_tokens, max_completion_tokens) =
            if vendor == Vendor::OpenAi { (None, request.max_tokens) } else { (request.max_tokens, None) };
        ChatBody {
            model: &request.model,
            messages: request.messages.iter().map(WireMessage::from).collect(),
            tools: request
                .tools
                .iter()
                .map(|t| WireTool {
                    kind: "function",
                    function: FunctionDefinition { name: &t.name, description: t.description.as_deref(), parameters: &t.parameters },
                })
                .collect(),
            tool_choice: request.tool_choice.as_ref().map(|choice| match choice {
                ToolChoice::Auto => WireToolChoice::Mode("auto"),
                ToolChoice::None => WireToolChoice::Mode("none"),
                ToolChoice::Required => WireToolChoice::Mode("required"),
                ToolChoice::Tool { name } => WireToolChoice::Function { kind: "function", function: Named { name } },
            }),
            response_format: match &request.response_format {
                None | Some(ResponseFormat::Text) => None,
                Some(ResponseFormat::Json) => Some(WireFormat::JsonObject),
                Some(ResponseFormat::JsonSchema { name, schema }) => Some(WireFormat::JsonSchema { json_schema: Schema { name, schema } }),
            },
            temperature: request.temperature,
            max_tokens,
            max_completion_tokens,
            stop: &request.stop,
            stream: stream.then_some(true),
            stream_options: stream.then_some(StreamOptions { include_usage: true }),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
enum WireMessage<'a> {
    System {
        content: &'a str,
    },
    User {
        content: &'a str,
    },
    Assistant {
        /// `null` when the turn is only tool calls, as OpenAI's own clients send it.
        content: Option<&'a str>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireCall<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: &'a str,
    },
}

impl<'a> From<&'a Message> for WireMessage<'a> {
    fn from(message: &'a Message) -> Self {
        match message {
            Message::System { content } => WireMessage::System { content },
            Message::User { content } => WireMessage::User { content },
            Message::Assistant { content, tool_calls } => WireMessage::Assistant {
                content: (tool_calls.is_empty() || !content.is_empty()).then_some(content.as_str()),
                tool_calls: tool_calls
                    .iter()
                    .map(|c| WireCall { id: &c.id, kind: "function", function: CallFunction { name: &c.name, arguments: &c.arguments } })
                    .collect(),
            },
            Message::Tool { tool_call_id, content } => WireMessage::Tool { tool_call_id, content },
        }
    }
}

#[derive(Serialize)]
struct WireCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: CallFunction<'a>,
}

#[derive(Serialize)]
struct CallFunction<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionDefinition<'a>,
}

#[derive(Serialize)]
struct FunctionDefinition<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    parameters: &'a Value,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireToolChoice<'a> {
    Mode(&'static str),
    Function {
        #[serde(rename = "type")]
        kind: &'static str,
        function: Named<'a>,
    },
}

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireFormat<'a> {
    JsonObject,
    JsonSchema { json_schema: Schema<'a> },
}

#[derive(Serialize)]
struct Schema<'a> {
    name: &'a str,
    schema: &'a Value,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}
