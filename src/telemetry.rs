//! Logging: text or JSON lines; every request's span carries its request id,
//! so every line logged while serving it does too.

use crate::settings::LogSettings;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if settings.format == "json" {
        registry.with(fmt::layer().json().with_current_span(true).with_span_list(false)).try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
}
