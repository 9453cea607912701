//! The embedded default primary store: one SQLite file in WAL mode. The SQL
//! and the port implementation are shared with PostgreSQL (`store_sql::primary`).

use services::StoreError;
use sqlx::{migrate::Migrator, SqlitePool};

/// `migrations/sqlite`, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqlitePrimaryStore {
    pool: SqlitePool,
}

impl SqlitePrimaryStore {
    /// Open (creating if missing) the database at a `sqlite:` URL. Call
    /// `PrimaryStore::migrate` before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::from_pool(crate::connect::connect(url).await?))
    }

    pub fn from_pool(pool: SqlitePool) -> Self {
        SqlitePrimaryStore { pool }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

store_sql::impl_primary_store!(SqlitePrimaryStore, store_sql::primary::SQLITE, MIGRATOR);
store_sql::impl_price_repos!(SqlitePrimaryStore);
store_sql::impl_llm_config_repos!(SqlitePrimaryStore);
store_sql::impl_dataset_repo!(SqlitePrimaryStore);
store_sql::impl_testcase_repo!(SqlitePrimaryStore);
store_sql::impl_kb_repo!(SqlitePrimaryStore, store_sql::primary::SQLITE);
