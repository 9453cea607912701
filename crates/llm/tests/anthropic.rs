//! The Anthropic adapter against a fake server speaking the messages API and its SSE events.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{event, FakeServer, Reply};
use futures::StreamExt;
use llm::*;
use serde_json::{json, Value};

fn provider(server: &FakeServer) -> Arc<dyn LlmProvider> {
    let mut config = ProviderConfig::new(Vendor::Anthropic, Some(ApiKey::new("sk-ant-test"))).with_base_url(&server.url);
    config.retry = RetryPolicy { base_delay: Duration::from_millis(10), ..RetryPolicy::default() };
    build_provider(&config, Arc::new(NoopObserver)).unwrap()
}

fn message(content: Value, stop_reason: &str) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": 25, "output_tokens": 12}
    })
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

fn weather_tool() -> ToolDefinition {
    ToolDefinition { name: "get_weather".into(), description: Some("Current weather".into()), parameters: json!({"type": "object"}) }
}

#[tokio::test]
async fn chat_sends_system_on_top_tools_and_merged_tool_results() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        message(
            json!([{"type": "text", "text": "Let me check."}, {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]),
            "tool_use",
        ),
    )])
    .await;
    let mut request = ChatRequest::new(
        "claude-sonnet-4-20250514",
        vec![
            Message::system("You are terse."),
            Message::user("Weather in Oslo and Rome?"),
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![
                    ToolCall { id: "toolu_a".into(), name: "get_weather".into(), arguments: "{\"city\":\"Oslo\"}".into() },
                    ToolCall { id: "toolu_b".into(), name: "get_weather".into(), arguments: "{\"city\":\"Rome\"}".into() },
                ],
            },
            Message::tool_result("toolu_a", "3°C"),
            Message::tool_result("toolu_b", "18°C"),
        ],
    );
    request.tools = vec![weather_tool()];
    request.tool_choice = Some(ToolChoice::Required);
    request.temperature = Some(0.2);
    request.stop = vec!["Human:".into()];

    let reply = provider(&server).chat(&request).await.unwrap();

    assert_eq!(reply.content, "Let me check.");
    assert_eq!(
        reply.tool_calls,
        vec![ToolCall { id: "toolu_01".into(), name: "get_weather".into(), arguments: "{\"city\":\"Paris\"}".into() }]
    );
    assert_eq!(reply.finish, Finish { reason: FinishReason::ToolCalls, raw: "tool_use".into() });
    assert_eq!(reply.usage, Some(Usage { input_tokens: 25, output_tokens: 12 }));
    let sent = server.request(0);
    assert_eq!(sent.uri, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-sonnet-4-20250514",
            "max_tokens": 4096,
            "system": "You are terse.",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo and Rome?"}]},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Oslo"}},
                    {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Rome"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "3°C"},
                    {"type": "tool_result", "tool_use_id": "toolu_b", "content": "18°C"}
                ]}
            ],
            "tools": [{"name": "get_weather", "description": "Current weather", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "any"},
            "temperature": 0.2f32,
            "stop_sequences": ["Human:"]
        })
    );
}

fn stream_events() -> Vec<String> {
    vec![
        event(
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-20250514",
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 472, "output_tokens": 2}}}),
        ),
        event("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})),
        event("ping", json!({"type": "ping"})),
        event("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Okay, "}})),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "checking Zürich."}}),
        ),
        event("content_block_stop", json!({"type": "content_block_stop", "index": 0})),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_01T1x", "name": "get_weather", "input": {}}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Zü"}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "rich\"}"}}),
        ),
        event("content_block_stop", json!({"type": "content_block_stop", "index": 1})),
        event(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 89}}),
        ),
        event("message_stop", json!({"type": "message_stop"})),
    ]
}

