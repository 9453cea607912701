//! Deterministic ledger files for bench/ledger_import.sh (ledger's `generate` feature): N rows as
//! .csv or .xlsx (constant-memory writer), or a .csv of about `--bytes` bytes. The same seed and
//! size always give the same file, so a file already in the cache is reused as it is.
//!
//!   ledger_gen --rows 1000000 --out ledger-1000000.xlsx
//!   ledger_gen --bytes 300000000 --out ledger-300MB.csv
//!
//! Prints one JSON line: path, rows, bytes, seconds (0 when reused).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Deterministic ledger files (.csv / .xlsx) for the import bench")]
struct Args {
    /// Data rows (below the header).
    #[arg(long, conflicts_with = "bytes")]
    rows: Option<usize>,
    /// CSV only: enough rows for about this many bytes.
    #[arg(long)]
    bytes: Option<u64>,
    /// Output file; the extension (.csv or .xlsx) picks the format.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write again even when the file exists.
    #[arg(long)]
    force: bool,
}

/// Counts bytes and throws them away: sizes a CSV without writing it.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows for about `target` bytes: the size of a 100k-row sample scaled (memo numbers widen
/// slowly, so the result lands within a fraction of a percent).
fn rows_for_bytes(target: u64, seed: u64) -> std::io::Result<usize> {
    const SAMPLE: usize = 100_000;
    let mut c = Counter::default();
    ledger::testdata::write_csv(&mut c, SAMPLE, seed)?;
    Ok(((target as f64 / c.0 as f64) * SAMPLE as f64).round().max(1.0) as usize)
}

fn write(path: &Path, rows: usize, seed: u64) -> Result<(), Box<dyn std::error::Error>> {
    // Written beside the target and renamed: an interrupted run never leaves a partial file to reuse.
    let tmp = path.with_extension(format!("partial.{}", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => ledger::testdata::write_csv(BufWriter::with_capacity(1 << 20, File::create(&tmp)?), rows, seed)?,
        Some("xlsx") => ledger::testdata::write_xlsx(&tmp, rows, seed)?,
        _ => return Err(format!("{}: the extension must be .csv or .xlsx", path.display()).into()),
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let rows = match (args.rows, args.bytes) {
        (Some(r), _) => r,
        (None, Some(b)) if args.out.extension().is_some_and(|e| e == "csv") => rows_for_bytes(b, args.seed)?,
        (None, Some(_)) => return Err("--bytes is for .csv files".into()),
        (None, None) => return Err("pass --rows N or --bytes N".into()),
    };
    // The row count is kept beside the file: a reused file must be the one asked for.
    let meta = args.out.with_extension(format!("{}.rows", args.out.extension().and_then(|e| e.to_str()).unwrap_or("")));
    let known = std::fs::read_to_string(&meta).ok().and_then(|s| s.trim().parse::<usize>().ok());
    let started = Instant::now();
    let reused = !args.force && args.out.exists() && known == Some(rows);
    if !reused {
        if let Some(dir) = args.out.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write(&args.out, rows, args.seed)?;
        std::fs::write(&meta, format!("{rows}\n"))?;
    }
    let bytes = std::fs::metadata(&args.out)?.len();
    let secs = if reused { 0.0 } else { started.elapsed().as_secs_f64() };
    let json = serde_json::json!({ "path": args.out, "rows": rows, "bytes": bytes, "secs": secs, "reused": reused });
    println!("{json}");
    Ok(())
}
