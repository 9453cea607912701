//! Calls through the LLM layer on behalf of a project: each one becomes a GenAI span in that
//! project's own traces, so the platform observes itself.
//!
//! [`SpanObserver`] is the `llm::CallObserver` given to providers built for a project: when a
//! call ends (finished, failed or cancelled) it turns the `CallRecord` into a [`SpanRow`]
//! ([`span_for_call`], GenAI semantic conventions, costed from the price table) and hands it to
//! a [`SpanSink`] — in the app, the same ingest path SDK spans take, so quota usage is recorded
//! once, in one place.

use crate::ports::ProjectId;
use crate::{
    ports::{AnalyticsStore, PrimaryStore},
    trace_ingest::QuotaGate,
    ServiceResult,
};
use async_trait::async_trait;
use domain::traces::{SpanKind, SpanRow, StatusCode};
use llm::{CallObserver, CallOutcome, CallRecord, FinishReason, Message, Operation, Usage, Vendor};
use otlp::PriceTable;
use serde_json::{json, Map, Value};
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, UNIX_EPOCH},
};

/// The attribute that tells spans the platform made from spans its users sent.
pub const ORIGIN_ATTRIBUTE: &str = "elasticdash.origin";
/// Service name of spans the platform writes about itself.
pub const SERVICE_NAME: &str = "elasticdash";
/// Instrumentation scope of those spans.
pub const SCOPE_NAME: &str = "elasticdash.llm";

/// Who a call is made for and where its span goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    pub project_id: ProjectId,
    /// What made the call (`playground`, ...): [`ORIGIN_ATTRIBUTE`] and a tag.
    pub origin: &'static str,
    /// The person the call was made for.
    pub user_id: Option<String>,
    /// Groups the calls of one conversation in the Sessions view.
    pub session_id: Option<String>,
    /// Chosen by the caller so it can link to the trace before the span is written.
    pub trace_id: String,
    pub span_id: String,
    /// The stored provider key used, for the attributes (its id, never the key).
    pub provider_key_id: Option<String>,
    /// Input/output longer than this (bytes) go to the blob store on write.
    pub max_inline_bytes: usize,
}

impl CallContext {
    /// A new root span (its own trace) for `project_id`.
    pub fn new(project_id: &ProjectId, origin: &'static str) -> CallContext {
        CallContext {
            project_id: project_id.clone(),
            origin,
            user_id: None,
            session_id: None,
            trace_id: uuid::Uuid::new_v4().simple().to_string(),
            span_id: new_span_id(),
            provider_key_id: None,
            max_inline_bytes: 64 * 1024,
        }
    }
}

/// A random non-zero span id (16 hex digits).
pub fn new_span_id() -> String {
    format!("{:016x}", rand::random::<u64>().max(1))
}

/// `gen_ai.system` / `gen_ai.provider.name` as the semantic conventions spell it.
pub fn gen_ai_system(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::OpenAi => "openai",
        Vendor::Anthropic => "anthropic",
        Vendor::Gemini => "gcp.gemini",
        Vendor::Xai => "xai",
        Vendor::OpenAiCompatible => "_OTHER",
    }
}

fn operation_name(op: Operation) -> &'static str {
    match op {
        Operation::Chat | Operation::ChatStream => "chat",
        Operation::Embeddings => "embeddings",
    }
}

fn finish_reason(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::Other => "other",
    }
}

/// Cost in micro-dollars of `usage` on `model`, `None` without usage or a price.
pub fn cost_micros(prices: &PriceTable, model: &str, usage: Option<Usage>) -> Option<u64> {
    let u = usage?;
    prices.cost_micros(model, u.input_tokens.into(), u.output_tokens.into())
}

