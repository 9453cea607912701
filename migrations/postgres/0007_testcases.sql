-- Test cases, review comments, suites and runs (issue 7).
-- PostgreSQL; migrations/sqlite/0007_testcases.sql has the same tables.
-- Columns are what is filtered, ordered or compared-and-set on; the rest of a row is the JSON
-- in record (domain::testcases types; the columns win over the copies in record).

-- tags_text is '|tag1|tag2|' so a tag filter is one LIKE. secret_headers is the ciphertext
-- (services' key cipher) of the secret header values, never text.
CREATE TABLE test_cases (
    id             TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id     TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status         TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    name           TEXT    NOT NULL,
    feature        TEXT    NOT NULL,
    tags_text      TEXT    NOT NULL,
    record         TEXT    NOT NULL,
    secret_headers BYTEA,
    created_by     TEXT    REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms  BIGINT  NOT NULL,
    updated_at_ms  BIGINT  NOT NULL,
    UNIQUE (project_id, id) -- target of the (project_id, case_id) foreign keys below
);
CREATE INDEX test_cases_updated ON test_cases (project_id, updated_at_ms);

CREATE TABLE test_case_comments (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id    TEXT    NOT NULL,
    case_id       TEXT    NOT NULL,
    author_id     TEXT    REFERENCES users (id) ON DELETE SET NULL,
    body          TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    FOREIGN KEY (project_id, case_id) REFERENCES test_cases (project_id, id) ON DELETE CASCADE
);
CREATE INDEX test_case_comments_case ON test_case_comments (project_id, case_id, created_at_ms);

CREATE TABLE test_suites (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id    TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    updated_at_ms BIGINT  NOT NULL,
    UNIQUE (project_id, name),
    UNIQUE (project_id, id)
);

-- A suite's cases, in order: rows rather than a JSON list so that a case of another project
-- cannot be listed and deleting a case leaves no dangling id.
CREATE TABLE test_suite_cases (
    project_id TEXT    NOT NULL,
    suite_id   TEXT    NOT NULL,
    case_id    TEXT    NOT NULL,
    position   BIGINT  NOT NULL,
    PRIMARY KEY (suite_id, case_id),
    FOREIGN KEY (project_id, suite_id) REFERENCES test_suites (project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, case_id) REFERENCES test_cases (project_id, id) ON DELETE CASCADE
);
CREATE INDEX test_suite_cases_case ON test_suite_cases (case_id);

-- total, trigger, creator are in record.
CREATE TABLE suite_runs (
    id             TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id     TEXT    NOT NULL,
    suite_id       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    record         TEXT    NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    finished_at_ms BIGINT,
    FOREIGN KEY (project_id, suite_id) REFERENCES test_suites (project_id, id) ON DELETE CASCADE
);
CREATE INDEX suite_runs_suite ON suite_runs (project_id, suite_id, created_at_ms);

-- passed is TestRun::passed() (overrides included), written with every change so suite run
-- counts are one GROUP BY. finished_at_ms is a column for cancel_pending_runs.
CREATE TABLE test_runs (
    id             TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id     TEXT    NOT NULL,
    case_id        TEXT    NOT NULL,
    suite_run_id   TEXT    REFERENCES suite_runs (id) ON DELETE SET NULL,
    status         TEXT    NOT NULL,
    passed         BOOLEAN NOT NULL,
    record         TEXT    NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    updated_at_ms  BIGINT  NOT NULL,
    finished_at_ms BIGINT,
    FOREIGN KEY (project_id, case_id) REFERENCES test_cases (project_id, id) ON DELETE CASCADE
);
CREATE INDEX test_runs_case ON test_runs (project_id, case_id, created_at_ms);
CREATE INDEX test_runs_suite_run ON test_runs (suite_run_id, status);
