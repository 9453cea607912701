//! The OpenAI adapter (and xAI / OpenAI-compatible, which reuse it) against a fake server
//! speaking OpenAI's chat completions and embeddings wire format.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{data, FakeServer, Reply};
use futures::StreamExt;
use llm::*;
use serde_json::{json, Value};

fn config(vendor: Vendor, server: &FakeServer) -> ProviderConfig {
    let mut config = ProviderConfig::new(vendor, Some(ApiKey::new("sk-test-key"))).with_base_url(format!("{}/v1", server.url));
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy { base_delay: Duration::from_millis(10), ..RetryPolicy::default() };
    config
}

fn provider(server: &FakeServer) -> Arc<dyn LlmProvider> {
    build_provider(&config(Vendor::OpenAi, server), Arc::new(NoopObserver)).unwrap()
}

fn weather_tool() -> ToolDefinition {
    ToolDefinition {
        name: "get_weather".into(),
        description: Some("Current weather".into()),
        parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    }
}

fn completion(message: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}
    })
}

fn chunk(delta: Value, finish_reason: Value) -> String {
    data(json!({
        "id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]
    }))
}

fn usage_chunk() -> String {
    data(
        json!({"id": "chatcmpl-123", "object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}),
    )
}

fn error_body(message: &str, kind: &str, code: Value) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

async fn collect(stream: ChatStream) -> (Vec<ChatEvent>, StreamedReply) {
    let events: Vec<ChatEvent> = stream.map(|e| e.expect("stream item")).collect().await;
    let mut reply = StreamedReply::default();
    events.iter().for_each(|e| reply.apply(e));
    (events, reply)
}

#[tokio::test]
async fn chat_sends_the_documented_request_and_parses_the_completion() {
    let server =
        FakeServer::start(vec![Reply::json(200, completion(json!({"role": "assistant", "content": "Hello there!"}), "stop"))]).await;
    let mut request = ChatRequest::new("gpt-4o-mini", vec![Message::system("Be brief."), Message::user("Hi")]);
    request.temperature = Some(0.5);
    request.max_tokens = Some(64);
    request.stop = vec!["END".into()];
    request.response_format = Some(ResponseFormat::Json);

    let reply = provider(&server).chat(&request).await.unwrap();

    assert_eq!(reply.content, "Hello there!");
    assert_eq!(reply.model, "gpt-4o-mini-2024-07-18");
    assert_eq!(reply.usage, Some(Usage { input_tokens: 19, output_tokens: 10 }));
    assert_eq!(reply.finish, Finish { reason: FinishReason::Stop, raw: "stop".into() });
    let sent = server.request(0);
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.uri, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
            "temperature": 0.5,
            "max_completion_tokens": 64,
            "stop": ["END"],
            "response_format": {"type": "json_object"}
        })
    );
}

#[tokio::test]
async fn tool_calls_go_out_and_come_back() {
    let message = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
    ]});
    let server = FakeServer::start(vec![Reply::json(200, completion(message, "tool_calls"))]).await;
    let mut request = ChatRequest::new(
        "gpt-4o",
        vec![
            Message::user("Weather in Oslo?"),
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall { id: "call_1".into(), name: "get_weather".into(), arguments: "{\"city\":\"Oslo\"}".into() }],
            },
            Message::tool_result("call_1", "{\"temp\":3}"),
        ],
    );
    request.tools = vec![weather_tool()];
    request.tool_choice = Some(ToolChoice::Tool { name: "get_weather".into() });
    request.response_format = Some(ResponseFormat::JsonSchema { name: "w".into(), schema: json!({"type": "object"}) });

    let reply = provider(&server).chat(&request).await.unwrap();

    assert_eq!(
        reply.tool_calls,
        vec![ToolCall { id: "call_abc".into(), name: "get_weather".into(), arguments: "{\"city\":\"Paris\"}".into() }]
    );
    assert_eq!(reply.finish.reason, FinishReason::ToolCalls);
    assert_eq!(reply.content, "");
    let body = server.request(0).body;
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}
        ]})
    );
    assert_eq!(body["messages"][2], json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\":3}"}));
    assert_eq!(
        body["tools"],
        json!([{"type": "function", "function": {"name": "get_weather", "description": "Current weather", "parameters": weather_tool().parameters}}])
    );
    assert_eq!(body["tool_choice"], json!({"type": "function", "function": {"name": "get_weather"}}));
    assert_eq!(body["response_format"], json!({"type": "json_schema", "json_schema": {"name": "w", "schema": {"type": "object"}}}));
}

