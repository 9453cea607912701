//! A small migration runner: the `.sql` files of `migrations/clickhouse`
//! (embedded at build time) are applied in name order, each recorded in
//! `schema_migrations`. ClickHouse has no transactions, so every statement
//! must be idempotent (`IF NOT EXISTS`): a file interrupted half-way, or
//! applied by two servers at once, is simply applied again.

use crate::with_timeout;
use clickhouse::{Client, Row};
use serde::Deserialize;
use services::error::StoreResult;
use std::{collections::HashSet, time::Duration};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

#[derive(Row, Deserialize)]
struct Applied {
    version: String,
}

pub(crate) async fn run(client: &Client, migrations: &[(&str, &str)], limit: Duration) -> StoreResult<()> {
    with_timeout(
        limit,
        client
            .query_raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version String, applied_at DateTime) \
                 ENGINE = ReplacingMergeTree ORDER BY version",
            )
            .execute(),
    )
    .await?;
    let applied: HashSet<String> = with_timeout(limit, client.query("SELECT version FROM schema_migrations").fetch_all::<Applied>())
        .await?
        .into_iter()
        .map(|a| a.version)
        .collect();
    for (version, sql) in migrations {
        if applied.contains(*version) {
            continue;
        }
        tracing::info!(version, "applying ClickHouse migration");
        for statement in split_statements(sql) {
            with_timeout(limit, client.query_raw(&statement).execute()).await?;
        }
        with_timeout(limit, client.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, now())").bind(*version).execute())
            .await?;
    }
    Ok(())
}

/// Split a script into statements at `;` outside quotes and `--` comments
/// (write no `/* */` comments in migrations); `--` comments are dropped and empty statements skipped (the HTTP interface
/// takes one statement per request).
pub(crate) fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                current.push(c);
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    current.push(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    for skipped in chars.by_ref() {
                        if skipped == '\n' {
                            current.push('\n');
                            break;
                        }
                    }
                }
                ';' => {
                    push_statement(&mut statements, &mut current);
                }
                _ => current.push(c),
            },
        }
    }
    push_statement(&mut statements, &mut current);
    statements
}

fn push_statement(statements: &mut Vec<String>, current: &mut String) {
    let statement = current.trim();
    if !statement.is_empty() {
        statements.push(statement.to_owned());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let sql = "-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT 'a;b');\n\n  ;\nSELECT \"c;d\" -- trailing; comment\n;";
        assert_eq!(split_statements(sql), vec!["CREATE TABLE a (x String DEFAULT 'a;b')", "SELECT \"c;d\""]);
    }

    #[test]
    fn keeps_escaped_quotes_inside_strings() {
        assert_eq!(split_statements(r"SELECT 'it\'s; fine'; SELECT 2"), vec![r"SELECT 'it\'s; fine'", "SELECT 2"]);
    }

    #[test]
    fn every_embedded_migration_has_statements() {
        assert!(!MIGRATIONS.is_empty());
        let mut names: Vec<_> = MIGRATIONS.iter().map(|(v, _)| *v).collect();
        names.sort_unstable();
        assert_eq!(names, MIGRATIONS.iter().map(|(v, _)| *v).collect::<Vec<_>>(), "applied in name order");
        for (version, sql) in MIGRATIONS {
            assert!(!split_statements(sql).is_empty(), "{version} is empty");
        }
    }
}
