//! Ledger rows in the embedded analytics store. A row is visible when its import has a commit
//! in `ledger_imports`: every read joins that table. Transactions make a commit, a Replace
//! (commit + removal of the older imports) and a dataset's deletion atomic.

use domain::ledger_dashboard::{
    CommitMode, LedgerField, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerMonth, LedgerRecordPage, LedgerRow, LedgerRowKey,
    LedgerSort, LedgerTotal, Money,
};
use services::{error::StoreResult, StoreError};
use sqlx::{sqlite::SqliteRow, QueryBuilder, Row, Sqlite, SqlitePool};
use store_sql::map_sqlx_error;

/// 20 bound values per row: 800 rows stay under SQLite's 32,766 variables.
const ROWS_PER_INSERT: usize = 800;
const MAX_PAGE_SIZE: u32 = 500;
const MAX_EXPORT_BATCH: u32 = 10_000;

const COLUMNS: &str = "project_id, dataset_id, import_id, row_number, company_code, entity, region, department, division, \
    account_group, account_code, account_name, date, month, debit, credit, balance, currency, description, extra";
const READ_COLUMNS: &str = "r.dataset_id, r.import_id, r.row_number, r.company_code, r.entity, r.region, r.department, r.division, \
    r.account_group, r.account_code, r.account_name, r.date, r.month, r.debit, r.credit, r.balance, r.currency, r.description, r.extra";

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(row: &'r SqliteRow, col: &str) -> StoreResult<T> {
    row.try_get(col).map_err(map_sqlx_error)
}

fn month_of(v: i64) -> StoreResult<LedgerMonth> {
    u32::try_from(v).ok().and_then(LedgerMonth::from_yyyymm).ok_or_else(|| StoreError::Internal(format!("stored month {v} is not valid")))
}

fn count(row: &SqliteRow, col: &str) -> StoreResult<u64> {
    let v: i64 = get(row, col)?;
    u64::try_from(v).map_err(|_| StoreError::Internal(format!("negative {col}: {v}")))
}

fn ledger_row(row: &SqliteRow) -> StoreResult<LedgerRow> {
    Ok(LedgerRow {
        dataset_id: get(row, "dataset_id")?,
        import_id: get(row, "import_id")?,
        row: count(row, "row_number")?,
        company_code: get(row, "company_code")?,
        entity: get(row, "entity")?,
        region: get(row, "region")?,
        department: get(row, "department")?,
        division: get(row, "division")?,
        account_group: get(row, "account_group")?,
        account_code: get(row, "account_code")?,
        account_name: get(row, "account_name")?,
        date: get(row, "date")?,
        month: month_of(get(row, "month")?)?,
        debit: Money::from_scaled(get(row, "debit")?),
        credit: Money::from_scaled(get(row, "credit")?),
        balance: Money::from_scaled(get(row, "balance")?),
        currency: get(row, "currency")?,
        description: get(row, "description")?,
        extra: get(row, "extra")?,
    })
}

pub async fn insert(pool: &SqlitePool, project_id: &str, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
    check_rows(import_id, rows)?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(map_sqlx_error)?;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("INSERT INTO ledger_rows ({COLUMNS}) "));
        q.push_values(chunk, |mut b, r| {
            b.push_bind(project_id)
                .push_bind(&r.dataset_id)
                .push_bind(&r.import_id)
                .push_bind(r.row as i64)
                .push_bind(&r.company_code)
                .push_bind(&r.entity)
                .push_bind(&r.region)
                .push_bind(&r.department)
                .push_bind(&r.division)
                .push_bind(&r.account_group)
                .push_bind(&r.account_code)
                .push_bind(&r.account_name)
                .push_bind(&r.date)
                .push_bind(i64::from(r.month.yyyymm()))
                .push_bind(r.debit.scaled())
                .push_bind(r.credit.scaled())
                .push_bind(r.balance.scaled())
                .push_bind(&r.currency)
                .push_bind(&r.description)
                .push_bind(&r.extra);
        });
        q.build().execute(&mut *tx).await.map_err(map_sqlx_error)?;
    }
    tx.commit().await.map_err(map_sqlx_error)
}

