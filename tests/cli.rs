//! The `elasticdash` command line, run as a real process.

use std::{
    io::Write,
    process::{Command, Stdio},
};

fn command(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elasticdash"));
    cmd.args(args)
        .env("ELASTICDASH_CONFIG", dir.join("absent.toml"))
        .env("ELASTICDASH__STORES__PRIMARY_URL", format!("sqlite://{}/p.db", dir.display()))
        .env("ELASTICDASH__STORES__ANALYTICS_URL", format!("sqlite://{}/a.db", dir.display()))
        .env("ELASTICDASH__STORES__BLOB_URL", format!("file://{}/blobs", dir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = command(dir, args).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn migrate_reports_each_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["migrate"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("primary (sqlite), analytics (sqlite), blob (file)"), "{text}");
    // Twice is fine.
    assert!(run(dir.path(), &["migrate"], "").status.success());
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["create-admin", "--email", "Ada@Example.com"], "a long enough passphrase\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created administrator ada@example.com"));

    let again = run(dir.path(), &["create-admin", "--email", "ada@example.com"], "a long enough passphrase\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn create_admin_refuses_weak_passwords_and_bad_emails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let short = run(dir.path(), &["create-admin", "--email", "ada@example.com"], "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let bad = run(dir.path(), &["create-admin", "--email", "not-an-email"], "a long enough passphrase\n");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an e-mail address"));
}

#[test]
fn bad_settings_are_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &["migrate"]).env("ELASTICDASH__STORES__PRIMARY_URL", "mysql://x").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported primary store URL"), "{err}");
    assert!(!err.contains("panicked"));
}
