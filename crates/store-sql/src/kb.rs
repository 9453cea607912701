//! The knowledge base for every sqlx backend: SQL, row conversions, batching and
//! [`impl_kb_repo!`](crate::impl_kb_repo).
//!
//! Drafts, imports and index records are one row each, every field a column (a draft's change
//! and source are JSON text). Releases are stored deduplicated: an entry's body (its JSON) once
//! per project and content hash in `kb_entry_bodies`, and per release one small row per entry
//! naming its key, revision and hash. Publishing a release whose entries mostly did not change
//! sends only the new bodies.
//!
//! Many-row writes (an import's thousands of drafts, a release's ten thousand entries) are
//! multi-row statements in [`batches`] that stay under both databases' bind-parameter limits,
//! inside one transaction.

use crate::{
    datasets::to_i64,
    primary::{corrupt, to_u64},
};
use domain::kb::{
    Draft, DraftStatus, EntryKey, EntryKind, ImportFormat, ImportStatus, IndexStatus, KbImport, KbIndexRecord, Release, ReleaseEntry,
};
use services::{
    ports::{DraftFilter, EntryFilter, ReleaseHeader},
    StoreError,
};
use std::collections::HashSet;

macro_rules! draft_columns {
    () => {
        "d.id, d.project_id, d.key_kind, d.key_name, d.change_json, d.base_revision, d.status, d.approved_release, d.author_id, \
         d.created_at_ms, d.updated_at_ms, d.version, d.submitted_at_ms, d.reviewer_id, d.review_comment, d.source_json"
    };
}

macro_rules! header_columns {
    () => {
        "r.project_id, r.number, r.created_by, u.email, r.created_at_ms, r.summary, r.rolled_back_to, r.api_operation_count, \
         r.table_count FROM kb_releases r LEFT JOIN users u ON u.id = r.created_by"
    };
}

macro_rules! entry_columns {
    () => {
        "e.key_kind, e.key_name, e.revision, e.content_hash, b.entry_json FROM kb_release_entries e \
         JOIN kb_entry_bodies b ON b.project_id = e.project_id AND b.content_hash = e.content_hash"
    };
}

/// Without `project_id`: the caller knows it (and a tuple holds at most 16 columns).
macro_rules! import_columns {
    () => {
        "id, format, file_name, blob_key, size_bytes, status, done, total, error, warnings_json, result_blob_key, entry_count, \
         drafts_made, created_by, created_at_ms, updated_at_ms FROM kb_imports"
    };
}

macro_rules! index_columns {
    () => {
        "project_id, release_number, status, done, total, blob_key, vector_model, dimensions, error, updated_at_ms FROM kb_indexes"
    };
}

/// The fields of a draft that an update writes, as bound by [`draft_update_args`]: `$3` to
/// `$14` in [`sql::UPDATE_DRAFT`], `column3` to `column14` of the values in
/// [`publish_drafts_statement`].
macro_rules! draft_set {
    ($a:literal, $b:literal, $c:literal, $d:literal, $e:literal, $f:literal, $g:literal, $h:literal, $i:literal, $j:literal, $k:literal, $l:literal) => {
        concat!(
            "key_kind = ",
            $a,
            ", key_name = ",
            $b,
            ", change_json = ",
            $c,
            ", base_revision = ",
            $d,
            ", status = ",
            $e,
            ", approved_release = ",
            $f,
            ", updated_at_ms = ",
            $g,
            ", version = ",
            $h,
            ", submitted_at_ms = ",
            $i,
            ", reviewer_id = ",
            $j,
            ", review_comment = ",
            $k,
            ", source_json = ",
            $l
        )
    };
}

pub mod sql {
    pub const SETTINGS: &str = "SELECT require_other_approver, embedding_key_id, embedding_model FROM kb_settings WHERE project_id = $1";
    pub const SAVE_SETTINGS: &str = "INSERT INTO kb_settings (project_id, require_other_approver, embedding_key_id, embedding_model) \
                                     VALUES ($1, $2, $3, $4) ON CONFLICT (project_id) DO UPDATE SET \
                                     require_other_approver = excluded.require_other_approver, \
                                     embedding_key_id = excluded.embedding_key_id, embedding_model = excluded.embedding_model";

    pub const DRAFT: &str = concat!("SELECT ", draft_columns!(), " FROM kb_drafts d WHERE d.project_id = $1 AND d.id = $2");
    pub const DRAFT_EXISTS: &str = "SELECT COUNT(*) FROM kb_drafts WHERE project_id = $1 AND id = $2";
    /// Binds: project, id, the fields of [`super::draft_update_args`], expected version.
    pub const UPDATE_DRAFT: &str = concat!(
        "UPDATE kb_drafts SET ",
        draft_set!("$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14"),
        " WHERE project_id = $1 AND id = $2 AND version = $15"
    );

    pub const LATEST_NUMBER: &str = "SELECT MAX(number) FROM kb_releases WHERE project_id = $1";
    /// The content hashes a release holds: bodies the project surely has.
    pub const RELEASE_HASHES: &str = "SELECT DISTINCT content_hash FROM kb_release_entries WHERE project_id = $1 AND release_number = $2";
    /// Binds: project, number, created by, created at, summary, rolled back to, operations, tables.
    pub const INSERT_RELEASE: &str = "INSERT INTO kb_releases (project_id, number, created_by, created_at_ms, summary, rolled_back_to, \
                                      api_operation_count, table_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const LATEST_RELEASE: &str = concat!("SELECT ", header_columns!(), " WHERE r.project_id = $1 ORDER BY r.number DESC LIMIT 1");
    pub const RELEASE: &str = concat!("SELECT ", header_columns!(), " WHERE r.project_id = $1 AND r.number = $2");
    /// Binds: project, below this number, limit.
    pub const RELEASES: &str =
        concat!("SELECT ", header_columns!(), " WHERE r.project_id = $1 AND r.number < $2 ORDER BY r.number DESC LIMIT $3");
    pub const RELEASE_ENTRIES: &str =
        concat!("SELECT ", entry_columns!(), " WHERE e.project_id = $1 AND e.release_number = $2 ORDER BY e.key_kind, e.key_name");
    pub const RELEASE_ENTRY: &str =
        concat!("SELECT ", entry_columns!(), " WHERE e.project_id = $1 AND e.release_number = $2 AND e.key_kind = $3 AND e.key_name = $4");

