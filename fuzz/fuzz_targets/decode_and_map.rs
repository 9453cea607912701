//! `otlp::decode_and_map` must never panic, whatever the bytes and headers.
//! The first input byte picks the headers, the rest is the request body:
//! bit 0 JSON / protobuf, bit 1 gzip, bits 2-3 how the media type is spelled (canonical, with a
//! charset parameter, upper case, or unsupported, which must give 415).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use otlp::{decode_and_map, Limits, MapOptions, PriceTable};

const MEDIA_TYPES: [[&str; 2]; 4] = [
    ["application/x-protobuf", "application/json"],
    ["application/x-protobuf; charset=binary", "application/json; charset=utf-8"],
    ["Application/X-Protobuf", "APPLICATION/JSON"],
    ["text/plain", "application/xml"],
];

fuzz_target!(|data: &[u8]| {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    let Some((&selector, body)) = data.split_first() else { return };
    let spelling = usize::from(selector >> 2 & 3);
    let content_type = MEDIA_TYPES[spelling][usize::from(selector & 1)];
    let encoding = (selector & 2 != 0).then_some("gzip");
    // Smaller limits than the server's so the fuzzer also reaches the 413 paths quickly.
    let limits = Limits { max_body_bytes: 1 << 20, max_spans: 1_000, ..Limits::default() };
    let prices = PRICES.get_or_init(PriceTable::seeded);
    let options = MapOptions { limits: &limits, prices, now_unix_nano: 1_763_769_600_000_000_000 };
    match decode_and_map(body, content_type, encoding, &options) {
        Ok(decoded) => {
            assert!(spelling != 3, "unsupported media type {content_type:?} was accepted");
            assert!(decoded.rows.len() <= limits.max_spans);
            let _ = decoded.encode_response();
        }
        Err(e) => {
            assert!(matches!(e.status(), 400 | 413 | 415), "{e}: status {}", e.status());
            if spelling == 3 {
                assert_eq!(e.status(), 415, "unsupported media type {content_type:?} gave {e}");
            }
        }
    }
});
