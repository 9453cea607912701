//! "The limit" of bench/ledger_import.sh (issue 5): how fast one file can be parsed and bulk
//! inserted with no server, no upload, no job queue and no port in between.
//!
//! - `reader`: the bare reader alone (csv byte records / calamine's cell reader, no mapping).
//! - `parse`: the ledger crate's full import (sniff, header, mapping, validation) into nothing.
//! - `sqlite`: that import on one thread, rows inserted on the other with rusqlite: one prepared
//!   single-row INSERT, one transaction per batch, into `ledger_rows` created by the SQLite
//!   analytics migration (same columns and indexes), WAL + synchronous=NORMAL as the store uses.
//! - `clickhouse`: that import on one thread, rows streamed as RowBinary over HTTP (the official
//!   client's insert) into `ledger_rows` of a database ElasticDash's ClickHouse store migrated,
//!   one INSERT per million rows.
//!
//! Each case: wall seconds and peak RSS of this process during it (VmHWM after a reset). One JSON
//! object on stdout (and in `--json-out`).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::Instant;

use chrono::Datelike;
use clap::Parser;
use ledger::{import, ImportOptions, LedgerRecord};
use serde::Serialize;

const PROJECT: &str = "018f0000-0000-7000-8000-00000000be4c";
const DATASET: &str = "limit-dataset";
const IMPORT: &str = "limit-import";
/// Rows per ClickHouse INSERT (ClickHouse forms blocks of up to a million rows).
const CH_ROWS_PER_INSERT: u64 = 1_000_000;

