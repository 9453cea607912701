//! The port: what the rest of the platform calls, whatever the vendor.

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::LlmError;
use crate::types::{ChatEvent, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, Vendor};

/// A streamed chat completion. `'static`: it owns its connection, so it can be handed to an SSE response.
pub type ChatStream = BoxStream<'static, Result<ChatEvent, LlmError>>;

/// A chat and embedding model vendor. Object-safe: held as `Arc<dyn LlmProvider>`.
///
/// Dropping a returned future or stream aborts the HTTP request.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    fn vendor(&self) -> Vendor;

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError>;

    /// Streams token deltas and tool-call deltas; the last item is `ChatEvent::Finished` with
    /// usage and finish reason. Errors before the first byte come back as `Err` here; later
    /// ones as an `Err` item that ends the stream.
    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError>;

    /// `LlmError::Unsupported` where the vendor has no embeddings API.
    async fn embed(&self, request: &EmbedRequest) -> Result<EmbedResponse, LlmError>;
}
