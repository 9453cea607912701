//! `loadgen send …` (OTLP ingest load) and `loadgen clickhouse-raw …` (raw insert ceiling).
//! Prints one result line; `--json-out FILE` also writes the numbers for bench/ scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use loadgen::{clickhouse_raw, send, stats::Report};

#[derive(Parser)]
#[command(about = "ElasticDash benchmark load tools (see bench/README.md)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Name of this run in the output.
    #[arg(long, global = true, default_value = "run")]
    label: String,
    /// Also write the report as JSON here.
    #[arg(long, global = true)]
    json_out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Send realistic GenAI spans as OTLP/HTTP protobuf batches; report acknowledged spans/s.
    Send {
        /// OTLP traces endpoint, e.g. http://127.0.0.1:3000/v1/traces
        #[arg(long)]
        url: String,
        /// Extra header "Name: value" (repeatable), e.g. "Authorization: Bearer pk:sk".
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// Spans per request (whole traces, so up to 8 more).
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Requests in flight.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Measured seconds.
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Seconds of load before measuring.
        #[arg(long, default_value_t = 3.0)]
        warmup: f64,
        /// Distinct bodies generated before the run (reused with fresh trace ids).
        #[arg(long, default_value_t = 32)]
        pool: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Re-insert the rows of a ClickHouse table into the same table of another database, as
    /// RowBinary over HTTP.
    ClickhouseRaw {
        /// ClickHouse HTTP interface, e.g. http://127.0.0.1:18123
        #[arg(long)]
        url: String,
        /// Database holding the rows.
        #[arg(long)]
        database: String,
        /// Database with the same, empty, table (migrated by `elasticdash migrate`).
        #[arg(long)]
        target_database: String,
        #[arg(long, default_value = "spans")]
        table: String,
        /// Column to split the rows into batches by.
        #[arg(long, default_value = "span_id")]
        key: String,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value_t = 500)]
        batch: u64,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

fn parse_header(h: &str) -> Result<(String, String), String> {
    h.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned())).ok_or_else(|| format!("header {h:?} is not \"Name: value\""))
}

async fn run(cli: Cli) -> Result<Report, String> {
    match cli.command {
        Command::Send { url, headers, batch, concurrency, duration, warmup, pool, seed } => {
            let headers = headers.iter().map(|h| parse_header(h)).collect::<Result<_, _>>()?;
            let secs = |s: f64, what: &str| Duration::try_from_secs_f64(s).map_err(|e| format!("--{what}: {e}"));
            let cfg = send::SendConfig {
                label: cli.label,
                url,
                headers,
                batch_spans: batch.max(1),
                concurrency: concurrency.max(1),
                duration: secs(duration, "duration")?,
                warmup: secs(warmup, "warmup")?,
                pool,
                seed,
            };
            send::run(cfg).await
        }
        Command::ClickhouseRaw { url, database, target_database, table, key, user, password, batch, concurrency } => {
            let cfg = clickhouse_raw::RawConfig {
                label: cli.label,
                url,
                user,
                password,
                database,
                target_database,
                table,
                key,
                batch_rows: batch,
                concurrency,
            };
            clickhouse_raw::run(cfg).await
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json_out = cli.json_out.clone();
    match run(cli).await {
        Ok(report) => {
            println!("{}", report.line());
            if let Some(path) = json_out {
                let json = serde_json::to_string_pretty(&report).expect("a report serialises");
                if let Err(e) = std::fs::write(&path, json) {
                    eprintln!("error: writing {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            // A run where nothing was acknowledged measured nothing.
            if report.items == 0 {
                eprintln!("error: nothing was acknowledged");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
