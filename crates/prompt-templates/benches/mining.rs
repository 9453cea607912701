//! Template mining on the labelled corpus: quality (purity, completeness, templates found) and
//! cost per prompt beside the baseline ingestion already pays per span, the SHA-256 of the raw
//! prompt text. Criterion measures each step; a plain summary measured back to back follows.
//!
//! Cases: `cold` mines corpus A from an empty miner; `warm` mines corpus B (same templates,
//! fresh fillers, new ad-hoc prompts) with a miner that has seen A — the steady state of
//! ingestion; `repeat` mines A's exact texts again (agent loops re-send the same system prompt).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use prompt_templates::corpus;
use prompt_templates::mask::mask_with_limit;
use prompt_templates::metrics::evaluate;
use prompt_templates::{Fingerprint, TemplateId, TemplateMiner};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "search_docs", "description": "Full-text search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}},
        {"type": "function", "function": {"name": "get_order", "description": "Order by id", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}},
        {"type": "function", "function": {"name": "create_ticket", "description": "Open a ticket", "parameters": {"type": "object", "properties": {"subject": {"type": "string"}, "body": {"type": "string"}}}}}
    ])
}

fn mine_all(miner: &mut TemplateMiner, texts: &[&str]) {
    texts.iter().for_each(|t| drop(black_box(miner.add(t))));
}

fn fingerprint_all(ids: &[TemplateId], tools: &Value) {
    ids.iter().for_each(|id| drop(black_box(Fingerprint::of(*id, "gpt-4o", Some(0.2), Some(1024), Some(tools)))));
}

fn bench(c: &mut Criterion) {
    let (a, b) = (corpus::generate(1), corpus::generate(2));
    let texts_a: Vec<&str> = a.items.iter().map(|p| p.text.as_str()).collect();
    let texts_b: Vec<&str> = b.items.iter().map(|p| p.text.as_str()).collect();
    let mean_bytes = texts_b.iter().map(|t| t.len()).sum::<usize>() / texts_b.len();

    let mut trained = TemplateMiner::default();
    let ids: Vec<TemplateId> = texts_a.iter().map(|t| trained.add(t).template_id).collect();
    let q = evaluate(a.items.iter().zip(&ids).map(|(p, id)| (p.label, *id)));
    println!(
        "\nquality, corpus A mined online: {} prompts ({} templates × fillers + {} ad hoc): purity {:.4}, completeness {:.4}",
        q.items, a.templates, a.ad_hoc, q.purity, q.completeness
    );
    println!(
        "templates found: {} clusters with a template majority for {} true templates ({} clusters in all for {} true classes, ad-hoc prompts included)",
        q.template_clusters, q.templates, q.clusters, q.labels
    );
    // Corpus B after A: do prompts of known templates, with new fillers, get the id their
    // template got from A? (B's ad-hoc prompts reuse A's phrase pools, so B's own purity says
    // little.)
    let mut continued = trained.clone();
    let ids_b: Vec<TemplateId> = texts_b.iter().map(|t| continued.add(t).template_id).collect();
    let mut votes: HashMap<(usize, TemplateId), usize> = HashMap::new();
    for (label, id) in a.items.iter().zip(&ids).filter_map(|(p, id)| Some((p.label?, *id))) {
        *votes.entry((label, id)).or_default() += 1;
    }
    let mut id_of: HashMap<usize, (usize, TemplateId)> = HashMap::new();
    for (&(label, id), &n) in &votes {
        let best = id_of.entry(label).or_insert((0, id));
        if n > best.0 {
            *best = (n, id);
        }
    }
    let templated: Vec<(usize, TemplateId)> = b.items.iter().zip(&ids_b).filter_map(|(p, id)| Some((p.label?, *id))).collect();
    let kept = templated.iter().filter(|(label, id)| id_of.get(label).is_some_and(|(_, a_id)| a_id == id)).count();
    println!(
        "corpus B (same templates, fresh fillers) mined after A: {kept} of {} templated prompts ({:.2} %) got their template's id from A\n",
        templated.len(),
        100.0 * kept as f64 / templated.len() as f64
    );

    let max_tokens = trained.config().max_tokens;
    let tools = tools();
    let mut group = c.benchmark_group(format!("corpus_{}_prompts", texts_b.len()));
    group.throughput(Throughput::Elements(texts_b.len() as u64));
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("sha256_raw_prompt", |bch| {
        bch.iter(|| {
            texts_b.iter().for_each(|t| {
                black_box(Sha256::digest(t.as_bytes()));
            })
        })
    });
    group.bench_function("mask", |bch| bch.iter(|| texts_b.iter().for_each(|t| drop(black_box(mask_with_limit(t, max_tokens))))));
    group
        .bench_function("mine_warm", |bch| bch.iter_batched(|| trained.clone(), |mut m| mine_all(&mut m, &texts_b), BatchSize::LargeInput));
    group.bench_function("mine_cold", |bch| bch.iter(|| mine_all(&mut TemplateMiner::default(), &texts_b)));
    group.bench_function("fingerprint", |bch| bch.iter(|| fingerprint_all(&ids_b, &tools)));
    group.finish();

    // The same comparison as plain lines, measured back to back in this run. Only the mining is
    // timed (cloning the trained miner is setup).
    let per_prompt_us = |setup: &dyn Fn() -> TemplateMiner, run: &dyn Fn(&mut TemplateMiner)| {
        let (mut spent, mut passes) = (Duration::ZERO, 0u32);
        while spent < Duration::from_secs(2) {
            let mut m = setup();
            let start = Instant::now();
            run(&mut m);
            spent += start.elapsed();
            passes += 1;
        }
        spent.as_secs_f64() * 1e6 / (f64::from(passes) * texts_b.len() as f64)
    };
    let none = || TemplateMiner::new(prompt_templates::Config { max_clusters: 1, ..Default::default() });
    let sha = per_prompt_us(&none, &|_| {
        texts_b.iter().for_each(|t| {
            black_box(Sha256::digest(t.as_bytes()));
        })
    });
    let masking = per_prompt_us(&none, &|_| texts_b.iter().for_each(|t| drop(black_box(mask_with_limit(t, max_tokens)))));
    let warm = per_prompt_us(&|| trained.clone(), &|m| mine_all(m, &texts_b));
    let cold = per_prompt_us(&TemplateMiner::default, &|m| mine_all(m, &texts_b));
    let repeat = per_prompt_us(&|| trained.clone(), &|m| mine_all(m, &texts_a));
    let fingerprint = per_prompt_us(&none, &|_| fingerprint_all(&ids_b, &tools));
    let row = |what: &str, us: f64| println!("  {what:<46} {us:7.2} µs  {:6.1}× the baseline", us / sha);
    println!("\nper prompt (mean {mean_bytes} bytes):");
    println!("  {:<46} {sha:7.2} µs", "baseline: SHA-256 of the raw prompt");
    row("mask only", masking);
    row("mine, warm (known templates, new fillers)", warm);
    row("mine, cold (empty miner)", cold);
    row("mine, repeated exact prompt", repeat);
    row("fingerprint (template id, model, 3 tools)", fingerprint);
    row("template id + fingerprint, warm", warm + fingerprint);
}

criterion_group!(benches, bench);
criterion_main!(benches);
