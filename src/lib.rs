//! The ElasticDash server: configuration, wiring of stores, HTTP layers,
//! background worker. `main.rs` is only the command line on top of this.

pub mod http;
pub mod ingest;
pub mod secret;
pub mod session_store;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod worker;

pub use settings::Settings;
pub use startup::{build_app, open_stores, Server};
