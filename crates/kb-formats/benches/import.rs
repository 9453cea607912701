//! Import bench (`cargo bench -p kb-formats --bench import`, or `bench/kb_import.sh`).
//!
//! Parses a generated 10,000-operation document (JSON and YAML) and any files named in
//! `KB_BENCH_FILES` (colon-separated, e.g. GitHub's REST description), each in a fresh child
//! process so that peak RSS (VmHWM) belongs to one measurement. Next to each import it runs the
//! baseline on the same bytes in the same run: `serde_json::from_slice::<Value>` for JSON,
//! `serde_norway::from_slice::<Value>` for YAML. Goal: ≤ 10 s and ≤ 300 MB for 10k operations.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use kb_formats::testdata::{generate_openapi, generate_openapi_yaml};
use kb_formats::{parse_openapi, parse_openapi_each, Limits};

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One measurement in this process; prints `secs rss_mb detail`.
fn child(mode: &str, file: &Path) {
    let bytes = std::fs::read(file).expect("read bench file");
    let start = Instant::now();
    let detail = match mode {
        "baseline-json" => {
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
            format!("{} top-level keys", v.as_object().map_or(0, |m| m.len()))
        }
        "baseline-yaml" => {
            let v: serde_norway::Value = serde_norway::from_slice(&bytes).expect("valid YAML");
            format!("{} top-level keys", v.as_mapping().map_or(0, |m| m.len()))
        }
        "kb-streamed" => {
            let mut n = 0;
            match parse_openapi_each(&bytes, &Limits::default(), &mut |_, _, _| n += 1) {
                Ok(w) => format!("{n} operations, {} warnings (entries dropped as they come)", w.len()),
                Err(e) => format!("error: {e}"),
            }
        }
        _ => match parse_openapi(&bytes, &Limits::default()) {
            Ok(got) => format!("{} operations, {} warnings", got.entries.len(), got.warnings.len()),
            Err(e) => format!("error: {e}"),
        },
    };
    let secs = start.elapsed().as_secs_f64();
    println!("{secs:.3} {:.1} {detail}", peak_rss_mb());
}

fn run(mode: &str, file: &Path) -> (f64, f64, String) {
    let out = Command::new(std::env::current_exe().unwrap()).args(["--child", mode]).arg(file).output().expect("spawn child");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.trim().splitn(3, ' ');
    let secs = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let rss = it.next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let detail = it.next().unwrap_or("").to_string();
    if !out.status.success() {
        return (secs, rss, format!("child failed: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")));
    }
    (secs, rss, detail)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let ops: usize = std::env::var("KB_BENCH_OPERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("kb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join(format!("generated-{ops}.json"));
    let yaml = dir.join(format!("generated-{ops}.yaml"));
    std::fs::write(&json, generate_openapi(ops, 1)).unwrap();
    std::fs::write(&yaml, generate_openapi_yaml(ops, 1)).unwrap();
    let mut files: Vec<PathBuf> = vec![json, yaml];
    for f in std::env::var("KB_BENCH_FILES").unwrap_or_default().split(':').filter(|s| !s.is_empty()) {
        files.push(PathBuf::from(f));
    }
    println!("{:<34} {:>9} {:<14} {:>9} {:>10}  detail", "file", "MB", "measurement", "seconds", "peak MB");
    for f in &files {
        let size = std::fs::metadata(f).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        let is_yaml = f.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for mode in [if is_yaml { "baseline-yaml" } else { "baseline-json" }, "kb-import", "kb-streamed"] {
            let (secs, rss, detail) = run(mode, f);
            println!("{name:<34} {size:>9.1} {mode:<14} {secs:>9.3} {rss:>10.1}  {detail}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