/// The span of one finished call.
pub fn span_for_call(ctx: &CallContext, call: &CallRecord, prices: &PriceTable) -> SpanRow {
    let start_ns = call.started_at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_nanos() as u64;
    let duration_ns = call.latency.as_nanos().min(u64::MAX as u128) as u64;
    let operation = operation_name(call.operation);
    let answered_by = call.payload.as_ref().and_then(|p| p.response_model.clone());
    let priced_model = answered_by.as_deref().unwrap_or(&call.model);
    let cost = cost_micros(prices, priced_model, call.usage).or_else(|| cost_micros(prices, &call.model, call.usage));

    let mut attributes = Map::new();
    let mut set = |k: &str, v: Value| {
        attributes.insert(k.to_owned(), v);
    };
    set("gen_ai.operation.name", json!(operation));
    set("gen_ai.system", json!(gen_ai_system(call.vendor)));
    set("gen_ai.request.model", json!(call.model));
    if let Some(model) = &answered_by {
        set("gen_ai.response.model", json!(model));
    }
    if let Some(u) = call.usage {
        set("gen_ai.usage.input_tokens", json!(u.input_tokens));
        set("gen_ai.usage.output_tokens", json!(u.output_tokens));
    }
    if let Some(reason) = call.finish_reason {
        set("gen_ai.response.finish_reasons", json!([finish_reason(reason)]));
    }
    if let Some(p) = &call.payload {
        if let Some(t) = p.temperature {
            // Through f64 text so 0.7 stays 0.7 rather than 0.699999988079071.
            set("gen_ai.request.temperature", json!(format!("{t}").parse::<f64>().unwrap_or(t as f64)));
        }
        if let Some(m) = p.max_tokens {
            set("gen_ai.request.max_tokens", json!(m));
        }
    }
    set(ORIGIN_ATTRIBUTE, json!(ctx.origin));
    set("elasticdash.streamed", json!(call.operation == Operation::ChatStream));
    if let Some(key) = &ctx.provider_key_id {
        set("elasticdash.provider_key_id", json!(key));
    }
    let (status_code, status_message) = match call.outcome {
        CallOutcome::Ok => (StatusCode::Ok, String::new()),
        CallOutcome::Failed(kind) => {
            set("error.type", json!(kind));
            (StatusCode::Error, call.error.clone().unwrap_or_else(|| format!("{kind:?}")))
        }
        CallOutcome::Cancelled => {
            // Stopped by the caller: not an error of the model, so the status stays unset.
            set("elasticdash.cancelled", json!(true));
            (StatusCode::Unset, "cancelled before the end".to_owned())
        }
    };

    let input = call.payload.as_ref().map(|p| serde_json::to_string(&p.messages).unwrap_or_default());
    let output = call.payload.as_ref().filter(|p| !p.output.is_empty() || !p.tool_calls.is_empty()).map(|p| {
        let reply = Message::Assistant { content: p.output.clone(), tool_calls: p.tool_calls.clone() };
        serde_json::to_string(&reply).unwrap_or_default()
    });
    SpanRow {
        kind: SpanKind::Client,
        status_code,
        status_message,
        service_name: SERVICE_NAME.into(),
        resource_attributes: json!({"service.name": SERVICE_NAME}).to_string(),
        scope_name: SCOPE_NAME.into(),
        scope_version: env!("CARGO_PKG_VERSION").into(),
        session_id: ctx.session_id.clone(),
        user_id: ctx.user_id.clone(),
        tags: vec![ctx.origin.to_owned()],
        operation: Some(operation.into()),
        model: Some(answered_by.clone().unwrap_or_else(|| call.model.clone())),
        provider: Some(gen_ai_system(call.vendor).into()),
        input_tokens: call.usage.map(|u| u.input_tokens.into()),
        output_tokens: call.usage.map(|u| u.output_tokens.into()),
        total_tokens: call.usage.map(|u| u64::from(u.input_tokens) + u64::from(u.output_tokens)),
        cost_micros: cost,
        input_oversize: input.as_ref().is_some_and(|t| t.len() > ctx.max_inline_bytes),
        output_oversize: output.as_ref().is_some_and(|t| t.len() > ctx.max_inline_bytes),
        input,
        output,
        attributes: Value::Object(attributes).to_string(),
        ..SpanRow::new(&ctx.trace_id, &ctx.span_id, None, &format!("{operation} {}", call.model), start_ns, duration_ns)
    }
}

/// Where call spans are written: quota, blob offload, durable write and usage, as for SDK spans.
#[async_trait]
pub trait SpanSink: Send + Sync {
    async fn write(&self, project_id: &ProjectId, rows: Vec<SpanRow>) -> ServiceResult<()>;
}

/// Turns each finished call into a span and writes it on a task of its own, so neither the
/// caller's stream nor a cancelling `Drop` waits for the store. The first call's span has the
/// context's span id; each later call of the same provider gets a new one in the same trace.
pub struct SpanObserver {
    ctx: CallContext,
    prices: Arc<PriceTable>,
    sink: Arc<dyn SpanSink>,
    calls: AtomicU64,
}

