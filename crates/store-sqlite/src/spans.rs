//! Span rows in the embedded analytics store. Trace-level facts are aggregated at read time;
//! the trace list walks root spans through a partial index and aggregates only the page.

use domain::traces::{
    MetricsGroup, MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanKind, SpanRow, StatusCode, TraceCursor, TraceFilter,
    TraceOrder, TracePage, TraceQuery, TraceSummary, PREVIEW_CHARS,
};
use services::{error::StoreResult, StoreError};
use sqlx::{sqlite::SqliteRow, QueryBuilder, Row, Sqlite, SqlitePool};
use std::collections::{BTreeMap, BTreeSet};
use store_sql::map_sqlx_error;

/// Columns per span row: 36 bound values, so 400 rows stay under SQLite's 32,766 variables.
const ROWS_PER_INSERT: usize = 400;
/// Spans removed per transaction by expiry, so ingestion is not blocked for long.
const EXPIRE_CHUNK: i64 = 5_000;

const SPAN_COLUMNS: &str = "project_id, trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, duration_ns, status_code, \
    status_message, service_name, resource_attributes, scope_name, scope_version, environment, session_id, user_id, tags, operation, \
    model, provider, input_tokens, output_tokens, total_tokens, cost_micros, input, output, input_oversize, output_oversize, \
    attributes, events, links, truncated, input_blob, output_blob";

/// A stored value as SQLite's signed integer (inputs were checked by `check_storable`).
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn opt_int(v: Option<u64>) -> Option<i64> {
    v.map(int)
}

fn uint(row: &SqliteRow, col: &str) -> StoreResult<u64> {
    let v: i64 = row.try_get(col).map_err(map_sqlx_error)?;
    u64::try_from(v).map_err(|_| StoreError::Internal(format!("negative {col}: {v}")))
}

fn opt_uint(row: &SqliteRow, col: &str) -> StoreResult<Option<u64>> {
    let v: Option<i64> = row.try_get(col).map_err(map_sqlx_error)?;
    v.map(|v| u64::try_from(v).map_err(|_| StoreError::Internal(format!("negative {col}: {v}")))).transpose()
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(row: &'r SqliteRow, col: &str) -> StoreResult<T> {
    row.try_get(col).map_err(map_sqlx_error)
}

pub async fn insert(pool: &SqlitePool, project_id: &str, spans: &[SpanRow]) -> StoreResult<()> {
    if spans.is_empty() {
        return Ok(());
    }
    let mut tags = Vec::with_capacity(spans.len());
    for span in spans {
        span.check_storable().map_err(StoreError::Invalid)?;
        tags.push(serde_json::to_string(&span.tags).map_err(|e| StoreError::Internal(e.to_string()))?);
    }
    let rows: Vec<(&SpanRow, String)> = spans.iter().zip(tags).collect();
    let mut tx = pool.begin().await.map_err(map_sqlx_error)?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("INSERT OR IGNORE INTO spans ({SPAN_COLUMNS}) "));
        q.push_values(chunk, |mut b, (s, tags)| {
            b.push_bind(project_id)
                .push_bind(&s.trace_id)
                .push_bind(&s.span_id)
                .push_bind(&s.parent_span_id)
                .push_bind(&s.name)
                .push_bind(s.kind.as_str())
                .push_bind(int(s.start_time_unix_nano))
                .push_bind(int(s.end_time_unix_nano))
                .push_bind(int(s.duration_ns))
                .push_bind(s.status_code.as_str())
                .push_bind(&s.status_message)
                .push_bind(&s.service_name)
                .push_bind(&s.resource_attributes)
                .push_bind(&s.scope_name)
                .push_bind(&s.scope_version)
                .push_bind(&s.environment)
                .push_bind(&s.session_id)
                .push_bind(&s.user_id)
                .push_bind(tags.as_str())
                .push_bind(&s.operation)
                .push_bind(&s.model)
                .push_bind(&s.provider)
                .push_bind(opt_int(s.input_tokens))
                .push_bind(opt_int(s.output_tokens))
                .push_bind(opt_int(s.total_tokens))
                .push_bind(opt_int(s.cost_micros))
                .push_bind(&s.input)
                .push_bind(&s.output)
                .push_bind(s.input_oversize)
                .push_bind(s.output_oversize)
                .push_bind(&s.attributes)
                .push_bind(&s.events)
                .push_bind(&s.links)
                .push_bind(s.truncated)
                .push_bind(&s.input_blob)
                .push_bind(&s.output_blob);
        });
        q.build().execute(&mut *tx).await.map_err(map_sqlx_error)?;
    }
    tx.commit().await.map_err(map_sqlx_error)
}

