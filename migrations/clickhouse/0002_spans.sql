-- Span rows (immutable: written once, removed only by trace deletion or expiry). Runs on
-- ClickHouse 18.16: times are Unix nanoseconds in UInt64 (the adapter keeps them under 2^63).
-- Partitions are (project, month of start) so a project's expired months are dropped whole.
-- ReplacingMergeTree collapses retried copies of a span (same sort key) in merges; reads
-- de-duplicate until then (FINAL / LIMIT 1 BY).
CREATE TABLE IF NOT EXISTS spans
(
    project_id String,
    trace_id String,
    span_id String,
    parent_span_id Nullable(String),
    name String,
    kind String,
    start_ns UInt64,
    end_ns UInt64,
    duration_ns UInt64,
    status_code String,
    status_message String,
    service_name String,
    resource_attributes String,
    scope_name String,
    scope_version String,
    environment Nullable(String),
    session_id Nullable(String),
    user_id Nullable(String),
    tags Array(String),
    operation Nullable(String),
    model Nullable(String),
    provider Nullable(String),
    input_tokens Nullable(UInt64),
    output_tokens Nullable(UInt64),
    total_tokens Nullable(UInt64),
    cost_micros Nullable(UInt64),
    input Nullable(String),
    output Nullable(String),
    input_oversize UInt8,
    output_oversize UInt8,
    attributes String,
    events String,
    links String,
    truncated UInt8,
    input_blob Nullable(String),
    output_blob Nullable(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY (project_id, toYYYYMM(toDateTime(intDiv(start_ns, 1000000000), 'UTC')))
ORDER BY (project_id, start_ns, trace_id, span_id);

-- Where a trace's spans are in time, by trace id: the detail view reads this first, then only
-- that slice of `spans` (18.16 has no skipping indexes). Same partitions as `spans`.
CREATE TABLE IF NOT EXISTS span_traces
(
    project_id String,
    trace_id String,
    start_ns UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY (project_id, toYYYYMM(toDateTime(intDiv(start_ns, 1000000000), 'UTC')))
ORDER BY (project_id, trace_id, start_ns);

CREATE MATERIALIZED VIEW IF NOT EXISTS span_traces_mv TO span_traces
AS SELECT project_id, trace_id, start_ns FROM spans;
