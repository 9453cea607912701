//! The observability hook. The platform implements [`CallObserver`] to emit GenAI spans into its
//! own traces and to record usage against plan quotas; [`Observed`] calls it once per call,
//! whatever the adapter, including calls that fail or are cancelled.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::{LlmError, LlmErrorKind};
use crate::provider::{ChatStream, LlmProvider};
use crate::types::{ChatEvent, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, FinishReason, Usage, Vendor};

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
}

pub trait CallObserver: Send + Sync {
    /// Called exactly once per call, when it ends. Keep it quick: it runs on the caller's task.
    fn on_call_finished(&self, call: &CallRecord);
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

    fn start(&self, operation: Operation, model: &str) -> CallGuard {
        CallGuard {
            observer: self.observer.clone(),
            record: Some(CallRecord {
                vendor: self.inner.vendor(),
                operation,
                model: model.to_owned(),
                usage: None,
                finish_reason: None,
                latency: Duration::ZERO,
                outcome: CallOutcome::Cancelled,
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
        let mut call = self.start(Operation::Chat, &request.model);
        let result = self.inner.chat(request).await;
        if let Ok(response) = &result {
            call.saw(response.usage, Some(response.finish.reason));
        }
        call.finish(result.as_ref().err());
        result
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let call = self.start(Operation::ChatStream, &request.model);
        match self.inner.chat_stream(request).await {
            Ok(inner) => Ok(Box::pin(ObservedStream { inner, call })),
            Err(error) => {
                call.finish(Some(&error));
                Err(error)
            }
        }
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<EmbedResponse, LlmError> {
        let mut call = self.start(Operation::Embeddings, &request.model);
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
    started: Instant,
}

impl CallGuard {
    fn saw(&mut self, usage: Option<Usage>, finish_reason: Option<FinishReason>) {
        if let Some(record) = &mut self.record {
            record.usage = usage.or(record.usage);
            record.finish_reason = finish_reason.or(record.finish_reason);
        }
    }

    fn finish(mut self, error: Option<&LlmError>) {
        self.report(error.map_or(CallOutcome::Ok, |e| CallOutcome::Failed(e.kind())));
    }

    fn report(&mut self, outcome: CallOutcome) {
        if let Some(mut record) = self.record.take() {
            record.latency = self.started.elapsed();
            record.outcome = outcome;
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
            Poll::Ready(Some(Ok(ChatEvent::Finished { finish, usage }))) => {
                self.call.saw(*usage, Some(finish.reason));
                self.call.report(CallOutcome::Ok);
            }
            Poll::Ready(Some(Err(error))) => self.call.report(CallOutcome::Failed(error.kind())),
            _ => {}
        }
        item
    }
}
