//! The one way use cases reach a language model: [`LlmGateway`].
//!
//! Every call the platform makes for a project (playground turns, AI test generation, model
//! targets of test runs, the same-meaning judge) goes through the same steps: find the stored
//! key (the one named, else the project's own, else a global default), check the project's
//! trace quota (each call becomes a span), attach the span observer that writes the call into
//! the project's traces, build the vendor client. [`ProviderGateway`] does that with the real
//! vendors; tests may plug any `LlmProvider` in through the port.

use crate::ports::ProjectId;
use crate::{
    llm_calls::{self, CallContext, SpanObserver, SpanSink},
    ports::{PrimaryStore, ProviderKeyRecord},
    prices::PriceCache,
    provider_keys::{self, KeyCipher, ProviderKeyView},
    ServiceError, ServiceResult, Stores,
};
use async_trait::async_trait;
use llm::{ApiKey, LlmProvider, ProviderConfig};
use otlp::PriceTable;
use std::{sync::Arc, time::Duration};

/// Which stored key a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChoice<'a> {
    /// This key (the project's own or a global default), refused as not found otherwise.
    Id(&'a str),
    /// The project's first key, else the first global default.
    ProjectDefault,
}

/// One connection's purpose: for which project, with which key, and how its spans are labelled.
#[derive(Debug, Clone)]
pub struct LlmUse<'a> {
    /// An authorised project's id: callers check access before they connect.
    pub project_id: &'a ProjectId,
    pub key: KeyChoice<'a>,
    /// What makes the calls (`playground`, `test_run`, ...): a tag and an attribute of the spans.
    pub origin: &'static str,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// The trace the calls join; a new trace when `None`.
    pub trace_id: Option<String>,
    /// Longest wait for one answer; the vendor client's default when `None`.
    pub timeout: Option<Duration>,
}

impl<'a> LlmUse<'a> {
    pub fn new(project_id: &'a ProjectId, key: KeyChoice<'a>, origin: &'static str) -> Self {
        LlmUse { project_id, key, origin, user_id: None, session_id: None, trace_id: None, timeout: None }
    }
}

/// A provider ready to call, with what the caller shows about it.
pub struct Connection {
    pub provider: Arc<dyn LlmProvider>,
    /// The key used (never its secret).
    pub key: ProviderKeyView,
    /// The trace the calls' spans are written to (link it before they are written).
    pub trace_id: String,
    /// The prices the spans are costed with (callers show the cost of a reply with them).
    pub prices: Arc<PriceTable>,
}

impl Connection {
    /// The model to ask: the caller's choice, else the key's default; refused when neither names one.
    pub fn model(&self, chosen: &str) -> ServiceResult<String> {
        match chosen.trim() {
            "" if self.key.default_model.trim().is_empty() => {
                Err(ServiceError::Invalid(format!("choose a model: the provider key “{}” has no default model", self.key.name)))
            }
            "" => Ok(self.key.default_model.trim().to_owned()),
            m => Ok(m.to_owned()),
        }
    }
}

#[async_trait]
pub trait LlmGateway: Send + Sync {
    /// Errors: `NotFound("provider key")` for a named key the project cannot use, `Invalid` when
    /// there is no key or it cannot be used (with the reason), `QuotaExceeded`, store errors.
    async fn connect(&self, what: LlmUse<'_>) -> ServiceResult<Connection>;
}

/// The gateway to the real vendors, writing each call's span through `sink` (the ingest path).
pub struct ProviderGateway {
    stores: Stores,
    cipher: Arc<KeyCipher>,
    prices: Arc<PriceCache>,
    sink: Arc<dyn SpanSink>,
    /// Inputs and outputs longer than this go to the blob store (the ingest limit).
    max_inline_bytes: usize,
}

impl ProviderGateway {
    pub fn new(stores: Stores, cipher: Arc<KeyCipher>, prices: Arc<PriceCache>, sink: Arc<dyn SpanSink>, max_inline_bytes: usize) -> Self {
        ProviderGateway { stores, cipher, prices, sink, max_inline_bytes }
    }