    /// Binds: id, project, format, file name, blob key, size, status, done, total, error,
    /// warnings, result blob key, entries, drafts made, created by, created at, updated at.
    pub const INSERT_IMPORT: &str = "INSERT INTO kb_imports (id, project_id, format, file_name, blob_key, size_bytes, status, done, \
                                     total, error, warnings_json, result_blob_key, entry_count, drafts_made, created_by, created_at_ms, \
                                     updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
    /// Binds: project, id, status, done, total, error, warnings, result blob key, entries, drafts
    /// made, updated at, expected status.
    pub const UPDATE_IMPORT: &str = "UPDATE kb_imports SET status = $3, done = $4, total = $5, error = $6, warnings_json = $7, \
                                     result_blob_key = $8, entry_count = $9, drafts_made = $10, updated_at_ms = $11 \
                                     WHERE project_id = $1 AND id = $2 AND status = $12";
    pub const IMPORT: &str = concat!("SELECT ", import_columns!(), " WHERE project_id = $1 AND id = $2");
    pub const IMPORT_EXISTS: &str = "SELECT COUNT(*) FROM kb_imports WHERE project_id = $1 AND id = $2";
    pub const IMPORTS: &str = concat!("SELECT ", import_columns!(), " WHERE project_id = $1 ORDER BY created_at_ms DESC, id DESC LIMIT $2");

    /// Binds: project, release, status, done, total, blob key, vector model, dimensions, error,
    /// updated at.
    pub const PUT_INDEX: &str = "INSERT INTO kb_indexes (project_id, release_number, status, done, total, blob_key, vector_model, \
                                 dimensions, error, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                                 ON CONFLICT (project_id, release_number) DO UPDATE SET status = excluded.status, \
                                 done = excluded.done, total = excluded.total, blob_key = excluded.blob_key, \
                                 vector_model = excluded.vector_model, dimensions = excluded.dimensions, error = excluded.error, \
                                 updated_at_ms = excluded.updated_at_ms";
    pub const INDEX: &str = concat!("SELECT ", index_columns!(), " WHERE project_id = $1 AND release_number = $2");
}

/// Rows of [`draft_insert_args`].
pub const INSERT_DRAFTS_PREFIX: &str = "INSERT INTO kb_drafts (id, project_id, key_kind, key_name, change_json, base_revision, status, \
                                        approved_release, author_id, created_at_ms, updated_at_ms, version, submitted_at_ms, \
                                        reviewer_id, review_comment, source_json) ";
pub const INSERT_DRAFT_COLUMNS: usize = 16;

/// Shared: project. Rows: content hash, entry JSON. A body the project has is kept.
pub const INSERT_BODIES_PREFIX: &str = "INSERT INTO kb_entry_bodies (project_id, content_hash, entry_json) ";
pub const INSERT_BODIES_SUFFIX: &str = " ON CONFLICT (project_id, content_hash) DO NOTHING";

/// Shared: project, release number. Rows: key kind, key name, revision, content hash.
pub const INSERT_ENTRIES_PREFIX: &str =
    "INSERT INTO kb_release_entries (project_id, release_number, key_kind, key_name, revision, content_hash) ";

/// Compare-and-set of many drafts in one statement. Shared: project. Rows: id, expected
/// version, then [`draft_update_args`] (`VALUES` columns are `column1`, `column2`, ... on both
/// databases).
pub const PUBLISH_DRAFTS_COLUMNS: usize = 14;
pub fn publish_drafts_statement(values: &str) -> String {
    format!(
        "UPDATE kb_drafts SET {} FROM ({values}) AS v \
         WHERE kb_drafts.project_id = $1 AND kb_drafts.id = v.column1 AND kb_drafts.version = v.column2",
        draft_set!(
            "v.column3",
            "v.column4",
            "v.column5",
            "v.column6",
            "v.column7",
            "v.column8",
            "v.column9",
            "v.column10",
            "v.column11",
            "v.column12",
            "v.column13",
            "v.column14"
        )
    )
}

/// A value bound to a statement whose shape is known only at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
}

/// `args` as the bind arguments of `pool`'s database (the pool only names the database).
pub fn arguments<'q, DB>(_pool: &sqlx::Pool<DB>, args: Vec<Arg>) -> Result<<DB as sqlx::Database>::Arguments<'q>, StoreError>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    use sqlx::Arguments as _;
    let mut out = <DB as sqlx::Database>::Arguments::<'q>::default();
    for arg in args {
        let added = match arg {
            Arg::Text(s) => out.add(s),
            Arg::OptText(s) => out.add(s),
            Arg::Int(n) => out.add(n),
            Arg::OptInt(n) => out.add(n),
            Arg::Bool(b) => out.add(b),
        };
        added.map_err(|e| StoreError::Internal(format!("cannot bind a value: {e}")))?;
    }
    Ok(out)
}

/// Bind parameters per statement on PostgreSQL (at most 65,535), where a statement is a round
/// trip to the server and a long one costs nothing more per value.
pub const MAX_BINDS: usize = 30_000;
/// Bind parameters per statement on SQLite (at most 32,766), in process: there binding costs
/// more per value the more a statement has (SQLite finds each parameter by walking the list of
/// them), so short statements are faster: 2,500 drafts took 5.5 s in statements of 30,000
/// values and 0.16 s in statements of 1,000 (debug build).
pub const SQLITE_MAX_BINDS: usize = 1_000;

/// [`MAX_BINDS`] or [`SQLITE_MAX_BINDS`] for a [`Dialect::backend`](crate::primary::Dialect::backend).
pub fn max_binds(backend: &str) -> usize {
    if backend == "sqlite" {
        SQLITE_MAX_BINDS
    } else {
        MAX_BINDS
    }
}
/// Rows per statement, so one statement (and its text) stays a reasonable size.
pub const MAX_ROWS: usize = 2_000;

/// One multi-row statement of [`batches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub text: String,
    pub args: Vec<Arg>,
    /// Holds the most rows a statement takes, so its text recurs: worth a cached prepared
    /// statement (the last, shorter one is not).
    pub full: bool,
}

/// How many rows of `per_row` values (after `shared` ones) one statement of at most
/// `max_binds` values takes.
pub fn rows_per_statement(max_binds: usize, shared: usize, per_row: usize) -> usize {
    (max_binds.saturating_sub(shared) / per_row.max(1)).clamp(1, MAX_ROWS)
}

