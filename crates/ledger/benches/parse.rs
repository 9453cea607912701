//! Import throughput against the bare readers, measured in the same run.
//!
//! Generates a deterministic ledger (100k rows; `LEDGER_BENCH_ROWS` overrides) as CSV and xlsx in a
//! temp dir, benches with criterion, then prints rows/s of the full parse+map+validate import next to
//! the baseline (csv crate reading byte records; calamine reading the sheet without mapping) and the
//! ratio, with each run's peak RSS (VmHWM after resetting it through /proc/self/clear_refs).

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use calamine::{open_workbook, Reader, Xlsx};
use criterion::{Criterion, Throughput};
use ledger::{import, ImportOptions};

fn csv_baseline(path: &Path) -> usize {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(File::open(path).unwrap());
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader.read_byte_record(&mut record).unwrap() {
        rows += black_box(record.len()).min(1);
    }
    rows
}

fn xlsx_range_baseline(path: &Path) -> usize {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let range = book.worksheet_range("Sheet1").unwrap();
    range.rows().map(|r| black_box(r.len()).min(1)).sum()
}

fn xlsx_cells_baseline(path: &Path) -> usize {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let mut cells = book.worksheet_cells_reader("Sheet1").unwrap();
    let mut n = 0;
    while let Some(c) = cells.next_cell().unwrap() {
        n += usize::from(black_box(c.get_position().1) == 0);
    }
    n
}

fn ledger_import(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_str().unwrap();
    let mut rows = 0;
    let summary = import(BufReader::new(File::open(path).unwrap()), name, &ImportOptions::default(), None, |batch| {
        rows += black_box(batch).len();
        Ok(())
    })
    .unwrap();
    assert_eq!(summary.rejections.total, 0, "generated data must import cleanly");
    rows + 1 // + header, to count rows like the baselines
}

/// Peak RSS in KiB of what `f` does: reset the high-water mark, run, read it back (Linux only).
fn peak_rss_kib(f: impl FnOnce()) -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    f();
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn rows_per_sec(f: &dyn Fn() -> usize) -> f64 {
    // Best of three: the least disturbed run on a shared 2-core machine.
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let rows = f();
            rows as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

/// (criterion id, input file, run returning rows seen)
type Case<'a> = (&'a str, &'a Path, fn(&Path) -> usize);

fn main() {
    let rows: usize = std::env::var("LEDGER_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("ledger.csv");
    let xlsx_path = dir.path().join("ledger.xlsx");
    let started = Instant::now();
    ledger::testdata::write_csv(std::io::BufWriter::new(File::create(&csv_path).unwrap()), rows, 42).unwrap();
    ledger::testdata::write_xlsx(&xlsx_path, rows, 42).unwrap();
    let size = |p: &Path| std::fs::metadata(p).unwrap().len() / 1024;
    println!("generated {rows} rows in {:.1?}: csv {} KiB, xlsx {} KiB", started.elapsed(), size(&csv_path), size(&xlsx_path));

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let cases: [Case; 5] = [
        ("csv/baseline_csv_byte_records", &csv_path, csv_baseline),
        ("csv/ledger_import", &csv_path, ledger_import),
        ("xlsx/baseline_calamine_range", &xlsx_path, xlsx_range_baseline),
        ("xlsx/baseline_calamine_cells_reader", &xlsx_path, xlsx_cells_baseline),
        ("xlsx/ledger_import", &xlsx_path, ledger_import),
    ];
    for (name, path, f) in cases {
        let (group, id) = name.split_once('/').unwrap();
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(rows as u64 + 1));
        g.bench_function(id, |b| b.iter(|| f(path)));
        g.finish();
    }
    c.final_summary();

    println!("\n{:<38} {:>12} {:>10} {:>14}", "case", "rows/s", "vs base", "peak RSS MiB");
    let mut base = 0.0;
    for (name, path, f) in cases {
        let rate = rows_per_sec(&|| f(path));
        if name.contains("baseline") && !name.contains("cells_reader") {
            base = rate;
        }
        let peak = peak_rss_kib(|| {
            f(path);
        })
        .map_or("n/a".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!("{name:<38} {rate:>12.0} {:>9.2}x {peak:>14}", rate / base);
    }
    println!("(vs base: rows/s relative to the format's bare baseline above it; higher is faster)");
}
