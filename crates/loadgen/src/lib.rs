//! Benchmark tools (see bench/README.md): the OTLP ingest load generator (`send`), the raw
//! ClickHouse insert baseline (`clickhouse_raw`), and their shared statistics.

pub mod clickhouse_raw;
pub mod genai;
pub mod pool;
pub mod send;
pub mod stats;
