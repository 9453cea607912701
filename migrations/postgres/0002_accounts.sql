-- Accounts: user profile and lockout fields, plans, projects and members,
-- API keys, the hash-chained audit log, and the user behind each session.
-- PostgreSQL; migrations/sqlite/0002_accounts.sql has the same tables and
-- columns (times are BIGINT Unix ms, JSON is stored as text in both so the
-- audit values come back exactly as they were hashed).

-- What a plan allows; NULL means unlimited. Exactly one plan is the default
-- (the partial unique index forbids two; the store flips it in a transaction).
CREATE TABLE plans (
    id                  TEXT    NOT NULL PRIMARY KEY, -- UUID v7, or 'free' for the seeded plan
    name                TEXT    NOT NULL UNIQUE,
    projects            BIGINT  CHECK (projects >= 0),
    members_per_project BIGINT  CHECK (members_per_project >= 0),
    traces_per_month    BIGINT  CHECK (traces_per_month >= 0),
    test_runs_per_month BIGINT  CHECK (test_runs_per_month >= 0),
    dataset_rows        BIGINT  CHECK (dataset_rows >= 0),
    storage_bytes       BIGINT  CHECK (storage_bytes >= 0),
    is_default          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_ms       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX plans_one_default ON plans (is_default) WHERE is_default;

-- The plan new users get: 3 projects, 10 members each, 50k traces and 1k test
-- runs a month, 1M dataset rows, 1 GiB.
INSERT INTO plans (id, name, projects, members_per_project, traces_per_month, test_runs_per_month, dataset_rows, storage_bytes,
                   is_default, created_at_ms)
VALUES ('free', 'Free', 3, 10, 50000, 1000, 1000000, 1073741824, TRUE,
        (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT);

ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE users ADD COLUMN locked_until_ms BIGINT;
ALTER TABLE users ADD COLUMN password_changed_at_ms BIGINT NOT NULL DEFAULT 0;
-- NULL: the default plan.
ALTER TABLE users ADD COLUMN plan_id TEXT REFERENCES plans (id) ON DELETE SET NULL;
UPDATE users SET password_changed_at_ms = created_at_ms;

-- Copied out of the session data by the tower-sessions adapter, so a user's
-- sessions can be listed and revoked. No foreign key: the store keeps what
-- the adapter writes.
ALTER TABLE sessions ADD COLUMN user_id TEXT;
CREATE INDEX sessions_by_user ON sessions (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE projects (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    slug          TEXT    NOT NULL UNIQUE,      -- domain::ProjectSlug
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    created_at_ms BIGINT  NOT NULL
);

CREATE TABLE project_members (
    project_id  TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'analyst')),
    added_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_by_user ON project_members (user_id);

-- The secret is never stored, only its SHA-256.
CREATE TABLE api_keys (
    id              TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    public_id       TEXT    NOT NULL UNIQUE,
    secret_hash     TEXT    NOT NULL,
    scopes          TEXT    NOT NULL, -- JSON array of strings
    created_by      TEXT    NOT NULL REFERENCES users (id),
    created_at_ms   BIGINT  NOT NULL,
    last_used_at_ms BIGINT,
    revoked_at_ms   BIGINT
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at_ms);

-- Append-only, hash-chained (domain::audit::entry_hash): seq runs 1, 2, 3…
-- without gaps, prev_hash is the previous row's hash (GENESIS_HASH for seq 1).
-- No foreign keys: entries outlive the users and projects they name.
CREATE TABLE audit_log (
    seq           BIGINT  NOT NULL PRIMARY KEY,
    time_ms       BIGINT  NOT NULL,
    actor_user_id TEXT,
    actor_label   TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    entity_type   TEXT    NOT NULL,
    entity_id     TEXT    NOT NULL,
    project_id    TEXT,
    old_value     TEXT, -- JSON, exactly as hashed
    new_value     TEXT, -- JSON, exactly as hashed
    ip            TEXT,
    user_agent    TEXT,
    request_id    TEXT,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
-- The audit screen's filters, each walked newest first (keyset on seq).
CREATE INDEX audit_log_by_time ON audit_log (time_ms);
CREATE INDEX audit_log_by_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);
CREATE INDEX audit_log_by_entity_type ON audit_log (entity_type, seq);
CREATE INDEX audit_log_by_project ON audit_log (project_id, seq);
