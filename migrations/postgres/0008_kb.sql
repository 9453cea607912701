-- The knowledge base (issue 13): review settings, drafts, releases, imports and the index
-- record of each release. PostgreSQL; migrations/sqlite/0008_kb.sql has the same tables.
-- Everything hangs off a project (ON DELETE CASCADE). People are referenced by id as text
-- without a foreign key: a draft's author or a release's creator stays named after the account
-- is gone (the e-mail is joined from users while it exists).

CREATE TABLE kb_settings (
    project_id             TEXT    NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    require_other_approver BOOLEAN NOT NULL
);

-- One row per draft; the change (domain::kb::DraftChange) and source (DraftSource) are JSON.
-- status is DraftStatus::as_str(); approved_release is set exactly when status = 'approved'.
CREATE TABLE kb_drafts (
    id               TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_kind         TEXT    COLLATE "C" NOT NULL,
    key_name         TEXT    COLLATE "C" NOT NULL,
    change_json      TEXT    NOT NULL,
    base_revision    BIGINT,
    status           TEXT    NOT NULL,
    approved_release BIGINT,
    author_id        TEXT    NOT NULL,
    created_at_ms    BIGINT  NOT NULL,
    updated_at_ms    BIGINT  NOT NULL,
    version          BIGINT  NOT NULL,
    submitted_at_ms  BIGINT,
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
-- Keys are COLLATE "C": sorted by bytes as on SQLite and in Rust (EntryKey's order), and
-- LOWER() folds only ASCII, as the port's search promises.
CREATE TABLE kb_entry_bodies (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL, -- domain::kb::content_hash of entry_json's entry
    entry_json   TEXT NOT NULL,
    PRIMARY KEY (project_id, content_hash)
);

-- The counts are of the release's entries by kind, for lists.
CREATE TABLE kb_releases (
    project_id          TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number              BIGINT  NOT NULL CHECK (number > 0),
    created_by          TEXT    NOT NULL,
    created_at_ms       BIGINT  NOT NULL,
    summary             TEXT    NOT NULL,
    rolled_back_to      BIGINT,
    api_operation_count BIGINT  NOT NULL,
    table_count         BIGINT  NOT NULL,
    PRIMARY KEY (project_id, number) -- two publishes of one number: one wins
);

CREATE TABLE kb_release_entries (
    project_id     TEXT    NOT NULL,
    release_number BIGINT  NOT NULL,
    key_kind       TEXT    COLLATE "C" NOT NULL,
    key_name       TEXT    COLLATE "C" NOT NULL,
    revision       BIGINT  NOT NULL,
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
    size_bytes      BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    done            BIGINT  NOT NULL,
    total           BIGINT  NOT NULL,
    error           TEXT,
    warnings_json   TEXT    NOT NULL,
    result_blob_key TEXT,
    entry_count     BIGINT  NOT NULL,
    drafts_made     BIGINT  NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL,
    updated_at_ms   BIGINT  NOT NULL
);
CREATE INDEX kb_imports_created ON kb_imports (project_id, created_at_ms);

CREATE TABLE kb_indexes (
    project_id     TEXT    NOT NULL,
    release_number BIGINT  NOT NULL,
    status         TEXT    NOT NULL,
    done           BIGINT  NOT NULL,
    total          BIGINT  NOT NULL,
    blob_key       TEXT,
    vector_model   TEXT,
    dimensions     BIGINT,
    error          TEXT,
    updated_at_ms  BIGINT  NOT NULL,
    PRIMARY KEY (project_id, release_number),
    FOREIGN KEY (project_id, release_number) REFERENCES kb_releases (project_id, number) ON DELETE CASCADE
);
