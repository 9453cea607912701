//! The ceiling for ClickHouse mode: the very rows ElasticDash stored, inserted again straight
//! over ClickHouse's HTTP interface, with the same batch size and concurrency, into the same
//! table of another database migrated by ElasticDash (same engine, keys and materialized views).
//! No decoding, mapping or auth: only the insert.
//!
//! The rows are exported first (untimed) as RowBinary in batch-sized parts, split by a hash of
//! `key` so each part is one cheap query (PREWHERE reads only the key column to select).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::stats::Report;

#[derive(Debug, Clone)]
pub struct RawConfig {
    pub label: String,
    /// e.g. `http://127.0.0.1:18123`
    pub url: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Where ElasticDash wrote the rows.
    pub database: String,
    /// An empty database with the same schema (`elasticdash migrate`), receiving the insert.
    pub target_database: String,
    pub table: String,
    /// Column the rows are split by (any column with many distinct values).
    pub key: String,
    pub batch_rows: u64,
    pub concurrency: usize,
}

struct Ch {
    client: reqwest::Client,
    cfg: RawConfig,
}

impl Ch {
    async fn query(&self, sql: String, body: Option<bytes::Bytes>) -> Result<bytes::Bytes, String> {
        let mut params = vec![];
        if let Some(u) = &self.cfg.user {
            params.push(("user", u.clone()));
        }
        if let Some(p) = &self.cfg.password {
            params.push(("password", p.clone()));
        }
        // SQL in the body unless the body carries the data, then in the URL.
        let request = match body {
            Some(data) => {
                params.push(("query", sql.clone()));
                self.client.post(&self.cfg.url).query(&params).body(data)
            }
            None => self.client.post(&self.cfg.url).query(&params).body(sql.clone()),
        };
        let response = request.send().await.map_err(|e| format!("{sql}: {e}"))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| format!("{sql}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{sql}: {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(500)])));
        }
        Ok(bytes)
    }

    async fn count(&self, table: &str) -> Result<u64, String> {
        let out = self.query(format!("SELECT count() FROM {table}"), None).await?;
        String::from_utf8_lossy(&out).trim().parse().map_err(|e| format!("count of {table}: {e}"))
    }
}

fn ident(name: &str) -> Result<&str, String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(format!("{name:?} is not a plain identifier"))
    }
}

pub async fn run(cfg: RawConfig) -> Result<Report, String> {
    let (source, target) = (ident(&cfg.database)?, ident(&cfg.target_database)?);
    if source == target {
        return Err("the target database must differ from the source".into());
    }
    let (table, key) = (ident(&cfg.table)?, ident(&cfg.key)?);
    let (copy, table) = (format!("{target}.{table}"), format!("{source}.{table}"));
    let key = key.to_owned();
    let ch = Ch { client: reqwest::Client::builder().timeout(Duration::from_secs(600)).build().map_err(|e| e.to_string())?, cfg };

    let rows = ch.count(&table).await?;
    if rows == 0 {
        return Err(format!("{table} is empty: run the ClickHouse-mode ingest first"));
    }
    let parts = rows.div_ceil(ch.cfg.batch_rows.max(1));
    let mut bodies = Vec::with_capacity(parts as usize);
    for i in 0..parts {
        let sql = format!("SELECT * FROM {table} PREWHERE cityHash64({key}) % {parts} = {i} FORMAT RowBinary");
        bodies.push(ch.query(sql, None).await?);
    }
    if ch.count(&copy).await? != 0 {
        return Err(format!("{copy} is not empty"));
    }
    let insert = format!("INSERT INTO {copy} FORMAT RowBinary");
    let bytes_per_request = bodies.iter().map(|b| b.len()).sum::<usize>() as f64 / parts as f64;

    let queue = Arc::new(Mutex::new(bodies));
    let ch = Arc::new(ch);
    let start = Instant::now();
    let workers: Vec<_> = (0..ch.cfg.concurrency.max(1))
        .map(|_| {
            let (ch, queue, insert) = (ch.clone(), queue.clone(), insert.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let Some(body) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                    let t = Instant::now();
                    ch.query(insert.clone(), Some(body)).await?;
                    latencies.push(t.elapsed());
                }
                Ok::<_, String>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.map_err(|e| e.to_string())??);
    }
    let secs = start.elapsed().as_secs_f64();
    let copied = ch.count(&copy).await?;
    // A deduplicating engine may merge rows already; more than were sent means a bug here.
    if copied > rows {
        return Err(format!("{copy} holds {copied} rows, {rows} were sent"));
    }
    let mut report = Report::new(&ch.cfg.label, latencies, secs);
    report.items = rows;
    report.items_all = rows;
    report.items_per_sec = rows as f64 / secs;
    report.items_per_request = rows as f64 / parts as f64;
    report.bytes_per_request = bytes_per_request;
    report.concurrency = ch.cfg.concurrency;
    Ok(report)
}