impl SpanObserver {
    pub fn new(ctx: CallContext, prices: Arc<PriceTable>, sink: Arc<dyn SpanSink>) -> SpanObserver {
        SpanObserver { ctx, prices, sink, calls: AtomicU64::new(0) }
    }
}

impl CallObserver for SpanObserver {
    fn on_call_finished(&self, call: &CallRecord) {
        let row = if self.calls.fetch_add(1, Ordering::Relaxed) == 0 {
            span_for_call(&self.ctx, call, &self.prices)
        } else {
            let ctx = CallContext { span_id: new_span_id(), ..self.ctx.clone() };
            span_for_call(&ctx, call, &self.prices)
        };
        let sink = self.sink.clone();
        let project_id = self.ctx.project_id.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(span_id = %row.span_id, "no runtime to write the LLM call span on");
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = sink.write(&project_id, vec![row]).await {
                tracing::warn!(error = %e, %project_id, "LLM call span not written");
            }
        });
    }

    fn wants_payloads(&self) -> bool {
        true
    }
}

/// Refuse a call whose span would pass the project's `traces_per_month` quota (each call is one
/// trace). Reads the store (no cache): the playground's calls are few and slow anyway.
pub async fn check_quota(primary: &dyn PrimaryStore, analytics: &dyn AnalyticsStore, project_id: &ProjectId) -> ServiceResult<()> {
    QuotaGate::new(Duration::ZERO).check(primary, analytics, project_id, 1).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm::{CallPayload, LlmErrorKind};
    use otlp::pricing::ModelPrice;
    use std::{sync::Mutex, time::SystemTime};

    fn prices() -> PriceTable {
        let mut t = PriceTable::default();
        t.set("gpt-4o-mini", ModelPrice { input_per_million_micros: 150_000, output_per_million_micros: 600_000 });
        t
    }

    fn record(outcome: CallOutcome) -> CallRecord {
        CallRecord {
            vendor: Vendor::OpenAi,
            operation: Operation::ChatStream,
            model: "gpt-4o-mini".into(),
            usage: Some(Usage { input_tokens: 1_000, output_tokens: 2_000 }),
            finish_reason: Some(FinishReason::Stop),
            latency: Duration::from_millis(1_500),
            outcome,
            started_at: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            error: None,
            payload: Some(CallPayload {
                messages: vec![Message::system("Be brief."), Message::user("Hi")],
                temperature: Some(0.7),
                max_tokens: Some(256),
                output: "Hello!".into(),
                ..CallPayload::default()
            }),
        }
    }

    fn ctx() -> CallContext {
        CallContext {
            user_id: Some("u1".into()),
            session_id: Some("s1".into()),
            ..CallContext::new(&ProjectId::authorised("p1"), "playground")
        }
    }

    fn attrs(row: &SpanRow) -> Value {
        serde_json::from_str(&row.attributes).unwrap()
    }

    #[test]
    fn a_finished_call_is_a_priced_genai_span() {
        let row = span_for_call(&ctx(), &record(CallOutcome::Ok), &prices());
        assert!(row.check_storable().is_ok());
        assert_eq!(row.name, "chat gpt-4o-mini");
        assert_eq!((row.kind, row.status_code, row.parent_span_id.as_deref()), (SpanKind::Client, StatusCode::Ok, None));
        assert_eq!(row.start_time_unix_nano, 1_700_000_000 * 1_000_000_000);
        assert_eq!(row.duration_ns, 1_500_000_000);
        assert_eq!((row.input_tokens, row.output_tokens, row.total_tokens), (Some(1_000), Some(2_000), Some(3_000)));
        // 1000 × $0.15/M + 2000 × $0.60/M = $0.00135
        assert_eq!(row.cost_micros, Some(1_350));
        assert_eq!(
            (row.model.as_deref(), row.provider.as_deref(), row.operation.as_deref()),
            (Some("gpt-4o-mini"), Some("openai"), Some("chat"))
        );
        assert_eq!((row.user_id.as_deref(), row.session_id.as_deref()), (Some("u1"), Some("s1")));
        assert_eq!(row.tags, vec!["playground".to_owned()]);
        assert_eq!(row.input.as_deref(), Some(r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]"#));
        assert_eq!(row.output.as_deref(), Some(r#"{"role":"assistant","content":"Hello!"}"#));
        let a = attrs(&row);
        assert_eq!(a["gen_ai.system"], "openai");
        assert_eq!(a["gen_ai.request.model"], "gpt-4o-mini");
        assert_eq!(a["gen_ai.usage.input_tokens"], 1_000);
        assert_eq!(a["gen_ai.usage.output_tokens"], 2_000);
        assert_eq!(a["gen_ai.response.finish_reasons"], json!(["stop"]));
        assert_eq!(a["gen_ai.request.temperature"], json!(0.7));
        assert_eq!(a["gen_ai.request.max_tokens"], 256);
        assert_eq!(a[ORIGIN_ATTRIBUTE], "playground");
    }

    #[test]
    fn failures_carry_the_message_and_cancellations_are_not_errors() {
        let mut failed = record(CallOutcome::Failed(LlmErrorKind::InvalidKey));
        failed.error = Some("the API key was rejected: bad key".into());
        failed.usage = None;
        failed.payload.as_mut().unwrap().output.clear();
        let row = span_for_call(&ctx(), &failed, &prices());
        assert_eq!((row.status_code, row.status_message.as_str()), (StatusCode::Error, "the API key was rejected: bad key"));
        assert_eq!(attrs(&row)["error.type"], "invalid_key");
        assert_eq!((row.cost_micros, row.output.as_deref()), (None, None));

        let row = span_for_call(&ctx(), &record(CallOutcome::Cancelled), &prices());
        assert_eq!(row.status_code, StatusCode::Unset);
        assert_eq!(attrs(&row)["elasticdash.cancelled"], true);
        assert_eq!(row.output.as_deref(), Some(r#"{"role":"assistant","content":"Hello!"}"#), "what arrived before the stop");
    }

    #[test]
    fn unpriced_models_have_no_cost_and_long_payloads_are_marked_for_offload() {
        let mut call = record(CallOutcome::Ok);
        call.model = "my-local-llama".into();
        let mut small = ctx();
        small.max_inline_bytes = 10;
        let row = span_for_call(&small, &call, &prices());
        assert_eq!(row.cost_micros, None);
        assert!(row.input_oversize && row.output_oversize);
        assert!(!span_for_call(&ctx(), &call, &prices()).input_oversize);
    }

    #[test]
    fn each_context_is_a_new_trace() {
        let (a, b) =
            (CallContext::new(&ProjectId::authorised("p"), "playground"), CallContext::new(&ProjectId::authorised("p"), "playground"));
        assert_ne!(a.trace_id, b.trace_id);
        let row = span_for_call(&a, &record(CallOutcome::Ok), &prices());
        assert!(row.check_storable().is_ok(), "{:?}", row.check_storable());
    }

    struct Collect(Mutex<Vec<(String, SpanRow)>>);

    #[async_trait]
    impl SpanSink for Collect {
        async fn write(&self, project_id: &ProjectId, rows: Vec<SpanRow>) -> ServiceResult<()> {
            self.0.lock().unwrap().extend(rows.into_iter().map(|r| (project_id.to_string(), r)));
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_observer_writes_one_span_per_call_to_the_sink() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        let observer = SpanObserver::new(ctx(), Arc::new(prices()), sink.clone());
        assert!(observer.wants_payloads());
        let mut call = record(CallOutcome::Ok);
        call.started_at = SystemTime::now();
        observer.on_call_finished(&call);
        for _ in 0..100 {
            if !sink.0.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let written = sink.0.lock().unwrap().clone();
        assert_eq!(written.len(), 1);
        assert_eq!((written[0].0.as_str(), written[0].1.span_id.as_str()), ("p1", ctx_span(&observer)));
    }

    #[tokio::test]
    async fn later_calls_of_one_provider_are_new_spans_of_the_same_trace() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        let observer = SpanObserver::new(ctx(), Arc::new(prices()), sink.clone());
        for _ in 0..3 {
            observer.on_call_finished(&record(CallOutcome::Ok));
        }
        for _ in 0..100 {
            if sink.0.lock().unwrap().len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let written = sink.0.lock().unwrap().clone();
        let spans: std::collections::HashSet<&str> = written.iter().map(|(_, r)| r.span_id.as_str()).collect();
        assert_eq!(spans.len(), 3, "one span id per call");
        assert!(spans.contains(ctx_span(&observer)));
        assert!(written.iter().all(|(_, r)| r.trace_id == observer.ctx.trace_id));
    }

    fn ctx_span(o: &SpanObserver) -> &str {
        &o.ctx.span_id
    }
}