/// `VALUES (...), (...)`: `rows` tuples, each starting with the placeholders `$1..=$repeated`,
/// then its own `per_row` ones, numbered on from `$first`.
pub fn values_list(rows: usize, repeated: usize, first: usize, per_row: usize) -> String {
    let mut out = String::with_capacity(rows * (per_row + repeated) * 7 + 8);
    out.push_str("VALUES ");
    let mut next = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (i, n) in (1..=repeated).chain(next..next + per_row).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&n.to_string());
        }
        out.push(')');
        next += per_row;
    }
    out
}

/// The statements `text(values)` covering `rows` (each `per_row` values long), with the
/// `shared` values bound once per statement as `$1..`, and each tuple of `values` starting with
/// them too when `repeat_shared` (see [`values_list`]). No statements for no rows.
pub fn batches(
    max_binds: usize,
    shared: &[Arg],
    repeat_shared: bool,
    per_row: usize,
    rows: Vec<Vec<Arg>>,
    text: impl Fn(&str) -> String,
) -> Vec<Batch> {
    let size = rows_per_statement(max_binds, shared.len(), per_row);
    let repeated = if repeat_shared { shared.len() } else { 0 };
    let mut out = Vec::with_capacity(rows.len().div_ceil(size));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut args = shared.to_vec();
        let mut n = 0;
        for row in rows.by_ref().take(size) {
            debug_assert_eq!(row.len(), per_row, "every row binds {per_row} values");
            args.extend(row);
            n += 1;
        }
        let values = values_list(n, repeated, shared.len() + 1, per_row);
        out.push(Batch { text: text(&values), args, full: n == size });
    }
    out
}

/// The statements that compare-and-set `drafts` (each with its expected version) in `project`:
/// see [`publish_drafts_statement`].
pub fn publish_draft_batches(max_binds: usize, project_id: &str, drafts: &[(Draft, u64)]) -> Result<Vec<Batch>, StoreError> {
    let mut rows = Vec::with_capacity(drafts.len());
    for (draft, expected) in drafts {
        let mut row = vec![Arg::Text(draft.id.clone()), Arg::Int(to_i64("draft version", *expected)?)];
        row.extend(draft_update_args(draft)?);
        rows.push(row);
    }
    Ok(batches(max_binds, &[Arg::Text(project_id.to_owned())], false, PUBLISH_DRAFTS_COLUMNS, rows, publish_drafts_statement))
}

/// `$2, $3, ...`: `n` placeholders after `$1`, for an `IN (...)` list.
pub fn in_list(n: usize) -> String {
    (2..n + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The stored versions of some drafts. Binds: project, ids.
pub fn draft_versions_statement(ids: usize) -> String {
    format!("SELECT id, version FROM kb_drafts WHERE project_id = $1 AND id IN ({})", in_list(ids))
}

fn invalid(e: serde_json::Error) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn u64_arg(what: &str, n: u64) -> Result<Arg, StoreError> {
    Ok(Arg::Int(to_i64(what, n)?))
}

fn opt_u64_arg(what: &str, n: Option<u64>) -> Result<Arg, StoreError> {
    Ok(Arg::OptInt(n.map(|n| to_i64(what, n)).transpose()?))
}

/// The fields an update writes (all but identity, author and creation time), in the order of
/// `draft_set!`.
pub fn draft_update_args(d: &Draft) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Text(d.key.kind.as_str().to_owned()),
        Arg::Text(d.key.name.clone()),
        Arg::Text(serde_json::to_string(&d.change).map_err(invalid)?),
        opt_u64_arg("base revision", d.base_revision)?,
        Arg::Text(d.status.as_str().to_owned()),
        opt_u64_arg("release number", d.status.release())?,
        Arg::Int(d.updated_at_ms),
        u64_arg("draft version", d.version)?,
        Arg::OptInt(d.submitted_at_ms),
        Arg::OptText(d.reviewer_id.clone()),
        Arg::Text(d.review_comment.clone()),
        Arg::Text(serde_json::to_string(&d.source).map_err(invalid)?),
    ])
}

/// A row of [`INSERT_DRAFTS_PREFIX`].
pub fn draft_insert_args(d: &Draft) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Text(d.id.clone()),
        Arg::Text(d.project_id.clone()),
        Arg::Text(d.key.kind.as_str().to_owned()),
        Arg::Text(d.key.name.clone()),
        Arg::Text(serde_json::to_string(&d.change).map_err(invalid)?),
        opt_u64_arg("base revision", d.base_revision)?,
        Arg::Text(d.status.as_str().to_owned()),
        opt_u64_arg("release number", d.status.release())?,
        Arg::Text(d.author_id.clone()),
        Arg::Int(d.created_at_ms),
        Arg::Int(d.updated_at_ms),
        u64_arg("draft version", d.version)?,
        Arg::OptInt(d.submitted_at_ms),
        Arg::OptText(d.reviewer_id.clone()),
        Arg::Text(d.review_comment.clone()),
        Arg::Text(serde_json::to_string(&d.source).map_err(invalid)?),
    ])
}

/// See `draft_columns`.
pub type DraftRow = (
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    Option<i64>,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
);

fn kind(column: &str, s: &str) -> Result<EntryKind, StoreError> {
    EntryKind::parse(s).ok_or_else(|| corrupt(column, s))
}

fn opt_u64(what: &str, n: Option<i64>) -> Result<Option<u64>, StoreError> {
    n.map(|n| to_u64(what, n)).transpose()
}

pub fn draft_from_row(row: DraftRow) -> Result<Draft, StoreError> {
    let (
        id,
        project_id,
        key_kind,
        key_name,
        change_json,
        base_revision,
        status,
        approved_release,
        author_id,
        created_at_ms,
        updated_at_ms,
        version,
        submitted_at_ms,
        reviewer_id,
        review_comment,
        source_json,
    ) = row;
    let release = opt_u64("kb_drafts.approved_release", approved_release)?;
    Ok(Draft {
        id,
        project_id,
        key: EntryKey { kind: kind("kb_drafts.key_kind", &key_kind)?, name: key_name },
        change: serde_json::from_str(&change_json).map_err(|e| corrupt("kb_drafts.change_json", e))?,
        base_revision: opt_u64("kb_drafts.base_revision", base_revision)?,
        status: DraftStatus::parse(&status, release).ok_or_else(|| corrupt("kb_drafts.status", &status))?,
        author_id,
        created_at_ms,
        updated_at_ms,
        version: to_u64("kb_drafts.version", version)?,
        submitted_at_ms,
        reviewer_id,
        review_comment,
        source: serde_json::from_str(&source_json).map_err(|e| corrupt("kb_drafts.source_json", e))?,
    })
}

