//! [`AppServices`]: everything a use case needs, in one value. Axum handlers get it in their
//! state, Leptos server functions through context, the worker's jobs at start-up: each caller
//! parses its input, calls one use case with it, and maps the result.

use crate::{
    api_keys::KeyCache,
    kb::search::IndexCache,
    llm_calls::SpanSink,
    llm_gateway::LlmGateway,
    ports::{Mailer, SessionDirectory},
    prices::PriceCache,
    provider_keys::KeyCipher,
    Stores,
};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppServices {
    pub stores: Stores,
    /// Encrypts and decrypts stored provider keys and secret headers.
    pub cipher: Arc<KeyCipher>,
    /// The model prices spans are costed with (admin edits invalidate it).
    pub prices: Arc<PriceCache>,
    /// Every call to a language model.
    pub llm: Arc<dyn LlmGateway>,
    /// Where spans the platform writes about itself go (the ingest path).
    pub spans: Arc<dyn SpanSink>,
    pub mailer: Arc<dyn Mailer>,
    /// People's signed-in sessions.
    pub sessions: Arc<dyn SessionDirectory>,
    /// Verified API keys, briefly (revocation invalidates it).
    pub api_keys: Arc<KeyCache>,
    /// Knowledge-base indexes this server has loaded from the blob store.
    pub kb_indexes: Arc<IndexCache>,
}
