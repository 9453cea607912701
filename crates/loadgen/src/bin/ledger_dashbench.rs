//! Dashboard bench for bench/ledger_dashboard.sh (issue 5): loads N generated ledger rows (default
//! 10M) into ClickHouse through the analytics port (`insert_ledger_rows`, large batches, imports
//! of at most a million rows over two datasets, each committed), then times, for a few filters,
//! the dashboard's server work — `services::ledger_dashboard::open_dashboard`: the project check
//! on a SQLite primary store, the KPI/trend/segment/account totals and the filter drop-downs —
//! beside the bare ClickHouse queries for the same aggregates sent over HTTP one after the other
//! (no import visibility, no overflow checks, no assembly). p50/p95 over `--runs` runs after one
//! untimed run. The table is merged (OPTIMIZE FINAL) after loading so background merges do not
//! disturb the timings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use domain::ledger_dashboard::{CommitMode, LedgerFilter, LedgerMonth, LedgerRow, Money, MonthRange};
use loadgen::stats::percentile_ms;
use serde::Serialize;
use services::ports::AnalyticsStore;
use services::{RequestContext, Stores};

const SLUG: &str = "bench";
/// Rows per import (as if uploaded as files of this size); imports alternate between datasets.
const ROWS_PER_IMPORT: u64 = 1_000_000;
const DATASETS: [&str; 2] = ["ledger-a", "ledger-b"];

#[derive(Parser)]
#[command(about = "Ledger dashboard vs bare ClickHouse queries at scale (see bench/README.md)")]
struct Args {
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// ClickHouse HTTP URL, e.g. http://127.0.0.1:18123; the database is recreated.
    #[arg(long)]
    clickhouse: String,
    #[arg(long, default_value = "elasticdash_ledger_dashbench")]
    clickhouse_db: String,
    /// Rows per insert_ledger_rows call.
    #[arg(long, default_value_t = 200_000)]
    batch: usize,
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Folder for the SQLite primary store (users, the project).
    #[arg(long)]
    work_dir: PathBuf,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Serialize)]
struct Timing {
    p50_ms: f64,
    p95_ms: f64,
    mean_ms: f64,
}

#[derive(Debug, Serialize)]
struct FilterResult {
    name: String,
    query: String,
    runs: usize,
    /// Rows behind the figures.
    rows: u64,
    dashboard: Timing,
    bare: Timing,
    /// The bare queries plus the store's import-visibility condition: how much of the gap it is.
    bare_visible: Timing,
    bare_queries: usize,
}

fn timing(mut d: Vec<Duration>) -> Timing {
    d.sort_unstable();
    let mean_ms = d.iter().map(|x| x.as_secs_f64() * 1e3).sum::<f64>() / d.len().max(1) as f64;
    Timing { p50_ms: percentile_ms(&d, 50.0), p95_ms: percentile_ms(&d, 95.0), mean_ms }
}

fn month(y: u16, m: u8) -> LedgerMonth {
    LedgerMonth::new(y, m).expect("a valid month")
}

