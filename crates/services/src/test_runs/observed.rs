//! What an application's LLM spans say, as the step checks read it.

use super::*;

/// The LLM calls of a trace (spans with a model), in start order, as observations. Spans the
/// platform wrote itself (judge calls, playground) are left out.
pub fn llm_calls_of(mut rows: Vec<SpanRow>) -> Vec<(Observation, SpanRow)> {
    rows.sort_by(|a, b| (a.start_time_unix_nano, &a.span_id).cmp(&(b.start_time_unix_nano, &b.span_id)));
    rows.into_iter()
        .filter(|r| r.model.as_deref().is_some_and(|m| !m.trim().is_empty()))
        .filter(|r| !r.attributes.contains(llm_calls::ORIGIN_ATTRIBUTE) || r.attributes.contains(&format!("\"{SPAN_ORIGIN}\"")))
        .map(|r| (observation_of(&r), r))
        .collect()
}

/// One span as an observed AI call.
pub fn observation_of(row: &SpanRow) -> Observation {
    let output = row.output.as_deref().unwrap_or("");
    let tokens = row.total_tokens.or(match (row.input_tokens, row.output_tokens) {
        (None, None) => None,
        (i, o) => Some(i.unwrap_or(0) + o.unwrap_or(0)),
    });
    Observation {
        model: row.model.clone(),
        input: user_text(row.input.as_deref().unwrap_or("")),
        output: reply_text(output),
        tool_calls: tool_calls_of(output),
        latency_ms: row.duration_ns / 1_000_000,
        tokens,
        cost_usd: row.cost_micros.map(|c| c as f64 / 1e6),
    }
}

pub(super) fn row_params(row: &SpanRow) -> Value {
    let attrs: Value = serde_json::from_str(&row.attributes).unwrap_or(Value::Null);
    let mut params = serde_json::Map::new();
    for (key, name) in [("gen_ai.request.temperature", "temperature"), ("gen_ai.request.max_tokens", "max_tokens")] {
        if let Some(v) = attrs.get(key).filter(|v| !v.is_null()) {
            params.insert(name.into(), v.clone());
        }
    }
    Value::Object(params)
}

/// Tool calls of a JSON output: OpenAI `tool_calls` (`function.name/arguments` or flat) and
/// GenAI `parts` of type `tool_call`.
pub fn tool_calls_of(output: &str) -> Vec<ObservedToolCall> {
    let Some(msgs) = domain::chat_payload::message_values(output) else { return Vec::new() };
    let mut calls = Vec::new();
    for m in &msgs {
        for c in m.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
            let f = c.get("function").unwrap_or(c);
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                calls.push(ObservedToolCall { name: name.to_owned(), arguments: f.get("arguments").cloned().unwrap_or(Value::Null) });
            }
        }
        for p in m.get("parts").and_then(Value::as_array).into_iter().flatten() {
            if p.get("type").and_then(Value::as_str) == Some("tool_call") {
                if let Some(name) = p.get("name").and_then(Value::as_str) {
                    calls.push(ObservedToolCall { name: name.to_owned(), arguments: p.get("arguments").cloned().unwrap_or(Value::Null) });
                }
            }
        }
    }
    calls
}
