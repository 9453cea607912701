//! KB index benchmark (`bench/kb_search.sh`, or `cargo bench -p kb-index --bench search`).
//!
//! On the generated 10,000-entry KB and its labelled queries, prints: build time (lexical only,
//! and with test embeddings), serialised size and load time, search latency p50/p95/max per
//! ranking, side by side with a naive in-process BM25 baseline on the same chunks (every chunk
//! scored for every query from per-chunk term-frequency maps, the way a simple library does
//! it), and recall@5 / MRR@10 for lexical, vector (test embedding), hybrid and the baseline.
//!
//! Environment: `KB_BENCH_ENTRIES` (default 10000), `KB_BENCH_PASSES` (timed passes over the
//! queries, default 5).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kb_index::bm25::{B, K1};
use kb_index::testdata::{self, evaluate, test_embedding, LabelledQuery, Quality};
use kb_index::{chunk, tokenize, Embeddings, IndexBuilder, KbIndex, Query, Ranking};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Latency {
    p50: f64,
    p95: f64,
    max: f64,
}

fn latency(mut samples: Vec<f64>) -> Latency {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Latency { p50: at(0.50), p95: at(0.95), max: *samples.last().unwrap() }
}

/// The baseline: plain BM25 over the same chunks and the same analyser, no field weights, no
/// inverted index: every query scores every chunk from its term-frequency map.
struct Naive {
    docs: Vec<HashMap<String, u32>>,
    lens: Vec<f32>,
    avg: f32,
    df: HashMap<String, u32>,
    chunk_entry: Vec<usize>,
    keys: Vec<domain::kb::entry::EntryKey>,
}

impl Naive {
    fn build(chunks: &[chunk::Chunk]) -> Naive {
        let mut docs = Vec::with_capacity(chunks.len());
        let mut lens = Vec::with_capacity(chunks.len());
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut chunk_entry = Vec::with_capacity(chunks.len());
        let mut keys = Vec::new();
        for c in chunks {
            if c.chunk_no == 0 {
                keys.push(c.key.clone());
            }
            chunk_entry.push(keys.len() - 1);
            let mut tf: HashMap<String, u32> = HashMap::new();
            let mut n = 0;
            tokenize::analyze(&c.text, |t| {
                *tf.entry(t.to_owned()).or_default() += 1;
                n += 1;
            });
            for t in tf.keys() {
                *df.entry(t.clone()).or_default() += 1;
            }
            docs.push(tf);
            lens.push(n as f32);
        }
        let avg = lens.iter().sum::<f32>() / lens.len().max(1) as f32;
        Naive { docs, lens, avg, df, chunk_entry, keys }
    }

    fn search(&self, text: &str, k: usize) -> Vec<&domain::kb::entry::EntryKey> {
        let terms = kb_index::bm25::query_terms(text);
        let n = self.docs.len() as f32;
        let idf: Vec<f32> = terms
            .iter()
            .map(|t| {
                let df = *self.df.get(t).unwrap_or(&0) as f32;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();
        let mut best: HashMap<usize, f32> = HashMap::new();
        for (i, doc) in self.docs.iter().enumerate() {
            let mut s = 0.0;
            for (t, idf) in terms.iter().zip(&idf) {
                if let Some(&tf) = doc.get(t) {
                    let tf = tf as f32;
                    s += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * self.lens[i] / self.avg));
                }
            }
            if s > 0.0 {
                let e = best.entry(self.chunk_entry[i]).or_insert(0.0);
                if s > *e {
                    *e = s;
                }
            }
        }
        let mut v: Vec<(usize, f32)> = best.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter().take(k).map(|(e, _)| &self.keys[e]).collect()
    }

    fn quality(&self, queries: &[LabelledQuery]) -> Quality {
        let (mut r5, mut rr) = (0usize, 0f64);
        for q in queries {
            if let Some(p) = self.search(&q.text, 10).iter().position(|k| **k == q.expected) {
                r5 += usize::from(p < 5);
                rr += 1.0 / (p + 1) as f64;
            }
        }
        let n = queries.len() as f64;
        Quality { queries: queries.len(), recall_at_5: r5 as f64 / n, mrr_at_10: rr / n }
    }
}

