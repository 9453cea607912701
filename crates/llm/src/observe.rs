//! The observability hook. The platform implements [`CallObserver`] to emit GenAI spans into its
//! own traces and to record usage against plan quotas; [`Observed`] calls it once per call,
//! whatever the adapter, including calls that fail or are cancelled.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::accumulate::StreamedReply;
use crate::error::{LlmError, LlmErrorKind};
use crate::provider::{ChatStream, LlmProvider};
use crate::types::{ChatEvent, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishReason, Message, ToolCall, Usage, Vendor};

/// `gen_ai.operation.name`, with streaming told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Chat,
    ChatStream,
    Embeddings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "error", rename_all = "snake_case")]
pub enum CallOutcome {
    Ok,
    Failed(LlmErrorKind),
    /// The caller dropped the future or stream before the end.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub vendor: Vendor,
    pub operation: Operation,
    /// The requested model.
    pub model: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<FinishReason>,
    pub latency: Duration,
    pub outcome: CallOutcome,
    /// Wall-clock start of the call (for spans; `latency` is measured on a monotonic clock).
    pub started_at: SystemTime,
    /// The error's message when the call failed: the vendor's explanation, never the key.
    pub error: Option<String>,
    /// What was asked and answered, only for observers that ask ([`CallObserver::wants_payloads`]):
    /// copying the messages costs the other callers nothing then.
    pub payload: Option<CallPayload>,
}

/// The text of a chat call, for observers that record it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallPayload {
    pub messages: Vec<Message>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    /// The reply's text: all of it, or what had arrived when a stream failed or was dropped.
    pub output: String,
    pub tool_calls: Vec<ToolCall>,
    /// The model that answered as the vendor names it (calls without streaming).
    pub response_model: Option<String>,
}

pub trait CallObserver: Send + Sync {
    /// Called exactly once per call, when it ends. Keep it quick: it runs on the caller's task
    /// (or in a `Drop` when the caller cancels), so hand slow work to a task.
    fn on_call_finished(&self, call: &CallRecord);

    /// Whether [`CallRecord::payload`] should carry the messages and the reply.
    fn wants_payloads(&self) -> bool {
        false
    }
}

/// The default observer: does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl CallObserver for NoopObserver {
    fn on_call_finished(&self, _call: &CallRecord) {}
}

/// Wraps any provider so every call reports to an observer.
pub struct Observed {
    inner: Arc<dyn LlmProvider>,
    observer: Arc<dyn CallObserver>,
}

impl Observed {
    pub fn new(inner: Arc<dyn LlmProvider>, observer: Arc<dyn CallObserver>) -> Self {
        Observed { inner, observer }
    }

    fn start(&self, operation: Operation, model: &str, chat: Option<&ChatRequest>) -> CallGuard {
        let payload = chat.filter(|_| self.observer.wants_payloads()).map(|request| CallPayload {
            messages: request.messages.clone(),
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            ..CallPayload::default()
        });
        CallGuard {
            observer: self.observer.clone(),
            streamed: (payload.is_some() && operation == Operation::ChatStream).then(StreamedReply::default),
            record: Some(CallRecord {
                vendor: self.inner.vendor(),
                operation,
                model: model.to_owned(),
                usage: None,
                finish_reason: None,
                latency: Duration::ZERO,
                outcome: CallOutcome::Cancelled,
                started_at: SystemTime::now(),
                error: None,
                payload,
            }),
            started: Instant::now(),
        }
    }
}

#[async_trait]
impl LlmProvider for Observed {
    fn vendor(&self) -> Vendor {
        self.inner.vendor()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let mut call = self.start(Operation::Chat, &request.model, Some(request));
        let result = self.inner.chat(request).await;
        if let Ok(response) = &result {
            call.saw(response.usage, Some(response.finish.reason));
            call.answered(response);
        }
        call.finish(result.as_ref().err());
        result
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let call = self.start(Operation::ChatStream, &request.model, Some(request));
        match self.inner.chat_stream(request).await {
            Ok(inner) => Ok(Box::pin(ObservedStream { inner, call })),
            Err(error) => {
                call.finish(Some(&error));
                Err(error)
            }
        }
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<EmbedResponse, LlmError> {
        let mut call = self.start(Operation::Embeddings, &request.model, None);
        let result = self.inner.embed(request).await;
        if let Ok(response) = &result {
            call.saw(response.usage, None);
        }
        call.finish(result.as_ref().err());
        result
    }
}

/// Reports `Cancelled` if dropped before [`CallGuard::finish`].
struct CallGuard {
    observer: Arc<dyn CallObserver>,
    record: Option<CallRecord>,
    /// The streamed reply so far, when the observer wants payloads.
    streamed: Option<StreamedReply>,
    started: Instant,
}

impl CallGuard {
    fn answered(&mut self, response: &ChatResponse) {
        if let Some(payload) = self.record.as_mut().and_then(|r| r.payload.as_mut()) {
            payload.output.clone_from(&response.content);
            payload.tool_calls.clone_from(&response.tool_calls);
            payload.response_model = Some(response.model.clone());
        }
    }

    fn streamed(&mut self, event: &ChatEvent) {
        if let Some(reply) = &mut self.streamed {
            reply.apply(event);
        }
    }

    fn saw(&mut self, usage: Option<Usage>, finish_reason: Option<FinishReason>) {
        if let Some(record) = &mut self.record {
            record.usage = usage.or(record.usage);
            record.finish_reason = finish_reason.or(record.finish_reason);
        }
    }

    fn finish(mut self, error: Option<&LlmError>) {
        match error {
            Some(e) => self.failed(e),
            None => self.report(CallOutcome::Ok),
        }
    }

    fn failed(&mut self, error: &LlmError) {
        if let Some(record) = &mut self.record {
            record.error = Some(error.to_string());
        }
        self.report(CallOutcome::Failed(error.kind()));
    }

    fn report(&mut self, outcome: CallOutcome) {
        if let Some(mut record) = self.record.take() {
            record.latency = self.started.elapsed();
            record.outcome = outcome;
            if let (Some(payload), Some(reply)) = (&mut record.payload, self.streamed.take()) {
                payload.output = reply.content;
                payload.tool_calls = reply.tool_calls;
            }
            self.observer.on_call_finished(&record);
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.report(CallOutcome::Cancelled);
    }
}

struct ObservedStream {
    inner: ChatStream,
    call: CallGuard,
}

impl Stream for ObservedStream {
    type Item = Result<ChatEvent, LlmError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = self.inner.as_mut().poll_next(cx);
        match &item {
            Poll::Ready(Some(Ok(event))) => {
                self.call.streamed(event);
                if let ChatEvent::Finished { finish, usage } = event {
                    self.call.saw(*usage, Some(finish.reason));
                    self.call.report(CallOutcome::Ok);
                }
            }
            Poll::Ready(Some(Err(error))) => self.call.failed(error),
            _ => {}
        }
        item
    }
}