/// `text` as a literal inside a `LIKE ... ESCAPE '\'` pattern.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The draft list's query: only the filters that are set, most recently updated first.
pub fn list_drafts_query(project_id: &str, filter: &DraftFilter) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::Text(project_id.to_owned())];
    let mut text = concat!("SELECT ", draft_columns!(), " FROM kb_drafts d WHERE d.project_id = $1").to_owned();
    if !filter.statuses.is_empty() {
        let first = args.len() + 1;
        args.extend(filter.statuses.iter().map(|s| Arg::Text(s.clone())));
        let list: Vec<String> = (first..=args.len()).map(|n| format!("${n}")).collect();
        text.push_str(&format!(" AND d.status IN ({})", list.join(", ")));
    }
    if let Some(author) = &filter.author_id {
        args.push(Arg::Text(author.clone()));
        text.push_str(&format!(" AND d.author_id = ${}", args.len()));
    }
    if let Some(key) = &filter.key {
        args.push(Arg::Text(key.kind.as_str().to_owned()));
        args.push(Arg::Text(key.name.clone()));
        text.push_str(&format!(" AND d.key_kind = ${} AND d.key_name = ${}", args.len() - 1, args.len()));
    }
    args.push(Arg::Int(i64::from(filter.limit)));
    args.push(Arg::Int(i64::from(filter.offset)));
    text.push_str(&format!(" ORDER BY d.updated_at_ms DESC, d.id DESC LIMIT ${} OFFSET ${}", args.len() - 1, args.len()));
    (text, args)
}

/// The entry page's two queries (the page, then how many match), sharing their binds but the
/// page's last two (limit, offset).
pub fn release_entries_queries(project_id: &str, number: u64, filter: &EntryFilter) -> Result<(String, String, Vec<Arg>), StoreError> {
    let mut args = vec![Arg::Text(project_id.to_owned()), u64_arg("release number", number)?];
    let mut conditions = String::from(" WHERE e.project_id = $1 AND e.release_number = $2");
    if let Some(kind) = filter.kind {
        args.push(Arg::Text(kind.as_str().to_owned()));
        conditions.push_str(&format!(" AND e.key_kind = ${}", args.len()));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        // LOWER on both sides: LIKE ignores case on SQLite but not on PostgreSQL. Keys are
        // COLLATE "C" on PostgreSQL, where LOWER then folds only ASCII, as on SQLite.
        args.push(Arg::Text(format!("%{}%", like_literal(&search.to_ascii_lowercase()))));
        conditions.push_str(&format!(" AND LOWER(e.key_name) LIKE ${} ESCAPE '\\'", args.len()));
    }
    let count = format!("SELECT COUNT(*) FROM kb_release_entries e{conditions}");
    let page = format!(
        concat!("SELECT ", entry_columns!(), "{} ORDER BY e.key_kind, e.key_name LIMIT ${} OFFSET ${}"),
        conditions,
        args.len() + 1,
        args.len() + 2
    );
    Ok((page, count, args))
}

/// See `header_columns`.
pub type HeaderRow = (String, i64, String, Option<String>, i64, String, Option<i64>, i64, i64);

pub fn header_from_row(
    (project_id, number, created_by, created_by_email, created_at_ms, summary, rolled_back_to, api_operations, tables): HeaderRow,
) -> Result<ReleaseHeader, StoreError> {
    Ok(ReleaseHeader {
        project_id,
        number: to_u64("kb_releases.number", number)?,
        created_by,
        created_by_email,
        created_at_ms,
        summary,
        rolled_back_to: opt_u64("kb_releases.rolled_back_to", rolled_back_to)?,
        api_operations: to_u64("kb_releases.api_operation_count", api_operations)?,
        tables: to_u64("kb_releases.table_count", tables)?,
    })
}

/// See `entry_columns`.
pub type EntryRow = (String, String, i64, String, String);

pub fn entry_from_row((key_kind, key_name, revision, content_hash, entry_json): EntryRow) -> Result<ReleaseEntry, StoreError> {
    let entry: domain::kb::Entry = serde_json::from_str(&entry_json).map_err(|e| corrupt("kb_entry_bodies.entry_json", e))?;
    let key = EntryKey { kind: kind("kb_release_entries.key_kind", &key_kind)?, name: key_name };
    if entry.key() != key {
        return Err(corrupt("kb_release_entries.key_name", format!("{key} holds the body of {}", entry.key())));
    }
    Ok(ReleaseEntry { entry, revision: to_u64("kb_release_entries.revision", revision)?, content_hash })
}

pub fn release_from(header: ReleaseHeader, entries: Vec<ReleaseEntry>) -> Release {
    Release {
        project_id: header.project_id,
        number: header.number,
        created_by: header.created_by,
        created_at_ms: header.created_at_ms,
        summary: header.summary,
        entries,
        rolled_back_to: header.rolled_back_to,
    }
}

/// What [`impl_kb_repo!`](crate::impl_kb_repo) writes for a release, checked and counted.
#[derive(Debug)]
pub struct PublishPlan {
    /// Binds of [`sql::INSERT_RELEASE`].
    pub release: Vec<Arg>,
    pub entries: Vec<Batch>,
}

