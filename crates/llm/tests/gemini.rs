//! The Gemini adapter against a fake server speaking generateContent, streamGenerateContent
//! (`alt=sse`), embedContent and batchEmbedContents.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{data, FakeServer, Reply};
use futures::StreamExt;
use llm::*;
use serde_json::{json, Value};

fn provider(server: &FakeServer) -> Arc<dyn LlmProvider> {
    let mut config = ProviderConfig::new(Vendor::Gemini, Some(ApiKey::new("AIza-test"))).with_base_url(&server.url);
    config.retry = RetryPolicy { base_delay: Duration::from_millis(10), ..RetryPolicy::default() };
    build_provider(&config, Arc::new(NoopObserver)).unwrap()
}

fn generated(parts: Value, finish_reason: Option<&str>, usage: Option<(u32, u32)>) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    if let Some(reason) = finish_reason {
        candidate["finishReason"] = json!(reason);
    }
    let mut body = json!({"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "abc"});
    if let Some((prompt, candidates)) = usage {
        body["usageMetadata"] =
            json!({"promptTokenCount": prompt, "candidatesTokenCount": candidates, "totalTokenCount": prompt + candidates});
    }
    body
}

fn rpc_error(code: u16, status: &str, message: &str, details: Value) -> Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
}

#[tokio::test]
async fn chat_sends_contents_system_instruction_tools_and_generation_config() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        generated(json!([{"functionCall": {"name": "get_weather", "args": {"city": "Lyon"}}}]), Some("STOP"), Some((31, 7))),
    )])
    .await;
    let mut request = ChatRequest::new(
        "gemini-2.5-flash",
        vec![
            Message::system("Answer in French."),
            Message::user("Météo à Oslo ?"),
            Message::Assistant {
                content: "Je regarde.".into(),
                tool_calls: vec![ToolCall { id: "c1".into(), name: "get_weather".into(), arguments: "{\"city\":\"Oslo\"}".into() }],
            },
            Message::tool_result("c1", "{\"temp\":3}"),
            Message::tool_result("c1", "sunny"),
        ],
    );
    request.tools = vec![ToolDefinition { name: "get_weather".into(), description: None, parameters: json!({"type": "object"}) }];
    request.tool_choice = Some(ToolChoice::Tool { name: "get_weather".into() });
    request.temperature = Some(0.5);
    request.max_tokens = Some(100);
    request.stop = vec!["FIN".into()];
    request.response_format = Some(ResponseFormat::JsonSchema { name: "w".into(), schema: json!({"type": "object"}) });

    let reply = provider(&server).chat(&request).await.unwrap();

    assert_eq!(
        reply.tool_calls,
        vec![ToolCall { id: "call_0".into(), name: "get_weather".into(), arguments: "{\"city\":\"Lyon\"}".into() }]
    );
    assert_eq!(reply.finish, Finish { reason: FinishReason::ToolCalls, raw: "STOP".into() });
    assert_eq!(reply.usage, Some(Usage { input_tokens: 31, output_tokens: 7 }));
    assert_eq!(reply.model, "gemini-2.5-flash");
    let sent = server.request(0);
    assert_eq!(sent.uri, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(sent.header("x-goog-api-key"), Some("AIza-test"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "systemInstruction": {"parts": [{"text": "Answer in French."}]},
            "contents": [
                {"role": "user", "parts": [{"text": "Météo à Oslo ?"}]},
                {"role": "model", "parts": [{"text": "Je regarde."}, {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp": 3}}},
                    {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}
                ]}
            ],
            "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "", "parametersJsonSchema": {"type": "object"}}]}],
            "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
            "generationConfig": {
                "temperature": 0.5, "maxOutputTokens": 100, "stopSequences": ["FIN"],
                "responseMimeType": "application/json", "responseJsonSchema": {"type": "object"}
            }
        })
    );
}

#[tokio::test]
async fn plain_text_answers_finish_with_stop() {
    let server =
        FakeServer::start(vec![Reply::json(200, generated(json!([{"text": "Bonjour"}, {"text": " !"}]), Some("MAX_TOKENS"), None))]).await;
    let reply = provider(&server).chat(&ChatRequest::new("models/gemini-2.5-pro", vec![Message::user("Salut")])).await.unwrap();
    assert_eq!(reply.content, "Bonjour !");
    assert_eq!(reply.finish.reason, FinishReason::Length);
    assert_eq!(server.request(0).uri, "/v1beta/models/gemini-2.5-pro:generateContent");
}

#[tokio::test]
async fn a_blocked_prompt_is_a_content_filter_finish() {
    let server = FakeServer::start(vec![Reply::json(
        200,
        json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}}),
    )])
    .await;
    let reply = provider(&server).chat(&ChatRequest::new("gemini-2.5-flash", vec![Message::user("...")])).await.unwrap();
    assert_eq!(reply.finish, Finish { reason: FinishReason::ContentFilter, raw: "SAFETY".into() });
}

