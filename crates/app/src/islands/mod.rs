//! The only components shipped to the browser. Keep them small.

pub mod playground;
pub mod ready_badge;
pub mod theme_toggle;
pub mod upload;
