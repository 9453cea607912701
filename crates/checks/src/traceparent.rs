//! W3C Trace Context `traceparent` header (<https://www.w3.org/TR/trace-context/>).
//!
//! HTTP-target runs send this header with a trace id the runner chose, so an application
//! instrumented with OpenTelemetry continues that trace and the runner can find its LLM spans.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a `traceparent` could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceParentError {
    #[error("the traceparent must look like 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>")]
    Malformed,
    #[error("traceparent version ff is not allowed")]
    InvalidVersion,
    #[error("the trace id must be 32 lowercase hex characters")]
    BadTraceId,
    #[error("the span id must be 16 lowercase hex characters")]
    BadSpanId,
    #[error("the trace id must not be all zeros")]
    ZeroTraceId,
    #[error("the span id must not be all zeros")]
    ZeroSpanId,
}

/// A trace id, parent span id and trace flags. Serialised as the header string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TraceParent {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

/// The "sampled" trace flag: asks the application to record the trace, which the runner needs.
const SAMPLED: u8 = 0x01;

impl TraceParent {
    /// Fresh random ids, sampled. Retries the (astronomically unlikely) all-zero draw, which the
    /// spec forbids.
    pub fn new_random() -> Self {
        loop {
            if let Ok(parent) = Self::from_ids(rand::random(), rand::random()) {
                return parent;
            }
        }
    }

    /// Given ids, sampled. All-zero ids are invalid per the spec.
    pub fn from_ids(trace_id: [u8; 16], span_id: [u8; 8]) -> Result<Self, TraceParentError> {
        if trace_id == [0; 16] {
            return Err(TraceParentError::ZeroTraceId);
        }
        if span_id == [0; 8] {
            return Err(TraceParentError::ZeroSpanId);
        }
        Ok(TraceParent { trace_id, span_id, flags: SAMPLED })
    }

    /// Given ids as lowercase hex (as stored with ingested spans), sampled.
    pub fn from_hex(trace_id: &str, span_id: &str) -> Result<Self, TraceParentError> {
        Self::from_ids(decode_hex(trace_id).ok_or(TraceParentError::BadTraceId)?, decode_hex(span_id).ok_or(TraceParentError::BadSpanId)?)
    }

    /// Reads a header value. Versions other than `00` are accepted as the spec asks (their first
    /// four fields are read, anything after is ignored); `ff` is rejected.
    pub fn parse(header: &str) -> Result<Self, TraceParentError> {
        let header = header.trim_matches([' ', '\t']);
        let mut fields = header.split('-');
        let (Some(version), Some(trace_id), Some(span_id), Some(flags)) = (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(TraceParentError::Malformed);
        };
        let version: [u8; 1] = decode_hex(version).ok_or(TraceParentError::Malformed)?;
        if version[0] == 0xff {
            return Err(TraceParentError::InvalidVersion);
        }
        if version[0] == 0 && fields.next().is_some() {
            return Err(TraceParentError::Malformed);
        }
        let [flags] = decode_hex::<1>(flags).ok_or(TraceParentError::Malformed)?;
        let mut parent = Self::from_hex(trace_id, span_id)?;
        parent.flags = flags;
        Ok(parent)
    }

    /// The header value, always version 00: `00-<trace id>-<span id>-<flags>`.
    pub fn to_header(&self) -> String {
        format!("00-{}-{}-{:02x}", self.trace_id_hex(), self.span_id_hex(), self.flags)
    }

    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// Lowercase hex, the form ingested spans are stored and searched by.
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    pub fn span_id_hex(&self) -> String {
        hex::encode(self.span_id)
    }

    pub fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }
}

/// Exactly `2 * N` lowercase hex characters (the spec forbids uppercase).
fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_header())
    }
}

impl FromStr for TraceParent {
    type Err = TraceParentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TraceParent {
    type Error = TraceParentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TraceParent> for String {
    fn from(parent: TraceParent) -> String {
        parent.to_header()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_the_spec_example() {
        let p = TraceParent::parse(SPEC_EXAMPLE).unwrap();
        assert_eq!(p.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(p.span_id_hex(), "00f067aa0ba902b7");
        assert_eq!(p.span_id(), [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
        assert!(p.sampled());
        assert_eq!(p.to_header(), SPEC_EXAMPLE);
        assert!(!TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").unwrap().sampled());
    }

    #[test]
    fn random_round_trips_and_is_sampled() {
        let p = TraceParent::new_random();
        let header = p.to_header();
        assert_eq!(header.len(), 55);
        assert!(header.starts_with("00-") && header.ends_with("-01"), "{header}");
        assert_eq!(TraceParent::parse(&header), Ok(p));
        assert_eq!(header.parse::<TraceParent>(), Ok(p));
        assert_ne!(TraceParent::new_random().trace_id(), p.trace_id(), "two random trace ids collided");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, format!("\"{header}\""));
        assert_eq!(serde_json::from_str::<TraceParent>(&json).unwrap(), p);
    }

    #[test]
    fn from_ids_and_hex() {
        let p = TraceParent::from_ids([0xab; 16], [1; 8]).unwrap();
        assert_eq!(p.to_header(), format!("00-{}-{}-01", "ab".repeat(16), "01".repeat(8)));
        assert_eq!(TraceParent::from_hex(&"ab".repeat(16), &"01".repeat(8)), Ok(p));
        assert_eq!(TraceParent::from_ids([0; 16], [1; 8]), Err(TraceParentError::ZeroTraceId));
        assert_eq!(TraceParent::from_ids([1; 16], [0; 8]), Err(TraceParentError::ZeroSpanId));
        assert_eq!(TraceParent::from_hex("abc", &"01".repeat(8)), Err(TraceParentError::BadTraceId));
    }

    #[test]
    fn rejects_invalid_headers() {
        use TraceParentError::*;
        let cases = [
            ("", Malformed),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", Malformed),
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", ZeroTraceId),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", ZeroSpanId),
            ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", BadTraceId),
            ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", BadTraceId),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", BadSpanId),
            ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", InvalidVersion),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", Malformed),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", Malformed),
            ("0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Malformed),
        ];
        for (header, want) in cases {
            assert_eq!(TraceParent::parse(header), Err(want), "{header:?}");
        }
    }

    #[test]
    fn future_versions_keep_the_first_four_fields() {
        let p = TraceParent::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds").unwrap();
        assert_eq!(p.to_header(), SPEC_EXAMPLE);
        assert_eq!(TraceParent::parse(&format!(" {SPEC_EXAMPLE}\t")).unwrap().to_header(), SPEC_EXAMPLE);
    }
}
