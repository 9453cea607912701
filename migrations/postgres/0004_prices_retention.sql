-- The model price table admins edit (ingestion prices spans with it) and
-- per-project trace retention. PostgreSQL; migrations/sqlite/0004_prices_retention.sql
-- has the same tables.
--
-- Prices are integer micro-dollars per million tokens (otlp::ModelPrice):
-- $2.50 / 1M tokens is 2500000. Model names are stored lowercase (lookups
-- are case-insensitive); a name also prices its dated/suffixed variants.
CREATE TABLE model_prices (
    model                     TEXT    NOT NULL PRIMARY KEY,
    provider                  TEXT    NOT NULL DEFAULT '',
    input_per_million_micros  BIGINT  NOT NULL CHECK (input_per_million_micros >= 0),
    output_per_million_micros BIGINT  NOT NULL CHECK (output_per_million_micros >= 0),
    updated_at_ms             BIGINT  NOT NULL,
    updated_by                TEXT    -- the admin's e-mail; NULL for the built-in seed
);

-- One row once the table has been seeded with otlp::PriceTable::seeded() (done by
-- the app on first read, so the seed has one source: the Rust list). Models an
-- admin deletes therefore never come back.
CREATE TABLE model_prices_seeded (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seeded_at_ms  BIGINT  NOT NULL
);

-- Days of traces kept; NULL = the server default ([retention] default_days).
ALTER TABLE projects ADD COLUMN trace_retention_days BIGINT CHECK (trace_retention_days > 0);
