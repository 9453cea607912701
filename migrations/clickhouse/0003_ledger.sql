-- Ledger rows (issue 5), for ClickHouse 18.16 and later. Written under an import id; visible
-- only once `ledger_imports` holds a commit of that import to the row's dataset. Text fields are
-- '' when blank; money is an exact Int64 count of ten-thousandths (18.16's Decimal is still
-- experimental); month is year * 100 + month. Rows are removed by mutations (delete, replace).
CREATE TABLE IF NOT EXISTS ledger_rows
(
    project_id String,
    dataset_id String,
    import_id String,
    row_number UInt64,
    company_code String,
    entity String,
    region String,
    department String,
    division String,
    account_group String,
    account_code String,
    account_name String,
    date String,
    month UInt32,
    debit Int64,
    credit Int64,
    balance Int64,
    currency String,
    description String
)
ENGINE = MergeTree
ORDER BY (project_id, dataset_id, month, account_group, import_id, row_number);

-- Commits: an import is visible when its commit's seq is at least the dataset's latest
-- `replaces = 1` commit (a Replace, or a deletion's marker with a blank import id). One row is
-- inserted per commit, so a commit (and a Replace's hiding of older imports) is atomic.
CREATE TABLE IF NOT EXISTS ledger_imports
(
    project_id String,
    dataset_id String,
    import_id String,
    seq UInt64,
    replaces UInt8
)
ENGINE = MergeTree
ORDER BY (project_id, dataset_id, seq, import_id);
