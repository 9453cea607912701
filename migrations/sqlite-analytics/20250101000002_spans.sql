-- Span rows (immutable: written once, removed only by trace deletion or expiry).
-- Times are Unix nanoseconds (UTC) in signed 64-bit integers (enough until 2262).
-- A rowid table rather than WITHOUT ROWID: rows carry large input/output text.
CREATE TABLE IF NOT EXISTS spans (
    project_id TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_span_id TEXT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    status_code TEXT NOT NULL,
    status_message TEXT NOT NULL,
    service_name TEXT NOT NULL,
    resource_attributes TEXT NOT NULL,
    scope_name TEXT NOT NULL,
    scope_version TEXT NOT NULL,
    environment TEXT,
    session_id TEXT,
    user_id TEXT,
    -- JSON array of strings.
    tags TEXT NOT NULL,
    operation TEXT,
    model TEXT,
    provider TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    total_tokens INTEGER,
    cost_micros INTEGER,
    input TEXT,
    output TEXT,
    input_oversize INTEGER NOT NULL,
    output_oversize INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    links TEXT NOT NULL,
    truncated INTEGER NOT NULL,
    input_blob TEXT,
    output_blob TEXT
);

-- One copy per span (INSERT OR IGNORE on retries); also serves a trace's detail.
CREATE UNIQUE INDEX IF NOT EXISTS spans_project_trace_span ON spans (project_id, trace_id, span_id);
-- The trace list: newest root spans of a project, keyset-paginated by (start, trace id).
CREATE INDEX IF NOT EXISTS spans_project_roots ON spans (project_id, start_ns, trace_id) WHERE parent_span_id IS NULL;
-- A trace's root spans, to pick the earliest when a trace has several.
CREATE INDEX IF NOT EXISTS spans_project_trace_roots ON spans (project_id, trace_id, start_ns, span_id) WHERE parent_span_id IS NULL;
-- Metrics, sessions and expiry: spans of a project in a time range.
CREATE INDEX IF NOT EXISTS spans_project_start ON spans (project_id, start_ns);
-- Sessions: only the spans that carry a session id.
CREATE INDEX IF NOT EXISTS spans_project_session ON spans (project_id, start_ns, session_id) WHERE session_id IS NOT NULL;
