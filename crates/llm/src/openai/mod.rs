//! OpenAI chat completions and embeddings, also spoken by xAI and by OpenAI-compatible servers
//! (Ollama, vLLM, llama.cpp server, LM Studio), which differ only in base URL and vendor name.

mod error;
mod request;
mod response;

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, AUTHORIZATION};
use serde_json::json;

use crate::config::ProviderConfig;
use crate::error::LlmError;
use crate::provider::{ChatStream, LlmProvider};
use crate::sse;
use crate::stream_decode::decode;
use crate::transport::{endpoint, secret_header, to_body, Transport};
use crate::types::*;
use crate::vendor_error::map_error;
use request::ChatBody;
use reqwest::Url;
use response::{ChunkDecoder, Completion, EmbeddingList};

pub struct OpenAi {
    vendor: Vendor,
    chat_url: Url,
    embeddings_url: Url,
    headers: HeaderMap,
    transport: Transport,
}

impl OpenAi {
    pub fn new(config: &ProviderConfig) -> Result<Self, LlmError> {
        let (default_url, key) = match config.vendor {
            Vendor::OpenAi => ("https://api.openai.com/v1", Some(config.required_key()?)),
            Vendor::Xai => ("https://api.x.ai/v1", Some(config.required_key()?)),
            Vendor::OpenAiCompatible => ("", config.api_key.as_ref()),
            other => return Err(LlmError::unsupported(format!("{other} does not speak OpenAI's API"))),
        };
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            headers.insert(AUTHORIZATION, secret_header(&format!("Bearer {}", key.expose()))?);
        }
        let base_url = config.base_url_or(default_url)?;
        Ok(OpenAi {
            vendor: config.vendor,
            chat_url: endpoint(&format!("{base_url}/chat/completions"))?,
            embeddings_url: endpoint(&format!("{base_url}/embeddings"))?,
            headers,
            transport: Transport::new(config.http_client()?, config.timeout, config.retry.clone(), map_error::<error::WireError>),
        })
    }
}

#[async_trait]
impl LlmProvider for OpenAi {
    fn vendor(&self) -> Vendor {
        self.vendor
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        let completion: Completion =
            self.transport.post_json(&self.chat_url, &self.headers, to_body(&ChatBody::new(self.vendor, request, false))).await?;
        completion.into_response(started.elapsed().as_millis() as u64)
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = self.transport.post_stream(&self.chat_url, &self.headers, to_body(&ChatBody::new(self.vendor, request, true))).await?;
        Ok(decode(sse::events(body), ChunkDecoder::default()))
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<EmbedResponse, LlmError> {
        let started = Instant::now();
        let mut body = json!({"model": request.model, "input": request.inputs, "encoding_format": "float"});
        if let Some(dimensions) = request.dimensions {
            body["dimensions"] = json!(dimensions);
        }
        let list: EmbeddingList = self.transport.post_json(&self.embeddings_url, &self.headers, to_body(&body)).await?;
        Ok(list.into_response(started.elapsed().as_millis() as u64))
    }
}
