-- The columns of an uploaded file that map to no ledger field, per row, as a JSON object
-- (issue 5: "unknown columns are kept as extra attributes"); '' when there are none.
ALTER TABLE ledger_rows ADD COLUMN extra String DEFAULT ''