    async fn prices(&self) -> Arc<PriceTable> {
        self.prices.table(self.stores.primary.as_ref()).await.unwrap_or_else(|e| {
            // A call without a cost beats no call: its span is written without one.
            tracing::warn!(error = %e, "price table unavailable; LLM calls are not costed");
            Arc::new(PriceTable::default())
        })
    }
}

#[async_trait]
impl LlmGateway for ProviderGateway {
    async fn connect(&self, what: LlmUse<'_>) -> ServiceResult<Connection> {
        let ResolvedKey { key, mut config } = resolve_key(self.stores.primary.as_ref(), &self.cipher, what.project_id, what.key).await?;
        if let Some(t) = what.timeout {
            config.timeout = t;
        }
        llm_calls::check_quota(self.stores.primary.as_ref(), self.stores.analytics.as_ref(), what.project_id).await?;
        let prices = self.prices().await;
        let mut span = CallContext {
            user_id: what.user_id,
            session_id: what.session_id,
            provider_key_id: Some(key.id.clone()),
            max_inline_bytes: self.max_inline_bytes,
            ..CallContext::new(what.project_id, what.origin)
        };
        if let Some(trace_id) = what.trace_id {
            span.trace_id = trace_id;
        }
        let trace_id = span.trace_id.clone();
        let observer = Arc::new(SpanObserver::new(span, prices.clone(), self.sink.clone()));
        let provider = llm::build_provider(&config, observer)
            .map_err(|e| ServiceError::Invalid(format!("the provider key “{}” cannot be used: {e}", key.name)))?;
        Ok(Connection { provider, key, trace_id, prices })
    }
}

/// A stored key the project may use, decrypted.
pub struct ResolvedKey {
    pub key: ProviderKeyView,
    pub config: ProviderConfig,
}

/// The key `choice` names for `project_id` (an authorised project), decrypted into a vendor
/// configuration. Errors as [`LlmGateway::connect`].
pub async fn resolve_key(
    store: &dyn PrimaryStore,
    cipher: &KeyCipher,
    project_id: &ProjectId,
    choice: KeyChoice<'_>,
) -> ServiceResult<ResolvedKey> {
    let record =
        match choice {
            KeyChoice::Id(id) => {
                provider_keys::usable_by_project(store, project_id, id.trim()).await?.ok_or(ServiceError::NotFound("provider key"))?
            }
            KeyChoice::ProjectDefault => match store.list_provider_keys(Some(project_id)).await?.into_iter().next() {
                Some(own) => own,
                None => store.list_provider_keys(None).await?.into_iter().next().ok_or_else(|| {
                    ServiceError::Invalid("the project has no provider key: add one under Settings → LLM providers".into())
                })?,
            },
        };
    let config = provider_config(cipher, &record)?;
    Ok(ResolvedKey { key: provider_keys::view(&record), config })
}

/// A stored key decrypted into a vendor configuration.
fn provider_config(cipher: &KeyCipher, record: &ProviderKeyRecord) -> ServiceResult<ProviderConfig> {
    let vendor = provider_keys::parse_vendor(&record.vendor).map_err(|_| {
        tracing::error!(key_id = %record.id, vendor = %record.vendor, "stored provider key has an unknown vendor");
        ServiceError::Internal
    })?;
    let api_key = match &record.key_ciphertext {
        Some(blob) => Some(ApiKey::new(cipher.decrypt(record.project_id.as_deref(), &record.id, blob).map_err(|e| {
            tracing::error!(key_id = %record.id, error = %e, "cannot decrypt a provider key");
            ServiceError::Invalid(format!(
                "the provider key “{}” cannot be decrypted with this server's master key; enter the key again",
                record.name
            ))
        })?)),
        None => None,
    };
    let mut config = ProviderConfig::new(vendor, api_key);
    config.base_url = record.base_url.clone();
    Ok(config)
}
