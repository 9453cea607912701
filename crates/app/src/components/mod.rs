#[cfg(feature = "ssr")]
pub mod charts;
pub mod flash;
pub mod nav;
pub mod store_table;