#[tokio::test]
async fn streams_text_and_tool_use_input_deltas() {
    let server = FakeServer::start(vec![Reply::sse(&stream_events())]).await;
    let stream =
        provider(&server).chat_stream(&ChatRequest::new("claude-sonnet-4-20250514", vec![Message::user("Weather?")])).await.unwrap();
    let events: Vec<ChatEvent> = stream.map(|e| e.unwrap()).collect().await;
    let mut reply = StreamedReply::default();
    events.iter().for_each(|e| reply.apply(e));

    assert_eq!(events[0], ChatEvent::TextDelta { text: "Okay, ".into() });
    assert_eq!(events[2], ChatEvent::ToolCallStart { index: 0, id: "toolu_01T1x".into(), name: "get_weather".into() });
    assert_eq!(events[3], ChatEvent::ToolCallDelta { index: 0, arguments: "{\"city\": \"Zü".into() });
    assert_eq!(reply.content, "Okay, checking Zürich.");
    assert_eq!(reply.tool_calls[0].arguments, "{\"city\": \"Zürich\"}");
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Finished {
            finish: Finish { reason: FinishReason::ToolCalls, raw: "tool_use".into() },
            usage: Some(Usage { input_tokens: 472, output_tokens: 89 })
        })
    );
    assert_eq!(server.request(0).body["stream"], json!(true));
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_the_stream_with_it() {
    let mut events = stream_events()[..4].to_vec();
    events.push(event("error", error_body("overloaded_error", "Overloaded")));
    let server = FakeServer::start(vec![Reply::sse(&events)]).await;
    let items: Vec<Result<ChatEvent, LlmError>> =
        provider(&server).chat_stream(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap().collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[1], Err(LlmError::Unavailable { message: "Overloaded".into() }));
}

#[tokio::test]
async fn documented_error_types_map_to_typed_errors() {
    let cases = [
        (401, error_body("authentication_error", "invalid x-api-key"), LlmErrorKind::InvalidKey),
        (403, error_body("permission_error", "Your API key does not have permission"), LlmErrorKind::InvalidKey),
        (404, error_body("not_found_error", "model: claude-9"), LlmErrorKind::ModelNotFound),
        (400, error_body("invalid_request_error", "prompt is too long: 215041 tokens > 200000 maximum"), LlmErrorKind::ContextTooLong),
        (
            400,
            error_body("invalid_request_error", "Your credit balance is too low to access the Anthropic API."),
            LlmErrorKind::QuotaExceeded,
        ),
        (402, error_body("billing_error", "Billing issue"), LlmErrorKind::QuotaExceeded),
        (413, error_body("request_too_large", "Request exceeds the maximum allowed number of bytes."), LlmErrorKind::ContextTooLong),
        (400, error_body("invalid_request_error", "max_tokens: field required"), LlmErrorKind::InvalidRequest),
    ];
    for (status, body, kind) in cases {
        let server = FakeServer::start(vec![Reply::json(status, body)]).await;
        let error = provider(&server).chat(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn overloaded_then_rate_limited_then_success() {
    let server = FakeServer::start(vec![
        Reply::json(529, error_body("overloaded_error", "Overloaded")),
        Reply::json(429, error_body("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"))
            .header("retry-after", "0"),
        Reply::json(200, message(json!([{"type": "text", "text": "Hi!"}]), "end_turn")),
    ])
    .await;
    let reply = provider(&server).chat(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap();
    assert_eq!(reply.content, "Hi!");
    assert_eq!(reply.finish.reason, FinishReason::Stop);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn embeddings_and_json_mode_are_unsupported_without_a_request() {
    let server = FakeServer::start(vec![]).await;
    let provider = provider(&server);
    let embed = provider.embed(&EmbedRequest { model: "m".into(), inputs: vec!["x".into()], dimensions: None }).await;
    assert_eq!(embed.unwrap_err().kind(), LlmErrorKind::Unsupported);
    let mut request = ChatRequest::new("m", vec![Message::user("Hi")]);
    request.response_format = Some(ResponseFormat::Json);
    assert_eq!(provider.chat(&request).await.unwrap_err().kind(), LlmErrorKind::Unsupported);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn invalid_tool_call_arguments_are_refused_before_sending() {
    let server = FakeServer::start(vec![]).await;
    let request = ChatRequest::new(
        "m",
        vec![Message::Assistant {
            content: String::new(),
            tool_calls: vec![ToolCall { id: "t".into(), name: "f".into(), arguments: "{oops".into() }],
        }],
    );
    assert_eq!(provider(&server).chat(&request).await.unwrap_err().kind(), LlmErrorKind::InvalidRequest);
    assert!(server.requests().is_empty());
}
