-- Primary store, PostgreSQL. Times are Unix milliseconds (UTC) as BIGINT so
-- both adapters share their SQL; the SQLite schema (migrations/sqlite) has
-- the same tables and columns.

CREATE TABLE users (
    id            TEXT   NOT NULL PRIMARY KEY, -- UUID v7
    email         TEXT   NOT NULL UNIQUE,      -- lower-cased by domain::Email
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('admin', 'user')),
    created_at_ms BIGINT NOT NULL
);

-- Encoded by the tower-sessions adapter; the store only keeps bytes.
CREATE TABLE sessions (
    id            TEXT   NOT NULL PRIMARY KEY,
    data          BYTEA  NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);

-- A durable queue with leases (see services::ports::JobQueue); workers pick
-- jobs with FOR UPDATE SKIP LOCKED. "Oldest" is "lowest id".
CREATE TABLE jobs (
    id                  BIGSERIAL NOT NULL PRIMARY KEY,
    kind                TEXT      NOT NULL,
    payload             JSONB     NOT NULL,
    status              TEXT      NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    attempts            BIGINT    NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts        BIGINT    NOT NULL CHECK (max_attempts >= 1),
    run_at_ms           BIGINT    NOT NULL,
    worker              TEXT,
    lease_expires_at_ms BIGINT,
    last_error          TEXT,
    created_at_ms       BIGINT    NOT NULL,
    updated_at_ms       BIGINT    NOT NULL
);
-- Leasing scans unfinished jobs oldest first; finished jobs drop out of it.
CREATE INDEX jobs_unfinished_by_id ON jobs (id) WHERE status IN ('queued', 'running');
-- Expired leases, and a worker's running jobs (release on shutdown).
CREATE INDEX jobs_running_by_lease ON jobs (lease_expires_at_ms) WHERE status = 'running';
CREATE INDEX jobs_running_by_worker ON jobs (worker) WHERE status = 'running';
