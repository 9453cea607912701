//! The LLM provider layer: one port ([`LlmProvider`]) and adapters that speak each vendor's
//! documented HTTP API with reqwest — OpenAI, Anthropic, Google Gemini, xAI and any
//! OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM Studio).
//!
//! ```no_run
//! # async fn demo() -> Result<(), llm::LlmError> {
//! use std::sync::Arc;
//! use llm::{build_provider, ApiKey, ChatRequest, Message, NoopObserver, ProviderConfig, Vendor};
//!
//! let config = ProviderConfig::new(Vendor::OpenAi, Some(ApiKey::new("sk-...")));
//! let provider = build_provider(&config, Arc::new(NoopObserver))?;
//! let reply = provider.chat(&ChatRequest::new("gpt-4o-mini", vec![Message::user("Hi")])).await?;
//! println!("{} ({:?})", reply.content, reply.usage);
//! # Ok(()) }
//! ```

mod accumulate;
mod anthropic;
mod config;
mod error;
mod gemini;
mod observe;
mod openai;
mod provider;
mod retry;
mod secret;
pub mod sse;
mod stream_decode;
mod transport;
mod turns;
mod types;
mod vendor_error;

pub use accumulate::StreamedReply;
pub use anthropic::{Anthropic, API_VERSION as ANTHROPIC_VERSION};
pub use config::{build_provider, ProviderConfig};
pub use error::{LlmError, LlmErrorKind};
pub use gemini::Gemini;
pub use observe::{CallObserver, CallOutcome, CallPayload, CallRecord, NoopObserver, Observed, Operation};
pub use openai::OpenAi;
pub use provider::{ChatStream, LlmProvider};
pub use retry::RetryPolicy;
pub use secret::ApiKey;
pub use types::*;
