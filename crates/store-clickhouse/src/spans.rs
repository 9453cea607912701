//! Span rows on ClickHouse (SQL that runs on 18.16). Retried copies of a span stay in the table
//! until a merge collapses them, so every read that counts de-duplicates (`FINAL`, `LIMIT 1 BY`).
//! Every value is bound (`?`), never formatted into SQL.

use crate::{sql::Sql, with_timeout};
use clickhouse::{Client, Row};
use domain::traces::{
    MetricsGroup, MetricsQuery, MetricsRow, RemovedSpans, SessionSummary, SpanKind, SpanRow, StatusCode, TraceCursor, TraceFilter,
    TraceOrder, TracePage, TraceQuery, TraceSummary, PREVIEW_CHARS,
};
use serde::{Deserialize, Serialize};
use services::{error::StoreResult, StoreError};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

const TIMEOUT: Duration = Duration::from_secs(120);
/// The newest-first list first looks at this much time before its upper bound, then widens
/// 16-fold until the page is full: recent pages read only recent parts of the table.
const FIRST_WINDOW_NS: u64 = 3_600 * 1_000_000_000;

#[derive(Row, Serialize)]
struct SpanIn<'a> {
    project_id: &'a str,
    trace_id: &'a str,
    span_id: &'a str,
    parent_span_id: Option<&'a str>,
    name: &'a str,
    kind: &'a str,
    start_ns: u64,
    end_ns: u64,
    duration_ns: u64,
    status_code: &'a str,
    status_message: &'a str,
    service_name: &'a str,
    resource_attributes: &'a str,
    scope_name: &'a str,
    scope_version: &'a str,
    environment: Option<&'a str>,
    session_id: Option<&'a str>,
    user_id: Option<&'a str>,
    tags: &'a [String],
    operation: Option<&'a str>,
    model: Option<&'a str>,
    provider: Option<&'a str>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    cost_micros: Option<u64>,
    input: Option<&'a str>,
    output: Option<&'a str>,
    input_oversize: u8,
    output_oversize: u8,
    attributes: &'a str,
    events: &'a str,
    links: &'a str,
    truncated: u8,
    input_blob: Option<&'a str>,
    output_blob: Option<&'a str>,
}

#[derive(Row, Deserialize)]
struct SpanOut {
    trace_id: String,
    span_id: String,
    parent_span_id: Option<String>,
    name: String,
    kind: String,
    start_ns: u64,
    end_ns: u64,
    duration_ns: u64,
    status_code: String,
    status_message: String,
    service_name: String,
    resource_attributes: String,
    scope_name: String,
    scope_version: String,
    environment: Option<String>,
    session_id: Option<String>,
    user_id: Option<String>,
    tags: Vec<String>,
    operation: Option<String>,
    model: Option<String>,
    provider: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    cost_micros: Option<u64>,
    input: Option<String>,
    output: Option<String>,
    input_oversize: u8,
    output_oversize: u8,
    attributes: String,
    events: String,
    links: String,
    truncated: u8,
    input_blob: Option<String>,
    output_blob: Option<String>,
}

impl<'a> SpanIn<'a> {
    fn new(project_id: &'a str, s: &'a SpanRow) -> Self {
        SpanIn {
            project_id,
            trace_id: &s.trace_id,
            span_id: &s.span_id,
            parent_span_id: s.parent_span_id.as_deref(),
            name: &s.name,
            kind: s.kind.as_str(),
            start_ns: s.start_time_unix_nano,
            end_ns: s.end_time_unix_nano,
            duration_ns: s.duration_ns,
            status_code: s.status_code.as_str(),
            status_message: &s.status_message,
            service_name: &s.service_name,
            resource_attributes: &s.resource_attributes,
            scope_name: &s.scope_name,
            scope_version: &s.scope_version,
            environment: s.environment.as_deref(),
            session_id: s.session_id.as_deref(),
            user_id: s.user_id.as_deref(),
            tags: &s.tags,
            operation: s.operation.as_deref(),
            model: s.model.as_deref(),
            provider: s.provider.as_deref(),
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
            total_tokens: s.total_tokens,
            cost_micros: s.cost_micros,
            input: s.input.as_deref(),
            output: s.output.as_deref(),
            input_oversize: s.input_oversize.into(),
            output_oversize: s.output_oversize.into(),
            attributes: &s.attributes,
            events: &s.events,
            links: &s.links,
            truncated: s.truncated.into(),
            input_blob: s.input_blob.as_deref(),
            output_blob: s.output_blob.as_deref(),
        }
    }
}

