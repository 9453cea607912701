//! The first byte picks the content type and encoding; the rest is the request body.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use otlp::{decode_and_map, Limits, MapOptions, PriceTable};

fuzz_target!(|data: &[u8]| {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    let Some((&selector, body)) = data.split_first() else { return };
    let content_type = if selector & 1 == 0 { "application/x-protobuf" } else { "application/json" };
    let encoding = (selector & 2 != 0).then_some("gzip");
    let limits = Limits { max_body_bytes: 1 << 20, max_spans: 1_000, ..Limits::default() };
    let options = MapOptions { limits: &limits, prices: PRICES.get_or_init(PriceTable::seeded), now_unix_nano: 1_763_769_600_000_000_000 };
    if let Err(e) = decode_and_map(body, content_type, encoding, &options) {
        assert!(matches!(e.status(), 400 | 413 | 415));
    }
});
