//! Use cases and the ports they run through. Nothing here names a backend:
//! adapters live in the `store-*` and `blob` crates and are picked by
//! configuration at start-up.

pub mod accounts;
pub mod clock;
pub mod error;
pub mod passwords;
pub mod ports;
pub mod readiness;
pub mod stores;

pub use error::StoreError;
pub use stores::Stores;
