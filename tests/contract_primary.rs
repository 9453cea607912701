//! The primary store's contract suite against every adapter:
//! `sqlite::<case>` and `postgres::<case>` (needs `ED_TEST_POSTGRES_URL`).

mod sqlite {
    test_support::primary_contract_tests!(test_support::backends::sqlite_primary_with_sql());
}

mod postgres {
    test_support::primary_contract_tests!(test_support::backends::postgres_primary_with_sql());
}
