//! The test-run bench's client (bench/test_runs.sh).
//!
//! `setup`: writes, straight into the running server's SQLite primary store, a user, project
//! "bench", an ingest API key, a provider key (the fake LLM), N approved cases of S steps with a
//! model target (`--target model`) or an HTTP target (`--target http`, the fake app) and one
//! suite of them; prints `KEY=public:secret` and `SUITE=id`.
//!
//! `run`: starts the suite through the CI endpoint, waits for it, and prints the time, runs/s
//! and the checks (every run final exactly once, one result per step, nothing pending).

use clap::{Parser, Subcommand};
use domain::{
    test_steps::{MatchType, StepExpectation},
    testcases::{CaseStatus, HttpTarget, ModelTarget, RunStatus, Suite, Target},
    Email, GlobalRole,
};
use serde_json::{json, Value};
use services::{provider_keys::KeyCipher, Actor, RequestContext, Stores};
use std::{sync::Arc, time::Instant};

#[derive(Parser)]
struct Args {
    /// The server's primary store, e.g. sqlite:///tmp/x/elasticdash.db
    #[arg(long)]
    primary_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Setup {
        #[arg(long, default_value_t = 1000)]
        cases: usize,
        #[arg(long, default_value_t = 3)]
        steps: usize,
        /// model | http
        #[arg(long, default_value = "model")]
        target: String,
        /// The fake LLM's OpenAI base URL (http://127.0.0.1:port/v1).
        #[arg(long)]
        llm_url: String,
        /// The fake app's /chat URL.
        #[arg(long, default_value = "")]
        app_url: String,
        /// The server's master key (base64), to encrypt the provider key as it does.
        #[arg(long, env = "ELASTICDASH__LLM__MASTER_KEY")]
        master_key: String,
    },
    Run {
        #[arg(long)]
        base: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        suite: String,
        #[arg(long, default_value_t = 3)]
        steps: usize,
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
    },
}

async fn stores(primary_url: &str) -> Stores {
    let primary = Arc::new(store_sqlite::SqlitePrimaryStore::connect(primary_url).await.expect("primary store"));
    let analytics_url = primary_url.replace("elasticdash.db", "analytics.db");
    let analytics = Arc::new(store_sqlite::SqliteAnalyticsStore::connect(&analytics_url).await.expect("analytics store"));
    let dir = primary_url.trim_start_matches("sqlite://").rsplit_once('/').map(|(d, _)| d.to_owned()).unwrap_or_default();
    let blob = Arc::new(blob::LocalBlobStore::new(format!("{dir}/blobs").into()));
    Stores { primary, analytics, blob }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let stores = stores(&args.primary_url).await;
    match args.command {
        Command::Setup { cases, steps, target, llm_url, app_url, master_key } => {
            setup(&stores, cases, steps, &target, &llm_url, &app_url, &master_key).await
        }
        Command::Run { base, key, suite, steps, timeout_secs } => run(&stores, &base, &key, &suite, steps, timeout_secs).await,
    }
}

async fn setup(stores: &Stores, cases: usize, steps: usize, target: &str, llm_url: &str, app_url: &str, master_key: &str) {
    let started = Instant::now();
    let store = stores.primary.as_ref();
    let cipher = KeyCipher::from_encoded(master_key).expect("master key");
    let user = store
        .create_user(
            services::ports::NewUser {
                email: Email::parse("bench-runs@example.com").unwrap(),
                name: "Bench".into(),
                password_hash: "x".into(),
                role: GlobalRole::User,
                must_change_password: false,
            },
            services::clock::now_ms(),
        )
        .await
        .expect("user");
    let ctx = RequestContext {
        actor: Some(Actor { user_id: user.id.clone(), email: user.email.to_string(), role: user.role }),
        ..Default::default()
    };
    let input = services::projects::ProjectInput { name: "Bench".into(), slug: "bench".into(), description: String::new() };
    let project = services::projects::create(store, &ctx, input).await.expect("project");
    let key = services::api_keys::create(store, &ctx, "bench", "bench", &["ingest".into()]).await.expect("api key");
    let provider = services::provider_keys::ProviderKeyInput {
        name: "Fake LLM".into(),
        vendor: "openai".into(),
        base_url: llm_url.into(),
        api_key: "sk-bench-12345678".into(),
        default_model: "fake-small".into(),
        remove_key: false,
    };
    let provider = services::provider_keys::create(store, &cipher, &ctx, "bench", &provider).await.expect("provider key");
    let mut ids = Vec::with_capacity(cases);
    for i in 0..cases {
        let (target, steps_v) = match target {
            "http" => {
                let t = Target::Http(HttpTarget {
                    url: app_url.into(),
                    method: "POST".into(),
                    headers: vec![("content-type".into(), "application/json".into())],
                    secret_header_names: vec![],
                    body: json!({"message": format!("question {i}")}).to_string(),
                    timeout_ms: 10_000,
                });
                // The fake app makes `steps` calls; the last answers, the others classify.
                let s = (0..steps)
                    .map(|k| step(&format!("call {k}"), if k + 1 == steps { "5 business days" } else { "intent" }))
                    .collect::<Vec<_>>();
                (t, s)
            }
            _ => {
                let t = Target::Model(ModelTarget {
                    provider_key_id: Some(provider.id.clone()),
                    model: "fake-small".into(),
                    system_prompt: "Be brief.".into(),
                    temperature: Some(0.0),
                    max_tokens: Some(64),
                });
                let s = (0..steps).map(|k| step(&format!("case {i} step {k}"), &format!("heard: case {i} step {k}"))).collect();
                (t, s)
            }
        };
        let input = services::testcases::CaseInput {
            name: format!("Case {i}"),
            feature: "bench".into(),
            source_trace_id: None,
            target,
            steps: steps_v,
            tags: vec![],
            secret_headers: None,
        };
        let case = services::testcases::create(stores, &cipher, &ctx, "bench", &input).await.expect("case");
        services::testcases::set_status(stores, &ctx, "bench", &case.id, CaseStatus::Review, None).await.expect("review");
        services::testcases::set_status(stores, &ctx, "bench", &case.id, CaseStatus::Approved, None).await.expect("approve");
        ids.push(case.id);
    }
    let now = services::clock::now_ms();
    let suite = Suite {
        id: uuid_like(),
        project_id: project.id.clone(),
        name: format!("Bench {cases}x{steps} {target}"),
        description: String::new(),
        case_ids: ids,
        created_at_ms: now,
        updated_at_ms: now,
    };
    store.insert_suite(&suite).await.expect("suite");
    eprintln!("setup: {cases} cases in {:.1} s", started.elapsed().as_secs_f64());
    println!("KEY={}:{}", key.record.public_id, key.secret);
    println!("SUITE={}", suite.id);
    println!("PROJECT={}", project.id);
}

