//! Decode + map of a 1,000-span realistic GenAI protobuf batch, beside prost decoding alone (the
//! floor: no validation, no mapping). Prints spans/s for both and their ratio.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otlp::{decode_and_map, Limits, PriceTable};
use prost::Message;

const SPANS: u64 = 1_000;

fn bench(c: &mut Criterion) {
    let body = common::genai_request(SPANS).encode_to_vec();
    let (limits, prices) = (Limits::default(), PriceTable::seeded());
    let opts = common::options(&limits, &prices);
    assert_eq!(decode_and_map(&body, common::PROTOBUF, None, &opts).unwrap().rows.len(), SPANS as usize);

    let mut group = c.benchmark_group(format!("genai_batch_{SPANS}_spans_{}KiB", body.len() / 1024));
    group.throughput(Throughput::Elements(SPANS));
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("prost_decode_only", |b| b.iter(|| ExportTraceServiceRequest::decode(black_box(&body[..])).unwrap()));
    group.bench_function("decode_and_map", |b| b.iter(|| decode_and_map(black_box(&body), common::PROTOBUF, None, &opts).unwrap()));
    let gz = common::gzip(&body);
    group.bench_function("gzip_decode_and_map", |b| {
        b.iter(|| decode_and_map(black_box(&gz), common::PROTOBUF, Some("gzip"), &opts).unwrap())
    });
    group.finish();

    // The same comparison as one plain line, measured back to back in this run.
    let rate = |f: &dyn Fn()| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_secs(2) {
            f();
            n += 1;
        }
        (n * SPANS) as f64 / start.elapsed().as_secs_f64()
    };
    let prost_only = rate(&|| drop(black_box(ExportTraceServiceRequest::decode(&body[..]).unwrap())));
    let full = rate(&|| drop(black_box(decode_and_map(&body, common::PROTOBUF, None, &opts).unwrap())));
    println!(
        "\nspans/s: prost decode alone {:.0}, decode+validate+map {:.0} ({:.1}× the decode-only time; body {} bytes, {} bytes/span)",
        prost_only,
        full,
        prost_only / full,
        body.len(),
        body.len() as u64 / SPANS
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
