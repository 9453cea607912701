//! OpenTelemetry GenAI semantic conventions, old and new: `gen_ai.*` attributes, the indexed
//! `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` form (OpenLLMetry), message and choice events,
//! and the structured `gen_ai.input.messages` / `gen_ai.output.messages`.

use opentelemetry_proto::tonic::trace::v1::span::Event;
use serde_json::{Map, Value};

use super::{fill, messages_text, SpanRow};
use crate::attrs::{text, to_json, Attrs, JsonLimits};

enum EventSide {
    /// A prompt message, with the role the event name implies.
    Input(&'static str),
    /// A completion choice.
    Output,
    /// `gen_ai.content.prompt` / `gen_ai.content.completion`: the text sits in one attribute.
    LegacyText { input: bool },
    /// `gen_ai.client.inference.operation.details`: both sides as message attributes.
    Details,
}

fn classify(name: &str) -> Option<EventSide> {
    Some(match name {
        "gen_ai.system.message" => EventSide::Input("system"),
        "gen_ai.user.message" => EventSide::Input("user"),
        "gen_ai.assistant.message" => EventSide::Input("assistant"),
        "gen_ai.tool.message" => EventSide::Input("tool"),
        "gen_ai.choice" => EventSide::Output,
        "gen_ai.content.prompt" => EventSide::LegacyText { input: true },
        "gen_ai.content.completion" => EventSide::LegacyText { input: false },
        "gen_ai.client.inference.operation.details" => EventSide::Details,
        _ => return None,
    })
}

pub(crate) fn extract(attrs: &mut Attrs, events: &mut Vec<Event>, row: &mut SpanRow, max_depth: usize) {
    fill(&mut row.operation, || attrs.take_text(&["gen_ai.operation.name"]));
    fill(&mut row.provider, || attrs.take_text(&["gen_ai.provider.name", "gen_ai.system"]));
    // The response model is what actually ran (often a dated variant): it decides the price.
    // The request model is taken only when it is the one used, otherwise it stays an attribute.
    fill(&mut row.model, || attrs.take_text(&["gen_ai.response.model"]).or_else(|| attrs.take_text(&["gen_ai.request.model"])));
    fill(&mut row.input_tokens, || attrs.take_count(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"]));
    fill(&mut row.output_tokens, || attrs.take_count(&["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"]));
    fill(&mut row.total_tokens, || attrs.take_count(&["gen_ai.usage.total_tokens", "llm.usage.total_tokens"]));

    fill(&mut row.input, || {
        attrs.take_text(&["gen_ai.input.messages"]).or_else(|| messages_text(attrs.take_indexed("gen_ai.prompt", max_depth)))
    });
    fill(&mut row.output, || {
        attrs.take_text(&["gen_ai.output.messages"]).or_else(|| messages_text(attrs.take_indexed("gen_ai.completion", max_depth)))
    });
    from_events(events, row, max_depth);
    fill(&mut row.input, || attrs.take_text(&["gen_ai.prompt"]));
    fill(&mut row.output, || attrs.take_text(&["gen_ai.completion"]));
}

/// Consumes message events only for a side not yet known, so no event content is lost.
fn from_events(events: &mut Vec<Event>, row: &mut SpanRow, max_depth: usize) {
    let (want_input, want_output) = (row.input.is_none(), row.output.is_none());
    if !(want_input || want_output) {
        return;
    }
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    events.retain(|e| match classify(&e.name) {
        Some(EventSide::Input(role)) if want_input => {
            inputs.push(message(e, role, max_depth));
            false
        }
        Some(EventSide::Output) if want_output => {
            outputs.push(choice(e, max_depth));
            false
        }
        Some(EventSide::LegacyText { input }) if (input && want_input) || (!input && want_output) => {
            let key = if input { "gen_ai.prompt" } else { "gen_ai.completion" };
            let found = e.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone());
            let side = if input { &mut inputs } else { &mut outputs };
            side.extend(found.map(|v| Value::String(text(v, max_depth))));
            false
        }
        Some(EventSide::Details) if want_input && want_output => {
            for kv in &e.attributes {
                let side = match kv.key.as_str() {
                    "gen_ai.input.messages" => &mut inputs,
                    "gen_ai.output.messages" => &mut outputs,
                    _ => continue,
                };
                side.extend(kv.value.clone().map(|v| Value::String(text(v, max_depth))));
            }
            false
        }
        _ => true,
    });
    fill(&mut row.input, || messages_text(inputs));
    fill(&mut row.output, || messages_text(outputs));
}

fn event_object(e: &Event, max_depth: usize) -> Map<String, Value> {
    let mut map = Map::new();
    for kv in &e.attributes {
        if let Some(v) = &kv.value {
            map.insert(kv.key.clone(), to_json(v, JsonLimits::whole(max_depth)).0);
        }
    }
    map
}

/// A message event's attributes (`content`, `tool_calls`, …) plus the role its name implies.
fn message(e: &Event, role: &str, max_depth: usize) -> Value {
    let mut map = event_object(e, max_depth);
    map.entry("role").or_insert_with(|| Value::String(role.to_owned()));
    Value::Object(map)
}

/// A `gen_ai.choice` event: its `message` (object or JSON text) flattened next to
/// `finish_reason` / `index`, role defaulting to assistant.
fn choice(e: &Event, max_depth: usize) -> Value {
    let mut map = event_object(e, max_depth);
    let inner = match map.remove("message") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(&s).unwrap_or(Value::String(s)),
        Some(other) => other,
        None => Value::Null,
    };
    match inner {
        Value::Object(inner) => map.extend(inner),
        Value::Null => {}
        other => {
            map.insert("content".to_owned(), other);
        }
    }
    map.entry("role").or_insert_with(|| Value::String("assistant".to_owned()));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{map_one, span};
    use crate::attrs::tests::{kv, s};
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use opentelemetry_proto::tonic::common::v1::KeyValue;
    use opentelemetry_proto::tonic::trace::v1::span::Event;
    use serde_json::{json, Value};

    fn event(name: &str, attributes: Vec<KeyValue>) -> Event {
        Event { name: name.into(), time_unix_nano: 1, attributes, ..Default::default() }
    }

    fn parsed(s: &Option<String>) -> Value {
        serde_json::from_str(s.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn current_attributes_and_price() {
        let row = map_one(
            span(vec![
                kv("gen_ai.operation.name", s("chat")),
                kv("gen_ai.provider.name", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
                kv("gen_ai.usage.input_tokens", Any::IntValue(1000)),
                kv("gen_ai.usage.output_tokens", Any::IntValue(500)),
                kv("gen_ai.request.temperature", Any::DoubleValue(0.2)),
                kv("gen_ai.input.messages", s(r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#)),
                kv("gen_ai.output.messages", s(r#"[{"role":"assistant","parts":[{"type":"text","content":"hello"}]}]"#)),
            ]),
            vec![],
        )
        .unwrap();
        assert_eq!(
            (row.operation.as_deref(), row.provider.as_deref(), row.model.as_deref()),
            (Some("chat"), Some("openai"), Some("gpt-4o-2024-08-06"))
        );
        assert_eq!((row.input_tokens, row.output_tokens, row.total_tokens), (Some(1000), Some(500), Some(1500)));
        // gpt-4o: $2.50 in / $10 out per 1M → 2_500 + 5_000 µ$.
        assert_eq!(row.cost_micros, Some(7_500));
        assert_eq!(parsed(&row.input)[0]["parts"][0]["content"], "hi");
        assert_eq!(parsed(&row.output)[0]["role"], "assistant");
        assert_eq!(
            serde_json::from_str::<Value>(&row.attributes).unwrap(),
            json!({"gen_ai.request.model": "gpt-4o", "gen_ai.request.temperature": 0.2})
        );
    }

    #[test]
    fn indexed_prompts_and_legacy_token_names() {
        let row = map_one(
            span(vec![
                kv("gen_ai.system", s("anthropic")),
                kv("gen_ai.request.model", s("claude-3-5-sonnet-20241022")),
                kv("gen_ai.usage.prompt_tokens", Any::IntValue(10)),
                kv("gen_ai.usage.completion_tokens", s("20")),
                kv("gen_ai.prompt.0.role", s("system")),
                kv("gen_ai.prompt.0.content", s("be brief")),
                kv("gen_ai.prompt.1.role", s("user")),
                kv("gen_ai.prompt.1.content", s("2+2?")),
                kv("gen_ai.completion.0.role", s("assistant")),
                kv("gen_ai.completion.0.content", s("4")),
                kv("gen_ai.completion.0.finish_reason", s("stop")),
            ]),
            vec![],
        )
        .unwrap();
        assert_eq!(row.provider.as_deref(), Some("anthropic"));
        assert_eq!((row.input_tokens, row.output_tokens), (Some(10), Some(20)));
        assert_eq!(parsed(&row.input), json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]));
        assert_eq!(parsed(&row.output), json!([{"role": "assistant", "content": "4", "finish_reason": "stop"}]));
        // claude-3-5-sonnet: $3 / $15 per 1M → 30 + 300 µ$.
        assert_eq!(row.cost_micros, Some(330));
        assert_eq!(row.attributes, "{}");
    }

    #[test]
    fn message_and_choice_events() {
        let mut sp = span(vec![kv("gen_ai.request.model", s("gemini-2.0-flash"))]);
        sp.events = vec![
            event("gen_ai.system.message", vec![kv("content", s("sys"))]),
            event("gen_ai.user.message", vec![kv("content", s("q"))]),
            event(
                "gen_ai.choice",
                vec![kv("index", Any::IntValue(0)), kv("finish_reason", s("stop")), kv("message", s(r#"{"content":"a"}"#))],
            ),
            event("exception", vec![kv("exception.message", s("retry"))]),
        ];
        let row = map_one(sp, vec![]).unwrap();
        assert_eq!(parsed(&row.input), json!([{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]));
        assert_eq!(parsed(&row.output), json!([{"index": 0, "finish_reason": "stop", "content": "a", "role": "assistant"}]));
        let events: Value = serde_json::from_str(&row.events).unwrap();
        assert_eq!(events.as_array().unwrap().len(), 1);
        assert_eq!(events[0]["name"], "exception");
        assert_eq!(row.cost_micros, None, "no tokens, no cost");
    }

    #[test]
    fn legacy_content_events_and_events_kept_when_attributes_win() {
        let mut sp = span(vec![kv("gen_ai.input.messages", s("[]"))]);
        sp.events = vec![
            event("gen_ai.user.message", vec![kv("content", s("q"))]),
            event("gen_ai.content.completion", vec![kv("gen_ai.completion", s("plain answer"))]),
        ];
        let row = map_one(sp, vec![]).unwrap();
        assert_eq!(row.input.as_deref(), Some("[]"));
        assert_eq!(row.output.as_deref(), Some("plain answer"));
        let events: Value = serde_json::from_str(&row.events).unwrap();
        assert_eq!(events[0]["name"], "gen_ai.user.message", "an event whose side is already known is kept");
    }
}