impl From<SpanOut> for SpanRow {
    fn from(s: SpanOut) -> Self {
        SpanRow {
            trace_id: s.trace_id,
            span_id: s.span_id,
            parent_span_id: s.parent_span_id,
            name: s.name,
            kind: SpanKind::parse(&s.kind),
            start_time_unix_nano: s.start_ns,
            end_time_unix_nano: s.end_ns,
            duration_ns: s.duration_ns,
            status_code: StatusCode::parse(&s.status_code),
            status_message: s.status_message,
            service_name: s.service_name,
            resource_attributes: s.resource_attributes,
            scope_name: s.scope_name,
            scope_version: s.scope_version,
            environment: s.environment,
            session_id: s.session_id,
            user_id: s.user_id,
            tags: s.tags,
            operation: s.operation,
            model: s.model,
            provider: s.provider,
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
            total_tokens: s.total_tokens,
            cost_micros: s.cost_micros,
            input: s.input,
            output: s.output,
            input_oversize: s.input_oversize != 0,
            output_oversize: s.output_oversize != 0,
            attributes: s.attributes,
            events: s.events,
            links: s.links,
            truncated: s.truncated != 0,
            input_blob: s.input_blob,
            output_blob: s.output_blob,
        }
    }
}

pub async fn insert(client: &Client, project_id: &str, spans: &[SpanRow]) -> StoreResult<()> {
    if spans.is_empty() {
        return Ok(());
    }
    for span in spans {
        span.check_storable().map_err(StoreError::Invalid)?;
    }
    // One INSERT: ClickHouse writes each block of it (up to a million rows) atomically.
    with_timeout(TIMEOUT, async {
        let mut insert = client.insert::<SpanIn<'_>>("spans").await?;
        for span in spans {
            insert.write(&SpanIn::new(project_id, span)).await?;
        }
        insert.end().await
    })
    .await
}

#[derive(Row, Deserialize)]
struct Bounds {
    lo: u64,
    hi: u64,
    n: u64,
}

/// Earliest and latest span start of these traces, from the by-trace index; `None` if unknown.
async fn trace_bounds(client: &Client, project_id: &str, trace_ids: &[String]) -> StoreResult<Option<(u64, u64)>> {
    let mut sql = Sql::new("SELECT min(start_ns) AS lo, max(start_ns) AS hi, count() AS n FROM span_traces WHERE project_id = ");
    sql.str(project_id).push(" AND trace_id IN ").list(trace_ids);
    let b: Bounds = with_timeout(TIMEOUT, sql.query(client).fetch_one()).await?;
    Ok((b.n > 0).then_some((b.lo, b.hi)))
}

pub async fn trace_spans(client: &Client, project_id: &str, trace_id: &str) -> StoreResult<Vec<SpanRow>> {
    let ids = [trace_id.to_owned()];
    let Some((lo, hi)) = trace_bounds(client, project_id, &ids).await? else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new("SELECT ?fields FROM spans WHERE project_id = ");
    sql.str(project_id)
        .push(" AND start_ns >= ")
        .u64(lo)
        .push(" AND start_ns <= ")
        .u64(hi)
        .push(" AND trace_id = ")
        .str(trace_id)
        .push(" ORDER BY start_ns, span_id LIMIT 1 BY span_id");
    let rows: Vec<SpanOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    Ok(rows.into_iter().map(SpanRow::from).collect())
}

fn search_text(filter: &TraceFilter) -> Option<&str> {
    filter.search.as_deref().filter(|s| !s.is_empty())
}