fn span_from_row(row: &SqliteRow) -> StoreResult<SpanRow> {
    let tags: String = get(row, "tags")?;
    Ok(SpanRow {
        trace_id: get(row, "trace_id")?,
        span_id: get(row, "span_id")?,
        parent_span_id: get(row, "parent_span_id")?,
        name: get(row, "name")?,
        kind: SpanKind::parse(&get::<String>(row, "kind")?),
        start_time_unix_nano: uint(row, "start_ns")?,
        end_time_unix_nano: uint(row, "end_ns")?,
        duration_ns: uint(row, "duration_ns")?,
        status_code: StatusCode::parse(&get::<String>(row, "status_code")?),
        status_message: get(row, "status_message")?,
        service_name: get(row, "service_name")?,
        resource_attributes: get(row, "resource_attributes")?,
        scope_name: get(row, "scope_name")?,
        scope_version: get(row, "scope_version")?,
        environment: get(row, "environment")?,
        session_id: get(row, "session_id")?,
        user_id: get(row, "user_id")?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Internal(format!("stored tags: {e}")))?,
        operation: get(row, "operation")?,
        model: get(row, "model")?,
        provider: get(row, "provider")?,
        input_tokens: opt_uint(row, "input_tokens")?,
        output_tokens: opt_uint(row, "output_tokens")?,
        total_tokens: opt_uint(row, "total_tokens")?,
        cost_micros: opt_uint(row, "cost_micros")?,
        input: get(row, "input")?,
        output: get(row, "output")?,
        input_oversize: get(row, "input_oversize")?,
        output_oversize: get(row, "output_oversize")?,
        attributes: get(row, "attributes")?,
        events: get(row, "events")?,
        links: get(row, "links")?,
        truncated: get(row, "truncated")?,
        input_blob: get(row, "input_blob")?,
        output_blob: get(row, "output_blob")?,
    })
}

pub async fn trace_spans(pool: &SqlitePool, project_id: &str, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
    let rows = sqlx::query(&format!("SELECT {SPAN_COLUMNS} FROM spans INDEXED BY spans_project_trace_span WHERE project_id = ? AND trace_id = ? ORDER BY start_ns, span_id"))
        .bind(project_id)
        .bind(trace_id)
        .fetch_all(pool)
        .await
        .map_err(map_sqlx_error)?;
    rows.iter().map(span_from_row).collect()
}

/// The search text, or `None` when it is empty (which would match everything).
fn search_text(filter: &TraceFilter) -> Option<&str> {
    filter.search.as_deref().filter(|s| !s.is_empty())
}

/// `AND <condition on alias s>` for each span-level filter, each pushed through `wrap` (which
/// adds `EXISTS (...)` around it for the trace list, or nothing for metrics).
fn push_span_filters(q: &mut QueryBuilder<'_, Sqlite>, filter: &TraceFilter, wrap: &dyn Fn(&mut QueryBuilder<'_, Sqlite>, bool)) {
    let eq = |q: &mut QueryBuilder<'_, Sqlite>, col: &str, v: &Option<String>| {
        if let Some(v) = v {
            wrap(q, true);
            q.push(format!("s.{col} = ")).push_bind(v.clone());
            wrap(q, false);
        }
    };
    eq(q, "name", &filter.name);
    eq(q, "model", &filter.model);
    eq(q, "user_id", &filter.user_id);
    eq(q, "session_id", &filter.session_id);
    eq(q, "environment", &filter.environment);
    if let Some(tag) = &filter.tag {
        wrap(q, true);
        q.push("EXISTS (SELECT 1 FROM json_each(s.tags) j WHERE j.value = ").push_bind(tag.clone()).push(")");
        wrap(q, false);
    }
    if let Some(text) = search_text(filter) {
        // lower() folds ASCII only; other scripts (CJK, Arabic...) match as written.
        wrap(q, true);
        q.push("(instr(lower(s.input), lower(")
            .push_bind(text.to_owned())
            .push(")) > 0 OR instr(lower(s.output), lower(")
            .push_bind(text.to_owned())
            .push(")) > 0)");
        wrap(q, false);
    }
}

