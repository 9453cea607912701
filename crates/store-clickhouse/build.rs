//! Embeds `migrations/clickhouse/*.sql` into the binary, in name order, so a
//! new migration file needs no code change.

use std::{env, fs, path::PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../migrations/clickhouse");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().expect("migration names are UTF-8"))
        .filter(|name| name.ends_with(".sql"))
        .collect();
    names.sort();
    let mut out =
        String::from("/// `(version, sql)` of every migration file, in name order.\npub(crate) const MIGRATIONS: &[(&str, &str)] = &[\n");
    for name in names {
        let path = dir.join(&name);
        println!("cargo:rerun-if-changed={}", path.display());
        let version = name.trim_end_matches(".sql");
        out.push_str(&format!("    ({version:?}, include_str!({:?})),\n", path.display().to_string()));
    }
    out.push_str("];\n");
    fs::write(PathBuf::from(env::var("OUT_DIR").unwrap()).join("migrations.rs"), out).unwrap();
}
