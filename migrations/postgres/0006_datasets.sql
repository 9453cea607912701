-- Datasets (issue 5): named sets of ledger records per project, and the imports (uploaded
-- files) that fill them. The rows are in the analytics store, the files in the blob store.
-- PostgreSQL; migrations/sqlite/0006_datasets.sql has the same tables.
CREATE TABLE datasets (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id    TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    rows_visible  BIGINT  NOT NULL DEFAULT 0,
    size_bytes    BIGINT  NOT NULL DEFAULT 0,
    created_by    TEXT    REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms BIGINT  NOT NULL,
    updated_at_ms BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);

-- status and the chunk counters are columns (compare-and-set updates); the rest of the
-- import (mode, file, settings, mapping, preview, counts, error...) is the JSON in record.
CREATE TABLE dataset_imports (
    id              TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    dataset_id      TEXT    NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL,
    chunks_received BIGINT  NOT NULL,
    bytes_received  BIGINT  NOT NULL,
    uploaded_by     TEXT    REFERENCES users (id) ON DELETE SET NULL,
    record          TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL,
    updated_at_ms   BIGINT  NOT NULL
);
CREATE INDEX dataset_imports_dataset ON dataset_imports (project_id, dataset_id, created_at_ms);
