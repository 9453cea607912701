//! The platform's own adapters against the fake vendor: what the app tests and the e2e run rely on.

use fake_llm::FakeLlm;
use futures::StreamExt;
use llm::*;
use std::{sync::Arc, time::Duration};

async fn fake() -> FakeLlm {
    FakeLlm::start_with_gap(([127, 0, 0, 1], 0).into(), Duration::from_millis(2)).await.unwrap()
}

fn provider(vendor: Vendor, base_url: String, key: &str) -> Arc<dyn LlmProvider> {
    let mut config = ProviderConfig::new(vendor, Some(ApiKey::new(key))).with_base_url(base_url);
    config.retry = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
    build_provider(&config, Arc::new(NoopObserver)).unwrap()
}

fn ask(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::system("Be brief."), Message::user("Hello there")])
}

async fn stream_text(p: &dyn LlmProvider, model: &str) -> (Vec<String>, StreamedReply) {
    let mut stream = p.chat_stream(&ask(model)).await.unwrap();
    let (mut deltas, mut reply) = (Vec::new(), StreamedReply::default());
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        if let ChatEvent::TextDelta { text } = &event {
            deltas.push(text.clone());
        }
        reply.apply(&event);
    }
    (deltas, reply)
}

#[tokio::test]
async fn openai_style_streams_word_by_word_with_usage() {
    let fake = fake().await;
    let p = provider(Vendor::OpenAiCompatible, fake.openai_base_url(), "sk-good");
    let (deltas, reply) = stream_text(p.as_ref(), "fake-small").await;
    assert_eq!(deltas, vec!["fake-small ", "heard: ", "Hello ", "there"]);
    assert_eq!(reply.content, "fake-small heard: Hello there");
    assert_eq!(reply.usage, Some(Usage { input_tokens: 4, output_tokens: 4 }));
    assert_eq!(reply.finish.map(|f| f.reason), Some(FinishReason::Stop));
    let whole = p.chat(&ask("fake-large")).await.unwrap();
    assert_eq!(whole.content, "fake-large heard: Hello there");
    assert_eq!(fake.finished(), 2);
}

#[tokio::test]
async fn anthropic_streams_too() {
    let fake = fake().await;
    let p = provider(Vendor::Anthropic, fake.url.clone(), "sk-ant-good");
    let (deltas, reply) = stream_text(p.as_ref(), "claude-fake").await;
    assert_eq!(deltas.len(), 4);
    assert_eq!(reply.content, "claude-fake heard: Hello there");
    assert_eq!(reply.usage, Some(Usage { input_tokens: 4, output_tokens: 4 }));
    assert_eq!(p.chat(&ask("claude-fake")).await.unwrap().finish.reason, FinishReason::Stop);
}

#[tokio::test]
async fn refusals_map_to_the_layer_error_kinds() {
    let fake = fake().await;
    let bad = provider(Vendor::OpenAi, fake.openai_base_url(), "sk-bad-key");
    assert_eq!(bad.chat_stream(&ask("fake-small")).await.err().map(|e| e.kind()), Some(LlmErrorKind::InvalidKey));
    let good = provider(Vendor::OpenAi, fake.openai_base_url(), "sk-good");
    for (model, kind) in [
        ("missing-model", LlmErrorKind::ModelNotFound),
        ("fake-no-credit", LlmErrorKind::QuotaExceeded),
        ("fake-tiny-context", LlmErrorKind::ContextTooLong),
    ] {
        assert_eq!(good.chat(&ask(model)).await.err().map(|e| e.kind()), Some(kind), "{model}");
    }
    let anthropic = provider(Vendor::Anthropic, fake.url.clone(), "bad");
    assert_eq!(anthropic.chat(&ask("claude-fake")).await.err().map(|e| e.kind()), Some(LlmErrorKind::InvalidKey));
}

#[tokio::test]
async fn a_dropped_stream_is_seen_as_abandoned() {
    let fake = fake().await;
    let p = provider(Vendor::OpenAi, fake.openai_base_url(), "sk-good");
    let mut stream = p.chat_stream(&ask("fake-slow")).await.unwrap();
    stream.next().await.unwrap().unwrap();
    assert_eq!(fake.abandoned(), 0);
    drop(stream);
    assert!(fake.wait_abandoned(Duration::from_secs(5)).await);
    assert_eq!(fake.finished(), 0);
}