/// Checks a release before anything is written: a positive number, one entry per key, drafts
/// of the release's project listed once each. `Invalid` otherwise.
pub fn plan_publish(max_binds: usize, release: &Release, drafts: &[(Draft, u64)]) -> Result<PublishPlan, StoreError> {
    if release.number == 0 {
        return Err(StoreError::Invalid("release numbers start at 1".into()));
    }
    let mut keys = HashSet::with_capacity(release.entries.len());
    let (mut operations, mut tables) = (0u64, 0u64);
    let mut rows = Vec::with_capacity(release.entries.len());
    for e in &release.entries {
        let key = e.key();
        match key.kind {
            EntryKind::ApiOperation => operations += 1,
            EntryKind::Table => tables += 1,
        }
        rows.push(vec![
            Arg::Text(key.kind.as_str().to_owned()),
            Arg::Text(key.name.clone()),
            u64_arg("revision", e.revision)?,
            Arg::Text(e.content_hash.clone()),
        ]);
        if !keys.insert(key) {
            return Err(StoreError::Invalid(format!("release {} holds {} twice", release.number, e.key())));
        }
    }
    let mut ids = HashSet::with_capacity(drafts.len());
    for (draft, _) in drafts {
        if draft.project_id != release.project_id {
            return Err(StoreError::Invalid(format!("draft {} is not of the release's project", draft.id)));
        }
        if !ids.insert(draft.id.as_str()) {
            return Err(StoreError::Invalid(format!("draft {} is listed twice", draft.id)));
        }
    }
    let number = u64_arg("release number", release.number)?;
    let shared = [Arg::Text(release.project_id.clone()), number.clone()];
    Ok(PublishPlan {
        release: vec![
            Arg::Text(release.project_id.clone()),
            number,
            Arg::Text(release.created_by.clone()),
            Arg::Int(release.created_at_ms),
            Arg::Text(release.summary.clone()),
            opt_u64_arg("release number", release.rolled_back_to)?,
            u64_arg("count", operations)?,
            u64_arg("count", tables)?,
        ],
        entries: batches(max_binds, &shared, true, 4, rows, |values| format!("{INSERT_ENTRIES_PREFIX}{values}")),
    })
}

/// The body inserts for the entries of `release` whose content hash is not in `known` (the
/// hashes of the previous release: bodies the project has), each body once. The hash of each
/// body written is checked (`Invalid` when it is not the entry's), since later releases share
/// the body by it.
pub fn body_batches(max_binds: usize, release: &Release, known: &HashSet<String>) -> Result<Vec<Batch>, StoreError> {
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for e in &release.entries {
        if known.contains(&e.content_hash) || !seen.insert(e.content_hash.as_str()) {
            continue;
        }
        if domain::kb::content_hash(&e.entry) != e.content_hash {
            return Err(StoreError::Invalid(format!("the content hash of {} is not its content's", e.key())));
        }
        rows.push(vec![Arg::Text(e.content_hash.clone()), Arg::Text(serde_json::to_string(&e.entry).map_err(invalid)?)]);
    }
    let shared = [Arg::Text(release.project_id.clone())];
    Ok(batches(max_binds, &shared, true, 2, rows, |values| format!("{INSERT_BODIES_PREFIX}{values}{INSERT_BODIES_SUFFIX}")))
}

/// Why publishing's compare-and-set of drafts did not change them all, from the stored
/// versions of those drafts read after it (ours already moved to the draft's new version):
/// `NotFound` when one is missing, else `Conflict`.
pub fn drafts_moved(drafts: &[(Draft, u64)], stored: &[(String, i64)]) -> StoreError {
    let stored: std::collections::HashMap<&str, i64> = stored.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let mut moved = Vec::new();
    for (draft, expected) in drafts {
        match stored.get(draft.id.as_str()) {
            None => return StoreError::NotFound,
            Some(&v) if u64::try_from(v).ok() != Some(draft.version) => moved.push(format!("{} (expected version {expected})", draft.id)),
            Some(_) => {}
        }
    }
    StoreError::Conflict(format!("drafts changed since they were read: {}", moved.join(", ")))
}

/// Binds of [`sql::INSERT_IMPORT`].
pub fn import_insert_args(i: &KbImport) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Text(i.id.clone()),
        Arg::Text(i.project_id.clone()),
        Arg::Text(i.format.as_str().to_owned()),
        Arg::Text(i.file_name.clone()),
        Arg::Text(i.blob_key.clone()),
        u64_arg("size", i.size_bytes)?,
        Arg::Text(i.status.as_str().to_owned()),
        u64_arg("done", i.done)?,
        u64_arg("total", i.total)?,
        Arg::OptText(i.error.clone()),
        Arg::Text(serde_json::to_string(&i.warnings).map_err(invalid)?),
        Arg::OptText(i.result_blob_key.clone()),
        u64_arg("entries", i.entries)?,
        u64_arg("drafts made", i.drafts_made)?,
        Arg::Text(i.created_by.clone()),
        Arg::Int(i.created_at_ms),
        Arg::Int(i.updated_at_ms),
    ])
}

/// Binds of [`sql::UPDATE_IMPORT`].
pub fn import_update_args(i: &KbImport, expected: ImportStatus) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Text(i.project_id.clone()),
        Arg::Text(i.id.clone()),
        Arg::Text(i.status.as_str().to_owned()),
        u64_arg("done", i.done)?,
        u64_arg("total", i.total)?,
        Arg::OptText(i.error.clone()),
        Arg::Text(serde_json::to_string(&i.warnings).map_err(invalid)?),
        Arg::OptText(i.result_blob_key.clone()),
        u64_arg("entries", i.entries)?,
        u64_arg("drafts made", i.drafts_made)?,
        Arg::Int(i.updated_at_ms),
        Arg::Text(expected.as_str().to_owned()),
    ])
}

/// See `import_columns`.
pub type ImportRow =
    (String, String, String, String, i64, String, i64, i64, Option<String>, String, Option<String>, i64, i64, String, i64, i64);

pub fn import_from_row(project_id: &str, row: ImportRow) -> Result<KbImport, StoreError> {
    let (
        id,
        format,
        file_name,
        blob_key,
        size_bytes,
        status,
        done,
        total,
        error,
        warnings_json,
        result_blob_key,
        entries,
        drafts_made,
        created_by,
        created_at_ms,
        updated_at_ms,
    ) = row;
    Ok(KbImport {
        id,
        project_id: project_id.to_owned(),
        format: ImportFormat::parse(&format).ok_or_else(|| corrupt("kb_imports.format", &format))?,
        file_name,
        blob_key,
        size_bytes: to_u64("kb_imports.size_bytes", size_bytes)?,
        status: ImportStatus::parse(&status).ok_or_else(|| corrupt("kb_imports.status", &status))?,
        done: to_u64("kb_imports.done", done)?,
        total: to_u64("kb_imports.total", total)?,
        error,
        warnings: serde_json::from_str(&warnings_json).map_err(|e| corrupt("kb_imports.warnings_json", e))?,
        result_blob_key,
        entries: to_u64("kb_imports.entry_count", entries)?,
        drafts_made: to_u64("kb_imports.drafts_made", drafts_made)?,
        created_by,
        created_at_ms,
        updated_at_ms,
    })
}

