//! What the adapter path costs over a bare reqwest POST of the same body to the same local fake
//! OpenAI server: requests/s (16 concurrent callers) and p50/p99 latency (one caller), then a
//! short criterion run of both. Goal: ≤ 1 ms p99 added, ≥ 90% of the bare throughput.
//!
//! Wall-clock figures swing by ±20% on a shared 2-core machine; for a steady figure count
//! instructions per call with `LLM_BENCH_ONLY` under callgrind (see `profile_run`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{FakeServer, Reply};
use criterion::Criterion;
use llm::{build_provider, ApiKey, ChatRequest, LlmProvider, Message, NoopObserver, ProviderConfig, Vendor};
use serde_json::json;

const LATENCY_SAMPLES: usize = 3000;
const WINDOW: Duration = Duration::from_millis(500);
const WINDOWS: usize = 6;
const CALLERS: usize = 16;

struct Paths {
    adapter: Arc<dyn LlmProvider>,
    request: ChatRequest,
    bare: reqwest::Client,
    url: String,
    body: bytes::Bytes,
}

impl Paths {
    async fn adapter(&self) {
        let reply = self.adapter.chat(&self.request).await.expect("adapter call");
        assert_eq!(reply.content, "Hello there, how may I assist you today?");
    }

    /// `timeout`: what a careful caller would add, and what the adapter has (it costs a timer).
    async fn bare(&self, timeout: bool) {
        let mut request = self.bare.post(&self.url);
        if timeout {
            request = request.timeout(Duration::from_secs(60));
        }
        let response = request
            .bearer_auth("sk-bench")
            .header("content-type", "application/json")
            .body(self.body.clone())
            .send()
            .await
            .expect("bare call");
        assert!(response.status().is_success());
        response.bytes().await.expect("bare body");
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let paths = Arc::new(runtime.block_on(setup()));
    if let Some((path, calls)) = profile_run() {
        // For a profiler (`valgrind --tool=callgrind`, `perf`): one path, sequential calls, nothing else.
        runtime.block_on(async {
            for _ in 0..calls {
                call(&paths, path).await;
            }
        });
        return;
    }

    // Both paths are measured interleaved, so load from other processes hits them alike.
    let measured = runtime.block_on(measure(&paths));
    println!("\npath                 requests/s   p50 (µs)   p99 (µs)   CPU/request (µs, client + server)");
    for (name, m) in ["bare", "bare + timeout", "adapter"].iter().zip(&measured) {
        println!("{name:<20} {:>10.0} {:>10} {:>10} {:>10.1}", m.per_second, m.p50.as_micros(), m.p99.as_micros(), m.cpu_per_request_us);
    }
    let adapter = &measured[2];
    for (name, bare) in [("bare", &measured[0]), ("bare + timeout", &measured[1])] {
        let added = adapter.p99.as_secs_f64() * 1e3 - bare.p99.as_secs_f64() * 1e3;
        let ratio = adapter.per_second / bare.per_second * 100.0;
        let cpu = adapter.cpu_per_request_us - bare.cpu_per_request_us;
        println!("adapter vs {name}: p99 {added:+.3} ms (goal ≤ 1 ms), throughput {ratio:.1}% (goal ≥ 90%), CPU {cpu:+.1} µs/request");
    }
    println!();

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    criterion.bench_function("bare reqwest POST", |b| b.iter(|| runtime.block_on(paths.bare(false))));
    criterion.bench_function("adapter chat()", |b| b.iter(|| runtime.block_on(paths.adapter())));
    criterion.final_summary();
}

async fn setup() -> Paths {
    let completion = json!({
        "id": "chatcmpl-123", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, how may I assist you today?"}, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29}
    });
    let server = FakeServer::always(Reply::json(200, completion)).await;
    let url = format!("{}/v1", server.url);
    std::mem::forget(server); // lives as long as the process
    let config = ProviderConfig::new(Vendor::OpenAi, Some(ApiKey::new("sk-bench"))).with_base_url(&url);
    let adapter = build_provider(&config, Arc::new(NoopObserver)).unwrap();
    let request = ChatRequest::new("gpt-4o-mini", vec![Message::system("You are a helpful assistant."), Message::user("Hello!")]);
    // Byte for byte what the adapter sends for `request`.
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello!"}]
    });
    Paths { adapter, request, bare: reqwest::Client::new(), url: format!("{url}/chat/completions"), body: body.to_string().into() }
}

