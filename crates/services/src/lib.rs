//! Use cases and the ports they run through. Nothing here names a backend:
//! adapters live in the `store-*` and `blob` crates and are picked by
//! configuration at start-up.

pub mod accounts;
pub mod api_keys;
pub mod app_services;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod context;
pub mod conversations;
pub mod dataset_import;
pub mod datasets;
pub mod error;
pub mod kb;
pub mod ledger_dashboard;
pub mod llm_calls;
pub mod llm_gateway;
pub mod password_reset;
pub mod passwords;
pub mod personas;
pub mod plans;
pub mod playground;
pub mod ports;
pub mod prices;
pub mod projects;
pub mod provider_keys;
pub mod quota;
pub mod readiness;
pub mod retention;
mod service_error;
pub mod sessions;
pub mod stores;
pub mod suites;
pub mod test_generation;
pub mod test_runs;
pub mod testcases;
pub mod trace_ingest;
pub mod trace_queries;
pub mod usage;
pub mod users;

pub use app_services::AppServices;
pub use context::{Actor, RequestContext};
pub use error::StoreError;
/// The spreadsheet parser, for callers that name its types (mappings, settings).
pub use ledger;
pub use service_error::{ServiceError, ServiceResult};
pub use stores::Stores;
