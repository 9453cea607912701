-- Metered usage per project. Runs on ClickHouse 18.16 and on current servers:
-- plain MergeTree, integer times (Unix milliseconds, UTC), monthly partitions
-- so old months can be dropped for retention.
-- Every statement must be safe to run twice (IF NOT EXISTS): two servers
-- migrating at the same moment may both apply a file.
CREATE TABLE IF NOT EXISTS usage_events
(
    project_id String,
    kind String,
    quantity UInt64,
    time_ms Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(time_ms, 1000), 'UTC'))
ORDER BY (project_id, kind, time_ms);