struct Measured {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// CPU time of this process per request: on a loaded 2-core machine, steadier than wall time.
    cpu_per_request_us: f64,
}

/// CPU time used so far by all threads of this process (Linux `schedstat`, in ns).
fn cpu_ns() -> u64 {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
                .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

#[derive(Clone, Copy, PartialEq)]
enum Path {
    Bare,
    BareWithTimeout,
    Adapter,
}

const PATHS: [Path; 3] = [Path::Bare, Path::BareWithTimeout, Path::Adapter];

/// `LLM_BENCH_ONLY=bare|bare-timeout|adapter` (and `LLM_BENCH_CALLS`, default 2000) runs one path alone.
fn profile_run() -> Option<(Path, usize)> {
    let path = match std::env::var("LLM_BENCH_ONLY").ok()?.as_str() {
        "bare" => Path::Bare,
        "bare-timeout" => Path::BareWithTimeout,
        _ => Path::Adapter,
    };
    Some((path, std::env::var("LLM_BENCH_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000)))
}

async fn call(paths: &Paths, path: Path) {
    match path {
        Path::Bare => paths.bare(false).await,
        Path::BareWithTimeout => paths.bare(true).await,
        Path::Adapter => paths.adapter().await,
    }
}

/// Latency: one caller alternating the two paths. CPU and throughput: alternating blocks of
/// sequential calls and windows of `CALLERS` concurrent callers on one path.
async fn measure(paths: &Arc<Paths>) -> [Measured; 3] {
    for _ in 0..300 {
        for path in PATHS {
            call(paths, path).await;
        }
    }
    let mut latencies = PATHS.map(|_| Vec::with_capacity(LATENCY_SAMPLES));
    for _ in 0..LATENCY_SAMPLES {
        for (i, path) in PATHS.into_iter().enumerate() {
            let started = Instant::now();
            call(paths, path).await;
            latencies[i].push(started.elapsed());
        }
    }
    let mut cpu_ns_spent = [0u64; 3];
    let mut done = [0u64; 3];
    let mut spent = [Duration::ZERO; 3];
    for round in 0..WINDOWS {
        // Rotated: no path always goes first.
        let order = [0, 1, 2].map(|k| (k + round) % 3);
        for i in order {
            let before = cpu_ns();
            for _ in 0..LATENCY_SAMPLES / WINDOWS {
                call(paths, PATHS[i]).await;
            }
            cpu_ns_spent[i] += cpu_ns() - before;
        }
        for i in order {
            let (count, elapsed) = saturate(paths, PATHS[i]).await;
            done[i] += count;
            spent[i] += elapsed;
        }
    }
    let cpu = cpu_ns_spent.map(|ns| ns as f64 / (LATENCY_SAMPLES / WINDOWS * WINDOWS) as f64 / 1e3);
    [0, 1, 2].map(|i| {
        let sorted = &mut latencies[i];
        sorted.sort();
        let at = |q: f64| sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)];
        Measured { per_second: done[i] as f64 / spent[i].as_secs_f64(), p50: at(0.50), p99: at(0.99), cpu_per_request_us: cpu[i] }
    })
}

async fn saturate(paths: &Arc<Paths>, path: Path) -> (u64, Duration) {
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (paths, done) = (paths.clone(), done.clone());
            tokio::spawn(async move {
                while started.elapsed() < WINDOW {
                    call(&paths, path).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    (done.load(Ordering::Relaxed), started.elapsed())
}
