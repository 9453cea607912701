//! Payload builders shared by the integration tests and the benchmark.
#![allow(dead_code)] // each test binary uses a different subset

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use otlp::{Limits, MapOptions, PriceTable};

/// 2025-11-22T00:00:00Z: the fixed "now" of the tests.
pub const NOW: u64 = 1_763_769_600_000_000_000;
/// 2025-06-01T12:00:00Z: when the Python SDK fixture's spans start.
pub const PYTHON_FIXTURE_T0: u64 = 1_748_779_200_000_000_000;
pub const PROTOBUF: &str = "application/x-protobuf";
pub const JSON: &str = "application/json";

pub fn options<'a>(limits: &'a Limits, prices: &'a PriceTable) -> MapOptions<'a> {
    MapOptions { limits, prices, now_unix_nano: NOW }
}

pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

pub fn s(v: &str) -> Value {
    Value::StringValue(v.into())
}

pub fn strings(items: &[&str]) -> Value {
    Value::ArrayValue(ArrayValue { values: items.iter().map(|i| AnyValue { value: Some(s(i)) }).collect() })
}

/// One request of `spans` to one resource/scope.
pub fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("bench-app")), kv("deployment.environment", s("prod"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "genai-instrumentation".into(), version: "0.1".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A valid span with deterministic ids derived from `n`.
pub fn plain_span(n: u64, name: &str, attributes: Vec<KeyValue>) -> Span {
    let trace = n / 4 + 1;
    Span {
        trace_id: [trace.to_be_bytes(), 7u64.to_be_bytes()].concat(),
        span_id: (n + 1).to_be_bytes().to_vec(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: NOW - 60_000_000_000 + n * 1_000,
        end_time_unix_nano: NOW - 59_000_000_000 + n * 1_000,
        attributes,
        ..Default::default()
    }
}

const QUESTION: &str = "Our invoice INV-2291 shows two charges for the same subscription period. Can you check whether the \
    second charge was a mistake and, if so, explain how the refund will be processed and when it will arrive?";
const ANSWER: &str = "I checked invoice INV-2291: the second charge was created by a retry after a payment-gateway timeout. \
    A refund of the duplicate charge has been issued today; it usually appears on the statement within 5-10 business days.";

/// Realistic GenAI traffic: traces of four spans (agent root, GenAI chat with indexed prompts,
/// OpenInference LLM span, tool span), both conventions, ~600 bytes per span on the wire.
pub fn genai_span(n: u64) -> Span {
    let mut span = match n % 4 {
        0 => plain_span(
            n,
            "agent.run",
            vec![kv("session.id", s("sess-1")), kv("user.id", s("user-9")), kv("langfuse.trace.tags", strings(&["prod", "billing"]))],
        ),
        1 => plain_span(
            n,
            "chat gpt-4o",
            vec![
                kv("gen_ai.operation.name", s("chat")),
                kv("gen_ai.system", s("openai")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
                kv("gen_ai.request.temperature", Value::DoubleValue(0.2)),
                kv("gen_ai.request.max_tokens", Value::IntValue(1024)),
                kv("gen_ai.usage.input_tokens", Value::IntValue(812)),
                kv("gen_ai.usage.output_tokens", Value::IntValue(164)),
                kv("gen_ai.prompt.0.role", s("system")),
                kv("gen_ai.prompt.0.content", s("You are a billing support assistant. Answer precisely and cite invoice numbers.")),
                kv("gen_ai.prompt.1.role", s("user")),
                kv("gen_ai.prompt.1.content", s(QUESTION)),
                kv("gen_ai.completion.0.role", s("assistant")),
                kv("gen_ai.completion.0.content", s(ANSWER)),
                kv("gen_ai.completion.0.finish_reason", s("stop")),
                kv("http.response.status_code", Value::IntValue(200)),
            ],
        ),
        2 => plain_span(
            n,
            "ChatAnthropic",
            vec![
                kv("openinference.span.kind", s("LLM")),
                kv("llm.model_name", s("claude-sonnet-4-20250514")),
                kv("llm.provider", s("anthropic")),
                kv("llm.token_count.prompt", Value::IntValue(640)),
                kv("llm.token_count.completion", Value::IntValue(120)),
                kv("llm.token_count.total", Value::IntValue(760)),
                kv("llm.input_messages.0.message.role", s("user")),
                kv("llm.input_messages.0.message.content", s(QUESTION)),
                kv("llm.output_messages.0.message.role", s("assistant")),
                kv("llm.output_messages.0.message.content", s(ANSWER)),
                kv("llm.invocation_parameters", s(r#"{"temperature":0,"max_tokens":512}"#)),
            ],
        ),
        _ => {
            let mut tool = plain_span(
                n,
                "tool lookup_invoice",
                vec![kv("openinference.span.kind", s("TOOL")), kv("input.value", s(r#"{"invoice":"INV-2291"}"#))],
            );
            tool.events.push(span::Event {
                time_unix_nano: tool.start_time_unix_nano + 10,
                name: "cache.miss".into(),
                ..Default::default()
            });
            tool.status = Some(Status { code: 1, message: String::new() });
            tool
        }
    };
    if !n.is_multiple_of(4) {
        span.parent_span_id = (n - n % 4 + 1).to_be_bytes().to_vec();
    }
    span
}

pub fn genai_request(spans: u64) -> ExportTraceServiceRequest {
    request((0..spans).map(genai_span).collect())
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A tiny deterministic PRNG (xorshift64*), so the robustness tests need no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
