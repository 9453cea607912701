//! OTLP/HTTP trace ingestion core: request bytes in → validated, normalised [`SpanRow`]s out.
//!
//! Pure and synchronous: no HTTP, no storage, no clock except in the convenience [`decode()`].
//! The HTTP handler calls [`decode_and_map`] with the project's [`PriceTable`] and the current
//! time, answers a [`DecodeError`] with [`DecodeError::status`], and otherwise writes
//! [`Decoded::rows`] and reports [`Decoded::rejected_spans`] / [`Decoded::error_message`] as
//! OTLP partial success (see [`Decoded::encode_response`]).
//!
//! Layers: [`decode`](mod@decode) (media type, gzip, protobuf) and `json` (OTLP/JSON) produce the
//! generated protobuf types; [`validate`] checks ids and times per span; [`mapping`] flattens a
//! span into a row (GenAI semantic conventions and OpenInference in their own modules);
//! [`pricing`] turns tokens into exact micro-dollars.

mod attrs;
pub mod decode;
mod json;
pub mod mapping;
pub mod pricing;
pub mod validate;

use std::time::{SystemTime, UNIX_EPOCH};

pub use decode::{decode_request, DecodeError, PayloadFormat, RawRequest};
pub use mapping::{map_request, SpanKind, SpanRow, StatusCode};
pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
pub use pricing::{ModelPrice, PriceTable};
pub use validate::Rejections;

/// Bounds on what one request may cost us. Every limit is enforced deterministically: a request
/// over a request-level limit is refused whole (413), a value over a value-level limit is cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest body accepted, measured after decompression (gzip bomb guard).
    pub max_body_bytes: usize,
    /// More spans than this in one request → the whole request is refused with 413.
    pub max_spans: usize,
    /// Attributes of a span beyond this many are dropped (first ones kept, row flagged).
    pub max_attributes_per_span: usize,
    /// Events (and links) of a span beyond this many are dropped.
    pub max_events_per_span: usize,
    /// Attribute values longer than this are truncated with a marker; input/output longer than
    /// this are kept whole but flagged so the caller can move them to the blob store.
    pub max_attribute_value_bytes: usize,
    /// AnyValue nesting deeper than this is replaced by a marker when mapped.
    pub max_value_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 << 20,
            max_spans: 20_000,
            max_attributes_per_span: 1_000,
            max_events_per_span: 1_000,
            max_attribute_value_bytes: 32 << 10,
            max_value_depth: 16,
        }
    }
}

/// What the mapping needs besides the bytes; `now_unix_nano` is a parameter so results are
/// reproducible (timestamps more than a day after it are rejected).
#[derive(Debug, Clone, Copy)]
pub struct MapOptions<'a> {
    pub limits: &'a Limits,
    pub prices: &'a PriceTable,
    pub now_unix_nano: u64,
}

/// The outcome of a request that was well-formed as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Format of the request; the response must be encoded the same way.
    pub format: PayloadFormat,
    /// Accepted spans, in request order.
    pub rows: Vec<SpanRow>,
    /// Spans dropped for a per-span reason (OTLP `partial_success.rejected_spans`).
    pub rejected_spans: u64,
    /// The first rejection reason (OTLP `partial_success.error_message`).
    pub error_message: Option<String>,
}

impl Decoded {
    /// The body of the success response, in the request's format: an empty
    /// `ExportTraceServiceResponse`, or one carrying `partial_success` when spans were rejected.
    pub fn encode_response(&self) -> Vec<u8> {
        decode::encode_response(self.format, self.rejected_spans, self.error_message.as_deref())
    }
}

/// Decodes and maps with the system clock and the seeded default price table.
/// Servers should prefer [`decode_and_map`] with the admin-edited table.
pub fn decode(body: &[u8], content_type: &str, content_encoding: Option<&str>, limits: &Limits) -> Result<Decoded, DecodeError> {
    let now_unix_nano = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let prices = PriceTable::seeded();
    decode_and_map(body, content_type, content_encoding, &MapOptions { limits, prices: &prices, now_unix_nano })
}

/// The whole pipeline, deterministic for given inputs. Must never panic on any bytes: it is the
/// fuzz target and the entry point of the HTTP handler.
pub fn decode_and_map(
    body: &[u8],
    content_type: &str,
    content_encoding: Option<&str>,
    options: &MapOptions<'_>,
) -> Result<Decoded, DecodeError> {
    let RawRequest { format, request, mut rejections } = decode_request(body, content_type, content_encoding, options.limits)?;
    let rows = map_request(request, options, &mut rejections);
    Ok(Decoded { format, rows, rejected_spans: rejections.count, error_message: rejections.first })
}
