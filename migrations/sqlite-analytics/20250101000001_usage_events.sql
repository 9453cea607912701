-- Metered usage per project (analytics database, separate from the primary one).
-- Times are Unix milliseconds, UTC.
CREATE TABLE IF NOT EXISTS usage_events (
    project_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    time_ms INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS usage_events_project_time ON usage_events (project_id, time_ms);
