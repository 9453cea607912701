//! A fresh, migrated primary store per test.

use services::ports::PrimaryStore;
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};
use std::{str::FromStr, sync::Arc};
use store_postgres::PostgresPrimaryStore;
use store_sqlite::SqlitePrimaryStore;

/// A new SQLite file in its own temporary folder. The folder is kept (not
/// deleted) because the store outlives this function and has no owner to
/// clean up after it; it is small and lives under the system temp dir.
pub async fn sqlite_primary() -> Arc<dyn PrimaryStore> {
    sqlite_primary_with_sql().await.0
}

/// A new database on the PostgreSQL server at `ED_TEST_POSTGRES_URL` (an
/// administrator's URL); fails when it is not set.
pub async fn postgres_primary() -> Arc<dyn PrimaryStore> {
    postgres_primary_with_sql().await.0
}

/// [`sqlite_primary`], with a back door to its database.
pub async fn sqlite_primary_with_sql() -> (Arc<dyn PrimaryStore>, RawSql) {
    let dir = tempfile::Builder::new().prefix("ed-primary-").tempdir().expect("temporary folder").keep();
    let url = format!("sqlite://{}", dir.join("primary.db").display());
    let store = SqlitePrimaryStore::connect(&url).await.expect("open SQLite primary store");
    store.migrate().await.expect("migrate SQLite primary store");
    (Arc::new(store.clone()), RawSql::Sqlite(store))
}

/// [`postgres_primary`], with a back door to its database.
pub async fn postgres_primary_with_sql() -> (Arc<dyn PrimaryStore>, RawSql) {
    let admin_url = crate::required_env("ED_TEST_POSTGRES_URL");
    let name = crate::unique_name("t");
    let mut admin = PgConnection::connect(&admin_url).await.expect("connect to ED_TEST_POSTGRES_URL");
    // `name` is `t_` and hex digits: safe to quote as an identifier.
    sqlx::query(&format!(r#"CREATE DATABASE "{name}""#)).execute(&mut admin).await.expect("create test database");
    admin.close().await.expect("close admin connection");

    let opts = PgConnectOptions::from_str(&admin_url).expect("ED_TEST_POSTGRES_URL is a PostgreSQL URL").database(&name);
    let store = PostgresPrimaryStore::connect_with(opts).await.expect("connect to test database");
    store.migrate().await.expect("migrate PostgreSQL primary store");
    (Arc::new(store.clone()), RawSql::Postgres(store))
}

/// Statements run straight against a test store's database, around the
/// port: how the contract suite plays an attacker who edits or deletes
/// stored rows (the audit chain must notice).
#[derive(Debug, Clone)]
pub enum RawSql {
    Sqlite(SqlitePrimaryStore),
    Postgres(PostgresPrimaryStore),
}

impl RawSql {
    /// Run one statement (no parameters: the suite's own fixed text);
    /// returns the rows it changed.
    pub async fn execute(&self, statement: &str) -> u64 {
        let done = match self {
            RawSql::Sqlite(store) => sqlx::query(statement).execute(store.pool()).await.map(|r| r.rows_affected()),
            RawSql::Postgres(store) => sqlx::query(statement).execute(store.pool()).await.map(|r| r.rows_affected()),
        };
        done.unwrap_or_else(|e| panic!("raw SQL `{statement}` failed: {e}"))
    }
}