/// Conditions on one span for each span-level filter set in `f`.
fn span_conditions(f: &TraceFilter) -> Vec<Sql> {
    let mut out = Vec::new();
    let mut eq = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            let mut c = Sql::new(&format!("{col} = "));
            c.str(v);
            out.push(c);
        }
    };
    eq("name", &f.name);
    eq("model", &f.model);
    eq("user_id", &f.user_id);
    eq("session_id", &f.session_id);
    eq("environment", &f.environment);
    if let Some(tag) = &f.tag {
        let mut c = Sql::new("has(tags, ");
        c.str(tag).push(")");
        out.push(c);
    }
    if let Some(text) = search_text(f) {
        let mut c = Sql::new("(positionCaseInsensitiveUTF8(ifNull(input, ''), ");
        c.str(text).push(") > 0 OR positionCaseInsensitiveUTF8(ifNull(output, ''), ").str(text).push(") > 0)");
        out.push(c);
    }
    out
}

/// ` AND trace_id IN (...)` for every filter of `f` but the time range, looking at spans of the
/// project that start at `lo` or later.
fn push_trace_filters(sql: &mut Sql, project_id: &str, lo: u64, f: &TraceFilter) {
    for cond in span_conditions(f) {
        sql.push(" AND trace_id IN (SELECT trace_id FROM spans WHERE project_id = ")
            .str(project_id)
            .push(" AND start_ns >= ")
            .u64(lo)
            .push(" AND ")
            .append(cond)
            .push(")");
    }
    if let Some(want) = f.has_error {
        sql.push(if want { " AND trace_id IN" } else { " AND trace_id NOT IN" })
            .push(" (SELECT trace_id FROM spans WHERE project_id = ")
            .str(project_id)
            .push(" AND start_ns >= ")
            .u64(lo)
            .push(" AND status_code = 'error')");
    }
    let mut having = Vec::new();
    if let Some(min) = f.min_duration_ns {
        let mut c = Sql::new("(max(end_ns) > min(start_ns) AND toUInt64(max(end_ns) - min(start_ns)) >= ");
        c.u64(min).push(")");
        having.push(c);
    }
    if let Some(min) = f.min_cost_micros {
        let mut c = Sql::new("sum(ifNull(cost_micros, 0)) >= ");
        c.u64(min);
        having.push(c);
    }
    if !having.is_empty() {
        sql.push(" AND trace_id IN (SELECT trace_id FROM spans FINAL WHERE project_id = ")
            .str(project_id)
            .push(" AND start_ns >= ")
            .u64(lo)
            .push(" GROUP BY trace_id HAVING ");
        for (i, c) in having.into_iter().enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            sql.append(c);
        }
        sql.push(")");
    }
}

#[derive(Row, Deserialize)]
struct Candidate {
    trace_id: String,
    start: u64,
}

/// The page's traces (id and listing start), newest first, up to `limit + 1`.
async fn newest(client: &Client, project_id: &str, query: &TraceQuery, limit: u64) -> StoreResult<Vec<Candidate>> {
    let f = &query.filter;
    let hi = match &query.after {
        Some(c) => f.to_ns.min(c.start_ns.saturating_add(1)),
        None => f.to_ns,
    };
    let mut window = FIRST_WINDOW_NS;
    loop {
        let lo = f.from_ns.max(hi.saturating_sub(window));
        let mut sql = Sql::new("SELECT trace_id, min(start_ns) AS start FROM spans WHERE project_id = ");
        sql.str(project_id).push(" AND isNull(parent_span_id) AND start_ns >= ").u64(lo).push(" AND start_ns < ").u64(hi);
        push_trace_filters(&mut sql, project_id, lo, f);
        sql.push(" GROUP BY trace_id");
        if let Some(TraceCursor { start_ns, trace_id }) = &query.after {
            sql.push(" HAVING start < ")
                .u64(*start_ns)
                .push(" OR (start = ")
                .u64(*start_ns)
                .push(" AND trace_id < ")
                .str(trace_id)
                .push(")");
        }
        sql.push(" ORDER BY start DESC, trace_id DESC LIMIT ").u64(limit + 1);
        let rows: Vec<Candidate> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
        // Traces of an older window start earlier than every one found: a full page is final.
        if rows.len() as u64 > limit || lo <= f.from_ns {
            return Ok(rows);
        }
        window = window.saturating_mul(16);
    }
}