/// The checks both adapters make before writing anything.
pub fn check_rows(import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
    for r in rows {
        if r.import_id != import_id {
            return Err(StoreError::Invalid(format!("row {} belongs to import {:?}, not {import_id:?}", r.row, r.import_id)));
        }
        r.check_storable().map_err(StoreError::Invalid)?;
    }
    Ok(())
}

pub async fn commit(pool: &SqlitePool, project_id: &str, dataset_id: &str, import_id: &str, mode: CommitMode) -> StoreResult<()> {
    if import_id.is_empty() || dataset_id.is_empty() {
        return Err(StoreError::Invalid("a commit needs a dataset id and an import id".into()));
    }
    let replaces = mode == CommitMode::Replace;
    // The INSERT comes first so the transaction holds the write lock from its first statement.
    let mut tx = pool.begin().await.map_err(map_sqlx_error)?;
    let inserted = sqlx::query(
        "INSERT OR IGNORE INTO ledger_imports (project_id, dataset_id, import_id, seq, replaces) \
         SELECT ?, ?, ?, COALESCE(MAX(seq), 0) + 1, ? FROM ledger_imports WHERE project_id = ? AND dataset_id = ?",
    )
    .bind(project_id)
    .bind(dataset_id)
    .bind(import_id)
    .bind(i64::from(replaces))
    .bind(project_id)
    .bind(dataset_id)
    .execute(&mut *tx)
    .await
    .map_err(map_sqlx_error)?
    .rows_affected();
    if inserted > 0 && replaces {
        let seq: i64 = sqlx::query_scalar("SELECT seq FROM ledger_imports WHERE project_id = ? AND dataset_id = ? AND import_id = ?")
            .bind(project_id)
            .bind(dataset_id)
            .bind(import_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_sqlx_error)?;
        sqlx::query(
            "DELETE FROM ledger_rows WHERE project_id = ? AND dataset_id = ? AND import_id IN \
             (SELECT import_id FROM ledger_imports WHERE project_id = ? AND dataset_id = ? AND seq < ?)",
        )
        .bind(project_id)
        .bind(dataset_id)
        .bind(project_id)
        .bind(dataset_id)
        .bind(seq)
        .execute(&mut *tx)
        .await
        .map_err(map_sqlx_error)?;
        sqlx::query("DELETE FROM ledger_imports WHERE project_id = ? AND dataset_id = ? AND seq < ?")
            .bind(project_id)
            .bind(dataset_id)
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx_error)?;
    }
    tx.commit().await.map_err(map_sqlx_error)
}

pub async fn discard(pool: &SqlitePool, project_id: &str, import_id: &str) -> StoreResult<()> {
    let committed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ledger_imports WHERE project_id = ? AND import_id = ?)")
        .bind(project_id)
        .bind(import_id)
        .fetch_one(pool)
        .await
        .map_err(map_sqlx_error)?;
    if committed {
        return Err(StoreError::Conflict(format!("import {import_id} is committed")));
    }
    // Guarded again in the statement itself: a commit racing the discard wins.
    sqlx::query(
        "DELETE FROM ledger_rows WHERE project_id = ? AND import_id = ? \
         AND NOT EXISTS (SELECT 1 FROM ledger_imports WHERE project_id = ? AND import_id = ?)",
    )
    .bind(project_id)
    .bind(import_id)
    .bind(project_id)
    .bind(import_id)
    .execute(pool)
    .await
    .map_err(map_sqlx_error)?;
    Ok(())
}

pub async fn delete_dataset(pool: &SqlitePool, project_id: &str, dataset_id: &str) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(map_sqlx_error)?;
    for table in ["ledger_imports", "ledger_rows"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE project_id = ? AND dataset_id = ?"))
            .bind(project_id)
            .bind(dataset_id)
            .execute(&mut *tx)
            .await
            .map_err(map_sqlx_error)?;
    }
    tx.commit().await.map_err(map_sqlx_error)
}

