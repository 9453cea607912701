//! `fake-target`: the fake AI application on a port, for end-to-end runs and the bench.

use clap::Parser;
use fake_target::{Config, Export};

#[derive(Parser)]
#[command(about = "A fake AI application: POST /chat answers and exports an OTLP trace continuing the caller's traceparent")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4100")]
    listen: std::net::SocketAddr,
    /// ElasticDash base URL the traces go to (empty: none).
    #[arg(long, env = "FAKE_TARGET_INGEST_URL", default_value = "")]
    ingest_url: String,
    #[arg(long, env = "FAKE_TARGET_PUBLIC_KEY", default_value = "")]
    public_key: String,
    #[arg(long, env = "FAKE_TARGET_SECRET_KEY", default_value = "")]
    secret_key: String,
    /// The answer (the last LLM call's output).
    #[arg(long)]
    answer: Option<String>,
    /// LLM calls per request (1–3).
    #[arg(long, default_value_t = 2)]
    calls: usize,
    /// Export before answering instead of after.
    #[arg(long)]
    export_before: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut config = Config {
        ingest_url: args.ingest_url,
        public_key: args.public_key,
        secret_key: args.secret_key,
        export: if args.export_before { Export::BeforeAnswer } else { Export::AfterAnswer },
        ..Config::default()
    };
    let n = args.calls.clamp(1, 3);
    config.outputs = (1..n).map(|i| format!("intent {i}: refund")).collect();
    config.outputs.push(args.answer.unwrap_or_else(|| "Refunds take 5 business days.".into()));
    let target = fake_target::spawn(args.listen, config).await?;
    println!("fake-target listening on {}", target.url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
