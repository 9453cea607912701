-- Ledger rows (issue 5). Written under an import id; visible only once `ledger_imports` holds a
-- commit of that import to the row's dataset. Text fields are '' when blank; money is an exact
-- count of ten-thousandths; month is year * 100 + month.
CREATE TABLE IF NOT EXISTS ledger_rows (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    company_code TEXT NOT NULL,
    entity TEXT NOT NULL,
    region TEXT NOT NULL,
    department TEXT NOT NULL,
    division TEXT NOT NULL,
    account_group TEXT NOT NULL,
    account_code TEXT NOT NULL,
    account_name TEXT NOT NULL,
    date TEXT NOT NULL,
    month INTEGER NOT NULL,
    debit INTEGER NOT NULL,
    credit INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    currency TEXT NOT NULL,
    description TEXT NOT NULL
);

-- Reads join the visible imports, then narrow by month; also removes a dataset's rows.
CREATE INDEX IF NOT EXISTS ledger_rows_import_month ON ledger_rows (project_id, dataset_id, import_id, month);
-- Removes one import's rows (discard, replace).
CREATE INDEX IF NOT EXISTS ledger_rows_import_row ON ledger_rows (project_id, import_id, row_number);

-- Commits: an import is visible when it has a row here. A Replace inserts its commit and
-- removes the dataset's older commits and their rows in one transaction (the ClickHouse store,
-- without transactions, keeps them and hides them by `seq` instead).
CREATE TABLE IF NOT EXISTS ledger_imports (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    replaces INTEGER NOT NULL,
    PRIMARY KEY (project_id, dataset_id, import_id)
) WITHOUT ROWID;
