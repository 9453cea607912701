//! The analytics store contract on every adapter. ClickHouse needs
//! `ED_TEST_CLICKHOUSE_URL` (set by scripts/test.sh).

mod sqlite {
    test_support::analytics_contract_tests!(test_support::backends::sqlite_analytics());
}

mod clickhouse {
    test_support::analytics_contract_tests!(test_support::backends::clickhouse_analytics());
}
