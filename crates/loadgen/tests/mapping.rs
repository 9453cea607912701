//! The generated load is what ElasticDash is meant to ingest: every span is accepted by the real
//! decoder and mapper, and the GenAI facts (model, tokens, cost, session, user, input/output)
//! come out of it, including on a reused body with patched ids.

use std::collections::HashSet;

use loadgen::genai::Generator;
use loadgen::pool::EncodedBatch;
use otlp::{decode_and_map, Limits, MapOptions, PriceTable};

const NOW: u64 = 1_763_769_600_000_000_000;

#[test]
fn generated_batches_map_to_complete_genai_rows() {
    let batch = EncodedBatch::new(&mut Generator::new(11, NOW), 500);
    let (limits, prices) = (Limits::default(), PriceTable::seeded());
    let options = MapOptions { limits: &limits, prices: &prices, now_unix_nano: NOW };
    for round in [0, 1, 2] {
        let decoded = decode_and_map(&batch.body(round), "application/x-protobuf", None, &options).unwrap();
        assert_eq!(decoded.rejected_spans, 0, "{:?}", decoded.error_message);
        assert_eq!(decoded.rows.len() as u64, batch.spans);
        let llm: Vec<_> = decoded.rows.iter().filter(|r| r.name.starts_with("chat ")).collect();
        assert!(!llm.is_empty());
        for row in &llm {
            assert!(row.model.is_some() && row.provider.is_some(), "{row:?}");
            assert!(row.input_tokens.unwrap() > 300 && row.output_tokens.unwrap() > 10);
            assert!(row.cost_micros.unwrap() > 0, "{:?} has a seeded price", row.model);
            assert!(row.input.as_ref().unwrap().len() > 1_000, "system prompt + question");
            assert!(row.output.is_some());
        }
        let roots: Vec<_> = decoded.rows.iter().filter(|r| r.parent_span_id.is_none()).collect();
        assert!(roots.len() * 4 <= decoded.rows.len(), "traces of 4+ spans");
        for root in roots {
            assert!(root.session_id.is_some() && root.user_id.is_some() && root.tags.len() == 2);
            assert!(root.input.is_some() && root.output.is_some());
        }
        let ids: HashSet<_> = decoded.rows.iter().map(|r| (&r.trace_id, &r.span_id)).collect();
        assert_eq!(ids.len(), decoded.rows.len());
    }
}
