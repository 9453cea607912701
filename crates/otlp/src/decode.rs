//! Wire layer: media type and content encoding negotiation, bounded gzip, protobuf decoding.
//! OTLP/JSON is delegated to `json`; both end as the generated protobuf types.

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;

use crate::validate::Rejections;
use crate::Limits;

/// The two encodings OTLP/HTTP defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PayloadFormat {
    /// `application/x-protobuf`
    Protobuf,
    /// `application/json`
    Json,
}

impl PayloadFormat {
    /// The media type to answer with.
    pub fn content_type(self) -> &'static str {
        match self {
            PayloadFormat::Protobuf => "application/x-protobuf",
            PayloadFormat::Json => "application/json",
        }
    }
}

/// Why a whole request is refused. Per-span problems never end up here (see [`Rejections`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unsupported content type {0:?}: expected application/x-protobuf or application/json")]
    UnsupportedMediaType(String),
    #[error("unsupported content encoding {0:?}: expected gzip or identity")]
    UnsupportedEncoding(String),
    #[error("request body exceeds {limit} bytes after decompression")]
    TooLarge { limit: usize },
    #[error("request has {count} spans, more than the limit of {limit}; split the batch")]
    TooManySpans { count: usize, limit: usize },
    #[error("malformed request: {0}")]
    Malformed(String),
}

impl DecodeError {
    /// The HTTP status OTLP/HTTP prescribes for this error.
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::UnsupportedMediaType(_) | DecodeError::UnsupportedEncoding(_) => 415,
            DecodeError::TooLarge { .. } | DecodeError::TooManySpans { .. } => 413,
            DecodeError::Malformed(_) => 400,
        }
    }
}

/// A request decoded into the protobuf model, before mapping. `rejections` holds spans the JSON
/// reader already had to drop (for example a non-hex id, which has no protobuf representation).
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub format: PayloadFormat,
    pub request: ExportTraceServiceRequest,
    pub rejections: Rejections,
}

/// Bytes → protobuf model, enforcing the request-level limits.
pub fn decode_request(body: &[u8], content_type: &str, content_encoding: Option<&str>, limits: &Limits) -> Result<RawRequest, DecodeError> {
    let format = media_type(content_type)?;
    let body = decompress(body, content_encoding, limits.max_body_bytes)?;
    let mut rejections = Rejections::default();
    let request = match format {
        PayloadFormat::Protobuf => ExportTraceServiceRequest::decode(body.as_ref())
            .map_err(|e| DecodeError::Malformed(format!("invalid protobuf: {}", clip_middle(&e.to_string(), 240))))?,
        PayloadFormat::Json => crate::json::parse(&body, &mut rejections)?,
    };
    let count = span_count(&request) + rejections.count as usize;
    if count > limits.max_spans {
        return Err(DecodeError::TooManySpans { count, limit: limits.max_spans });
    }
    Ok(RawRequest { format, request, rejections })
}

/// prost's message lists the whole field path, which for deep nesting runs to kilobytes; the
/// client gets its start and end.
fn clip_middle(message: &str, max_chars: usize) -> Cow<'_, str> {
    let len = message.chars().count();
    if len <= max_chars {
        return Cow::Borrowed(message);
    }
    let head: String = message.chars().take(max_chars / 2).collect();
    let tail: String = message.chars().skip(len - max_chars / 2).collect();
    Cow::Owned(format!("{head} … {tail}"))
}

fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum()
}

/// Parameters (`; charset=utf-8`) and case are ignored, as HTTP allows.
fn media_type(content_type: &str) -> Result<PayloadFormat, DecodeError> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-protobuf") || essence.eq_ignore_ascii_case("application/protobuf") {
        Ok(PayloadFormat::Protobuf)
    } else if essence.eq_ignore_ascii_case("application/json") {
        Ok(PayloadFormat::Json)
    } else {
        Err(DecodeError::UnsupportedMediaType(content_type.chars().take(100).collect()))
    }
}

