//! The ElasticDash web application: a server-rendered shell with islands.
//! Pages render on the server only; islands (`islands/`) are the only parts
//! shipped to the browser as wasm. Server functions (`api.rs`) stay thin:
//! take the stores from context, call one service, map the error.
// Large server-rendered tables nest deep view types; the hydrate build computes their layout.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod islands;
pub mod pages;
pub mod session_view;
mod shell;

#[cfg(feature = "ssr")]
pub use shell::CspNonce;
pub use shell::{shell, App, Theme};
