//! Server functions: the browser's typed calls into the services layer.

use domain::ReadinessReport;
use leptos::prelude::*;

/// Ping every store and report its status (used by the readiness badge).
#[server(prefix = "/api")]
pub async fn check_readiness() -> Result<ReadinessReport, ServerFnError> {
    let stores = expect_context::<services::Stores>();
    Ok(services::readiness::check(&stores).await)
}
