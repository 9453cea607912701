//! Fresh, isolated adapters for one test each.

mod analytics;
mod blob;
mod primary;

pub use analytics::*;
pub use blob::*;
pub use primary::*;