/// `AND` conditions on the root span `r` of a trace for every filter but the time range.
fn push_trace_filters(q: &mut QueryBuilder<'_, Sqlite>, filter: &TraceFilter) {
    const SAME_TRACE: &str =
        "FROM spans s INDEXED BY spans_project_trace_span WHERE s.project_id = r.project_id AND s.trace_id = r.trace_id";
    push_span_filters(q, filter, &|q, open| {
        if open {
            q.push(format!(" AND EXISTS (SELECT 1 {SAME_TRACE} AND "));
        } else {
            q.push(")");
        }
    });
    match filter.has_error {
        Some(true) => {
            q.push(format!(" AND EXISTS (SELECT 1 {SAME_TRACE} AND s.status_code = 'error')"));
        }
        Some(false) => {
            q.push(format!(" AND NOT EXISTS (SELECT 1 {SAME_TRACE} AND s.status_code = 'error')"));
        }
        None => {}
    }
    if let Some(min) = filter.min_duration_ns {
        q.push(format!(" AND (SELECT MAX(0, MAX(s.end_ns) - MIN(s.start_ns)) {SAME_TRACE}) >= ")).push_bind(int(min));
    }
    if let Some(min) = filter.min_cost_micros {
        q.push(format!(" AND (SELECT COALESCE(SUM(s.cost_micros), 0) {SAME_TRACE}) >= ")).push_bind(int(min));
    }
}

/// A root span of a listed trace: what the page shows of it before aggregation.
struct Root {
    trace_id: String,
    start_ns: u64,
    name: String,
    input: Option<String>,
    output: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    environment: Option<String>,
}

pub async fn list_traces(pool: &SqlitePool, project_id: &str, query: &TraceQuery) -> StoreResult<TracePage> {
    if query.after.is_some() && query.order != TraceOrder::Newest {
        return Err(StoreError::Invalid("a cursor is only valid with the newest-first order".into()));
    }
    let limit = query.limit.clamp(1, 500);
    let f = &query.filter;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT r.trace_id, r.start_ns, r.name, substr(r.input, 1, {PREVIEW_CHARS}) AS input, \
         substr(r.output, 1, {PREVIEW_CHARS}) AS output, r.user_id, r.session_id, r.environment"
    ));
    match query.order {
        TraceOrder::Newest => q.push(", 0 AS metric"),
        TraceOrder::Slowest => q.push(
            ", (SELECT MAX(0, MAX(s.end_ns) - MIN(s.start_ns)) FROM spans s INDEXED BY spans_project_trace_span \
             WHERE s.project_id = r.project_id AND s.trace_id = r.trace_id) AS metric",
        ),
        TraceOrder::Costliest => q.push(
            ", (SELECT COALESCE(SUM(s.cost_micros), 0) FROM spans s INDEXED BY spans_project_trace_span \
             WHERE s.project_id = r.project_id AND s.trace_id = r.trace_id) AS metric",
        ),
    };
    q.push(" FROM spans r INDEXED BY spans_project_roots WHERE r.project_id = ")
        .push_bind(project_id)
        .push(" AND r.parent_span_id IS NULL AND r.start_ns >= ")
        .push_bind(int(f.from_ns))
        .push(" AND r.start_ns < ")
        .push_bind(int(f.to_ns))
        // The earliest root stands for a trace with several.
        .push(
            " AND NOT EXISTS (SELECT 1 FROM spans e WHERE e.project_id = r.project_id AND e.trace_id = r.trace_id \
             AND e.parent_span_id IS NULL AND (e.start_ns < r.start_ns OR (e.start_ns = r.start_ns AND e.span_id < r.span_id)))",
        );
    if let Some(TraceCursor { start_ns, trace_id }) = &query.after {
        q.push(" AND (r.start_ns < ")
            .push_bind(int(*start_ns))
            .push(" OR (r.start_ns = ")
            .push_bind(int(*start_ns))
            .push(" AND r.trace_id < ")
            .push_bind(trace_id.clone())
            .push("))");
    }
    push_trace_filters(&mut q, f);
    match query.order {
        TraceOrder::Newest => q.push(" ORDER BY r.start_ns DESC, r.trace_id DESC"),
        TraceOrder::Slowest | TraceOrder::Costliest => q.push(" ORDER BY metric DESC, r.start_ns DESC, r.trace_id DESC"),
    };
    // One more than the page tells whether a next page exists.
    q.push(" LIMIT ").push_bind(i64::from(limit) + 1);
    let rows = q.build().fetch_all(pool).await.map_err(map_sqlx_error)?;
    let mut roots = rows
        .iter()
        .map(|row| {
            Ok(Root {
                trace_id: get(row, "trace_id")?,
                start_ns: uint(row, "start_ns")?,
                name: get(row, "name")?,
                input: get(row, "input")?,
                output: get(row, "output")?,
                user_id: get(row, "user_id")?,
                session_id: get(row, "session_id")?,
                environment: get(row, "environment")?,
            })
        })
        .collect::<StoreResult<Vec<Root>>>()?;
    let more = roots.len() > limit as usize;
    roots.truncate(limit as usize);
    let next = match (more, query.order, roots.last()) {
        (true, TraceOrder::Newest, Some(last)) => Some(TraceCursor { start_ns: last.start_ns, trace_id: last.trace_id.clone() }),
        _ => None,
    };
    let traces = summarize(pool, project_id, roots).await?;
    Ok(TracePage { traces, next })
}