#[tokio::test]
async fn streams_text_and_whole_function_calls_over_sse() {
    let server = FakeServer::start(vec![Reply::sse(&[
        data(generated(json!([{"text": "Il fait "}]), None, Some((10, 2)))),
        data(generated(json!([{"text": "beau à Genève."}]), None, Some((10, 6)))),
        data(generated(
            json!([{"functionCall": {"id": "fc-1", "name": "get_weather", "args": {"city": "Genève"}}}]),
            Some("STOP"),
            Some((10, 9)),
        )),
    ])])
    .await;
    let stream = provider(&server).chat_stream(&ChatRequest::new("gemini-2.5-flash", vec![Message::user("Météo ?")])).await.unwrap();
    let events: Vec<ChatEvent> = stream.map(|e| e.unwrap()).collect().await;
    let mut reply = StreamedReply::default();
    events.iter().for_each(|e| reply.apply(e));

    assert_eq!(reply.content, "Il fait beau à Genève.");
    assert_eq!(
        reply.tool_calls,
        vec![ToolCall { id: "fc-1".into(), name: "get_weather".into(), arguments: "{\"city\":\"Genève\"}".into() }]
    );
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Finished {
            finish: Finish { reason: FinishReason::ToolCalls, raw: "STOP".into() },
            usage: Some(Usage { input_tokens: 10, output_tokens: 9 })
        })
    );
    assert_eq!(server.request(0).uri, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}

#[tokio::test]
async fn embeds_one_input_with_embed_content_and_several_with_a_batch() {
    let server = FakeServer::start(vec![
        Reply::json(200, json!({"embedding": {"values": [0.5, -0.5]}})),
        Reply::json(200, json!({"embeddings": [{"values": [1.0]}, {"values": [2.0]}]})),
    ])
    .await;
    let provider = provider(&server);
    let one = provider
        .embed(&EmbedRequest { model: "gemini-embedding-001".into(), inputs: vec!["a".into()], dimensions: Some(2) })
        .await
        .unwrap();
    let two = provider
        .embed(&EmbedRequest { model: "gemini-embedding-001".into(), inputs: vec!["a".into(), "b".into()], dimensions: None })
        .await
        .unwrap();

    assert_eq!(one.embeddings, vec![vec![0.5, -0.5]]);
    assert_eq!(two.embeddings, vec![vec![1.0], vec![2.0]]);
    let (first, second) = (server.request(0), server.request(1));
    assert_eq!(first.uri, "/v1beta/models/gemini-embedding-001:embedContent");
    assert_eq!(
        first.body,
        json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 2})
    );
    assert_eq!(second.uri, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
    assert_eq!(
        second.body,
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}}
        ]})
    );
    assert_eq!(second.header("x-goog-api-key"), Some("AIza-test"));
}

#[tokio::test]
async fn documented_rpc_errors_map_to_typed_errors() {
    let key_invalid = json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"}}]);
    let daily = json!([{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
        {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}
    ]}]);
    let cases = [
        (400, rpc_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", key_invalid), LlmErrorKind::InvalidKey),
        (403, rpc_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", json!([])), LlmErrorKind::InvalidKey),
        (404, rpc_error(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta", json!([])), LlmErrorKind::ModelNotFound),
        (
            400,
            rpc_error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
                json!([]),
            ),
            LlmErrorKind::ContextTooLong,
        ),
        (429, rpc_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", daily), LlmErrorKind::QuotaExceeded),
        (400, rpc_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", json!([])), LlmErrorKind::InvalidRequest),
    ];
    for (status, body, kind) in cases {
        let server = FakeServer::start(vec![Reply::json(status, body)]).await;
        let error = provider(&server).chat(&ChatRequest::new("gemini-2.5-flash", vec![Message::user("Hi")])).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn resource_exhausted_waits_for_the_retry_info_delay() {
    let retry = json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]);
    let server = FakeServer::start(vec![
        Reply::json(429, rpc_error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", retry)),
        Reply::json(503, rpc_error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", json!([]))),
        Reply::json(200, generated(json!([{"text": "ok"}]), Some("STOP"), None)),
    ])
    .await;
    let started = Instant::now();
    let reply = provider(&server).chat(&ChatRequest::new("gemini-2.5-flash", vec![Message::user("Hi")])).await.unwrap();
    assert_eq!(reply.content, "ok");
    assert_eq!(server.requests().len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(950), "waited only {:?}", started.elapsed());
}

#[tokio::test]
async fn a_tool_result_without_its_call_is_refused_before_sending() {
    let server = FakeServer::start(vec![]).await;
    let request = ChatRequest::new("gemini-2.5-flash", vec![Message::user("Hi"), Message::tool_result("nope", "1")]);
    assert_eq!(provider(&server).chat(&request).await.unwrap_err().kind(), LlmErrorKind::InvalidRequest);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_model_name_cannot_change_the_url() {
    let server = FakeServer::start(vec![]).await;
    let provider = provider(&server);
    for model in ["../admin", "gemini?alt=x", "gemini-2.5-flash:streamGenerateContent", ""] {
        let error = provider.chat(&ChatRequest::new(model, vec![Message::user("Hi")])).await.unwrap_err();
        assert_eq!(error.kind(), LlmErrorKind::InvalidRequest, "{model}");
    }
    assert!(server.requests().is_empty());
}
