//! Building a provider from its settings.

use std::sync::Arc;
use std::time::Duration;

use crate::anthropic::Anthropic;
use crate::error::LlmError;
use crate::gemini::Gemini;
use crate::observe::{CallObserver, Observed};
use crate::openai::OpenAi;
use crate::provider::LlmProvider;
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;
use crate::types::Vendor;

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub vendor: Vendor,
    /// Overrides the vendor's public endpoint. OpenAI-style vendors include the version
    /// (`https://api.openai.com/v1`, `http://localhost:11434/v1`); Anthropic and Gemini do not
    /// (`https://api.anthropic.com`, `https://generativelanguage.googleapis.com`).
    pub base_url: Option<String>,
    /// Required except for OpenAI-compatible servers, which often need none.
    pub api_key: Option<ApiKey>,
    /// Per attempt: the whole request, or for streams the wait for headers and each gap between chunks.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl ProviderConfig {
    pub fn new(vendor: Vendor, api_key: Option<ApiKey>) -> Self {
        ProviderConfig { vendor, base_url: None, api_key, timeout: Duration::from_secs(60), retry: RetryPolicy::default() }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The base URL without a trailing slash, or the vendor's public endpoint.
    pub(crate) fn base_url_or(&self, default: &str) -> Result<String, LlmError> {
        match &self.base_url {
            Some(url) => Ok(url.trim_end_matches('/').to_owned()),
            None if self.vendor == Vendor::OpenAiCompatible => {
                Err(LlmError::InvalidRequest { message: "an OpenAI-compatible provider needs a base URL".into() })
            }
            None => Ok(default.to_owned()),
        }
    }

    pub(crate) fn required_key(&self) -> Result<&ApiKey, LlmError> {
        self.api_key.as_ref().ok_or_else(|| LlmError::InvalidKey { message: format!("no API key is configured for {}", self.vendor) })
    }

    pub(crate) fn http_client(&self) -> Result<reqwest::Client, LlmError> {
        reqwest::Client::builder()
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LlmError::Unavailable { message: format!("cannot build the HTTP client: {e}") })
    }
}

/// The adapter for `config.vendor`, reporting every call to `observer`.
pub fn build_provider(config: &ProviderConfig, observer: Arc<dyn CallObserver>) -> Result<Arc<dyn LlmProvider>, LlmError> {
    let adapter: Arc<dyn LlmProvider> = match config.vendor {
        Vendor::OpenAi | Vendor::Xai | Vendor::OpenAiCompatible => Arc::new(OpenAi::new(config)?),
        Vendor::Anthropic => Arc::new(Anthropic::new(config)?),
        Vendor::Gemini => Arc::new(Gemini::new(config)?),
    };
    Ok(Arc::new(Observed::new(adapter, observer)))
}