#[derive(Default)]
struct Totals {
    first_start: u64,
    last_end: u64,
    spans: u64,
    errors: u64,
    input_tokens: u64,
    output_tokens: u64,
    cost: u64,
    user_id: Option<String>,
    session_id: Option<String>,
    environment: Option<String>,
    models: BTreeSet<String>,
    tags: BTreeSet<String>,
}

fn push_ids(q: &mut QueryBuilder<'_, Sqlite>, roots: &[Root]) {
    let mut ids = q.separated(", ");
    for root in roots {
        ids.push_bind(root.trace_id.clone());
    }
}

/// Aggregate the spans of the page's traces (three indexed queries, whatever the page size).
async fn summarize(pool: &SqlitePool, project_id: &str, roots: Vec<Root>) -> StoreResult<Vec<TraceSummary>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT trace_id, MIN(start_ns) AS first_start, MAX(end_ns) AS last_end, COUNT(*) AS spans, \
         SUM(status_code = 'error') AS errors, COALESCE(SUM(input_tokens), 0) AS input_tokens, \
         COALESCE(SUM(output_tokens), 0) AS output_tokens, COALESCE(SUM(cost_micros), 0) AS cost, \
         MIN(user_id) AS user_id, MIN(session_id) AS session_id, MIN(environment) AS environment \
         FROM spans INDEXED BY spans_project_trace_span WHERE project_id = ",
    );
    q.push_bind(project_id).push(" AND trace_id IN (");
    push_ids(&mut q, &roots);
    q.push(") GROUP BY trace_id");
    for row in q.build().fetch_all(pool).await.map_err(map_sqlx_error)? {
        totals.insert(
            get(&row, "trace_id")?,
            Totals {
                first_start: uint(&row, "first_start")?,
                last_end: uint(&row, "last_end")?,
                spans: uint(&row, "spans")?,
                errors: uint(&row, "errors")?,
                input_tokens: uint(&row, "input_tokens")?,
                output_tokens: uint(&row, "output_tokens")?,
                cost: uint(&row, "cost")?,
                user_id: get(&row, "user_id")?,
                session_id: get(&row, "session_id")?,
                environment: get(&row, "environment")?,
                ..Totals::default()
            },
        );
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT DISTINCT s.trace_id, 'm' AS what, s.model AS value FROM spans s INDEXED BY spans_project_trace_span WHERE s.model IS NOT NULL AND s.project_id = ",
    );
    q.push_bind(project_id).push(" AND s.trace_id IN (");
    push_ids(&mut q, &roots);
    q.push(") UNION SELECT DISTINCT s.trace_id, 't', j.value FROM spans s INDEXED BY spans_project_trace_span, json_each(s.tags) j WHERE s.project_id = ")
        .push_bind(project_id)
        .push(" AND s.tags <> '[]' AND s.trace_id IN (");
    push_ids(&mut q, &roots);
    q.push(")");
    for row in q.build().fetch_all(pool).await.map_err(map_sqlx_error)? {
        let trace_id: String = get(&row, "trace_id")?;
        let what: String = get(&row, "what")?;
        let value: String = get(&row, "value")?;
        if let Some(t) = totals.get_mut(&trace_id) {
            if what == "m" { &mut t.models } else { &mut t.tags }.insert(value);
        }
    }
    Ok(roots
        .into_iter()
        .map(|root| {
            let t = totals.remove(&root.trace_id).unwrap_or_default();
            TraceSummary {
                name: root.name,
                start_ns: root.start_ns,
                duration_ns: t.last_end.saturating_sub(t.first_start),
                span_count: t.spans,
                error_count: t.errors,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                cost_micros: t.cost,
                models: t.models.into_iter().collect(),
                user_id: root.user_id.or(t.user_id),
                session_id: root.session_id.or(t.session_id),
                environment: root.environment.or(t.environment),
                tags: t.tags.into_iter().collect(),
                input: root.input,
                output: root.output,
                trace_id: root.trace_id,
            }
        })
        .collect())
}