/// Binds of [`sql::PUT_INDEX`].
pub fn index_args(r: &KbIndexRecord) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        Arg::Text(r.project_id.clone()),
        u64_arg("release number", r.release)?,
        Arg::Text(r.status.as_str().to_owned()),
        u64_arg("done", r.done)?,
        u64_arg("total", r.total)?,
        Arg::OptText(r.blob_key.clone()),
        Arg::OptText(r.vector_model.clone()),
        Arg::OptInt(r.dimensions.map(i64::from)),
        Arg::OptText(r.error.clone()),
        Arg::Int(r.updated_at_ms),
    ])
}

/// See `index_columns`.
pub type IndexRow = (String, i64, String, i64, i64, Option<String>, Option<String>, Option<i64>, Option<String>, i64);

pub fn index_from_row(
    (project_id, release, status, done, total, blob_key, vector_model, dimensions, error, updated_at_ms): IndexRow,
) -> Result<KbIndexRecord, StoreError> {
    Ok(KbIndexRecord {
        project_id,
        release: to_u64("kb_indexes.release_number", release)?,
        status: IndexStatus::parse(&status).ok_or_else(|| corrupt("kb_indexes.status", &status))?,
        done: to_u64("kb_indexes.done", done)?,
        total: to_u64("kb_indexes.total", total)?,
        blob_key,
        vector_model,
        dimensions: dimensions.map(|d| u32::try_from(d).map_err(|_| corrupt("kb_indexes.dimensions", d))).transpose()?,
        error,
        updated_at_ms,
    })
}

