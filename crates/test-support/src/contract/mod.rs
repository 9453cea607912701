//! One story per port. Each `*_contract_tests!` macro expands to one
//! `#[tokio::test]` per case, so counts per backend show in the test output.

pub mod analytics;
pub mod blob;
pub mod primary;
