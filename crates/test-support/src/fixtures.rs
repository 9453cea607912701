//! Span generators for tests and benchmarks: deterministic (same arguments, same rows) and
//! valid for every analytics store (`SpanRow::check_storable` passes).

use domain::traces::{SpanKind, SpanRow, StatusCode};

/// 2024-02-28T00:00:00Z in nanoseconds: close to a leap day and a month boundary.
pub const FEB_28_NS: u64 = 1_709_078_400_000_000_000;
pub const MS_NS: u64 = 1_000_000;
pub const SECOND_NS: u64 = 1_000_000_000;
pub const HOUR_NS: u64 = 3_600 * SECOND_NS;
pub const DAY_NS: u64 = 24 * HOUR_NS;

/// A well-mixed 64-bit value (splitmix64), never zero (OpenTelemetry's invalid id).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).max(1)
}

/// A trace id (32 lowercase hex) derived from `n`; distinct `n`, distinct ids.
pub fn trace_id(n: u64) -> String {
    format!("{:016x}{:016x}", mix(n), n)
}

/// A span id (16 lowercase hex) derived from a trace number and a span number.
pub fn span_id(trace: u64, n: u64) -> String {
    format!("{:08x}{:08x}", mix(trace) as u32, n as u32 ^ 0x8000_0000)
}

/// A plain internal span with every optional field empty.
pub fn span(trace_id: &str, span_id: &str, parent: Option<&str>, name: &str, start_ns: u64, duration_ns: u64) -> SpanRow {
    SpanRow::new(trace_id, span_id, parent, name, start_ns, duration_ns)
}

/// Make `span` an LLM call of `model` with these token counts; cost 1 µ$ per input token and 3 per
/// output token (a made-up price, easy to check).
pub fn llm(mut span: SpanRow, model: &str, input_tokens: u64, output_tokens: u64, input: &str, output: &str) -> SpanRow {
    span.kind = SpanKind::Client;
    span.operation = Some("chat".into());
    span.provider = Some(if model.starts_with("claude") { "anthropic" } else { "openai" }.into());
    span.model = Some(model.into());
    span.input_tokens = Some(input_tokens);
    span.output_tokens = Some(output_tokens);
    span.total_tokens = Some(input_tokens + output_tokens);
    span.cost_micros = Some(input_tokens + 3 * output_tokens);
    span.input = Some(input.into());
    span.output = Some(output.into());
    span
}

const QUESTIONS: [&str; 4] = [
    "What's the weather in Paris tomorrow?",
    "東京の明日の天気は？",
    "ما هو الطقس في القاهرة غدا؟",
    "Summarise the quarterly revenue report",
];

