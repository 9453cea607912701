//! Query bench: loads N realistic spans (default 10M) into an analytics store through its port
//! (`insert_spans`, large batches), then times the trace list page (newest first, 50 traces, a
//! few filters) and the detail of one 5,000-span trace, each beside a bare SQL query doing the
//! same read. See bench/README.md; bench/query.sh runs it for SQLite and ClickHouse.

use services::ports::ProjectId;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use domain::traces::{SpanRow, TraceFilter, TraceOrder, TraceQuery};
use loadgen::genai::Generator;
use loadgen::stats::percentile_ms;
use otlp::{map_request, Limits, MapOptions, PriceTable, Rejections};
use serde::Serialize;
use services::ports::AnalyticsStore;
use sqlx::Row;

const PROJECT: &str = "018f0000-0000-7000-8000-00000000be4c";
const HOUR: u64 = 3_600_000_000_000;
const DETAIL_SPANS: usize = 5_000;

#[derive(Parser)]
#[command(about = "Trace list / trace detail timings at scale (see bench/README.md)")]
struct Args {
    /// Spans to load (whole traces; plus one 5,000-span trace).
    #[arg(long, default_value_t = 10_000_000)]
    spans: u64,
    /// SQLite analytics file; reused when it already holds exactly this load.
    #[arg(long)]
    sqlite: Option<PathBuf>,
    /// ClickHouse HTTP URL (e.g. http://127.0.0.1:18123); the database is recreated.
    #[arg(long)]
    clickhouse: Option<String>,
    #[arg(long, default_value = "elasticdash_querybench")]
    clickhouse_db: String,
    /// Spans per insert_spans call.
    #[arg(long, default_value_t = 20_000)]
    batch: usize,
    /// Timed runs per query (after one untimed run).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// The spans are spread over this many days before now.
    #[arg(long, default_value_t = 30)]
    days: u64,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Debug, Serialize, serde::Deserialize, Clone)]
struct Loaded {
    spans: u64,
    traces: u64,
    load_secs: f64,
    detail_trace_id: String,
    /// The data's "now": queries look back from here.
    end_ns: u64,
}

#[derive(Debug, Serialize)]
struct Timing {
    p50_ms: f64,
    p95_ms: f64,
}

#[derive(Debug, Serialize)]
struct QueryResult {
    name: String,
    runs: usize,
    p50_ms: f64,
    p95_ms: f64,
    /// Traces (list) or spans (detail) returned.
    rows: usize,
    target_ms: Option<f64>,
    bare: Option<Timing>,
}

#[derive(Debug, Serialize)]
struct BackendResult {
    backend: String,
    spans: u64,
    traces: u64,
    load_secs: f64,
    queries: Vec<QueryResult>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or_default()
}

/// Generates mapped rows on a thread of its own (the store gets the other core) and inserts them.
async fn load(store: &dyn AnalyticsStore, spans: u64, batch: usize, days: u64) -> Result<Loaded, BoxError> {
    let end_ns = now_ns() - HOUR;
    let batches = spans.div_ceil(batch as u64).max(1);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<SpanRow>, u64)>(4);
    let detail_at = batches / 2;
    let generator = std::thread::spawn(move || -> Option<String> {
        let (limits, prices) = (Limits::default(), PriceTable::seeded());
        let options = MapOptions { limits: &limits, prices: &prices, now_unix_nano: end_ns + HOUR };
        let mut g = Generator::new(0x5eed, end_ns);
        let mut detail_trace_id = None;
        for k in 0..batches {
            // Batch k covers its slice of the time range, oldest first; the last one ends at `end_ns`.
            g.set_now(end_ns - (batches - 1 - k) * (days * 24 * HOUR / batches));
            let request = if k == detail_at {
                let mut spans = g.big_trace(DETAIL_SPANS);
                detail_trace_id = Some(spans[0].trace_id.iter().map(|b| format!("{b:02x}")).collect());
                spans.extend(g.request(batch.saturating_sub(spans.len())).resource_spans.remove(0).scope_spans.remove(0).spans);
                g.wrap(spans)
            } else {
                g.request(batch)
            };
            let mut rejections = Rejections::default();
            let rows = map_request(request, &options, &mut rejections);
            assert_eq!(rejections.count, 0, "generated spans are valid: {:?}", rejections.first);
            let roots = rows.iter().filter(|r| r.parent_span_id.is_none()).count() as u64;
            if tx.blocking_send((rows, roots)).is_err() {
                return None;
            }
        }
        detail_trace_id
    });
    let started = Instant::now();
    let (mut loaded, mut traces, mut last_report) = (0u64, 0u64, Instant::now());
    while let Some((rows, roots)) = rx.recv().await {
        store.insert_spans(&ProjectId::unchecked(PROJECT), &rows).await?;
        loaded += rows.len() as u64;
        traces += roots;
        if last_report.elapsed() > Duration::from_secs(10) {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  {loaded} spans in {secs:.0} s ({:.0}/s)", loaded as f64 / secs);
            last_report = Instant::now();
        }
    }
    let detail_trace_id = generator.join().map_err(|_| "the generator thread panicked")?.ok_or("generation stopped early")?;
    Ok(Loaded { spans: loaded, traces, load_secs: started.elapsed().as_secs_f64(), detail_trace_id, end_ns })
}

