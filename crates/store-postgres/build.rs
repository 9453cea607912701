// sqlx::migrate! embeds the migration folder at compile time; rebuild when a
// file is added there, not only when an existing one changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