/// A realistic GenAI agent trace number `n` starting at `start_ns`, 5 spans:
///
/// ```text
/// agent.run (server, root: user, session, tags, environment, input/output)   0 ..1200 ms
/// ├── chat gpt-4o-mini (LLM: plans a tool call)                             10 .. 410 ms
/// ├── tool.get_weather (tool, error when n % 5 == 4)                       420 .. 620 ms
/// └── respond (internal)                                                   630 ..1190 ms
///     └── chat claude-3-5-sonnet (LLM: writes the answer)                  640 ..1180 ms
/// ```
///
/// User `user-{n % 7}`, session `session-{n % 13}`, environment `production` (odd n: `staging`),
/// tags `agent` and `v{n % 3}`; token counts grow with `n`.
pub fn genai_trace(n: u64, start_ns: u64) -> Vec<SpanRow> {
    let tid = trace_id(n);
    let sid = |i| span_id(n, i);
    let question = QUESTIONS[(n % 4) as usize];
    let answer = format!("Answer {n}: it will be sunny, 21 °C.");
    let mut root = span(&tid, &sid(0), None, "agent.run", start_ns, 1_200 * MS_NS);
    root.kind = SpanKind::Server;
    root.status_code = StatusCode::Ok;
    root.service_name = "weather-agent".into();
    root.resource_attributes = r#"{"service.name":"weather-agent","service.version":"1.4.2"}"#.into();
    root.scope_name = "opentelemetry.instrumentation.openai".into();
    root.scope_version = "0.31.0".into();
    root.environment = Some(if n.is_multiple_of(2) { "production" } else { "staging" }.into());
    root.session_id = Some(format!("session-{}", n % 13));
    root.user_id = Some(format!("user-{}", n % 7));
    root.tags = vec!["agent".into(), format!("v{}", n % 3)];
    root.operation = Some("agent".into());
    root.input = Some(question.into());
    root.output = Some(answer.clone());
    root.attributes = format!(r#"{{"http.route":"/ask","request.n":{n}}}"#);

    let plan_in = format!(r#"[{{"role":"system","content":"You are a weather agent."}},{{"role":"user","content":"{question}"}}]"#);
    let mut plan = llm(
        span(&tid, &sid(1), Some(&sid(0)), "chat gpt-4o-mini", start_ns + 10 * MS_NS, 400 * MS_NS),
        "gpt-4o-mini",
        100 + n % 50,
        20 + n % 10,
        &plan_in,
        r#"[{"role":"assistant","tool_calls":[{"name":"get_weather"}]}]"#,
    );
    plan.events = r#"[{"name":"gen_ai.choice","time_unix_nano":1,"attributes":{"index":0}}]"#.into();

    let mut tool = span(&tid, &sid(2), Some(&sid(0)), "tool.get_weather", start_ns + 420 * MS_NS, 200 * MS_NS);
    tool.operation = Some("tool".into());
    tool.input = Some(r#"{"city":"Paris"}"#.into());
    tool.output = Some(r#"{"temp_c":21,"sky":"sunny"}"#.into());
    if n % 5 == 4 {
        tool.status_code = StatusCode::Error;
        tool.status_message = "weather service timed out".into();
    }

    let respond = span(&tid, &sid(3), Some(&sid(0)), "respond", start_ns + 630 * MS_NS, 560 * MS_NS);
    let write = llm(
        span(&tid, &sid(4), Some(&sid(3)), "chat claude-3-5-sonnet", start_ns + 640 * MS_NS, 540 * MS_NS),
        "claude-3-5-sonnet",
        300 + n % 100,
        60 + n % 20,
        question,
        &answer,
    );
    vec![root, plan, tool, respond, write]
}

/// `count` GenAI traces ([`genai_trace`] numbers `first..first + count`), one every `every_ns`
/// from `start_ns` on: 5 spans each.
pub fn bulk_traces(first: u64, count: u64, start_ns: u64, every_ns: u64) -> Vec<SpanRow> {
    (0..count).flat_map(|i| genai_trace(first + i, start_ns + i * every_ns)).collect()
}

/// One trace number `n` of `spans` spans: a root and a tree of depth-first children, fanning out
/// by 10 at each level, each span 1 ms later than the previous one. Every tenth span is an LLM
/// call (model `gpt-4o`, 10 input and 5 output tokens).
pub fn wide_trace(n: u64, spans: u64, start_ns: u64) -> Vec<SpanRow> {
    let tid = trace_id(n);
    (0..spans)
        .map(|i| {
            let parent = if i == 0 { None } else { Some(span_id(n, (i - 1) / 10)) };
            let s = span(&tid, &span_id(n, i), parent.as_deref(), &format!("step {i}"), start_ns + i * MS_NS, (spans - i) * MS_NS);
            if i % 10 == 9 {
                llm(s, "gpt-4o", 10, 5, &format!("question {i}"), &format!("answer {i}"))
            } else {
                s
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_spans_are_storable_and_unique() {
        let mut ids = std::collections::HashSet::new();
        for s in bulk_traces(0, 200, FEB_28_NS, SECOND_NS).iter().chain(&wide_trace(1_000, 5_000, FEB_28_NS)) {
            s.check_storable().unwrap();
            assert!(ids.insert((s.trace_id.clone(), s.span_id.clone())), "duplicate {} {}", s.trace_id, s.span_id);
        }
        assert_eq!(ids.len(), 6_000);
    }
}