/// `FROM ... WHERE ...` of the visible rows of `project_id` passing `filter` (alias `r`).
fn push_from<'a>(q: &mut QueryBuilder<'a, Sqlite>, project_id: &'a str, filter: &'a LedgerFilter) {
    q.push(
        " FROM ledger_imports i JOIN ledger_rows r ON r.project_id = i.project_id AND r.dataset_id = i.dataset_id \
         AND r.import_id = i.import_id WHERE i.project_id = ",
    )
    .push_bind(project_id)
    .push(" AND r.project_id = ")
    .push_bind(project_id);
    for field in LedgerFilter::FIELDS {
        let values = filter.values(field);
        if values.is_empty() {
            continue;
        }
        let alias = if field == LedgerField::Dataset { "i" } else { "r" };
        q.push(format_args!(" AND {alias}.{} IN (", field.column()));
        let mut list = q.separated(", ");
        for v in values {
            list.push_bind(v.as_str());
        }
        q.push(")");
    }
    if let Some(m) = filter.month_from {
        q.push(" AND r.month >= ").push_bind(i64::from(m.yyyymm()));
    }
    if let Some(m) = filter.month_to {
        q.push(" AND r.month <= ").push_bind(i64::from(m.yyyymm()));
    }
}

fn checked(filter: &LedgerFilter) -> StoreResult<()> {
    filter.check().map_err(|e| StoreError::Invalid(e.to_string()))
}

/// `(key expression, month expression, name expression)` of a grouping.
fn group_exprs(group_by: LedgerGroupBy) -> (&'static str, &'static str, &'static str) {
    match group_by {
        LedgerGroupBy::None => ("''", "0", "''"),
        LedgerGroupBy::Month => ("''", "r.month", "''"),
        LedgerGroupBy::Entity => ("r.entity", "0", "''"),
        LedgerGroupBy::Region => ("r.region", "0", "''"),
        LedgerGroupBy::CompanyCode => ("r.company_code", "0", "''"),
        LedgerGroupBy::Department => ("r.department", "0", "''"),
        LedgerGroupBy::Division => ("r.division", "0", "''"),
        LedgerGroupBy::AccountGroup => ("r.account_group", "0", "''"),
        LedgerGroupBy::Account => ("r.account_code", "0", "r.account_name"),
    }
}

pub async fn totals(pool: &SqlitePool, project_id: &str, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>> {
    checked(filter)?;
    if filter.is_empty_range() {
        return Ok(Vec::new());
    }
    let (key, month, name) = group_exprs(group_by);
    // SUM over integers is exact and fails on overflow (never wraps or rounds).
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
        "SELECT {key} AS k, {month} AS m, {name} AS n, r.account_group AS g, SUM(r.debit) AS debit, SUM(r.credit) AS credit, \
         SUM(r.balance) AS balance, COUNT(*) AS rows"
    ));
    push_from(&mut q, project_id, filter);
    q.push(" GROUP BY k, m, n, g ORDER BY k, m, n, g");
    let rows = q.build().fetch_all(pool).await.map_err(map_sqlx_error)?;
    rows.iter()
        .map(|row| {
            let m: i64 = get(row, "m")?;
            Ok(LedgerTotal {
                key: if group_by == LedgerGroupBy::Month { month_of(m)?.to_string() } else { get(row, "k")? },
                name: get(row, "n")?,
                account_group: get(row, "g")?,
                debit: Money::from_scaled(get(row, "debit")?),
                credit: Money::from_scaled(get(row, "credit")?),
                balance: Money::from_scaled(get(row, "balance")?),
                rows: count(row, "rows")?,
            })
        })
        .collect()
}

