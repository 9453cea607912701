//! The HTTP client every adapter shares: JSON POSTs with a per-request timeout, bounded retries
//! and vendor error mapping. Dropping any future or stream from here drops the reqwest request,
//! which closes the connection: that is how cancellation reaches the vendor.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;
use serde::de::DeserializeOwned;

use crate::error::LlmError;
use crate::retry::{parse_retry_after, RetryPolicy};

/// Turns a vendor's error response (status, body, parsed `Retry-After`) into an [`LlmError`].
pub(crate) type ErrorMapper = fn(u16, &str, Option<Duration>) -> LlmError;

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    map_error: ErrorMapper,
}

impl Transport {
    pub(crate) fn new(client: reqwest::Client, timeout: Duration, retry: RetryPolicy, map_error: ErrorMapper) -> Self {
        Transport { client, timeout, retry, map_error }
    }

    /// POSTs a JSON body and decodes the JSON answer. The timeout covers each whole attempt.
    pub(crate) async fn post_json<T: DeserializeOwned>(&self, url: &Url, headers: &HeaderMap, body: Bytes) -> Result<T, LlmError> {
        let bytes = self
            .with_retries(|| async {
                let exchange = async { self.send(url, headers, body.clone()).await?.bytes().await.map_err(|e| self.request_error(e)) };
                tokio::time::timeout(self.timeout, exchange).await.map_err(|_| self.timed_out())?
            })
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| LlmError::bad_response(format!("{e} in {}", excerpt(&String::from_utf8_lossy(&bytes)))))
    }

    /// POSTs a JSON body and streams the answer. A stream may rightly last minutes: the timeout
    /// bounds the wait for the headers, then each gap between chunks.
    pub(crate) async fn post_stream(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<BoxStream<'static, Result<Bytes, LlmError>>, LlmError> {
        let response = self
            .with_retries(|| async {
                tokio::time::timeout(self.timeout, self.send(url, headers, body.clone())).await.map_err(|_| self.timed_out())?
            })
            .await?;
        Ok(self.body_stream(response))
    }

    /// Retries rate limits, 5xx and connection errors with backoff, up to the policy's bound.
    async fn with_retries<T, F, Fut>(&self, attempt: F) -> Result<T, LlmError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, LlmError>>,
    {
        let mut retry = 0;
        loop {
            let error = match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            retry += 1;
            let retry_after = match &error {
                LlmError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
            let delay = if error.is_retryable() { self.retry.delay(retry, retry_after) } else { None };
            let Some(delay) = delay else { return Err(error) };
            tracing::debug!(attempt = retry, delay_ms = delay.as_millis() as u64, error = %error, "retrying LLM request");
            tokio::time::sleep(delay).await;
        }
    }

    /// One POST; a non-2xx answer becomes the vendor's mapped error.
    async fn send(&self, url: &Url, headers: &HeaderMap, body: Bytes) -> Result<reqwest::Response, LlmError> {
        let request = self
            .client
            .post(url.clone())
            .headers(headers.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body);
        let response = request.send().await.map_err(|e| self.request_error(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after =
            response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response.bytes().await.unwrap_or_default();
        Err((self.map_error)(status.as_u16(), &String::from_utf8_lossy(&body), retry_after))
    }

    /// The body as a stream of chunks; a gap longer than the timeout ends it with `Timeout`.
    fn body_stream(&self, response: reqwest::Response) -> BoxStream<'static, Result<Bytes, LlmError>> {
        let this = self.clone();
        let body = response.bytes_stream().boxed();
        stream::unfold((body, this, false), |(mut body, this, failed)| async move {
            if failed {
                return None;
            }
            match tokio::time::timeout(this.timeout, body.next()).await {
                Err(_) => Some((Err(this.timed_out()), (body, this, true))),
                Ok(None) => None,
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), (body, this, false))),
                Ok(Some(Err(e))) => Some((Err(this.request_error(e)), (body, this, true))),
            }
        })
        .boxed()
    }

    fn timed_out(&self) -> LlmError {
        LlmError::Timeout { after: self.timeout }
    }

    fn request_error(&self, error: reqwest::Error) -> LlmError {
        if error.is_timeout() {
            return self.timed_out();
        }
        // The URL never holds a key (every vendor here takes it in a header), so the message may show it.
        LlmError::Unavailable { message: error_chain(&error) }
    }
}

/// reqwest's top-level message ("error sending request") hides the cause; show the chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// At most 300 characters of a body, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Parsed once where possible: adapters build their endpoint URLs when they are created.
pub(crate) fn endpoint(url: &str) -> Result<Url, LlmError> {
    Url::parse(url).map_err(|e| LlmError::InvalidRequest { message: format!("invalid endpoint URL {url}: {e}") })
}

/// A header value that reqwest and hyper keep out of their `Debug` output.
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, LlmError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| LlmError::InvalidKey { message: "the API key holds characters not allowed in a header".into() })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Serialises a request body once, so retries resend the same bytes.
pub(crate) fn to_body(value: &impl serde::Serialize) -> Bytes {
    // Request bodies are string-keyed structs and JSON values: serialising them cannot fail.
    Bytes::from(serde_json::to_vec(value).expect("request bodies always serialise"))
}
