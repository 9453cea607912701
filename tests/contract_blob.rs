//! The blob store contract on every adapter. S3 needs `ED_TEST_S3_ENDPOINT`,
//! `ED_TEST_S3_ACCESS_KEY` and `ED_TEST_S3_SECRET_KEY` (set by scripts/test.sh).

mod local {
    test_support::blob_contract_tests!(test_support::backends::local_blob());
}

mod s3 {
    test_support::blob_contract_tests!(test_support::backends::s3_blob());
}
