//! SQLite adapters (embedded default). Primary and analytics data live in two
//! files so each has its own migrations and write lock.

mod analytics;
mod connect;
mod ledger;
mod primary;
mod spans;

pub use analytics::SqliteAnalyticsStore;
pub use connect::connect;
pub use primary::SqlitePrimaryStore;