/// The page's traces by duration or cost (no cursor).
async fn ranked(client: &Client, project_id: &str, query: &TraceQuery, limit: u64) -> StoreResult<Vec<Candidate>> {
    let f = &query.filter;
    let metric = match query.order {
        TraceOrder::Costliest => "sum(ifNull(cost_micros, 0))",
        _ => "if(max(end_ns) > min(start_ns), toUInt64(max(end_ns) - min(start_ns)), toUInt64(0))",
    };
    let mut sql = Sql::new("SELECT trace_id, start FROM (SELECT trace_id, minIf(start_ns, isNull(parent_span_id) AND start_ns < ");
    sql.u64(f.to_ns)
        .push(") AS start, countIf(isNull(parent_span_id) AND start_ns < ")
        .u64(f.to_ns)
        .push(&format!(") AS roots, {metric} AS metric FROM spans FINAL WHERE project_id = "))
        .str(project_id)
        .push(" AND start_ns >= ")
        .u64(f.from_ns);
    push_trace_filters(&mut sql, project_id, f.from_ns, f);
    sql.push(" GROUP BY trace_id HAVING roots > 0 ORDER BY metric DESC, start DESC, trace_id DESC LIMIT ").u64(limit).push(")");
    with_timeout(TIMEOUT, sql.query(client).fetch_all()).await
}

pub async fn list_traces(client: &Client, project_id: &str, query: &TraceQuery) -> StoreResult<TracePage> {
    if query.after.is_some() && query.order != TraceOrder::Newest {
        return Err(StoreError::Invalid("a cursor is only valid with the newest-first order".into()));
    }
    let limit = u64::from(query.limit.clamp(1, 500));
    if query.filter.from_ns >= query.filter.to_ns {
        return Ok(TracePage { traces: Vec::new(), next: None });
    }
    let mut page = match query.order {
        TraceOrder::Newest => newest(client, project_id, query, limit).await?,
        _ => ranked(client, project_id, query, limit).await?,
    };
    let more = page.len() as u64 > limit;
    page.truncate(limit as usize);
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(TraceCursor { start_ns: last.start, trace_id: last.trace_id.clone() }),
        _ => None,
    };
    let traces = summarize(client, project_id, page).await?;
    Ok(TracePage { traces, next })
}

#[derive(Row, Deserialize)]
struct Totals {
    trace_id: String,
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
    models: Vec<String>,
    tags: Vec<String>,
}

#[derive(Row, Deserialize)]
struct RootOut {
    trace_id: String,
    name: String,
    input: Option<String>,
    output: Option<String>,
    user_id: Option<String>,
    session_id: Option<String>,
    environment: Option<String>,
}

async fn summarize(client: &Client, project_id: &str, page: Vec<Candidate>) -> StoreResult<Vec<TraceSummary>> {
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = page.iter().map(|c| c.trace_id.clone()).collect();
    let Some((lo, hi)) = trace_bounds(client, project_id, &ids).await? else {
        return Ok(Vec::new());
    };
    let mut sql = Sql::new(
        "SELECT trace_id, min(start_ns) AS first_start, max(end_ns) AS last_end, count() AS spans, \
         countIf(status_code = 'error') AS errors, sum(ifNull(input_tokens, 0)) AS input_tokens, \
         sum(ifNull(output_tokens, 0)) AS output_tokens, sum(ifNull(cost_micros, 0)) AS cost, min(user_id) AS user_id, \
         min(session_id) AS session_id, min(environment) AS environment, groupUniqArray(model) AS models, \
         groupUniqArrayArray(tags) AS tags FROM spans FINAL WHERE project_id = ",
    );
    sql.str(project_id).push(" AND start_ns >= ").u64(lo).push(" AND start_ns <= ").u64(hi).push(" AND trace_id IN ").list(&ids);
    sql.push(" GROUP BY trace_id");
    let totals: Vec<Totals> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    let mut totals: BTreeMap<String, Totals> = totals.into_iter().map(|t| (t.trace_id.clone(), t)).collect();

    // The earliest root of each trace (at or after its listing start) gives name and previews.
    let mut sql = Sql::new(&format!(
        "SELECT trace_id, name, substringUTF8(input, 1, {PREVIEW_CHARS}) AS input, substringUTF8(output, 1, {PREVIEW_CHARS}) AS output, \
         user_id, session_id, environment FROM spans WHERE project_id = "
    ));
    sql.str(project_id)
        .push(" AND start_ns >= ")
        .u64(lo)
        .push(" AND start_ns <= ")
        .u64(hi)
        .push(" AND isNull(parent_span_id) AND trace_id IN ")
        .list(&ids)
        .push(" ORDER BY trace_id, start_ns, span_id LIMIT 1 BY trace_id");
    let roots: Vec<RootOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    let mut roots: BTreeMap<String, RootOut> = roots.into_iter().map(|r| (r.trace_id.clone(), r)).collect();

    let mut out = Vec::with_capacity(page.len());
    for c in page {
        let (Some(t), Some(r)) = (totals.remove(&c.trace_id), roots.remove(&c.trace_id)) else {
            // Deleted between the two reads.
            continue;
        };
        let mut models = t.models;
        models.sort();
        let mut tags = t.tags;
        tags.sort();
        out.push(TraceSummary {
            trace_id: c.trace_id,
            name: r.name,
            start_ns: c.start,
            duration_ns: t.last_end.saturating_sub(t.first_start),
            span_count: t.spans,
            error_count: t.errors,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            cost_micros: t.cost,
            models,
            user_id: r.user_id.or(t.user_id),
            session_id: r.session_id.or(t.session_id),
            environment: r.environment.or(t.environment),
            tags,
            input: r.input,
            output: r.output,
        });
    }
    Ok(out)
}

