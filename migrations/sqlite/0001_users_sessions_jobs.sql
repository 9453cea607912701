-- Primary store, SQLite. Times are Unix milliseconds (UTC); the PostgreSQL
-- schema (migrations/postgres) has the same tables and columns.

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    email         TEXT    NOT NULL UNIQUE,      -- lower-cased by domain::Email
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    created_at_ms INTEGER NOT NULL
);

-- Encoded by the tower-sessions adapter; the store only keeps bytes.
CREATE TABLE sessions (
    id            TEXT    NOT NULL PRIMARY KEY,
    data          BLOB    NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);

-- A durable queue with leases (see services::ports::JobQueue).
-- AUTOINCREMENT: ids are never reused, so "oldest" is "lowest id".
CREATE TABLE jobs (
    id                  INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind                TEXT    NOT NULL,
    payload             TEXT    NOT NULL CHECK (json_valid(payload)),
    status              TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at_ms           INTEGER NOT NULL,
    worker              TEXT,
    lease_expires_at_ms INTEGER,
    last_error          TEXT,
    created_at_ms       INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL
);
-- Leasing scans unfinished jobs oldest first; finished jobs drop out of it.
CREATE INDEX jobs_unfinished_by_id ON jobs (id) WHERE status IN ('queued', 'running');
-- Expired leases, and a worker's running jobs (release on shutdown).
CREATE INDEX jobs_running_by_lease ON jobs (lease_expires_at_ms) WHERE status = 'running';
CREATE INDEX jobs_running_by_worker ON jobs (worker) WHERE status = 'running';
