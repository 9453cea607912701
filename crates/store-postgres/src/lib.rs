//! PostgreSQL primary store, for several app servers sharing one database.
//! The SQL and the port implementation are shared with SQLite
//! (`store_sql::primary`); workers lease jobs with `FOR UPDATE SKIP LOCKED`.

use services::StoreError;
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};
use std::{str::FromStr, time::Duration};

/// `migrations/postgres`, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, Clone)]
pub struct PostgresPrimaryStore {
    pool: PgPool,
}

impl PostgresPrimaryStore {
    /// Connect to a `postgres://` URL. Call `PrimaryStore::migrate` before use.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL: {e}")))?;
        Self::connect_with(opts).await
    }

    pub async fn connect_with(opts: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(store_sql::map_sqlx_error)?;
        Ok(Self::from_pool(pool))
    }

    pub fn from_pool(pool: PgPool) -> Self {
        PostgresPrimaryStore { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

store_sql::impl_primary_store!(PostgresPrimaryStore, store_sql::primary::POSTGRES, MIGRATOR);
store_sql::impl_price_repos!(PostgresPrimaryStore);
store_sql::impl_llm_config_repos!(PostgresPrimaryStore);
store_sql::impl_dataset_repo!(PostgresPrimaryStore);
store_sql::impl_testcase_repo!(PostgresPrimaryStore);
store_sql::impl_kb_repo!(PostgresPrimaryStore, store_sql::primary::POSTGRES);