/// One untimed run, then `runs` timed ones; returns the timings and the last run's row count.
async fn time<F, Fut>(runs: usize, mut f: F) -> Result<(Vec<Duration>, usize), BoxError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, BoxError>>,
{
    let mut rows = f().await?;
    let mut timings = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        rows = f().await?;
        timings.push(t.elapsed());
    }
    timings.sort_unstable();
    Ok((timings, rows))
}

fn timing(sorted: &[Duration]) -> Timing {
    Timing { p50_ms: percentile_ms(sorted, 50.0), p95_ms: percentile_ms(sorted, 95.0) }
}

/// The bare-SQL counterpart of a query, when there is one.
#[derive(Clone, Copy)]
enum Bare {
    List { from_ns: u64, to_ns: u64 },
    Detail,
}

trait BareSql {
    async fn run(&self, bare: Bare, trace_id: &str) -> Result<usize, BoxError>;
}

struct SqliteBare(sqlx::SqlitePool);

impl BareSql for SqliteBare {
    async fn run(&self, bare: Bare, trace_id: &str) -> Result<usize, BoxError> {
        let rows = match bare {
            Bare::List { from_ns, to_ns } => {
                sqlx::query(
                    "WITH page AS (SELECT trace_id FROM spans WHERE project_id = ?1 AND parent_span_id IS NULL \
                     AND start_ns >= ?2 AND start_ns < ?3 ORDER BY start_ns DESC, trace_id DESC LIMIT 50) \
                     SELECT s.trace_id, MIN(s.start_ns), MAX(s.end_ns), COUNT(*), SUM(s.status_code = 'error'), \
                     SUM(COALESCE(s.input_tokens, 0)), SUM(COALESCE(s.output_tokens, 0)), SUM(COALESCE(s.cost_micros, 0)), \
                     GROUP_CONCAT(DISTINCT s.model), MAX(CASE WHEN s.parent_span_id IS NULL THEN substr(s.input, 1, 200) END) \
                     FROM page p CROSS JOIN spans s WHERE s.project_id = ?1 AND s.trace_id = p.trace_id \
                     GROUP BY s.trace_id ORDER BY MIN(s.start_ns) DESC",
                )
                .bind(PROJECT)
                .bind(from_ns as i64)
                .bind(to_ns as i64)
                .fetch_all(&self.0)
                .await?
            }
            Bare::Detail => {
                // `+start_ns`: sort the trace's rows rather than walk the (project, start) index in order.
                sqlx::query("SELECT * FROM spans WHERE project_id = ?1 AND trace_id = ?2 ORDER BY +start_ns, span_id")
                    .bind(PROJECT)
                    .bind(trace_id)
                    .fetch_all(&self.0)
                    .await?
            }
        };
        // Touch every row as a client would.
        Ok(rows.iter().filter(|r| r.try_get_raw(0).is_ok()).count())
    }
}

struct ClickHouseBare {
    client: reqwest::Client,
    url: String,
    database: String,
}