fn time_queries(passes: usize, queries: &[LabelledQuery], mut f: impl FnMut(&LabelledQuery) -> usize) -> Latency {
    for q in queries {
        std::hint::black_box(f(q));
    }
    let mut samples = Vec::with_capacity(passes * queries.len());
    for _ in 0..passes {
        for q in queries {
            let t = Instant::now();
            std::hint::black_box(f(q));
            samples.push(ms(t.elapsed()));
        }
    }
    latency(samples)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let n = env("KB_BENCH_ENTRIES", 10_000);
    let passes = env("KB_BENCH_PASSES", 5);

    let t = Instant::now();
    let set = testdata::generate(n);
    let gen_time = t.elapsed();
    let queries = &set.queries;
    let by_lang = |langs: &[&str]| -> Vec<LabelledQuery> { queries.iter().filter(|q| langs.contains(&q.lang)).cloned().collect() };
    let (en, cjk) = (by_lang(&["en"]), by_lang(&["zh", "ja", "ko"]));
    println!(
        "KB index benchmark: {} entries, {} labelled queries ({} English, {} Chinese/Japanese/Korean)",
        set.entries.len(),
        queries.len(),
        en.len(),
        cjk.len()
    );
    println!("(generated in {:.0} ms; {passes} timed passes over the queries after one warm-up pass)\n", ms(gen_time));

    // Build, lexical only (best of 3; the progress callback is counted, as the app uses it).
    let mut build_times = Vec::new();
    let mut index = None;
    for _ in 0..3 {
        let mut calls = 0usize;
        let t = Instant::now();
        let built = IndexBuilder::new(&set.entries).on_progress(|_| calls += 1).build().expect("build");
        build_times.push(t.elapsed());
        index = Some(built);
    }
    let index = index.unwrap();
    let build_lex = build_times.iter().min().copied().unwrap();
    let t = Instant::now();
    let chunks = chunk::chunk_entries(&set.entries);
    let chunk_time = t.elapsed();
    let bytes = index.to_bytes();
    let mut loads = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let loaded = KbIndex::from_bytes(&bytes).expect("load");
        loads.push(ms(t.elapsed()));
        std::hint::black_box(&loaded);
    }
    let load = latency(loads);
    assert_eq!(KbIndex::from_bytes(&bytes).unwrap(), index, "round trip");

    // Embeddings (test embedding) and the index with vectors.
    let t = Instant::now();
    let mut emb = Embeddings::new("test-trigram-256");
    for c in &chunks {
        if emb.get(&c.content_hash).is_none() {
            emb.insert(c.content_hash.clone(), test_embedding(&c.text)).unwrap();
        }
    }
    let embed_time = t.elapsed();
    let t = Instant::now();
    let vindex = IndexBuilder::new(&set.entries).embeddings(emb).build().expect("build with vectors");
    let build_vec = t.elapsed();
    let vbytes = vindex.to_bytes();
    let mut vloads = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(KbIndex::from_bytes(&vbytes).expect("load"));
        vloads.push(ms(t.elapsed()));
    }
    let vload = latency(vloads);
    // Reuse across releases: the same entries again → every vector reused.
    let t = Instant::now();
    let (reused, to_embed) = kb_index::vector::reuse(vindex.vectors(), "test-trigram-256", &chunks);
    let reuse_time = t.elapsed();

    let t = Instant::now();
    let naive = Naive::build(&chunks);
    let naive_build = t.elapsed();

    println!("Build");
    println!(
        "  chunks: {} ({} per entry on average, {} entries split), {} distinct terms",
        index.num_chunks(),
        fmt2(index.num_chunks() as f64 / n as f64),
        chunks.iter().filter(|c| c.chunk_no == 1).count(),
        index.num_terms()
    );
    println!(
        "  lexical-only build of {n} entries: {:.0} ms (best of 3; chunking alone {:.0} ms)   goal ≤ 10,000 ms",
        ms(build_lex),
        ms(chunk_time)
    );
    println!(
        "  with vectors: test embeddings {:.0} ms, build {:.0} ms; reuse() on an unchanged release: {} reused, {} to embed, {:.1} ms",
        ms(embed_time),
        ms(build_vec),
        reused.len(),
        to_embed.len(),
        ms(reuse_time)
    );
    println!("  baseline (naive BM25: tf maps per chunk): build {:.0} ms", ms(naive_build));
    println!();
    println!("Serialised");
    println!("  lexical: {:.1} MB, load p50 {:.1} ms / max {:.1} ms (10 loads)", bytes.len() as f64 / 1e6, load.p50, load.max);
    println!(
        "  with 256-dim vectors: {:.1} MB, load p50 {:.1} ms / max {:.1} ms (5 loads)",
        vbytes.len() as f64 / 1e6,
        vload.p50,
        vload.max
    );
    let text_bytes: usize = chunks.iter().map(|c| c.text.len()).sum();
    println!("  (chunk texts alone: {:.1} MB)", text_bytes as f64 / 1e6);
    println!();

    // Latency.
    let lex = time_queries(passes, queries, |q| index.search(&Query::new(q.text.clone()).ranking(Ranking::Lexical), None).len());
    let q_embs: Vec<Vec<f32>> = queries.iter().map(|q| test_embedding(&q.text)).collect();
    let pos = |q: &LabelledQuery| queries.iter().position(|x| std::ptr::eq(x, q)).unwrap();
    let vec_lat =
        time_queries(passes, queries, |q| vindex.search(&Query::new(q.text.clone()).ranking(Ranking::Vector), Some(&q_embs[pos(q)])).len());
    let hyb =
        time_queries(passes, queries, |q| vindex.search(&Query::new(q.text.clone()).ranking(Ranking::Hybrid), Some(&q_embs[pos(q)])).len());
    let base = time_queries(passes, queries, |q| naive.search(&q.text, 10).len());
    println!("Search latency over {} queries × {passes} passes, k = 10, one thread   goal p95 ≤ 20 ms", queries.len());
    println!("  {:<34} {:>9} {:>9} {:>9}", "", "p50 ms", "p95 ms", "max ms");
    for (name, l) in [
        ("kb-index lexical (BM25)", &lex),
        ("kb-index vector (brute force)", &vec_lat),
        ("kb-index hybrid (RRF)", &hyb),
        ("baseline naive BM25 (scan all)", &base),
    ] {
        println!("  {name:<34} {:>9.3} {:>9.3} {:>9.3}", l.p50, l.p95, l.max);
    }
    println!(
        "  (vector/hybrid exclude embedding the query; lexical p95 is {:.0}× faster than the baseline's)",
        base.p95 / lex.p95.max(1e-9)
    );
    println!();

    // Quality.
    let embed: &dyn Fn(&str) -> Vec<f32> = &test_embedding;
    println!("Retrieval quality (expected entry in the top 5 / reciprocal rank in the top 10)");
    println!("  {:<34} {:>10} {:>8} {:>14} {:>14}", "", "recall@5", "MRR@10", "recall@5 (en)", "recall@5 (CJK)");
    let rows: Vec<(&str, Quality, Quality, Quality)> = vec![
        (
            "lexical (BM25, field-weighted)",
            evaluate(&index, queries, Ranking::Lexical, None),
            evaluate(&index, &en, Ranking::Lexical, None),
            evaluate(&index, &cjk, Ranking::Lexical, None),
        ),
        (
            "vector (test trigram embedding)",
            evaluate(&vindex, queries, Ranking::Vector, Some(embed)),
            evaluate(&vindex, &en, Ranking::Vector, Some(embed)),
            evaluate(&vindex, &cjk, Ranking::Vector, Some(embed)),
        ),
        (
            "hybrid (RRF k = 60)",
            evaluate(&vindex, queries, Ranking::Hybrid, Some(embed)),
            evaluate(&vindex, &en, Ranking::Hybrid, Some(embed)),
            evaluate(&vindex, &cjk, Ranking::Hybrid, Some(embed)),
        ),
        ("baseline naive BM25", naive.quality(queries), naive.quality(&en), naive.quality(&cjk)),
    ];
    for (name, all, e, c) in rows {
        println!("  {name:<34} {:>10.3} {:>8.3} {:>14.3} {:>14.3}", all.recall_at_5, all.mrr_at_10, e.recall_at_5, c.recall_at_5);
    }
    if std::env::var("KB_BENCH_MISSES").is_ok() {
        println!("\nLexical misses (not in the top 5):");
        for q in queries {
            let hits = index.search(&Query::new(q.text.clone()).ranking(Ranking::Lexical).k(5), None);
            if !hits.iter().any(|h| h.key == q.expected) {
                println!(
                    "  {:?} → want {}, got {:?}",
                    q.text,
                    q.expected,
                    hits.iter().take(3).map(|h| h.key.name.as_str()).collect::<Vec<_>>()
                );
            }
        }
    }
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}
