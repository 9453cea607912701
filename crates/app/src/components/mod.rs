#[cfg(feature = "ssr")]
pub mod charts;
pub mod flash;
pub mod nav;
pub mod store_table;
#[cfg(feature = "ssr")]
pub mod trace_charts;
pub mod trace_view;
