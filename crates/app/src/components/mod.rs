#[cfg(feature = "ssr")]
pub mod charts;
pub mod nav;
pub mod store_table;
