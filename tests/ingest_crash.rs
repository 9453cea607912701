//! Durability: the real binary (embedded SQLite) under sustained OTLP ingestion from several
//! clients is killed with SIGKILL mid-stream and restarted on the same data; every batch it had
//! acknowledged (HTTP 200) must be there, whole.

use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    trace::v1::{ResourceSpans, ScopeSpans, Span},
};
use prost::Message;
use services::{Actor, RequestContext};
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

const SPANS_PER_BATCH: u64 = 50;
const CLIENTS: u64 = 4;

fn settings_env(dir: &Path) -> Vec<(String, String)> {
    vec![
        ("ELASTICDASH_CONFIG".into(), dir.join("absent.toml").display().to_string()),
        ("ELASTICDASH__STORES__PRIMARY_URL".into(), format!("sqlite://{}/primary.db", dir.display())),
        ("ELASTICDASH__STORES__ANALYTICS_URL".into(), format!("sqlite://{}/analytics.db", dir.display())),
        ("ELASTICDASH__STORES__BLOB_URL".into(), format!("file://{}/blobs", dir.display())),
        ("ELASTICDASH__WORKER__ENABLED".into(), "false".into()),
    ]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_server(dir: &Path, port: u16, log_name: &str) -> Child {
    let log = std::fs::File::create(dir.join(log_name)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_elasticdash"))
        .arg("serve")
        .envs(settings_env(dir))
        .env("ELASTICDASH__SERVER__ADDR", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn wait_healthy(client: &reqwest::Client, base: &str, child: &mut Child, dir: &Path, log_name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("server exited ({status}): {}", std::fs::read_to_string(dir.join(log_name)).unwrap_or_default());
        }
        assert!(
            Instant::now() < deadline,
            "server not healthy in 60 s: {}",
            std::fs::read_to_string(dir.join(log_name)).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn batch(client: u64, n: u64) -> (String, Vec<u8>) {
    let trace = format!("{:016x}{:016x}", 0xc0ffee00 + client, n + 1);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let bytes = |h: &str| (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect::<Vec<u8>>();
    let spans = (0..SPANS_PER_BATCH)
        .map(|i| Span {
            trace_id: bytes(&trace),
            span_id: bytes(&format!("{:016x}", i + 1)),
            parent_span_id: if i == 0 { Vec::new() } else { bytes(&format!("{:016x}", 1)) },
            name: format!("span-{i}"),
            start_time_unix_nano: now - 1_000_000,
            end_time_unix_nano: now,
            ..Default::default()
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans { scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() }],
    };
    (trace, req.encode_to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_batch_survives_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();

    // A project and key, made through the same stores before the server starts.
    let mut settings = elasticdash::Settings::default();
    for (k, v) in settings_env(path) {
        match k.as_str() {
            "ELASTICDASH__STORES__PRIMARY_URL" => settings.stores.primary_url = v,
            "ELASTICDASH__STORES__ANALYTICS_URL" => settings.stores.analytics_url = v,
            "ELASTICDASH__STORES__BLOB_URL" => settings.stores.blob_url = v,
            _ => {}
        }
    }
    let (project_id, auth) = {
        let stores = elasticdash::open_stores(&settings.stores).await.unwrap();
        stores.migrate().await.unwrap();
        let new = services::ports::NewUser {
            email: domain::Email::parse("crash@example.com").unwrap(),
            name: "crash".into(),
            password_hash: "unused".into(),
            role: domain::GlobalRole::User,
            must_change_password: false,
        };
        let user = stores.primary.create_user(new, services::clock::now_ms()).await.unwrap();
        let ctx = RequestContext {
            actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }),
            ..Default::default()
        };
        let input = services::projects::ProjectInput { name: "Crash".into(), slug: "crash".into(), description: String::new() };
        let project = services::projects::create(stores.primary.as_ref(), &ctx, input).await.unwrap();
        let key = services::api_keys::create(stores.primary.as_ref(), &ctx, "crash", "load", &["ingest".into()]).await.unwrap();
        (project.id, format!("Bearer {}:{}", key.record.public_id, key.secret))
    };

    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_server(path, port, "server-1.log");
    wait_healthy(&client, &base, &mut server, path, "server-1.log").await;

    // Sustained load from several clients; each records the traces the server acknowledged.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, url, auth, acked, stop) = (client.clone(), format!("{base}/v1/traces"), auth.clone(), acked.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            let mut failures = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let (trace, body) = batch(c, n);
                n += 1;
                let res = client
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/x-protobuf")
                    .body(body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == reqwest::StatusCode::OK => acked.lock().unwrap().push(trace),
                    _ => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            failures
        }));
    }
    // Let it run, then kill -9 while requests are in flight.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    while started.elapsed() < Duration::from_secs(2) || acked.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "too few acknowledgements before the kill");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let run_secs = started.elapsed().as_secs_f64();
    server.kill().unwrap(); // SIGKILL on Unix
    server.wait().unwrap();
    let acked_at_kill = acked.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let mut failures = 0;
    for t in tasks {
        failures += t.await.unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), acked_at_kill, "no acknowledgement after the kill");
    assert!(failures > 0, "requests after the kill fail: the kill really was mid-stream");

    // Restart on the same data and check every acknowledged batch through the server's stores.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut again = start_server(path, port, "server-2.log");
    wait_healthy(&client, &base, &mut again, path, "server-2.log").await;
    let stores = elasticdash::open_stores(&settings.stores).await.unwrap();
    let mut missing = Vec::new();
    for trace in &acked {
        let spans = stores.analytics.trace_spans(&test_support::pid(&project_id), trace).await.unwrap();
        if spans.len() as u64 != SPANS_PER_BATCH {
            missing.push(format!("{trace}: {} of {SPANS_PER_BATCH} spans", spans.len()));
        }
    }
    let spans = acked.len() as u64 * SPANS_PER_BATCH;
    eprintln!(
        "{} batches ({spans} spans, ~{:.0} spans/s, debug build) acknowledged before SIGKILL; {} lost",
        acked.len(),
        spans as f64 / run_secs,
        missing.len()
    );
    // The restarted server accepts more.
    let (trace, body) = batch(99, 0);
    let res = client
        .post(format!("{base}/v1/traces"))
        .header("authorization", &auth)
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(stores.analytics.trace_spans(&test_support::pid(&project_id), &trace).await.unwrap().len() as u64, SPANS_PER_BATCH);
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
}
