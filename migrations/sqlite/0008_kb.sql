-- The knowledge base (issue 13): review settings, drafts, releases, imports and the index
-- record of each release. SQLite; migrations/postgres/0008_kb.sql has the same tables.
-- Everything hangs off a project (ON DELETE CASCADE). People are referenced by id as text
-- without a foreign key: a draft's author or a release's creator stays named after the account
-- is gone (the e-mail is joined from users while it exists).

CREATE TABLE kb_settings (
    project_id             TEXT    NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    require_other_approver INTEGER NOT NULL
);

-- One row per draft; the change (domain::kb::DraftChange) and source (DraftSource) are JSON.
-- status is DraftStatus::as_str(); approved_release is set exactly when status = 'approved'.
CREATE TABLE kb_drafts (
    id               TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_kind         TEXT    NOT NULL,
    key_name         TEXT    NOT NULL,
    change_json      TEXT    NOT NULL,
    base_revision    INTEGER,
    status           TEXT    NOT NULL,
    approved_release INTEGER,
    author_id        TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    updated_at_ms    INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    submitted_at_ms  INTEGER,
    reviewer_id      TEXT,
    review_comment   TEXT    NOT NULL,
    source_json      TEXT    NOT NULL,
    CHECK ((status = 'approved') = (approved_release IS NOT NULL))
);
CREATE INDEX kb_drafts_updated ON kb_drafts (project_id, updated_at_ms);
CREATE INDEX kb_drafts_status ON kb_drafts (project_id, status, updated_at_ms);
CREATE INDEX kb_drafts_key ON kb_drafts (project_id, key_kind, key_name);

-- Releases are snapshots stored deduplicated: an entry's content (domain::kb::Entry as JSON)
-- once per project and content hash, shared by every release that holds it unchanged. A
-- release of 10,000 entries of which 3 changed adds 3 bodies and 10,000 small rows.
-- Keys sort with SQLite's default BINARY collation: by bytes, as in Rust (EntryKey's order),
-- and LOWER() folds only ASCII, as the port's search promises.
CREATE TABLE kb_entry_bodies (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL, -- domain::kb::content_hash of entry_json's entry
    entry_json   TEXT NOT NULL,
    PRIMARY KEY (project_id, content_hash)
);

-- The counts are of the release's entries by kind, for lists.
CREATE TABLE kb_releases (
    project_id          TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              INTEGER NOT NULL CHECK (number > 0),
    created_by          TEXT    NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    summary             TEXT    NOT NULL,
    rolled_back_to      INTEGER,
    api_operation_count INTEGER NOT NULL,
    table_count         INTEGER NOT NULL,
    PRIMARY KEY (project_id, number) -- two publishes of one number: one wins
);

CREATE TABLE kb_release_entries (
    project_id     TEXT    NOT NULL,
    release_number INTEGER NOT NULL,
    key_kind       TEXT    NOT NULL,
    key_name       TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    content_hash   TEXT    NOT NULL,
    PRIMARY KEY (project_id, release_number, key_kind, key_name),
    FOREIGN KEY (project_id, release_number) REFERENCES kb_releases (project_id, number) ON DELETE CASCADE,
    FOREIGN KEY (project_id, content_hash) REFERENCES kb_entry_bodies (project_id, content_hash) ON DELETE CASCADE
);
CREATE INDEX kb_release_entries_body ON kb_release_entries (project_id, content_hash);

-- warnings_json is a JSON array of strings.
CREATE TABLE kb_imports (
    id              TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    format          TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,
    blob_key        TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    done            INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    error           TEXT,
    warnings_json   TEXT    NOT NULL,
    result_blob_key TEXT,
    entry_count     INTEGER NOT NULL,
    drafts_made     INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL
);
CREATE INDEX kb_imports_created ON kb_imports (project_id, created_at_ms);

CREATE TABLE kb_indexes (
    project_id     TEXT    NOT NULL,
    release_number INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    done           INTEGER NOT NULL,
    total          INTEGER NOT NULL,
    blob_key       TEXT,
    vector_model   TEXT,
    dimensions     INTEGER,
    error          TEXT,
    updated_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (project_id, release_number),
    FOREIGN KEY (project_id, release_number) REFERENCES kb_releases (project_id, number) ON DELETE CASCADE
);