impl BareSql for ClickHouseBare {
    async fn run(&self, bare: Bare, trace_id: &str) -> Result<usize, BoxError> {
        // Values are our own constants and hex ids, safe to inline.
        let sql = match bare {
            Bare::List { from_ns, to_ns } => format!(
                "SELECT trace_id, min(start_ns), max(end_ns), count(), countIf(status_code = 'error'), sum(ifNull(input_tokens, 0)), \
                 sum(ifNull(output_tokens, 0)), sum(ifNull(cost_micros, 0)), groupUniqArray(ifNull(model, '')), \
                 anyIf(substring(ifNull(input, ''), 1, 200), isNull(parent_span_id)) \
                 FROM spans WHERE project_id = '{PROJECT}' AND start_ns >= {from_ns} AND start_ns < {to_ns} + {HOUR} AND trace_id IN \
                 (SELECT trace_id FROM spans WHERE project_id = '{PROJECT}' AND isNull(parent_span_id) AND start_ns >= {from_ns} \
                 AND start_ns < {to_ns} ORDER BY start_ns DESC, trace_id DESC LIMIT 50) \
                 GROUP BY trace_id ORDER BY min(start_ns) DESC FORMAT TabSeparated"
            ),
            Bare::Detail => format!(
                "SELECT * FROM spans WHERE project_id = '{PROJECT}' AND trace_id = '{trace_id}' \
                 AND start_ns >= (SELECT min(start_ns) FROM span_traces WHERE project_id = '{PROJECT}' AND trace_id = '{trace_id}') \
                 AND start_ns <= (SELECT max(start_ns) FROM span_traces WHERE project_id = '{PROJECT}' AND trace_id = '{trace_id}') \
                 ORDER BY start_ns, span_id FORMAT TabSeparated"
            ),
        };
        let response = self.client.post(&self.url).query(&[("database", &self.database)]).body(sql).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            return Err(format!("ClickHouse {status}: {}", String::from_utf8_lossy(&body[..body.len().min(400)])).into());
        }
        Ok(body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count())
    }
}

async fn bench_queries(
    store: &dyn AnalyticsStore,
    bare: &impl BareSql,
    loaded: &Loaded,
    runs: usize,
) -> Result<Vec<QueryResult>, BoxError> {
    let (to_ns, day) = (loaded.end_ns + HOUR, 24 * HOUR);
    let range = |days: u64| TraceFilter { from_ns: to_ns - days * day, to_ns, ..TraceFilter::default() };
    let list = |filter: TraceFilter| TraceQuery { filter, order: TraceOrder::Newest, after: None, limit: 50 };
    let first_page = store.list_traces(&ProjectId::unchecked(PROJECT), &list(range(1))).await?;
    let cases: Vec<(&str, TraceQuery, Option<Bare>)> = vec![
        ("list newest, last 24 h", list(range(1)), Some(Bare::List { from_ns: to_ns - day, to_ns })),
        ("list newest, last 30 d", list(range(30)), Some(Bare::List { from_ns: to_ns - 30 * day, to_ns })),
        ("list page 2 (cursor), last 24 h", TraceQuery { after: first_page.next.clone(), ..list(range(1)) }, None),
        ("list model=gpt-4o-mini-2024-07-18, 24 h", list(TraceFilter { model: Some("gpt-4o-mini-2024-07-18".into()), ..range(1) }), None),
        ("list errors only, 24 h", list(TraceFilter { has_error: Some(true), ..range(1) }), None),
        ("list user=user-42, 30 d", list(TraceFilter { user_id: Some("user-42".into()), ..range(30) }), None),
        ("list min latency 10 s, 24 h", list(TraceFilter { min_duration_ns: Some(10_000_000_000), ..range(1) }), None),
        ("list search \"duplicate charge\", 24 h", list(TraceFilter { search: Some("duplicate charge".into()), ..range(1) }), None),
    ];
    let mut results = Vec::new();
    for (name, query, bare_case) in cases {
        eprintln!("  {name}");
        let (timings, rows) =
            time(runs, || async { Ok(store.list_traces(&ProjectId::unchecked(PROJECT), &query).await?.traces.len()) }).await?;
        let bare = match bare_case {
            Some(b) => Some(timing(&time(runs, || bare.run(b, "")).await?.0)),
            None => None,
        };
        let t = timing(&timings);
        results.push(QueryResult { name: name.into(), runs, p50_ms: t.p50_ms, p95_ms: t.p95_ms, rows, target_ms: Some(300.0), bare });
    }
    eprintln!("  trace detail");
    let id = loaded.detail_trace_id.as_str();
    let (timings, rows) = time(runs, || async { Ok(store.trace_spans(&ProjectId::unchecked(PROJECT), id).await?.len()) }).await?;
    if rows < DETAIL_SPANS {
        return Err(format!("the detail trace has {rows} spans, expected at least {DETAIL_SPANS}").into());
    }
    let bare_detail = timing(&time(runs, || bare.run(Bare::Detail, id)).await?.0);
    let t = timing(&timings);
    results.push(QueryResult {
        name: format!("trace detail ({rows} spans)"),
        runs,
        p50_ms: t.p50_ms,
        p95_ms: t.p95_ms,
        rows,
        target_ms: Some(500.0),
        bare: Some(bare_detail),
    });
    Ok(results)
}