pub async fn filter_values(pool: &SqlitePool, project_id: &str, datasets: &[String]) -> StoreResult<LedgerFilterValues> {
    let filter = LedgerFilter { datasets: datasets.to_vec(), ..Default::default() };
    checked(&filter)?;
    let distinct = |column: &'static str| {
        let filter = &filter;
        async move {
            let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT DISTINCT r.{column} AS v"));
            push_from(&mut q, project_id, filter);
            q.push(" ORDER BY v");
            q.build().fetch_all(pool).await.map_err(map_sqlx_error)
        }
    };
    let texts = |rows: Vec<SqliteRow>| rows.iter().map(|r| get::<String>(r, "v")).collect::<StoreResult<Vec<_>>>();
    Ok(LedgerFilterValues {
        entities: texts(distinct("entity").await?)?,
        regions: texts(distinct("region").await?)?,
        company_codes: texts(distinct("company_code").await?)?,
        departments: texts(distinct("department").await?)?,
        divisions: texts(distinct("division").await?)?,
        account_groups: texts(distinct("account_group").await?)?,
        months: distinct("month").await?.iter().map(|r| month_of(get(r, "v")?)).collect::<StoreResult<_>>()?,
    })
}

/// `ORDER BY` of the drill-down: the column, then the row key ascending (the key itself for `Row`).
fn order_by(sort: LedgerSort) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    match sort.column.column() {
        None => format!(" ORDER BY r.dataset_id {dir}, r.import_id {dir}, r.row_number {dir}"),
        Some(column) => format!(" ORDER BY r.{column} {dir}, r.dataset_id, r.import_id, r.row_number"),
    }
}

pub async fn records(
    pool: &SqlitePool,
    project_id: &str,
    filter: &LedgerFilter,
    sort: LedgerSort,
    page: u64,
    page_size: u32,
) -> StoreResult<LedgerRecordPage> {
    checked(filter)?;
    if filter.is_empty_range() {
        return Ok(LedgerRecordPage::default());
    }
    let size = i64::from(page_size.clamp(1, MAX_PAGE_SIZE));
    let offset = i64::try_from(page).ok().and_then(|p| p.checked_mul(size)).ok_or_else(|| StoreError::Invalid("page too far".into()))?;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) AS n");
    push_from(&mut q, project_id, filter);
    let total = count(&q.build().fetch_one(pool).await.map_err(map_sqlx_error)?, "n")?;
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {READ_COLUMNS}"));
    push_from(&mut q, project_id, filter);
    q.push(order_by(sort)).push(" LIMIT ").push_bind(size).push(" OFFSET ").push_bind(offset);
    let rows = q.build().fetch_all(pool).await.map_err(map_sqlx_error)?;
    Ok(LedgerRecordPage { rows: rows.iter().map(ledger_row).collect::<StoreResult<_>>()?, total })
}

pub async fn export_batch(
    pool: &SqlitePool,
    project_id: &str,
    filter: &LedgerFilter,
    after: Option<&LedgerRowKey>,
    limit: u32,
) -> StoreResult<Vec<LedgerRow>> {
    checked(filter)?;
    if filter.is_empty_range() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(format!("SELECT {READ_COLUMNS}"));
    push_from(&mut q, project_id, filter);
    if let Some(k) = after {
        let row = i64::try_from(k.row).unwrap_or(i64::MAX);
        q.push(" AND (r.dataset_id > ")
            .push_bind(k.dataset_id.as_str())
            .push(" OR (r.dataset_id = ")
            .push_bind(k.dataset_id.as_str())
            .push(" AND (r.import_id > ")
            .push_bind(k.import_id.as_str())
            .push(" OR (r.import_id = ")
            .push_bind(k.import_id.as_str())
            .push(" AND r.row_number > ")
            .push_bind(row)
            .push("))))");
    }
    q.push(" ORDER BY r.dataset_id, r.import_id, r.row_number LIMIT ").push_bind(i64::from(limit.clamp(1, MAX_EXPORT_BATCH)));
    let rows = q.build().fetch_all(pool).await.map_err(map_sqlx_error)?;
    rows.iter().map(ledger_row).collect()
}