#[tokio::test]
async fn streams_text_deltas_then_usage_and_finish() {
    let server = FakeServer::start(vec![Reply::sse(&[
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(json!({"content": "Bon"}), Value::Null),
        chunk(json!({"content": "jour, "}), Value::Null),
        chunk(json!({"content": "café ☕"}), Value::Null),
        chunk(json!({}), json!("stop")),
        usage_chunk(),
        "data: [DONE]".to_string(),
    ])])
    .await;

    let stream = provider(&server).chat_stream(&ChatRequest::new("gpt-4o-mini", vec![Message::user("Hi")])).await.unwrap();
    let (events, reply) = collect(stream).await;

    assert_eq!(reply.content, "Bonjour, café ☕");
    assert_eq!(events.iter().filter(|e| matches!(e, ChatEvent::TextDelta { .. })).count(), 3);
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Finished {
            finish: Finish { reason: FinishReason::Stop, raw: "stop".into() },
            usage: Some(Usage { input_tokens: 12, output_tokens: 5 })
        })
    );
    let body = server.request(0).body;
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn streams_tool_call_argument_deltas() {
    let server = FakeServer::start(vec![Reply::sse(&[
        chunk(
            json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"ci"}}]}), Value::Null),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "ty\":\"Paris\"}"}}]}), Value::Null),
        chunk(json!({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]}), Value::Null),
        chunk(json!({}), json!("tool_calls")),
        usage_chunk(),
        "data: [DONE]".to_string(),
    ])])
    .await;

    let stream = provider(&server).chat_stream(&ChatRequest::new("gpt-4o", vec![Message::user("Weather?")])).await.unwrap();
    let (events, reply) = collect(stream).await;

    assert_eq!(events[0], ChatEvent::ToolCallStart { index: 0, id: "call_1".into(), name: "get_weather".into() });
    assert_eq!(events[1], ChatEvent::ToolCallDelta { index: 0, arguments: "{\"ci".into() });
    assert_eq!(
        reply.tool_calls,
        vec![
            ToolCall { id: "call_1".into(), name: "get_weather".into(), arguments: "{\"city\":\"Paris\"}".into() },
            ToolCall { id: "call_2".into(), name: "get_time".into(), arguments: "{}".into() },
        ]
    );
    assert_eq!(reply.finish.unwrap().reason, FinishReason::ToolCalls);
}

