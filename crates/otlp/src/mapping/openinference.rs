//! OpenInference (Arize Phoenix) conventions: `llm.*`, `input.value` / `output.value`, and the
//! flattened `llm.input_messages.N.message.*` lists.

use serde_json::Value;

use super::{fill, messages_text, SpanRow};
use crate::attrs::Attrs;

pub(crate) fn extract(attrs: &mut Attrs, row: &mut SpanRow, max_depth: usize) {
    fill(&mut row.operation, || attrs.take_text(&["openinference.span.kind"]).map(|k| k.to_ascii_lowercase()));
    fill(&mut row.model, || attrs.take_text(&["llm.model_name"]));
    fill(&mut row.provider, || attrs.take_text(&["llm.provider", "llm.system"]));
    fill(&mut row.input_tokens, || attrs.take_count(&["llm.token_count.prompt"]));
    fill(&mut row.output_tokens, || attrs.take_count(&["llm.token_count.completion"]));
    fill(&mut row.total_tokens, || attrs.take_count(&["llm.token_count.total"]));
    // Chat messages are the readable form; `input.value` (often the raw request) is the fallback
    // and stays an attribute when messages win.
    fill(&mut row.input, || messages(attrs.take_indexed("llm.input_messages", max_depth)).or_else(|| attrs.take_text(&["input.value"])));
    fill(&mut row.output, || messages(attrs.take_indexed("llm.output_messages", max_depth)).or_else(|| attrs.take_text(&["output.value"])));
}

/// `{"message": {"role", "content"}}` items unwrapped to `{"role", "content"}`.
fn messages(items: Vec<Value>) -> Option<String> {
    let items = items
        .into_iter()
        .map(|item| match item {
            Value::Object(mut map) if map.len() == 1 && map.get("message").is_some_and(Value::is_object) => {
                map.remove("message").unwrap_or_default()
            }
            other => other,
        })
        .collect();
    messages_text(items)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{map_one, span};
    use crate::attrs::tests::{kv, s};
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use serde_json::{json, Value};

    #[test]
    fn llm_span() {
        let row = map_one(
            span(vec![
                kv("openinference.span.kind", s("LLM")),
                kv("llm.model_name", s("gpt-4o-mini-2024-07-18")),
                kv("llm.provider", s("openai")),
                kv("llm.token_count.prompt", Any::IntValue(2000)),
                kv("llm.token_count.completion", Any::IntValue(1000)),
                kv("llm.token_count.total", Any::IntValue(3000)),
                kv("llm.input_messages.0.message.role", s("user")),
                kv("llm.input_messages.0.message.content", s("hello")),
                kv("llm.output_messages.0.message.role", s("assistant")),
                kv("llm.output_messages.0.message.content", s("hi!")),
                kv("input.value", s(r#"{"messages":[{"role":"user","content":"hello"}]}"#)),
                kv("llm.invocation_parameters", s(r#"{"temperature":0}"#)),
            ]),
            vec![],
        )
        .unwrap();
        assert_eq!(
            (row.operation.as_deref(), row.model.as_deref(), row.provider.as_deref()),
            (Some("llm"), Some("gpt-4o-mini-2024-07-18"), Some("openai"))
        );
        assert_eq!((row.input_tokens, row.output_tokens, row.total_tokens), (Some(2000), Some(1000), Some(3000)));
        assert_eq!(serde_json::from_str::<Value>(row.input.as_deref().unwrap()).unwrap(), json!([{"role": "user", "content": "hello"}]));
        assert_eq!(
            serde_json::from_str::<Value>(row.output.as_deref().unwrap()).unwrap(),
            json!([{"role": "assistant", "content": "hi!"}])
        );
        // gpt-4o-mini: $0.15 / $0.60 per 1M → 300 + 600 µ$.
        assert_eq!(row.cost_micros, Some(900));
        let rest: Value = serde_json::from_str(&row.attributes).unwrap();
        assert!(rest.get("input.value").is_some() && rest.get("llm.invocation_parameters").is_some());
    }

    #[test]
    fn chain_span_with_plain_values() {
        let row = map_one(
            span(vec![kv("openinference.span.kind", s("CHAIN")), kv("input.value", s("question")), kv("output.value", s("answer"))]),
            vec![],
        )
        .unwrap();
        assert_eq!(
            (row.operation.as_deref(), row.input.as_deref(), row.output.as_deref()),
            (Some("chain"), Some("question"), Some("answer"))
        );
        assert_eq!((row.model, row.cost_micros), (None, None));
    }
}