async fn sqlite(args: &Args, path: &std::path::Path) -> Result<BackendResult, BoxError> {
    let url = format!("sqlite://{}", path.display());
    let marker = path.with_extension("load.json");
    let previous: Option<Loaded> = std::fs::read(&marker).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let store = store_sqlite::SqliteAnalyticsStore::connect(&url).await?;
    store.migrate().await?;
    let loaded = match previous {
        Some(p) if p.spans >= args.spans && p.spans < args.spans + args.batch as u64 + DETAIL_SPANS as u64 => {
            eprintln!("sqlite: reusing {} ({} spans loaded earlier)", path.display(), p.spans);
            p
        }
        _ => {
            drop(store);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let store = store_sqlite::SqliteAnalyticsStore::connect(&url).await?;
            store.migrate().await?;
            eprintln!("sqlite: loading {} spans into {}", args.spans, path.display());
            let loaded = load(&store, args.spans, args.batch, args.days).await?;
            std::fs::write(&marker, serde_json::to_vec(&loaded)?)?;
            loaded
        }
    };
    let store = store_sqlite::SqliteAnalyticsStore::connect(&url).await?;
    let bare = SqliteBare(sqlx::SqlitePool::connect(&format!("{url}?mode=ro")).await?);
    eprintln!("sqlite: querying");
    let queries = bench_queries(&store, &bare, &loaded, args.runs).await?;
    Ok(BackendResult { backend: "sqlite".into(), spans: loaded.spans, traces: loaded.traces, load_secs: loaded.load_secs, queries })
}

async fn clickhouse(args: &Args, url: &str) -> Result<BackendResult, BoxError> {
    let client = reqwest::Client::new();
    let drop = client.post(url).body(format!("DROP DATABASE IF EXISTS {}", args.clickhouse_db)).send().await?;
    if !drop.status().is_success() {
        return Err(format!("ClickHouse: {}", drop.text().await?).into());
    }
    let store = store_clickhouse::ClickHouseAnalyticsStore::connect(store_clickhouse::ClickHouseConfig {
        url: url.trim_end_matches('/').to_owned(),
        database: args.clickhouse_db.clone(),
        user: String::new(),
        password: String::new(),
        validation: false,
    })?;
    store.migrate().await?;
    eprintln!("clickhouse: loading {} spans", args.spans);
    let loaded = load(&store, args.spans, args.batch, args.days).await?;
    let bare = ClickHouseBare { client, url: url.to_owned(), database: args.clickhouse_db.clone() };
    eprintln!("clickhouse: querying");
    let queries = bench_queries(&store, &bare, &loaded, args.runs).await?;
    Ok(BackendResult { backend: "clickhouse".into(), spans: loaded.spans, traces: loaded.traces, load_secs: loaded.load_secs, queries })
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let mut backends = Vec::new();
    if let Some(path) = &args.sqlite {
        backends.push(sqlite(&args, path).await?);
    }
    if let Some(url) = &args.clickhouse {
        backends.push(clickhouse(&args, url).await?);
    }
    if backends.is_empty() {
        return Err("nothing to do: pass --sqlite FILE and/or --clickhouse URL".into());
    }
    let json = serde_json::json!({ "backends": backends });
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_vec_pretty(&json)?)?;
    }
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