/// Reads at most `limit + 1` decompressed bytes, so a gzip bomb costs `limit` bytes of memory.
fn decompress<'a>(body: &'a [u8], content_encoding: Option<&str>, limit: usize) -> Result<Cow<'a, [u8]>, DecodeError> {
    let encoding = content_encoding.map(str::trim).unwrap_or("");
    if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
        if body.len() > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(Cow::Borrowed(body));
    }
    if !(encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip")) {
        return Err(DecodeError::UnsupportedEncoding(encoding.chars().take(100).collect()));
    }
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Malformed(format!("invalid gzip body: {e}")))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(Cow::Owned(out))
}

pub(crate) fn encode_response(format: PayloadFormat, rejected_spans: u64, error_message: Option<&str>) -> Vec<u8> {
    let partial = (rejected_spans > 0 || error_message.is_some()).then(|| ExportTracePartialSuccess {
        rejected_spans: rejected_spans.min(i64::MAX as u64) as i64,
        error_message: error_message.unwrap_or_default().to_owned(),
    });
    match format {
        PayloadFormat::Protobuf => ExportTraceServiceResponse { partial_success: partial }.encode_to_vec(),
        // OTLP/JSON: lowerCamelCase keys, int64 as a decimal string (proto3 JSON mapping).
        PayloadFormat::Json => {
            let body = match partial {
                Some(p) => serde_json::json!({
                    "partialSuccess": { "rejectedSpans": p.rejected_spans.to_string(), "errorMessage": p.error_message }
                }),
                None => serde_json::json!({}),
            };
            body.to_string().into_bytes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn media_types_are_matched_without_parameters_or_case() {
        assert_eq!(media_type("application/json; charset=utf-8").unwrap(), PayloadFormat::Json);
        assert_eq!(media_type("Application/X-Protobuf").unwrap(), PayloadFormat::Protobuf);
        assert_eq!(media_type("text/plain").unwrap_err().status(), 415);
        assert_eq!(media_type("").unwrap_err().status(), 415);
    }

    #[test]
    fn gzip_is_bounded_after_decompression() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 10_000);
        assert_eq!(decompress(&bomb, Some("gzip"), 1 << 16).unwrap_err(), DecodeError::TooLarge { limit: 1 << 16 });
        assert_eq!(decompress(&bomb, Some("GZIP"), 1 << 20).unwrap().len(), 1 << 20);
    }

    #[test]
    fn long_messages_keep_start_and_end() {
        assert_eq!(clip_middle("short", 10), "short");
        assert_eq!(clip_middle("abcdefghijkl", 4), "ab … kl");
    }

    #[test]
    fn encodings() {
        assert_eq!(decompress(b"abc", None, 10).unwrap().as_ref(), b"abc");
        assert_eq!(decompress(b"abc", Some("identity"), 10).unwrap().as_ref(), b"abc");
        assert_eq!(decompress(b"abc", Some("br"), 10).unwrap_err().status(), 415);
        assert_eq!(decompress(b"abc", Some("gzip"), 10).unwrap_err().status(), 400);
        assert_eq!(decompress(b"abcdef", None, 3).unwrap_err().status(), 413);
    }

    #[test]
    fn responses_carry_partial_success_only_when_needed() {
        assert!(encode_response(PayloadFormat::Protobuf, 0, None).is_empty());
        assert_eq!(encode_response(PayloadFormat::Json, 0, None), b"{}");
        let json: serde_json::Value = serde_json::from_slice(&encode_response(PayloadFormat::Json, 2, Some("bad id"))).unwrap();
        assert_eq!(json["partialSuccess"]["rejectedSpans"], "2");
        let pb = ExportTraceServiceResponse::decode(&encode_response(PayloadFormat::Protobuf, 2, Some("bad id"))[..]).unwrap();
        assert_eq!(pb.partial_success.unwrap().rejected_spans, 2);
    }
}
