-- LLM configuration: provider keys (per project, or global defaults when project_id is
-- NULL), personas and saved playground conversations. SQLite;
-- migrations/postgres/0005_llm.sql has the same tables.
--
-- key_ciphertext is AES-256-GCM under the master key ([llm] master_key), made by
-- services::provider_keys::KeyCipher: version, master key fingerprint, nonce, ciphertext.
-- The key itself is never stored; key_last4 is what people see.
CREATE TABLE provider_keys (
    id             TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id     TEXT    REFERENCES projects (id) ON DELETE CASCADE, -- NULL: global default
    name           TEXT    NOT NULL,
    vendor         TEXT    NOT NULL CHECK (vendor IN ('openai', 'anthropic', 'gemini', 'xai', 'openai_compatible')),
    base_url       TEXT,
    default_model  TEXT    NOT NULL,
    key_ciphertext BLOB,
    key_last4      TEXT,
    created_by     TEXT    REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
-- One name per project, and per the global scope (NULLs would not collide in a plain index).
CREATE UNIQUE INDEX provider_keys_scope_name ON provider_keys (COALESCE(project_id, ''), name);

CREATE TABLE personas (
    id            TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id    TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    goals         TEXT    NOT NULL DEFAULT '',
    tone          TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL DEFAULT '',
    traits        TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

-- provider_key_id and persona_id are plain text, not foreign keys: a saved conversation
-- keeps its history when the key or persona it used is deleted.
CREATE TABLE conversations (
    id              TEXT    NOT NULL PRIMARY KEY, -- UUID v7
    project_id      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title           TEXT    NOT NULL,
    created_by      TEXT    REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms   INTEGER NOT NULL,
    provider_key_id TEXT,
    model           TEXT    NOT NULL,
    system_prompt   TEXT    NOT NULL DEFAULT '',
    persona_id      TEXT,
    messages        TEXT    NOT NULL, -- JSON array of {role, content}
    turns           INTEGER NOT NULL,
    params          TEXT    NOT NULL DEFAULT 'null' -- JSON object or null
);
CREATE INDEX conversations_project_created ON conversations (project_id, created_at_ms DESC);