#[derive(Row, Deserialize)]
struct SessionOut {
    session_id: String,
    first_ns: u64,
    last_ns: u64,
    traces: u64,
    user_id: Option<String>,
    input_tokens: u64,
    output_tokens: u64,
    cost: u64,
    errors: u64,
}

pub async fn list_sessions(client: &Client, project_id: &str, from_ns: u64, to_ns: u64, limit: u32) -> StoreResult<Vec<SessionSummary>> {
    if from_ns >= to_ns {
        return Ok(Vec::new());
    }
    let members = |sql: &mut Sql, what: &str| {
        sql.push(&format!("SELECT {what} FROM spans WHERE project_id = "))
            .str(project_id)
            .push(" AND isNotNull(session_id) AND start_ns >= ")
            .u64(from_ns)
            .push(" AND start_ns < ")
            .u64(to_ns);
    };
    let mut sql = Sql::new(
        "SELECT sid AS session_id, min(start_ns) AS first_ns, max(end_ns) AS last_ns, uniqExact(trace_id) AS traces, \
         min(user_id) AS user_id, sum(ifNull(input_tokens, 0)) AS input_tokens, sum(ifNull(output_tokens, 0)) AS output_tokens, \
         sum(ifNull(cost_micros, 0)) AS cost, countIf(status_code = 'error') AS errors FROM (",
    );
    members(&mut sql, "DISTINCT assumeNotNull(session_id) AS sid, trace_id");
    sql.push(
        ") ALL INNER JOIN (SELECT trace_id, start_ns, end_ns, user_id, input_tokens, output_tokens, cost_micros, status_code \
         FROM spans FINAL WHERE project_id = ",
    )
    .str(project_id)
    .push(" AND trace_id IN (");
    members(&mut sql, "trace_id");
    sql.push(")) USING trace_id GROUP BY session_id ORDER BY last_ns DESC, session_id LIMIT ").u64(u64::from(limit.clamp(1, 500)));
    let rows: Vec<SessionOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionSummary {
            session_id: r.session_id,
            first_ns: r.first_ns,
            last_ns: r.last_ns,
            trace_count: r.traces,
            user_id: r.user_id,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_micros: r.cost,
            error_count: r.errors,
        })
        .collect())
}

#[derive(Row, Deserialize)]
struct MetricsOut {
    bucket: u64,
    grp: String,
    spans: u64,
    errors: u64,
    it: u64,
    ot: u64,
    cost: u64,
    p50: u64,
    p95: u64,
    p99: u64,
}