#[derive(Parser)]
#[command(about = "Parse + raw bulk insert of one ledger file: the floor for ElasticDash's import")]
struct Args {
    #[arg(long)]
    file: PathBuf,
    /// Cases to run, comma-separated: reader,parse,sqlite,clickhouse.
    #[arg(long, default_value = "reader,parse,sqlite,clickhouse")]
    only: String,
    /// SQLite database file for the `sqlite` case (removed first).
    #[arg(long)]
    sqlite: Option<PathBuf>,
    /// ClickHouse HTTP URL for the `clickhouse` case.
    #[arg(long)]
    clickhouse: Option<String>,
    /// Recreated for the run.
    #[arg(long, default_value = "elasticdash_ledger_limit")]
    clickhouse_db: String,
    /// Records per batch handed over by the import (the ledger crate's default).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Case {
    case: String,
    rows: u64,
    secs: f64,
    rows_per_sec: f64,
    peak_rss_mib: Option<f64>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn reset_peak_rss() {
    // "5" resets VmHWM to the current RSS (Linux); without it the figure is the process's peak.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

fn measure(case: &str, f: impl FnOnce() -> Result<u64, BoxError>) -> Result<Case, BoxError> {
    reset_peak_rss();
    let started = Instant::now();
    let rows = f()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("  {case}: {rows} rows in {secs:.2} s ({:.0} rows/s)", rows as f64 / secs);
    Ok(Case { case: case.into(), rows, secs, rows_per_sec: rows as f64 / secs, peak_rss_mib: peak_rss_mib() })
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("ledger.csv").to_owned()
}

fn is_xlsx(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Data rows seen by the bare reader (header excluded).
fn bare_reader(path: &Path) -> Result<u64, BoxError> {
    if is_xlsx(path) {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)?;
        let sheet = book.sheet_names().first().cloned().ok_or("no sheet")?;
        let mut cells = book.worksheet_cells_reader(&sheet)?;
        let mut last_row = None;
        let mut rows = 0u64;
        while let Some(c) = cells.next_cell()? {
            let r = c.get_position().0;
            if last_row != Some(r) {
                rows += 1;
                last_row = Some(r);
            }
        }
        Ok(rows.saturating_sub(1))
    } else {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(File::open(path)?);
        let mut record = csv::ByteRecord::new();
        let mut rows = 0u64;
        while reader.read_byte_record(&mut record)? {
            rows += u64::from(!record.is_empty());
        }
        Ok(rows)
    }
}

fn options(batch: usize) -> ImportOptions {
    ImportOptions { batch_size: batch, ..ImportOptions::default() }
}

/// The full ledger import into nothing.
fn parse_only(path: &Path, batch: usize) -> Result<u64, BoxError> {
    let mut rows = 0u64;
    let summary = import(BufReader::new(File::open(path)?), &file_name(path), &options(batch), None, |b| {
        rows += std::hint::black_box(b).len() as u64;
        Ok(())
    })?;
    if summary.rejections.total > 0 {
        return Err(format!("{} rows rejected: {:?}", summary.rejections.total, summary.rejections.kept.first()).into());
    }
    Ok(rows)
}

/// The import on a thread of its own, handing batches over a short queue (the inserter gets
/// the other core). Returns the receiver and the thread (its result: rows accepted).
fn parse_on_thread(path: &Path, batch: usize) -> (Receiver<Vec<LedgerRecord>>, std::thread::JoinHandle<Result<u64, String>>) {
    let (tx, rx) = sync_channel::<Vec<LedgerRecord>>(4);
    let path = path.to_owned();
    let handle = std::thread::spawn(move || {
        let file = File::open(&path).map_err(|e| e.to_string())?;
        let summary = import(BufReader::new(file), &file_name(&path), &options(batch), None, |b| {
            tx.send(b).map_err(|_| ledger::BatchError::from("the inserter stopped"))
        })
        .map_err(|e| e.to_string())?;
        if summary.rejections.total > 0 {
            return Err(format!("{} rows rejected", summary.rejections.total));
        }
        Ok(summary.accepted)
    });
    (rx, handle)
}

fn joined(handle: std::thread::JoinHandle<Result<u64, String>>) -> Result<u64, BoxError> {
    Ok(handle.join().map_err(|_| "the parser thread panicked")??)
}

/// Ten-thousandths, exactly (the generated amounts have 2 decimals).
fn scaled(d: rust_decimal::Decimal) -> Result<i64, BoxError> {
    let scale = d.scale();
    if scale > 4 {
        return Err(format!("{d} has more than 4 decimals").into());
    }
    let m = d.mantissa() * 10i128.pow(4 - scale);
    Ok(i64::try_from(m)?)
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn yyyymm(d: chrono::NaiveDate) -> u32 {
    d.year() as u32 * 100 + d.month()
}

fn date_text(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

// ------------------------------------------------------------------------------------ SQLite

const SQLITE_SCHEMA: &str = include_str!("../../../../migrations/sqlite-analytics/20250101000003_ledger.sql");

fn sqlite_insert(path: &Path, db: &Path, batch: usize) -> Result<u64, BoxError> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut conn = rusqlite::Connection::open(db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SQLITE_SCHEMA)?;
    let (rx, handle) = parse_on_thread(path, batch);
    let mut rows = 0u64;
    for records in rx {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO ledger_rows (project_id, dataset_id, import_id, row_number, company_code, entity, region, department, \
                 division, account_group, account_code, account_name, date, month, debit, credit, balance, currency, description) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?;
            for r in &records {
                stmt.execute(rusqlite::params![
                    PROJECT,
                    DATASET,
                    IMPORT,
                    r.row as i64,
                    text(&r.company_code),
                    text(&r.entity),
                    text(&r.region),
                    text(&r.department),
                    text(&r.division),
                    text(&r.account_group),
                    text(&r.account_code),
                    text(&r.account_name),
                    date_text(r.date),
                    yyyymm(r.month),
                    scaled(r.debit)?,
                    scaled(r.credit)?,
                    scaled(r.balance)?,
                    text(&r.currency),
                    text(&r.description),
                ])?;
            }
        }
        tx.commit()?;
        rows += records.len() as u64;
    }
    // The commit that makes the rows visible, as the store does.
    conn.execute(
        "INSERT INTO ledger_imports (project_id, dataset_id, import_id, seq, replaces) VALUES (?1, ?2, ?3, 1, 0)",
        rusqlite::params![PROJECT, DATASET, IMPORT],
    )?;
    let parsed = joined(handle)?;
    let stored: u64 = conn.query_row("SELECT count(*) FROM ledger_rows", [], |r| r.get(0))?;
    if stored != parsed || rows != parsed {
        return Err(format!("parsed {parsed} rows, inserted {rows}, stored {stored}").into());
    }
    Ok(rows)
}

// -------------------------------------------------------------------------------- ClickHouse

#[derive(clickhouse::Row, Serialize)]
struct ChRow<'a> {
    project_id: &'a str,
    dataset_id: &'a str,
    import_id: &'a str,
    row_number: u64,
    company_code: &'a str,
    entity: &'a str,
    region: &'a str,
    department: &'a str,
    division: &'a str,
    account_group: &'a str,
    account_code: &'a str,
    account_name: &'a str,
    date: &'a str,
    month: u32,
    debit: i64,
    credit: i64,
    balance: i64,
    currency: &'a str,
    description: &'a str,
}

#[derive(clickhouse::Row, Serialize)]
struct ChCommit<'a> {
    project_id: &'a str,
    dataset_id: &'a str,
    import_id: &'a str,
    seq: u64,
    replaces: u8,
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct Count {
    n: u64,
}

/// A fresh database migrated by ElasticDash's ClickHouse store (the same `ledger_rows`).
async fn clickhouse_database(url: &str, database: &str) -> Result<clickhouse::Client, BoxError> {
    use services::ports::AnalyticsStore;
    let server = clickhouse::Client::default().with_url(url).with_validation(false);
    server.query(&format!("DROP DATABASE IF EXISTS {database}")).execute().await?;
    let store = store_clickhouse::ClickHouseAnalyticsStore::connect(store_clickhouse::ClickHouseConfig {
        url: url.to_owned(),
        database: database.to_owned(),
        user: String::new(),
        password: String::new(),
        validation: false,
    })?;
    store.migrate().await?;
    Ok(server.with_database(database))
}

async fn clickhouse_insert(path: &Path, client: &clickhouse::Client, batch: usize) -> Result<u64, BoxError> {
    let (rx, handle) = parse_on_thread(path, batch);
    // The std receiver blocks: read it on a blocking thread, feed the async inserter.
    let (atx, mut arx) = tokio::sync::mpsc::channel::<Vec<LedgerRecord>>(2);
    let pump = tokio::task::spawn_blocking(move || {
        for b in rx {
            if atx.blocking_send(b).is_err() {
                break;
            }
        }
    });
    let mut rows = 0u64;
    let mut insert: Option<clickhouse::insert::Insert<ChRow<'static>>> = None;
    let mut in_insert = 0u64;
    while let Some(records) = arx.recv().await {
        let ins = match insert.as_mut() {
            Some(i) => i,
            None => insert.insert(client.insert::<ChRow<'static>>("ledger_rows").await?),
        };
        for r in &records {
            let date = date_text(r.date);
            ins.write(&ChRow {
                project_id: PROJECT,
                dataset_id: DATASET,
                import_id: IMPORT,
                row_number: r.row,
                company_code: text(&r.company_code),
                entity: text(&r.entity),
                region: text(&r.region),
                department: text(&r.department),
                division: text(&r.division),
                account_group: text(&r.account_group),
                account_code: text(&r.account_code),
                account_name: text(&r.account_name),
                date: &date,
                month: yyyymm(r.month),
                debit: scaled(r.debit)?,
                credit: scaled(r.credit)?,
                balance: scaled(r.balance)?,
                currency: text(&r.currency),
                description: text(&r.description),
            })
            .await?;
        }
        rows += records.len() as u64;
        in_insert += records.len() as u64;
        if in_insert >= CH_ROWS_PER_INSERT {
            insert.take().expect("an insert is open").end().await?;
            in_insert = 0;
        }
    }
    if let Some(i) = insert.take() {
        i.end().await?;
    }
    pump.await?;
    let mut commit = client.insert::<ChCommit<'_>>("ledger_imports").await?;
    commit.write(&ChCommit { project_id: PROJECT, dataset_id: DATASET, import_id: IMPORT, seq: 1, replaces: 0 }).await?;
    commit.end().await?;
    let parsed = joined(handle)?;
    let stored = client.query("SELECT count() AS n FROM ledger_rows").fetch_one::<Count>().await?.n;
    if stored != parsed || rows != parsed {
        return Err(format!("parsed {parsed} rows, inserted {rows}, stored {stored}").into());
    }
    Ok(rows)
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let wants = |c: &str| args.only.split(',').any(|o| o.trim() == c);
    let bytes = std::fs::metadata(&args.file)?.len();
    eprintln!("limit: {} ({} bytes)", args.file.display(), bytes);
    let mut cases = Vec::new();
    if wants("reader") {
        cases.push(measure("reader", || bare_reader(&args.file))?);
    }
    if wants("parse") {
        cases.push(measure("parse", || parse_only(&args.file, args.batch))?);
    }
    if wants("sqlite") {
        let db = args.sqlite.as_deref().ok_or("the sqlite case needs --sqlite FILE")?;
        cases.push(measure("sqlite", || sqlite_insert(&args.file, db, args.batch))?);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    if wants("clickhouse") {
        let url = args.clickhouse.as_deref().ok_or("the clickhouse case needs --clickhouse URL")?.trim_end_matches('/');
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let client = rt.block_on(clickhouse_database(url, &args.clickhouse_db))?;
        cases.push(measure("clickhouse", || rt.block_on(clickhouse_insert(&args.file, &client, args.batch)))?);
        rt.block_on(client.query(&format!("DROP DATABASE IF EXISTS {}", args.clickhouse_db)).execute())?;
    }
    let json = serde_json::json!({ "file": args.file, "bytes": bytes, "cases": cases });
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_vec_pretty(&json)?)?;
    }
    println!("{json}");
    Ok(())
}
