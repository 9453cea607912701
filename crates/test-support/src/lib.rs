//! Shared by every test: the contract suites (one story per port, run against
//! each adapter) and factories for fresh, isolated backends on the servers
//! that `scripts/test.sh` started.
//!
//! A backend whose server is not configured makes the test fail with a hint;
//! it is never skipped silently.

pub mod backends;
pub mod contract;
pub mod fixtures;

/// For the contract macros' `#[tokio::test]`, so callers need no `tokio` of their own.
#[doc(hidden)]
pub use tokio;

/// Read a test service setting exported by `scripts/test.sh`.
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test.sh, which starts PostgreSQL, ClickHouse and the S3 server")
    })
}

/// A short unique name for per-test databases, buckets and folders.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A project id taken on trust: contract suites call the stores directly, with no
/// authorisation in between.
pub fn pid(id: &str) -> services::ports::ProjectId {
    services::ports::ProjectId::unchecked(id)
}