#[tokio::test]
async fn a_stream_cut_before_the_end_is_an_error() {
    let server = FakeServer::start(vec![Reply::sse(&[chunk(json!({"content": "Hel"}), Value::Null)])]).await;
    let mut stream = provider(&server).chat_stream(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap(), ChatEvent::TextDelta { text: "Hel".into() });
    assert!(matches!(stream.next().await, Some(Err(LlmError::BadResponse { .. }))));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn an_error_inside_the_stream_ends_it_with_that_error() {
    let server = FakeServer::start(vec![Reply::sse(&[
        chunk(json!({"content": "Hel"}), Value::Null),
        data(error_body("The server had an error while processing your request.", "server_error", Value::Null)),
    ])])
    .await;
    let mut stream = provider(&server).chat_stream(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    assert!(matches!(stream.next().await, Some(Err(LlmError::Unavailable { .. }))));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn embeddings_in_input_order() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({"object": "list", "model": "text-embedding-3-small",
            "data": [
                {"object": "embedding", "index": 1, "embedding": [0.5, 0.25]},
                {"object": "embedding", "index": 0, "embedding": [0.125, -1.0]}
            ],
            "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
    )])
    .await;
    let request = EmbedRequest { model: "text-embedding-3-small".into(), inputs: vec!["a".into(), "b".into()], dimensions: Some(2) };

    let reply = provider(&server).embed(&request).await.unwrap();

    assert_eq!(reply.embeddings, vec![vec![0.125, -1.0], vec![0.5, 0.25]]);
    assert_eq!(reply.usage, Some(Usage { input_tokens: 8, output_tokens: 0 }));
    let sent = server.request(0);
    assert_eq!(sent.uri, "/v1/embeddings");
    assert_eq!(sent.body, json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float", "dimensions": 2}));
}

async fn error_for(status: u16, body: Value) -> (LlmError, usize) {
    let server = FakeServer::start(vec![Reply::json(status, body), Reply::json(200, completion(json!({"content": "late"}), "stop"))]).await;
    let error = provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap_err();
    (error, server.requests().len())
}

#[tokio::test]
async fn documented_error_bodies_map_to_typed_errors_without_retrying() {
    let cases = [
        (
            401,
            error_body("Incorrect API key provided: sk-test***-key.", "invalid_request_error", json!("invalid_api_key")),
            LlmErrorKind::InvalidKey,
        ),
        (
            404,
            error_body("The model `gpt-9` does not exist", "invalid_request_error", json!("model_not_found")),
            LlmErrorKind::ModelNotFound,
        ),
        (
            429,
            error_body("You exceeded your current quota", "insufficient_quota", json!("insufficient_quota")),
            LlmErrorKind::QuotaExceeded,
        ),
        (
            400,
            error_body("This model's maximum context length is 128000 tokens.", "invalid_request_error", json!("context_length_exceeded")),
            LlmErrorKind::ContextTooLong,
        ),
        (400, error_body("Invalid value for 'temperature'", "invalid_request_error", Value::Null), LlmErrorKind::InvalidRequest),
    ];
    for (status, body, kind) in cases {
        let (error, requests) = error_for(status, body).await;
        assert_eq!(error.kind(), kind, "{error}");
        assert_eq!(requests, 1, "{kind:?} must not be retried");
    }
    let (error, _) = error_for(401, error_body("Incorrect API key provided", "invalid_request_error", json!("invalid_api_key"))).await;
    assert_eq!(error.to_string(), "the API key was rejected: Incorrect API key provided");
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_succeeds() {
    let limited =
        Reply::json(429, error_body("Rate limit reached for gpt-4o", "requests", json!("rate_limit_exceeded"))).header("retry-after", "1");
    let server = FakeServer::start(vec![limited, Reply::json(200, completion(json!({"content": "ok"}), "stop"))]).await;
    let started = Instant::now();

    let reply = provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap();

    assert_eq!(reply.content, "ok");
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
    assert_eq!(server.request(0).body, server.request(1).body);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let at = httpdate_in(Duration::from_secs(2));
    let limited = Reply::json(429, error_body("slow down", "requests", json!("rate_limit_exceeded"))).header("retry-after", &at);
    let server = FakeServer::start(vec![limited, Reply::json(200, completion(json!({"content": "ok"}), "stop"))]).await;
    let started = Instant::now();
    provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap();
    // HTTP dates have whole seconds: "in 2 s" may be a little over 1 s away.
    assert!(started.elapsed() >= Duration::from_millis(900), "waited only {:?}", started.elapsed());
}

fn httpdate_in(delay: Duration) -> String {
    // Formats an IMF-fixdate without pulling a date crate into the tests.
    let secs = (std::time::SystemTime::now() + delay).duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    // Civil-from-days (Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT", months[month as usize - 1], rem / 3600, rem % 3600 / 60, rem % 60)
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_returned_not_waited_for() {
    let limited = Reply::json(429, error_body("slow down", "requests", json!("rate_limit_exceeded"))).header("retry-after", "3600");
    let server = FakeServer::start(vec![limited]).await;
    let started = Instant::now();
    let error = provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap_err();
    assert_eq!(error, LlmError::RateLimited { retry_after: Some(Duration::from_secs(3600)), message: "slow down".into() });
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let failing = Reply::json(500, error_body("The server had an error", "server_error", Value::Null));
    let server = FakeServer::start(vec![failing.clone(), failing, Reply::json(200, completion(json!({"content": "ok"}), "stop"))]).await;
    let reply = provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap();
    assert_eq!(reply.content, "ok");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let failing = Reply::json(503, json!({"error": {"message": "overloaded", "type": "server_error", "code": null}}));
    let server = FakeServer::start(vec![failing.clone(), failing.clone(), failing.clone(), failing]).await;
    let error = provider(&server).chat(&ChatRequest::new("gpt-4o", vec![Message::user("Hi")])).await.unwrap_err();
    assert_eq!(error.kind(), LlmErrorKind::Unavailable);
    assert_eq!(server.requests().len(), 3, "max_attempts is 3");
}

#[tokio::test]
async fn connection_refused_is_unavailable_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let mut config = ProviderConfig::new(Vendor::OpenAi, Some(ApiKey::new("k"))).with_base_url(url);
    config.retry = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
    let provider = build_provider(&config, Arc::new(NoopObserver)).unwrap();
    let error = provider.chat(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap_err();
    assert_eq!(error.kind(), LlmErrorKind::Unavailable, "{error}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server =
        FakeServer::start(vec![Reply::json(200, completion(json!({"content": "late"}), "stop")).delay(Duration::from_secs(3))]).await;
    let mut config = config(Vendor::OpenAi, &server);
    config.timeout = Duration::from_millis(200);
    let provider = build_provider(&config, Arc::new(NoopObserver)).unwrap();
    let started = Instant::now();
    let error = provider.chat(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap_err();
    assert_eq!(error, LlmError::Timeout { after: Duration::from_millis(200) });
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let stalled = Reply::sse(&[chunk(json!({"content": "Hel"}), Value::Null), chunk(json!({"content": "lo"}), Value::Null)])
        .gap(Duration::from_secs(3));
    let server = FakeServer::start(vec![stalled]).await;
    let mut config = config(Vendor::OpenAi, &server);
    config.timeout = Duration::from_millis(300);
    let provider = build_provider(&config, Arc::new(NoopObserver)).unwrap();
    let mut stream = provider.chat_stream(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap();
    let error = loop {
        match stream.next().await.expect("the stream ends with an error") {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert_eq!(error.kind(), LlmErrorKind::Timeout);
}

#[tokio::test]
async fn dropping_a_stream_closes_the_connection() {
    let events: Vec<String> = (0..200).map(|i| chunk(json!({"content": format!("t{i} ")}), Value::Null)).collect();
    let server = FakeServer::start(vec![Reply::sse(&events).gap(Duration::from_millis(20))]).await;
    let mut stream = provider(&server).chat_stream(&ChatRequest::new("m", vec![Message::user("Hi")])).await.unwrap();
    assert!(matches!(stream.next().await, Some(Ok(ChatEvent::TextDelta { .. }))));
    assert_eq!(server.abandoned(), 0);

    drop(stream);

    assert!(server.wait_abandoned(Duration::from_secs(5)).await, "the server never saw the client leave");
}

#[tokio::test]
async fn dropping_a_pending_chat_closes_the_connection() {
    let server =
        FakeServer::start(vec![Reply::json(200, completion(json!({"content": "late"}), "stop")).delay(Duration::from_secs(30))]).await;
    let provider = provider(&server);
    let request = ChatRequest::new("m", vec![Message::user("Hi")]);
    let call = provider.chat(&request);
    // The caller gives up (user left the page) while the vendor is still thinking.
    assert!(tokio::time::timeout(Duration::from_millis(300), call).await.is_err());
    assert_eq!(server.requests().len(), 1);
    assert!(server.wait_abandoned(Duration::from_secs(5)).await, "the server never saw the client leave");
}

#[tokio::test]
async fn xai_uses_the_same_wire_format_at_its_own_base_url() {
    let server = FakeServer::start(vec![Reply::json(200, completion(json!({"content": "Grok here"}), "stop"))]).await;
    let provider = build_provider(&config(Vendor::Xai, &server), Arc::new(NoopObserver)).unwrap();
    let mut request = ChatRequest::new("grok-4", vec![Message::user("Hi")]);
    request.max_tokens = Some(10);
    let reply = provider.chat(&request).await.unwrap();
    assert_eq!(provider.vendor(), Vendor::Xai);
    assert_eq!(reply.content, "Grok here");
    let sent = server.request(0);
    assert_eq!(sent.uri, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(sent.body["max_tokens"], json!(10));
}

#[tokio::test]
async fn a_compatible_server_needs_a_base_url_but_no_key() {
    let server = FakeServer::start(vec![Reply::json(200, completion(json!({"content": "llama says hi"}), "stop"))]).await;
    let mut config = config(Vendor::OpenAiCompatible, &server);
    config.api_key = None;
    let provider = build_provider(&config, Arc::new(NoopObserver)).unwrap();
    assert_eq!(provider.chat(&ChatRequest::new("llama3", vec![Message::user("Hi")])).await.unwrap().content, "llama says hi");
    assert_eq!(server.request(0).header("authorization"), None);

    config.base_url = None;
    assert_eq!(build_provider(&config, Arc::new(NoopObserver)).err().map(|e| e.kind()), Some(LlmErrorKind::InvalidRequest));
    let keyless = ProviderConfig::new(Vendor::OpenAi, None);
    assert_eq!(build_provider(&keyless, Arc::new(NoopObserver)).err().map(|e| e.kind()), Some(LlmErrorKind::InvalidKey));
}

#[test]
fn the_config_debug_output_hides_the_key() {
    let config = ProviderConfig::new(Vendor::OpenAi, Some(ApiKey::new("sk-live-abcdef")));
    let printed = format!("{config:?}");
    assert!(!printed.contains("sk-live-abcdef"), "{printed}");
}

#[derive(Default)]
struct Recorder(Mutex<Vec<CallRecord>>);

impl CallObserver for Recorder {
    fn on_call_finished(&self, call: &CallRecord) {
        self.0.lock().unwrap().push(call.clone());
    }
}

#[tokio::test]
async fn the_observer_sees_every_call_once_with_its_outcome() {
    let server = FakeServer::start(vec![
        Reply::json(200, completion(json!({"content": "hi"}), "stop")),
        Reply::sse(&[chunk(json!({"content": "a"}), Value::Null), chunk(json!({}), json!("length")), usage_chunk(), "data: [DONE]".into()]),
        Reply::json(401, error_body("bad key", "invalid_request_error", json!("invalid_api_key"))),
        Reply::sse(&(0..100).map(|i| chunk(json!({"content": format!("{i}")}), Value::Null)).collect::<Vec<_>>())
            .gap(Duration::from_millis(20)),
    ])
    .await;
    let recorder = Arc::new(Recorder::default());
    let provider = build_provider(&config(Vendor::OpenAi, &server), recorder.clone()).unwrap();
    let request = ChatRequest::new("gpt-4o-mini", vec![Message::user("Hi")]);

    provider.chat(&request).await.unwrap();
    collect(provider.chat_stream(&request).await.unwrap()).await;
    provider.chat(&request).await.unwrap_err();
    let mut abandoned = provider.chat_stream(&request).await.unwrap();
    abandoned.next().await.unwrap().unwrap();
    drop(abandoned);

    let calls = recorder.0.lock().unwrap().clone();
    assert_eq!(calls.len(), 4);
    assert_eq!((calls[0].operation, calls[0].outcome), (Operation::Chat, CallOutcome::Ok));
    assert_eq!(calls[0].usage, Some(Usage { input_tokens: 19, output_tokens: 10 }));
    assert_eq!((calls[0].vendor, calls[0].model.as_str()), (Vendor::OpenAi, "gpt-4o-mini"));
    assert_eq!((calls[1].operation, calls[1].outcome), (Operation::ChatStream, CallOutcome::Ok));
    assert_eq!(calls[1].usage, Some(Usage { input_tokens: 12, output_tokens: 5 }));
    assert_eq!(calls[1].finish_reason, Some(FinishReason::Length));
    assert_eq!(calls[2].outcome, CallOutcome::Failed(LlmErrorKind::InvalidKey));
    assert_eq!(calls[3].outcome, CallOutcome::Cancelled);
    assert!(calls.iter().all(|c| c.latency > Duration::ZERO));
}

/// Records payloads too, as the platform's span observer does.
#[derive(Default)]
struct PayloadRecorder(Mutex<Vec<CallRecord>>);

impl CallObserver for PayloadRecorder {
    fn on_call_finished(&self, call: &CallRecord) {
        self.0.lock().unwrap().push(call.clone());
    }

    fn wants_payloads(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn observers_that_ask_get_the_messages_and_the_reply_text() {
    let server = FakeServer::start(vec![
        Reply::json(200, completion(json!({"content": "hi there"}), "stop")),
        Reply::sse(&[chunk(json!({"content": "a"}), Value::Null), chunk(json!({"content": "b"}), json!("stop")), "data: [DONE]".into()]),
        Reply::json(401, error_body("bad key", "invalid_request_error", json!("invalid_api_key"))),
        Reply::sse(&(0..100).map(|i| chunk(json!({"content": format!("{i} ")}), Value::Null)).collect::<Vec<_>>())
            .gap(Duration::from_millis(20)),
    ])
    .await;
    let recorder = Arc::new(PayloadRecorder::default());
    let provider = build_provider(&config(Vendor::OpenAi, &server), recorder.clone()).unwrap();
    let mut request = ChatRequest::new("gpt-4o-mini", vec![Message::system("Be brief."), Message::user("Hi")]);
    request.temperature = Some(0.5);
    request.max_tokens = Some(64);

    provider.chat(&request).await.unwrap();
    collect(provider.chat_stream(&request).await.unwrap()).await;
    provider.chat(&request).await.unwrap_err();
    let mut abandoned = provider.chat_stream(&request).await.unwrap();
    abandoned.next().await.unwrap().unwrap();
    drop(abandoned);

    let calls = recorder.0.lock().unwrap().clone();
    let payloads: Vec<&CallPayload> = calls.iter().map(|c| c.payload.as_ref().expect("payload")).collect();
    assert_eq!(payloads[0].messages, request.messages);
    assert_eq!((payloads[0].temperature, payloads[0].max_tokens), (Some(0.5), Some(64)));
    assert_eq!(payloads[0].output, "hi there");
    assert_eq!(payloads[0].response_model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(payloads[1].output, "ab");
    assert_eq!(calls[2].error.as_deref(), Some("the API key was rejected: bad key"));
    assert_eq!(payloads[2].output, "");
    assert_eq!(calls[3].outcome, CallOutcome::Cancelled);
    assert_eq!(payloads[3].output, "0 ", "what arrived before the caller left");
    assert!(calls.iter().all(|c| c.started_at <= std::time::SystemTime::now()));
}

#[tokio::test]
async fn observers_that_do_not_ask_get_no_payload() {
    let server = FakeServer::start(vec![Reply::json(200, completion(json!({"content": "hi"}), "stop"))]).await;
    let recorder = Arc::new(Recorder::default());
    let provider = build_provider(&config(Vendor::OpenAi, &server), recorder.clone()).unwrap();
    provider.chat(&ChatRequest::new("gpt-4o-mini", vec![Message::user("Hi")])).await.unwrap();
    let calls = recorder.0.lock().unwrap().clone();
    assert_eq!((calls.len(), calls[0].payload.is_none(), calls[0].error.is_none()), (1, true, true));
}
