//! Property-style robustness without a framework: a seeded RNG feeds random, truncated and
//! mutated bodies to the fuzz entry point; the only property is "returns, never panics"
//! (plus determinism). Failures print the seed and iteration to replay.

mod common;

use common::*;
use otlp::{decode_and_map, Limits, PriceTable};
use prost::Message;

const ITERATIONS: usize = 2_000;

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    match rng.below(5) {
        0 => bytes.truncate(rng.below(bytes.len() + 1)),
        1 => {
            for _ in 0..=rng.below(8) {
                let i = rng.below(bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let i = rng.below(bytes.len() + 1);
            let junk: Vec<u8> = (0..rng.below(16)).map(|_| rng.next() as u8).collect();
            bytes.splice(i..i, junk);
        }
        3 => {
            // Overwrite with "interesting" bytes: varint continuation, max lengths, JSON syntax.
            const SPECIAL: &[u8] = &[0x00, 0x7f, 0x80, 0xff, b'"', b'{', b'[', b'\\', b'0', b'-'];
            for _ in 0..=rng.below(4) {
                let i = rng.below(bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b = SPECIAL[rng.below(SPECIAL.len())];
                }
            }
        }
        _ => bytes = (0..rng.below(512)).map(|_| rng.next() as u8).collect(),
    }
    bytes
}

fn exercise(seed: u64, base: &[u8], content_type: &str) {
    let limits = Limits { max_spans: 1_000, max_body_bytes: 1 << 20, ..Limits::default() };
    let prices = PriceTable::seeded();
    let opts = options(&limits, &prices);
    let mut rng = Rng(seed);
    for i in 0..ITERATIONS {
        let body = mutate(&mut rng, base);
        let gzipped = rng.below(4) == 0;
        let (body, encoding) = if gzipped { (gzip(&body), Some("gzip")) } else { (body, None) };
        let first = decode_and_map(&body, content_type, encoding, &opts);
        if i % 50 == 0 {
            assert_eq!(first, decode_and_map(&body, content_type, encoding, &opts), "seed {seed} iteration {i}: not deterministic");
        }
        if let Err(e) = &first {
            assert!([400, 413, 415].contains(&e.status()), "seed {seed} iteration {i}: {e}");
        }
    }
}

#[test]
fn mutated_protobuf_never_panics() {
    exercise(0x5eed_0001, &genai_request(8).encode_to_vec(), PROTOBUF);
}

#[test]
fn mutated_json_never_panics() {
    let json = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/genai.json")).unwrap();
    exercise(0x5eed_0002, &json, JSON);
}

#[test]
fn random_gzip_headers_never_panic() {
    let mut rng = Rng(0x5eed_0003);
    let prices = PriceTable::seeded();
    for _ in 0..ITERATIONS {
        let mut body = gzip(&genai_request(2).encode_to_vec());
        let i = 10 + rng.below(body.len() - 10);
        body[i] ^= rng.next() as u8 | 1;
        let _ = decode_and_map(&body, PROTOBUF, Some("gzip"), &options(&Limits::default(), &prices));
    }
}