fn uuid_like() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    t ^ (u128::from(std::process::id()) << 64)
}

fn step(input: &str, expected: &str) -> StepExpectation {
    StepExpectation {
        model: None,
        input: input.into(),
        expected_output: expected.into(),
        match_type: MatchType::Contains,
        tool_calls: vec![],
        max_latency_ms: None,
        max_tokens: None,
        max_cost_usd: None,
    }
}

async fn run(stores: &Stores, base: &str, key: &str, suite: &str, steps: usize, timeout_secs: u64) {
    let client = reqwest::Client::new();
    let auth = format!("Bearer {key}");
    let started = Instant::now();
    let res = client.post(format!("{base}/api/public/suites/{suite}/runs")).header("authorization", &auth).send().await.expect("start");
    assert_eq!(res.status().as_u16(), 202, "start: {}", res.text().await.unwrap_or_default());
    let body: Value = res.json().await.expect("json");
    let id = body["suite_run_id"].as_str().expect("suite_run_id").to_owned();
    let total = body["total"].as_u64().unwrap_or(0);
    let mut summary = Value::Null;
    while started.elapsed().as_secs() < timeout_secs {
        let res =
            client.get(format!("{base}/api/public/suite-runs/{id}?wait=20")).header("authorization", &auth).send().await.expect("poll");
        summary = res.json().await.expect("summary");
        if summary["done"] == true {
            break;
        }
        eprintln!(
            "… {:.0} s: {} passed, {} failed, {} pending",
            started.elapsed().as_secs_f64(),
            summary["passed"],
            summary["failed"],
            summary["pending"]
        );
    }
    let secs = started.elapsed().as_secs_f64();
    // The checks, from the store: every run final once, one result per step, counts agree.
    let project_id = services::ports::ProjectId::unchecked(project_of(stores).await);
    let runs = stores.primary.runs_of_suite_run(&project_id, &id).await.expect("runs");
    let finals = runs.iter().filter(|r| r.status.is_final()).count();
    let passed = runs.iter().filter(|r| r.status == RunStatus::Success).count();
    let bad_steps = runs.iter().filter(|r| r.steps.len() != steps).count();
    let step_results: usize = runs.iter().map(|r| r.steps.len()).sum();
    let jobs_left = stores.primary.queue_depth().await.unwrap_or(0);
    println!(
        "{}",
        json!({
            "runs": total, "steps_per_run": steps, "seconds": (secs * 100.0).round() / 100.0,
            "runs_per_second": ((total as f64 / secs) * 10.0).round() / 10.0,
            "done": summary["done"], "passed": summary["passed"], "failed": summary["failed"],
            "stored_runs": runs.len(), "final_runs": finals, "success_runs": passed,
            "step_results": step_results, "runs_with_wrong_step_count": bad_steps, "jobs_left": jobs_left,
            "first_failure": summary["runs"][0]["failures"][0],
        })
    );
    let ok = summary["done"] == true
        && runs.len() as u64 == total
        && finals == runs.len()
        && bad_steps == 0
        && step_results == runs.len() * steps;
    std::process::exit(if ok { 0 } else { 1 });
}

async fn project_of(stores: &Stores) -> String {
    let slug = domain::ProjectSlug::parse("bench").expect("slug");
    stores.primary.project_by_slug(&slug).await.expect("project").expect("project bench").id
}
