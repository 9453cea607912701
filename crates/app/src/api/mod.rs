//! Server functions: typed calls into the services layer, used by pages to
//! load their data (on the server) and by islands (from the browser). Each
//! one takes the request's context, calls one use case, maps the error.

pub mod account;
pub mod admin;
pub mod dashboards;
pub mod datasets;
pub mod error;
pub mod kb;
pub mod personas;
pub mod playground;
pub mod prices;
pub mod projects;
pub mod provider_keys;
pub mod retention;
#[cfg(feature = "ssr")]
pub(crate) mod support;
pub mod testcases;
pub mod traces;
pub mod usage;

pub use error::AppError;

use domain::ReadinessReport;
use leptos::prelude::*;

/// Ping every store and report its status (used by the readiness badge); backends and
/// latencies for admins only.
#[server(prefix = "/api")]
pub async fn check_readiness() -> Result<ReadinessReport, AppError> {
    use support::*;
    Ok(services::readiness::report_for(&stores(), &request()).await)
}