/// A primary store with an admin and the project `bench`; the context of that admin.
async fn primary(dir: &std::path::Path) -> Result<(Arc<store_sqlite::SqlitePrimaryStore>, RequestContext, String), BoxError> {
    use services::ports::PrimaryStore;
    std::fs::create_dir_all(dir)?;
    let path = dir.join("primary.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = Arc::new(store_sqlite::SqlitePrimaryStore::connect(&format!("sqlite://{}", path.display())).await?);
    store.migrate().await?;
    // The cheapest hash the policy allows: nobody signs in with this account.
    let cost = services::passwords::HashCost { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let user = services::accounts::create_admin(store.as_ref(), "bench@example.com", "bench password 12345", cost).await?;
    let ctx = RequestContext { actor: Some(services::auth::actor_of(&user)), ..RequestContext::default() };
    let input = services::projects::ProjectInput { name: "Bench".into(), slug: SLUG.into(), description: String::new() };
    let project = services::projects::create(store.as_ref(), &ctx, input).await?;
    Ok((store, ctx, project.id))
}

/// Generated rows (ledger's deterministic generator) straight into the store, generation on a
/// thread of its own. Returns the seconds taken.
async fn load(store: &dyn AnalyticsStore, project_id: &str, rows: u64, batch: usize) -> Result<f64, BoxError> {
    let project_id = &services::ports::ProjectId::unchecked(project_id);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(String, String, Vec<LedgerRow>, bool)>(2);
    let generator = std::thread::spawn(move || -> Result<(), String> {
        let mut out = Vec::with_capacity(batch);
        for (i, g) in ledger::testdata::rows(rows as usize, 7).enumerate() {
            let i = i as u64;
            let n = i / ROWS_PER_IMPORT;
            let dataset = DATASETS[(n % 2) as usize].to_owned();
            let import = format!("import-{n:03}");
            let (y, m, d) = g.date;
            let debit = Money::from_cents(g.debit_cents).map_err(|e| e.to_string())?;
            let credit = Money::from_cents(g.credit_cents).map_err(|e| e.to_string())?;
            out.push(LedgerRow {
                dataset_id: dataset.clone(),
                import_id: import.clone(),
                row: i % ROWS_PER_IMPORT + 2,
                company_code: g.company_code,
                entity: g.entity.into(),
                region: g.region.into(),
                department: g.department.into(),
                division: g.division.into(),
                account_group: g.account_group.into(),
                account_code: g.account_code.into(),
                account_name: g.account_name.into(),
                date: format!("{y:04}-{m:02}-{d:02}"),
                month: LedgerMonth::new(y, m).ok_or("month out of range")?,
                debit,
                credit,
                balance: debit.checked_sub(credit).map_err(|e| e.to_string())?,
                currency: "EUR".into(),
                description: g.memo,
                extra: String::new(),
            });
            let import_ends = (i + 1).is_multiple_of(ROWS_PER_IMPORT) || i + 1 == rows;
            if out.len() >= batch || import_ends {
                let full = std::mem::replace(&mut out, Vec::with_capacity(batch));
                if tx.blocking_send((dataset, import, full, import_ends)).is_err() {
                    return Err("the loader stopped".into());
                }
            }
        }
        Ok(())
    });
    let started = Instant::now();
    let (mut loaded, mut last_report) = (0u64, Instant::now());
    while let Some((dataset, import, batch, import_ends)) = rx.recv().await {
        store.insert_ledger_rows(project_id, &import, &batch).await?;
        loaded += batch.len() as u64;
        if import_ends {
            store.commit_import(project_id, &dataset, &import, CommitMode::Append).await?;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  {loaded} rows in {secs:.0} s ({:.0}/s)", loaded as f64 / secs);
            last_report = Instant::now();
        }
    }
    generator.join().map_err(|_| "the generator panicked")??;
    if loaded != rows {
        return Err(format!("loaded {loaded} rows of {rows}").into());
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The same aggregates as the dashboard, written by hand and sent straight to ClickHouse.
struct Bare {
    client: reqwest::Client,
    url: String,
    database: String,
    project_id: String,
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn list(values: &[String]) -> String {
    values.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(", ")
}

impl Bare {
    /// `WHERE ...` for a filter, optionally bounded to a period; with `visible`, also the
    /// store's rule for committed imports (crates/store-clickhouse/src/ledger.rs `from_visible`).
    fn r#where(&self, f: &LedgerFilter, period: Option<MonthRange>, visible: bool) -> String {
        let p = quoted(&self.project_id);
        let mut w = format!("WHERE project_id = {p}");
        if visible {
            let datasets = if f.datasets.is_empty() { String::new() } else { format!(" AND dataset_id IN ({})", list(&f.datasets)) };
            w.push_str(&format!(
                " AND (dataset_id, import_id) IN (SELECT dataset_id, import_id FROM ledger_imports ANY INNER JOIN \
                 (SELECT dataset_id, max(if(replaces = 1, seq, toUInt64(0))) AS base FROM ledger_imports WHERE project_id = {p}{datasets} \
                 GROUP BY dataset_id) USING dataset_id WHERE project_id = {p} AND seq >= base AND import_id != '')"
            ));
        }
        for (column, values) in [
            ("dataset_id", &f.datasets),
            ("entity", &f.entities),
            ("region", &f.regions),
            ("company_code", &f.company_codes),
            ("department", &f.departments),
            ("division", &f.divisions),
            ("account_group", &f.account_groups),
            ("account_code", &f.account_codes),
        ] {
            if !values.is_empty() {
                w.push_str(&format!(" AND {column} IN ({})", list(values)));
            }
        }
        let (from, to) = match period {
            Some(p) => (Some(p.from), Some(p.to)),
            None => (f.month_from, f.month_to),
        };
        if let Some(m) = from {
            w.push_str(&format!(" AND month >= {}", m.yyyymm()));
        }
        if let Some(m) = to {
            w.push_str(&format!(" AND month <= {}", m.yyyymm()));
        }
        w
    }

    async fn run(&self, sql: String) -> Result<String, BoxError> {
        let response =
            self.client.post(&self.url).query(&[("database", &self.database)]).body(format!("{sql} FORMAT TabSeparated")).send().await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            return Err(format!("ClickHouse {status}: {}", &body[..body.len().min(400)]).into());
        }
        Ok(body)
    }

    /// The dashboard's reads, in the service's order; returns the rows behind the figures and
    /// the number of queries.
    async fn dashboard(
        &self,
        f: &LedgerFilter,
        period: MonthRange,
        previous: Option<MonthRange>,
        visible: bool,
    ) -> Result<(u64, usize), BoxError> {
        const SUMS: &str = "sum(debit), sum(credit), sum(balance), count()";
        let by_month = self
            .run(format!(
                "SELECT month, account_group, {SUMS} FROM ledger_rows {} GROUP BY month, account_group",
                self.r#where(f, None, visible)
            ))
            .await?;
        let rows: u64 = by_month.lines().filter_map(|l| l.rsplit('\t').next()?.parse::<u64>().ok()).sum();
        let mut queries = 1;
        if let Some(p) = previous {
            self.run(format!("SELECT account_group, {SUMS} FROM ledger_rows {} GROUP BY account_group", self.r#where(f, Some(p), visible)))
                .await?;
            queries += 1;
        }
        let current = self.r#where(f, Some(period), visible);
        for keys in ["entity, account_group", "region, account_group", "account_code, account_name, account_group"] {
            self.run(format!("SELECT {keys}, {SUMS} FROM ledger_rows {current} GROUP BY {keys}")).await?;
            queries += 1;
        }
        let datasets_only = LedgerFilter { datasets: f.datasets.clone(), ..LedgerFilter::default() };
        let all = self.r#where(&datasets_only, None, visible);
        for column in ["entity", "region", "company_code", "department", "division", "account_group", "month"] {
            self.run(format!("SELECT DISTINCT {column} FROM ledger_rows {all} ORDER BY {column}")).await?;
            queries += 1;
        }
        Ok((rows, queries))
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let url = args.clickhouse.trim_end_matches('/').to_owned();
    let client = reqwest::Client::new();
    let drop = client.post(&url).body(format!("DROP DATABASE IF EXISTS {}", args.clickhouse_db)).send().await?;
    if !drop.status().is_success() {
        return Err(format!("ClickHouse: {}", drop.text().await?).into());
    }
    let analytics = Arc::new(store_clickhouse::ClickHouseAnalyticsStore::connect(store_clickhouse::ClickHouseConfig {
        url: url.clone(),
        database: args.clickhouse_db.clone(),
        user: String::new(),
        password: String::new(),
        validation: false,
    })?);
    analytics.migrate().await?;
    let (primary, ctx, project_id) = primary(&args.work_dir).await?;
    eprintln!("dashboard: loading {} ledger rows into ClickHouse", args.rows);
    let load_secs = load(analytics.as_ref(), &project_id, args.rows, args.batch).await?;
    let bare = Bare { client, url, database: args.clickhouse_db.clone(), project_id: project_id.clone() };
    let started = Instant::now();
    bare.run("OPTIMIZE TABLE ledger_rows FINAL".into()).await?;
    eprintln!("  merged in {:.0} s", started.elapsed().as_secs_f64());
    let stores = Stores { primary, analytics, blob: Arc::new(blob::LocalBlobStore::new(args.work_dir.join("blobs"))) };

    let filters: Vec<(&str, LedgerFilter)> = vec![
        ("all rows, all months", LedgerFilter::default()),
        (
            "region EMEA, 2023",
            LedgerFilter {
                regions: vec!["EMEA".into()],
                month_from: Some(month(2023, 1)),
                month_to: Some(month(2023, 12)),
                ..Default::default()
            },
        ),
        (
            "dataset a, Elara GmbH, Sales, REVENUE+COGS, 2024 H1",
            LedgerFilter {
                datasets: vec![DATASETS[0].into()],
                entities: vec!["Elara GmbH".into()],
                departments: vec!["Sales".into()],
                account_groups: vec!["REVENUE".into(), "COGS".into()],
                month_from: Some(month(2024, 1)),
                month_to: Some(month(2024, 6)),
                ..Default::default()
            },
        ),
    ];
    let mut results = Vec::new();
    for (name, filter) in filters {
        eprintln!("  {name}");
        let open = || services::ledger_dashboard::open_dashboard(&stores, &ctx, SLUG, &filter);
        let (_, first, _) = open().await?;
        let period = first.period.ok_or("the filter matches no rows")?;
        let (bare_rows, bare_queries) = bare.dashboard(&filter, period, first.previous_period, false).await?;
        let (visible_rows, _) = bare.dashboard(&filter, period, first.previous_period, true).await?;
        if bare_rows != first.rows || visible_rows != first.rows {
            return Err(format!("{name}: the dashboard counts {} rows, the bare queries {bare_rows} ({visible_rows})", first.rows).into());
        }
        // Interleaved, so both see the same machine conditions.
        let (mut dash, mut raw, mut raw_visible) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.runs {
            let t = Instant::now();
            let (_, d, _) = open().await?;
            dash.push(t.elapsed());
            std::hint::black_box(d);
            let t = Instant::now();
            bare.dashboard(&filter, period, first.previous_period, false).await?;
            raw.push(t.elapsed());
            let t = Instant::now();
            bare.dashboard(&filter, period, first.previous_period, true).await?;
            raw_visible.push(t.elapsed());
        }
        results.push(FilterResult {
            name: name.into(),
            query: filter.to_query(),
            runs: args.runs,
            rows: first.rows,
            dashboard: timing(dash),
            bare: timing(raw),
            bare_visible: timing(raw_visible),
            bare_queries,
        });
    }
    let json = serde_json::json!({ "rows": args.rows, "load_secs": load_secs, "filters": results });
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_vec_pretty(&json)?)?;
    }
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