pub async fn list_sessions(pool: &SqlitePool, project_id: &str, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
    let rows = sqlx::query(
        "SELECT st.session_id, MIN(s.start_ns) AS first_ns, MAX(s.end_ns) AS last_ns, COUNT(DISTINCT s.trace_id) AS traces, \
         MIN(s.user_id) AS user_id, COALESCE(SUM(s.input_tokens), 0) AS input_tokens, \
         COALESCE(SUM(s.output_tokens), 0) AS output_tokens, COALESCE(SUM(s.cost_micros), 0) AS cost, \
         SUM(s.status_code = 'error') AS errors \
         FROM (SELECT DISTINCT session_id, trace_id FROM spans INDEXED BY spans_project_session \
               WHERE project_id = ?1 AND session_id IS NOT NULL AND start_ns >= ?2 AND start_ns < ?3) st \
         JOIN spans s INDEXED BY spans_project_trace_span ON s.project_id = ?1 AND s.trace_id = st.trace_id \
         GROUP BY st.session_id ORDER BY last_ns DESC, st.session_id LIMIT ?4",
    )
    .bind(project_id)
    .bind(int(from_ns))
    .bind(int(to_ns))
    .bind(i64::from(limit.clamp(1, 500)))
    .fetch_all(pool)
    .await
    .map_err(map_sqlx_error)?;
    rows.iter()
        .map(|row| {
            Ok(SessionSummary {
                session_id: get(row, "session_id")?,
                first_ns: uint(row, "first_ns")?,
                last_ns: uint(row, "last_ns")?,
                trace_count: uint(row, "traces")?,
                user_id: get(row, "user_id")?,
                input_tokens: uint(row, "input_tokens")?,
                output_tokens: uint(row, "output_tokens")?,
                cost_micros: uint(row, "cost")?,
                error_count: uint(row, "errors")?,
            })
        })
        .collect()
}

/// A bucket must have a width. (Rows are bounded by the matching spans, so the number of
/// buckets over the range is not limited.)
pub fn check_metrics_query(query: &MetricsQuery) -> StoreResult<()> {
    if query.bucket_ns == 0 {
        return Err(StoreError::Invalid("the bucket width must be positive".into()));
    }
    Ok(())
}