pub async fn span_metrics(client: &Client, project_id: &str, query: &MetricsQuery) -> StoreResult<Vec<MetricsRow>> {
    if query.bucket_ns == 0 {
        return Err(StoreError::Invalid("the bucket width must be positive".into()));
    }
    let f = &query.filter;
    if f.from_ns >= f.to_ns {
        return Ok(Vec::new());
    }
    let group = match query.group_by {
        None => "''",
        Some(MetricsGroup::Model) => "ifNull(model, '')",
        Some(MetricsGroup::Name) => "name",
        Some(MetricsGroup::User) => "ifNull(user_id, '')",
    };
    // Nearest rank: the ceil(p·n)-th smallest duration (arrays are 1-based).
    let mut sql = Sql::new(
        "SELECT bucket, grp, spans, errors, it, ot, cost, ds[toUInt64(intDiv(spans * 50 + 99, 100))] AS p50, \
         ds[toUInt64(intDiv(spans * 95 + 99, 100))] AS p95, ds[toUInt64(intDiv(spans * 99 + 99, 100))] AS p99 FROM (\
         SELECT bucket, grp, count() AS spans, countIf(err) AS errors, sum(it) AS it, sum(ot) AS ot, sum(c) AS cost, \
         arraySort(groupArray(d)) AS ds FROM (SELECT toUInt64(intDiv(start_ns, ",
    );
    sql.u64(query.bucket_ns).push(") * ").u64(query.bucket_ns).push(&format!(
        ") AS bucket, {group} AS grp, duration_ns AS d, status_code = 'error' AS err, ifNull(input_tokens, 0) AS it, \
         ifNull(output_tokens, 0) AS ot, ifNull(cost_micros, 0) AS c FROM spans FINAL WHERE project_id = "
    ));
    sql.str(project_id).push(" AND start_ns >= ").u64(f.from_ns).push(" AND start_ns < ").u64(f.to_ns);
    for cond in span_conditions(f) {
        sql.push(" AND ").append(cond);
    }
    match f.has_error {
        Some(true) => {
            sql.push(" AND status_code = 'error'");
        }
        Some(false) => {
            sql.push(" AND status_code != 'error'");
        }
        None => {}
    }
    if let Some(min) = f.min_duration_ns {
        sql.push(" AND duration_ns >= ").u64(min);
    }
    if let Some(min) = f.min_cost_micros {
        sql.push(" AND ifNull(cost_micros, 0) >= ").u64(min);
    }
    if query.llm_only {
        sql.push(" AND isNotNull(model)");
    }
    sql.push(") GROUP BY bucket, grp) ORDER BY bucket, grp");
    let rows: Vec<MetricsOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    Ok(rows
        .into_iter()
        .map(|r| MetricsRow {
            bucket_start_ns: r.bucket,
            group: r.grp,
            spans: r.spans,
            errors: r.errors,
            input_tokens: r.it,
            output_tokens: r.ot,
            cost_micros: r.cost,
            p50_ns: r.p50,
            p95_ns: r.p95,
            p99_ns: r.p99,
        })
        .collect())
}

#[derive(Row, Deserialize)]
struct Count {
    n: u64,
}

#[derive(Row, Deserialize)]
struct Blobs {
    input_blob: Option<String>,
    output_blob: Option<String>,
}

fn removed(spans: u64, blobs: impl IntoIterator<Item = Option<String>>) -> RemovedSpans {
    let keys: BTreeSet<String> = blobs.into_iter().flatten().collect();
    RemovedSpans { spans, blob_keys: keys.into_iter().collect() }
}

pub async fn delete_trace(client: &Client, database: &str, project_id: &str, trace_id: &str) -> StoreResult<RemovedSpans> {
    let spans = trace_spans(client, project_id, trace_id).await?;
    if !spans.is_empty() {
        for table in ["spans", "span_traces"] {
            let mut sql = Sql::new(&format!("ALTER TABLE {table} DELETE WHERE project_id = "));
            sql.str(project_id).push(" AND trace_id = ").str(trace_id);
            with_timeout(TIMEOUT, sql.query(client).execute()).await?;
        }
        wait_for_mutations(client, database).await?;
    }
    let count = spans.len() as u64;
    Ok(removed(count, spans.into_iter().flat_map(|s| [s.input_blob, s.output_blob])))
}

