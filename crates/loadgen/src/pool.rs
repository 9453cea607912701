//! Pre-encoded request bodies, so the load generator spends its CPU on sending, not on building
//! protobuf (it shares the machine with the server under test). Each reuse of a body gets fresh
//! trace and span ids by patching them in place: every request stores new spans, as in
//! production (span ids are globally unique in practice, and some backends rely on it).

use std::collections::HashSet;

use bytes::Bytes;
use prost::Message;

use crate::genai::{Generator, Rng};

/// One encoded `ExportTraceServiceRequest` and where its ids sit in the bytes.
#[derive(Debug, Clone)]
pub struct EncodedBatch {
    pub body: Bytes,
    pub spans: u64,
    trace_id_offsets: Vec<usize>,
    /// Span ids and parent span ids.
    span_id_offsets: Vec<usize>,
}

impl EncodedBatch {
    pub fn new(generator: &mut Generator, min_spans: usize) -> Self {
        let request = generator.request(min_spans);
        let spans: Vec<_> = request.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).collect();
        let trace_ids: HashSet<&[u8]> = spans.iter().map(|s| s.trace_id.as_slice()).collect();
        let span_ids: HashSet<&[u8]> = spans.iter().map(|s| s.span_id.as_slice()).collect();
        let body = request.encode_to_vec();
        // Span fields: trace_id = 1, span_id = 2, parent_span_id = 4, all length-delimited.
        let trace_id_offsets = id_offsets(&body, &[0x0A], &trace_ids);
        let span_id_offsets = id_offsets(&body, &[0x12, 0x22], &span_ids);
        let children = spans.iter().filter(|s| !s.parent_span_id.is_empty()).count();
        assert_eq!(trace_id_offsets.len(), spans.len(), "every span's trace id is found in the encoding");
        assert_eq!(span_id_offsets.len(), spans.len() + children, "every span id and parent id is found in the encoding");
        EncodedBatch { spans: spans.len() as u64, body: Bytes::from(body), trace_id_offsets, span_id_offsets }
    }

    /// The body for the `round`-th use: round 0 as generated, later rounds with every trace id
    /// and span id (parents alike, so the tree is kept) XORed with a mask derived from the round.
    pub fn body(&self, round: u64) -> Bytes {
        if round == 0 {
            return self.body.clone();
        }
        let mask = Rng(round).next_u64().to_le_bytes();
        let mut body = self.body.to_vec();
        let last_8 = self.trace_id_offsets.iter().map(|at| at + 8).chain(self.span_id_offsets.iter().copied());
        for at in last_8 {
            for (b, m) in body[at..at + 8].iter_mut().zip(mask) {
                *b ^= m;
            }
        }
        Bytes::from(body)
    }
}

/// Where a known id (all of one length) follows one of `tags` and its length byte.
fn id_offsets(body: &[u8], tags: &[u8], ids: &HashSet<&[u8]>) -> Vec<usize> {
    let Some(len) = ids.iter().next().map(|id| id.len()) else { return Vec::new() };
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 + len <= body.len() {
        if tags.contains(&body[i]) && usize::from(body[i + 1]) == len && ids.contains(&body[i + 2..i + 2 + len]) {
            out.push(i + 2);
            i += 2 + len;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

    fn root_of(request: &ExportTraceServiceRequest, trace_id: &[u8]) -> Vec<u8> {
        let spans = &request.resource_spans[0].scope_spans[0].spans;
        spans.iter().find(|s| s.trace_id == trace_id && s.parent_span_id.is_empty()).unwrap().span_id.clone()
    }

    #[test]
    fn reused_bodies_decode_with_new_trace_ids_and_nothing_else_changed() {
        let batch = EncodedBatch::new(&mut Generator::new(3, 1_763_769_600_000_000_000), 200);
        let original = ExportTraceServiceRequest::decode(batch.body(0)).unwrap();
        let mut reused = ExportTraceServiceRequest::decode(batch.body(5)).unwrap();
        let (a, b) = (&original.resource_spans[0].scope_spans[0].spans, &mut reused.resource_spans[0].scope_spans[0].spans);
        assert_eq!(a.len() as u64, batch.spans);
        let mut new_ids = HashSet::new();
        for (x, y) in a.iter().zip(b.iter_mut()) {
            assert_eq!(x.trace_id[..8], y.trace_id[..8]);
            assert_ne!(x.trace_id, y.trace_id);
            assert_ne!(x.span_id, y.span_id);
            assert!(new_ids.insert(y.span_id.clone()), "span ids stay unique");
            y.trace_id = x.trace_id.clone();
            y.span_id = x.span_id.clone();
            if !x.parent_span_id.is_empty() {
                // The parent is the trace's root, which moved the same way.
                let root = root_of(&original, &x.trace_id);
                assert_eq!(x.parent_span_id, root);
                assert_ne!(y.parent_span_id, x.parent_span_id);
                y.parent_span_id = x.parent_span_id.clone();
            }
        }
        assert_eq!(original, reused, "only the ids differ");
        let reused = ExportTraceServiceRequest::decode(batch.body(5)).unwrap();
        for span in &reused.resource_spans[0].scope_spans[0].spans {
            if !span.parent_span_id.is_empty() {
                assert!(new_ids.contains(&span.parent_span_id), "parents point at the patched root");
            }
        }
        assert_ne!(batch.body(5), batch.body(6));
    }
}
