-- Password-reset tokens: only the SHA-256 (hex) of the token is stored; a
-- token is good once (used_at_ms set atomically) until expires_at_ms.
-- PostgreSQL; migrations/sqlite/0003_password_resets.sql has the same table.
CREATE TABLE password_resets (
    token_hash    TEXT   NOT NULL PRIMARY KEY,
    user_id       TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