#[derive(Row, Deserialize)]
struct Month {
    month: u32,
}

/// First nanosecond of the month after `yyyymm` (UTC).
fn month_end_ns(yyyymm: u32) -> u64 {
    let (mut y, mut m) = (i64::from(yyyymm / 100), i64::from(yyyymm % 100) + 1);
    if m > 12 {
        y += 1;
        m = 1;
    }
    // Days from 1970-01-01 to y-m-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days).unwrap_or(0) * 86_400 * 1_000_000_000
}

/// Months of the project wholly before `before_ns` go by `DROP PARTITION` (cheap, whole files);
/// the rest by one `ALTER ... DELETE` mutation per table.
pub async fn expire(client: &Client, database: &str, project_id: &str, before_ns: u64) -> StoreResult<RemovedSpans> {
    let mut count = Sql::new("SELECT count() AS n FROM spans FINAL WHERE project_id = ");
    count.str(project_id).push(" AND start_ns < ").u64(before_ns);
    let n = with_timeout(TIMEOUT, count.query(client).fetch_one::<Count>()).await?.n;
    if n == 0 {
        return Ok(RemovedSpans::default());
    }
    let mut blobs = Sql::new("SELECT input_blob, output_blob FROM spans WHERE project_id = ");
    blobs.str(project_id).push(" AND start_ns < ").u64(before_ns).push(" AND (isNotNull(input_blob) OR isNotNull(output_blob))");
    let blobs: Vec<Blobs> = with_timeout(TIMEOUT, blobs.query(client).fetch_all()).await?;

    let mut months =
        Sql::new("SELECT DISTINCT toYYYYMM(toDateTime(intDiv(start_ns, 1000000000), 'UTC')) AS month FROM span_traces WHERE project_id = ");
    months.str(project_id).push(" AND start_ns < ").u64(before_ns);
    let months: Vec<Month> = with_timeout(TIMEOUT, months.query(client).fetch_all()).await?;
    for Month { month } in months.into_iter().filter(|m| month_end_ns(m.month) <= before_ns) {
        for table in ["spans", "span_traces"] {
            let mut drop = Sql::new(&format!("ALTER TABLE {table} DROP PARTITION ("));
            drop.str(project_id).push(", ").u64(u64::from(month)).push(")");
            with_timeout(TIMEOUT, drop.query(client).execute()).await?;
        }
    }
    let mut left = Sql::new("SELECT count() AS n FROM span_traces WHERE project_id = ");
    left.str(project_id).push(" AND start_ns < ").u64(before_ns);
    if with_timeout(TIMEOUT, left.query(client).fetch_one::<Count>()).await?.n > 0 {
        for table in ["spans", "span_traces"] {
            let mut sql = Sql::new(&format!("ALTER TABLE {table} DELETE WHERE project_id = "));
            sql.str(project_id).push(" AND start_ns < ").u64(before_ns);
            with_timeout(TIMEOUT, sql.query(client).execute()).await?;
        }
        wait_for_mutations(client, database).await?;
    }
    Ok(removed(n, blobs.into_iter().flat_map(|b| [b.input_blob, b.output_blob])))
}

/// ClickHouse 18.16 runs `ALTER ... DELETE` in the background (no `mutations_sync`): wait until
/// the tables' mutations are done, so the caller sees the rows gone.
async fn wait_for_mutations(client: &Client, database: &str) -> StoreResult<()> {
    let started = Instant::now();
    loop {
        let mut sql = Sql::new("SELECT count() AS n FROM system.mutations WHERE database = ");
        sql.str(database).push(" AND table IN ('spans', 'span_traces') AND is_done = 0");
        if with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n == 0 {
            return Ok(());
        }
        if started.elapsed() > TIMEOUT {
            return Err(StoreError::Unavailable("ClickHouse did not finish deleting spans in time".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends() {
        assert_eq!(month_end_ns(197001), 31 * 86_400 * 1_000_000_000);
        // 2024-02 ends on 2024-03-01T00:00:00Z (a leap year).
        assert_eq!(month_end_ns(202402), 1_709_251_200 * 1_000_000_000);
        assert_eq!(month_end_ns(202312), 1_704_067_200 * 1_000_000_000);
    }
}