/// A release number as bound (numbers beyond `i64` do not exist).
pub fn number(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Implements `KbRepo` for a store type with a `pool` field, given its [`Dialect`](crate::primary::Dialect):
///
/// ```ignore
/// store_sql::impl_kb_repo!(SqlitePrimaryStore, store_sql::primary::SQLITE);
/// ```
///
/// Publishing is one transaction that takes the database's write lock up front on SQLite
/// (`BEGIN IMMEDIATE`) and locks the project's row on PostgreSQL, so publishes of one project
/// run one at a time; the release's primary key backs that up.
#[macro_export]
macro_rules! impl_kb_repo {
    ($store:ty, $dialect:expr) => {
        const _: () = {
            use $crate::__private::domain::kb::{Draft, EntryKey, ImportStatus, KbImport, KbIndexRecord, Release, ReleaseEntry};
            use $crate::__private::services::{
                error::StoreResult,
                ports::{DraftFilter, EntryFilter, KbRepo, KbSettings, ReleaseHeader},
                StoreError,
            };
            use $crate::__private::{async_trait, sqlx, tracing};
            use $crate::kb::{self as shared, sql};
            use $crate::{map_missing_ref as ref_err, map_sqlx_error as db_err};

            #[async_trait]
            impl KbRepo for $store {
                async fn kb_settings(&self, project_id: &services::ports::ProjectId) -> StoreResult<KbSettings> {
                    let project_id = project_id.as_str();
                    let stored: Option<(bool, Option<String>, String)> =
                        sqlx::query_as(sql::SETTINGS).bind(project_id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    Ok(stored
                        .map(|(require_other_approver, embedding_key_id, embedding_model)| KbSettings {
                            require_other_approver,
                            embedding_key_id,
                            embedding_model,
                        })
                        .unwrap_or_default())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %project_id))]
                async fn set_kb_settings(&self, project_id: &services::ports::ProjectId, settings: &KbSettings) -> StoreResult<()> {
                    let project_id = project_id.as_str();
                    sqlx::query(sql::SAVE_SETTINGS)
                        .bind(project_id)
                        .bind(settings.require_other_approver)
                        .bind(&settings.embedding_key_id)
                        .bind(&settings.embedding_model)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                #[tracing::instrument(level = "debug", skip_all, fields(drafts = drafts.len()))]
                async fn insert_drafts(&self, drafts: &[Draft]) -> StoreResult<()> {
                    if drafts.is_empty() {
                        return Ok(());
                    }
                    let rows = drafts.iter().map(shared::draft_insert_args).collect::<StoreResult<Vec<_>>>()?;
                    let max_binds = shared::max_binds($dialect.backend);
                    let batches = shared::batches(max_binds, &[], true, shared::INSERT_DRAFT_COLUMNS, rows, |values| {
                        format!("{}{values}", shared::INSERT_DRAFTS_PREFIX)
                    });
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    for batch in batches {
                        sqlx::query_with(&batch.text, shared::arguments(&self.pool, batch.args)?)
                            .persistent(batch.full)
                            .execute(&mut *tx)
                            .await
                            .map_err(ref_err)?;
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn draft(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<Draft>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::DraftRow> =
                        sqlx::query_as(sql::DRAFT).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::draft_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %d.project_id, id = %d.id, version = d.version))]
                async fn update_draft(&self, d: &Draft, expected_version: u64) -> StoreResult<()> {
                    let mut args = vec![shared::Arg::Text(d.project_id.clone()), shared::Arg::Text(d.id.clone())];
                    args.extend(shared::draft_update_args(d)?);
                    args.push(shared::Arg::Int($crate::datasets::to_i64("draft version", expected_version)?));
                    let done = sqlx::query_with(sql::UPDATE_DRAFT, shared::arguments(&self.pool, args)?)
                        .execute(&self.pool)
                        .await
                        .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::DRAFT_EXISTS, &d.project_id, &d.id, || {
                        format!("draft {} is no longer at version {expected_version}", d.id)
                    })
                    .await
                }

                async fn list_drafts(&self, project_id: &services::ports::ProjectId, filter: &DraftFilter) -> StoreResult<Vec<Draft>> {
                    let project_id = project_id.as_str();
                    let (text, args) = shared::list_drafts_query(project_id, filter);
                    let rows: Vec<shared::DraftRow> = sqlx::query_as_with(&text, shared::arguments(&self.pool, args)?)
                        .persistent(false)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::draft_from_row).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %release.project_id, number = release.number))]
                async fn publish_release(&self, release: &Release, drafts: &[(Draft, u64)]) -> StoreResult<()> {
                    let max_binds = shared::max_binds($dialect.backend);
                    let plan = shared::plan_publish(max_binds, release, drafts)?;
                    let project_id = release.project_id.as_str();
                    let mut tx = self.pool.begin_with($dialect.begin_audit_append).await.map_err(db_err)?;
                    if let Some(lock) = $dialect.lock_project {
                        let locked: Option<String> =
                            sqlx::query_scalar(lock).bind(project_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                        if locked.is_none() {
                            return Err(StoreError::NotFound);
                        }
                    }
                    let latest: Option<i64> =
                        sqlx::query_scalar(sql::LATEST_NUMBER).bind(project_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                    let next = latest.map_or(1, |n| n.saturating_add(1));
                    if shared::number(release.number) != next {
                        return Err(StoreError::Conflict(format!(
                            "release {} does not follow the latest release ({})",
                            release.number,
                            latest.map_or_else(|| "none".to_owned(), |n| n.to_string())
                        )));
                    }
                    let known: std::collections::HashSet<String> = match latest {
                        Some(latest) => sqlx::query_scalar(sql::RELEASE_HASHES)
                            .bind(project_id)
                            .bind(latest)
                            .fetch_all(&mut *tx)
                            .await
                            .map_err(db_err)?
                            .into_iter()
                            .collect(),
                        None => Default::default(),
                    };
                    for batch in shared::body_batches(max_binds, release, &known)? {
                        sqlx::query_with(&batch.text, shared::arguments(&self.pool, batch.args)?)
                            .persistent(batch.full)
                            .execute(&mut *tx)
                            .await
                            .map_err(ref_err)?;
                    }
                    sqlx::query_with(sql::INSERT_RELEASE, shared::arguments(&self.pool, plan.release)?)
                        .execute(&mut *tx)
                        .await
                        .map_err(ref_err)?;
                    for batch in plan.entries {
                        sqlx::query_with(&batch.text, shared::arguments(&self.pool, batch.args)?)
                            .persistent(batch.full)
                            .execute(&mut *tx)
                            .await
                            .map_err(ref_err)?;
                    }
                    let mut changed = 0;
                    for batch in shared::publish_draft_batches(max_binds, project_id, drafts)? {
                        let done = sqlx::query_with(&batch.text, shared::arguments(&self.pool, batch.args)?)
                            .persistent(batch.full)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        changed += done.rows_affected();
                    }
                    if changed != drafts.len() as u64 {
                        let mut stored = Vec::with_capacity(drafts.len());
                        for chunk in drafts.chunks(max_binds - 1) {
                            let mut args = vec![shared::Arg::Text(project_id.to_owned())];
                            args.extend(chunk.iter().map(|(d, _)| shared::Arg::Text(d.id.clone())));
                            let text = shared::draft_versions_statement(chunk.len());
                            let rows: Vec<(String, i64)> = sqlx::query_as_with(&text, shared::arguments(&self.pool, args)?)
                                .persistent(false)
                                .fetch_all(&mut *tx)
                                .await
                                .map_err(db_err)?;
                            stored.extend(rows);
                        }
                        return Err(shared::drafts_moved(drafts, &stored));
                    }
                    tx.commit().await.map_err(db_err)
                }

                async fn latest_release(&self, project_id: &services::ports::ProjectId) -> StoreResult<Option<ReleaseHeader>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::HeaderRow> =
                        sqlx::query_as(sql::LATEST_RELEASE).bind(project_id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(shared::header_from_row).transpose()
                }

                async fn list_releases(
                    &self,
                    project_id: &services::ports::ProjectId,
                    before: Option<u64>,
                    limit: u32,
                ) -> StoreResult<Vec<ReleaseHeader>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::HeaderRow> = sqlx::query_as(sql::RELEASES)
                        .bind(project_id)
                        .bind(before.map_or(i64::MAX, shared::number))
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    rows.into_iter().map(shared::header_from_row).collect()
                }

                async fn release(&self, project_id: &services::ports::ProjectId, number: u64) -> StoreResult<Option<Release>> {
                    let project_id = project_id.as_str();
                    let number = shared::number(number);
                    let row: Option<shared::HeaderRow> =
                        sqlx::query_as(sql::RELEASE).bind(project_id).bind(number).fetch_optional(&self.pool).await.map_err(db_err)?;
                    let Some(row) = row else { return Ok(None) };
                    let header = shared::header_from_row(row)?;
                    // A release never changes once written: no transaction needed between the reads.
                    let rows: Vec<shared::EntryRow> =
                        sqlx::query_as(sql::RELEASE_ENTRIES).bind(project_id).bind(number).fetch_all(&self.pool).await.map_err(db_err)?;
                    let entries = rows.into_iter().map(shared::entry_from_row).collect::<StoreResult<Vec<ReleaseEntry>>>()?;
                    Ok(Some(shared::release_from(header, entries)))
                }

                async fn release_entries(
                    &self,
                    project_id: &services::ports::ProjectId,
                    number: u64,
                    filter: &EntryFilter,
                ) -> StoreResult<(Vec<ReleaseEntry>, u64)> {
                    let project_id = project_id.as_str();
                    let (page, count, args) = shared::release_entries_queries(project_id, number, filter)?;
                    let total: i64 = sqlx::query_scalar_with(&count, shared::arguments(&self.pool, args.clone())?)
                        .persistent(false)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                    let mut args = args;
                    args.push(shared::Arg::Int(i64::from(filter.limit)));
                    args.push(shared::Arg::Int(i64::from(filter.offset)));
                    let rows: Vec<shared::EntryRow> = sqlx::query_as_with(&page, shared::arguments(&self.pool, args)?)
                        .persistent(false)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    let entries = rows.into_iter().map(shared::entry_from_row).collect::<StoreResult<Vec<ReleaseEntry>>>()?;
                    Ok((entries, $crate::primary::to_u64("COUNT(kb_release_entries)", total)?))
                }

                async fn release_entry(
                    &self,
                    project_id: &services::ports::ProjectId,
                    number: u64,
                    key: &EntryKey,
                ) -> StoreResult<Option<ReleaseEntry>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::EntryRow> = sqlx::query_as(sql::RELEASE_ENTRY)
                        .bind(project_id)
                        .bind(shared::number(number))
                        .bind(key.kind.as_str())
                        .bind(&key.name)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.map(shared::entry_from_row).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %i.project_id, id = %i.id))]
                async fn insert_kb_import(&self, i: &KbImport) -> StoreResult<()> {
                    sqlx::query_with(sql::INSERT_IMPORT, shared::arguments(&self.pool, shared::import_insert_args(i)?)?)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn kb_import(&self, project_id: &services::ports::ProjectId, id: &str) -> StoreResult<Option<KbImport>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::ImportRow> =
                        sqlx::query_as(sql::IMPORT).bind(project_id).bind(id).fetch_optional(&self.pool).await.map_err(db_err)?;
                    row.map(|row| shared::import_from_row(project_id, row)).transpose()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(id = %i.id, status = i.status.as_str()))]
                async fn update_kb_import(&self, i: &KbImport, expected: ImportStatus) -> StoreResult<()> {
                    let done =
                        sqlx::query_with(sql::UPDATE_IMPORT, shared::arguments(&self.pool, shared::import_update_args(i, expected)?)?)
                            .execute(&self.pool)
                            .await
                            .map_err(db_err)?;
                    self.compare_and_set(done.rows_affected(), sql::IMPORT_EXISTS, &i.project_id, &i.id, || {
                        format!("import {} is no longer {}", i.id, expected.as_str())
                    })
                    .await
                }

                async fn list_kb_imports(&self, project_id: &services::ports::ProjectId, limit: u32) -> StoreResult<Vec<KbImport>> {
                    let project_id = project_id.as_str();
                    let rows: Vec<shared::ImportRow> =
                        sqlx::query_as(sql::IMPORTS).bind(project_id).bind(i64::from(limit)).fetch_all(&self.pool).await.map_err(db_err)?;
                    rows.into_iter().map(|row| shared::import_from_row(project_id, row)).collect()
                }

                #[tracing::instrument(level = "debug", skip_all, fields(project_id = %r.project_id, release = r.release))]
                async fn put_kb_index(&self, r: &KbIndexRecord) -> StoreResult<()> {
                    sqlx::query_with(sql::PUT_INDEX, shared::arguments(&self.pool, shared::index_args(r)?)?)
                        .execute(&self.pool)
                        .await
                        .map_err(ref_err)?;
                    Ok(())
                }

                async fn kb_index(&self, project_id: &services::ports::ProjectId, release: u64) -> StoreResult<Option<KbIndexRecord>> {
                    let project_id = project_id.as_str();
                    let row: Option<shared::IndexRow> = sqlx::query_as(sql::INDEX)
                        .bind(project_id)
                        .bind(shared::number(release))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_err)?;
                    row.map(shared::index_from_row).transpose()
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists_repeat_the_shared_placeholders_and_number_on() {
        assert_eq!(values_list(2, 1, 2, 2), "VALUES ($1, $2, $3), ($1, $4, $5)");
        assert_eq!(values_list(1, 0, 1, 3), "VALUES ($1, $2, $3)");
        assert_eq!(values_list(2, 2, 3, 1), "VALUES ($1, $2, $3), ($1, $2, $4)");
        assert_eq!(values_list(2, 0, 2, 2), "VALUES ($2, $3), ($4, $5)");
    }

    #[test]
    fn batches_stay_under_the_bind_limit_and_keep_every_row() {
        let rows: Vec<Vec<Arg>> = (0..4_500).map(|i| vec![Arg::Int(i), Arg::Text(i.to_string())]).collect();
        let out =
            batches(MAX_BINDS, &[Arg::Text("p".into())], true, 2, rows, |v| format!("INSERT INTO t (p, a, b) {v} ON CONFLICT DO NOTHING"));
        assert_eq!(out.len(), 3);
        assert!(out[0].full && out[1].full && !out[2].full);
        assert_eq!(out.iter().map(|b| (b.args.len() - 1) / 2).sum::<usize>(), 4_500);
        assert!(out.iter().all(|b| b.args.len() <= MAX_BINDS));
        assert!(out[2].text.starts_with("INSERT INTO t (p, a, b) VALUES ($1, $2, $3), ($1, $4, $5)"), "{}", out[2].text);
        assert!(out[2].text.ends_with(" ON CONFLICT DO NOTHING"));
        assert_eq!(out[2].args[1], Arg::Int(4_000));
        assert!(batches(MAX_BINDS, &[], true, 1, vec![], |v| v.to_owned()).is_empty());

        // Wide rows: the bind limit, not the row cap, sets the size.
        assert_eq!(rows_per_statement(MAX_BINDS, 0, 16), MAX_BINDS / 16);
        assert!(rows_per_statement(MAX_BINDS, 1, 14) * 14 < MAX_BINDS);
        assert_eq!(rows_per_statement(SQLITE_MAX_BINDS, 2, 4), (SQLITE_MAX_BINDS - 2) / 4);
    }

    #[test]
    fn publishing_drafts_is_one_update_from_values_after_the_project() {
        let text = publish_drafts_statement(&values_list(2, 0, 2, 2));
        assert!(text.contains("FROM (VALUES ($2, $3), ($4, $5)) AS v"), "{text}");
        assert!(text.ends_with("WHERE kb_drafts.project_id = $1 AND kb_drafts.id = v.column1 AND kb_drafts.version = v.column2"));
        assert!(text.contains("source_json = v.column14"));
        assert_eq!(in_list(3), "$2, $3, $4");
    }

    #[test]
    fn draft_list_query_binds_only_the_filters_set() {
        let (text, args) = list_drafts_query("p", &DraftFilter { limit: 20, ..Default::default() });
        assert!(text.ends_with("WHERE d.project_id = $1 ORDER BY d.updated_at_ms DESC, d.id DESC LIMIT $2 OFFSET $3"), "{text}");
        assert_eq!(args.len(), 3);

        let filter = DraftFilter {
            statuses: vec!["draft".into(), "in_review".into()],
            author_id: Some("u".into()),
            key: Some(EntryKey::table("public", "users")),
            limit: 5,
            offset: 10,
        };
        let (text, args) = list_drafts_query("p", &filter);
        assert!(text.contains("d.status IN ($2, $3) AND d.author_id = $4 AND d.key_kind = $5 AND d.key_name = $6 ORDER BY"), "{text}");
        assert!(text.ends_with("LIMIT $7 OFFSET $8"), "{text}");
        assert_eq!(args[5], Arg::Text("public.users".into()));
    }

    #[test]
    fn entry_search_escapes_like_wildcards() {
        let filter = EntryFilter { kind: Some(EntryKind::Table), search: Some("A_b%".into()), limit: 10, offset: 0 };
        let (page, count, args) = release_entries_queries("p", 3, &filter).unwrap();
        assert!(count.ends_with("e.key_kind = $3 AND LOWER(e.key_name) LIKE $4 ESCAPE '\\'"), "{count}");
        assert!(page.ends_with("ORDER BY e.key_kind, e.key_name LIMIT $5 OFFSET $6"), "{page}");
        assert_eq!(args[3], Arg::Text("%a\\_b\\%%".into()));
    }
}
