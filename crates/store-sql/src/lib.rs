//! Shared by the sqlx-based adapters: turn driver errors into `StoreError`
//! by kind, never by message text, and the primary store's SQL and logic
//! (see [`primary`] and [`accounts`]), written once for SQLite and PostgreSQL.

use services::StoreError;
use sqlx::error::ErrorKind;

pub mod accounts;
pub mod datasets;
pub mod kb;
pub mod llm_config;
pub mod prices;
pub mod primary;
pub mod testcases;

pub fn map_sqlx_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => StoreError::Conflict(db.message().to_owned()),
            ErrorKind::ForeignKeyViolation | ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                StoreError::Invalid(db.message().to_owned())
            }
            _ => StoreError::Internal(db.to_string()),
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Internal(other.to_string()),
    }
}

/// For writes whose foreign keys name existing rows (a project's owner, a
/// member's project and user, an API key's project): a missing one is
/// `NotFound`; anything else as [`map_sqlx_error`].
pub fn map_missing_ref(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.kind() == ErrorKind::ForeignKeyViolation => StoreError::NotFound,
        _ => map_sqlx_error(e),
    }
}

pub fn map_migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(inner) => map_sqlx_error(inner),
        other => StoreError::Internal(other.to_string()),
    }
}

/// What the macros' expansions name, so the crates that use them need no
/// extra dependencies. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use async_trait::async_trait;
    pub use domain;
    pub use serde_json;
    pub use services;
    pub use sqlx;
    pub use tracing;
}