pub async fn span_metrics(pool: &SqlitePool, project_id: &str, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
    check_metrics_query(query)?;
    let f = &query.filter;
    let group = match query.group_by {
        None => "''",
        Some(MetricsGroup::Model) => "COALESCE(s.model, '')",
        Some(MetricsGroup::Name) => "s.name",
        Some(MetricsGroup::User) => "COALESCE(s.user_id, '')",
    };
    // Nearest rank: the ceil(p·n)-th smallest duration, picked with window functions.
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT bucket, grp, COUNT(*) AS spans, SUM(error) AS errors, SUM(it) AS it, SUM(ot) AS ot, SUM(cost) AS cost, \
         MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN duration_ns END) AS p50, \
         MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN duration_ns END) AS p95, \
         MAX(CASE WHEN rn = (99 * n + 99) / 100 THEN duration_ns END) AS p99 \
         FROM (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY bucket, grp ORDER BY duration_ns) AS rn, \
               COUNT(*) OVER (PARTITION BY bucket, grp) AS n FROM (SELECT (s.start_ns / ",
    );
    q.push_bind(int(query.bucket_ns)).push(") * ").push_bind(int(query.bucket_ns)).push(format!(
        " AS bucket, {group} AS grp, s.duration_ns, s.status_code = 'error' AS error, \
         COALESCE(s.input_tokens, 0) AS it, COALESCE(s.output_tokens, 0) AS ot, COALESCE(s.cost_micros, 0) AS cost \
         FROM spans s INDEXED BY spans_project_start WHERE s.project_id = "
    ));
    q.push_bind(project_id).push(" AND s.start_ns >= ").push_bind(int(f.from_ns)).push(" AND s.start_ns < ").push_bind(int(f.to_ns));
    push_span_filters(&mut q, f, &|q, open| {
        if open {
            q.push(" AND ");
        }
    });
    match f.has_error {
        Some(true) => q.push(" AND s.status_code = 'error'"),
        Some(false) => q.push(" AND s.status_code <> 'error'"),
        None => &mut q,
    };
    if let Some(min) = f.min_duration_ns {
        q.push(" AND s.duration_ns >= ").push_bind(int(min));
    }
    if let Some(min) = f.min_cost_micros {
        q.push(" AND COALESCE(s.cost_micros, 0) >= ").push_bind(int(min));
    }
    if query.llm_only {
        q.push(" AND s.model IS NOT NULL");
    }
    q.push(") m) GROUP BY bucket, grp ORDER BY bucket, grp");
    let rows = q.build().fetch_all(pool).await.map_err(map_sqlx_error)?;
    rows.iter()
        .map(|row| {
            Ok(MetricsRow {
                bucket_start_ns: uint(row, "bucket")?,
                group: get(row, "grp")?,
                spans: uint(row, "spans")?,
                errors: uint(row, "errors")?,
                input_tokens: uint(row, "it")?,
                output_tokens: uint(row, "ot")?,
                cost_micros: uint(row, "cost")?,
                p50_ns: uint(row, "p50")?,
                p95_ns: uint(row, "p95")?,
                p99_ns: uint(row, "p99")?,
            })
        })
        .collect()
}

fn collect_removed(rows: &[SqliteRow], removed: &mut RemovedSpans, keys: &mut BTreeSet<String>) -> StoreResult<()> {
    for row in rows {
        removed.spans += 1;
        for col in ["input_blob", "output_blob"] {
            if let Some(key) = get::<Option<String>>(row, col)? {
                keys.insert(key);
            }
        }
    }
    Ok(())
}

pub async fn delete_trace(pool: &SqlitePool, project_id: &str, trace_id: &str) -> StoreResult<RemovedSpans> {
    let rows = sqlx::query(
        "DELETE FROM spans INDEXED BY spans_project_trace_span WHERE project_id = ? AND trace_id = ? RETURNING input_blob, output_blob",
    )
    .bind(project_id)
    .bind(trace_id)
    .fetch_all(pool)
    .await
    .map_err(map_sqlx_error)?;
    let (mut removed, mut keys) = (RemovedSpans::default(), BTreeSet::new());
    collect_removed(&rows, &mut removed, &mut keys)?;
    removed.blob_keys = keys.into_iter().collect();
    Ok(removed)
}

/// Deletes in chunks (each its own transaction) so a large expiry never holds the write lock long.
pub async fn expire(pool: &SqlitePool, project_id: &str, before_ns: u64) -> StoreResult<RemovedSpans> {
    let (mut removed, mut keys) = (RemovedSpans::default(), BTreeSet::new());
    loop {
        let rows = sqlx::query(
            "DELETE FROM spans WHERE rowid IN \
             (SELECT rowid FROM spans INDEXED BY spans_project_start WHERE project_id = ? AND start_ns < ? LIMIT ?) \
             RETURNING input_blob, output_blob",
        )
        .bind(project_id)
        .bind(int(before_ns))
        .bind(EXPIRE_CHUNK)
        .fetch_all(pool)
        .await
        .map_err(map_sqlx_error)?;
        collect_removed(&rows, &mut removed, &mut keys)?;
        if rows.len() < EXPIRE_CHUNK as usize {
            break;
        }
    }
    removed.blob_keys = keys.into_iter().collect();
    Ok(removed)
}
