//! Ledger rows on ClickHouse (SQL that runs on 18.16). There are no transactions, so visibility
//! rests on single-row inserts, which are atomic: a commit is one row of `ledger_imports`, and
//! an import is visible when its commit's `seq` is at least the dataset's latest `replaces = 1`
//! commit (a Replace, or the marker a deletion writes with a blank import id). Every read
//! filters rows by that rule in the same query. Hidden rows are removed afterwards by
//! mutations, which this adapter waits for. Every value is bound (`?`), never formatted in.

use crate::{sql::Sql, with_timeout};
use clickhouse::{Client, Row};
use domain::ledger_dashboard::{
    CommitMode, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerMonth, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort,
    LedgerTotal, Money,
};
use serde::{Deserialize, Serialize};
use services::{error::StoreResult, StoreError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TIMEOUT: Duration = Duration::from_secs(120);
const MAX_PAGE_SIZE: u32 = 500;
const MAX_EXPORT_BATCH: u32 = 10_000;
/// `sum(Int64)` wraps modulo 2^64 on overflow: a float sum this far from it (2^62) means it did.
/// Float rounding stays orders of magnitude below.
const WRAP_GAP: f64 = 4.611_686_018_427_388e18;

const READ_COLUMNS: &str = "dataset_id, import_id, row_number, company_code, entity, region, department, division, account_group, \
    account_code, account_name, date, month, debit, credit, balance, currency, description, extra";

#[derive(Row, Serialize)]
struct RowIn<'a> {
    project_id: &'a str,
    dataset_id: &'a str,
    import_id: &'a str,
    row_number: u64,
    company_code: &'a str,
    entity: &'a str,
    region: &'a str,
    department: &'a str,
    division: &'a str,
    account_group: &'a str,
    account_code: &'a str,
    account_name: &'a str,
    date: &'a str,
    month: u32,
    debit: i64,
    credit: i64,
    balance: i64,
    currency: &'a str,
    description: &'a str,
    extra: &'a str,
}

#[derive(Row, Deserialize)]
struct RowOut {
    dataset_id: String,
    import_id: String,
    row_number: u64,
    company_code: String,
    entity: String,
    region: String,
    department: String,
    division: String,
    account_group: String,
    account_code: String,
    account_name: String,
    date: String,
    month: u32,
    debit: i64,
    credit: i64,
    balance: i64,
    currency: String,
    description: String,
    extra: String,
}

#[derive(Row, Serialize)]
struct CommitIn<'a> {
    project_id: &'a str,
    dataset_id: &'a str,
    import_id: &'a str,
    seq: u64,
    replaces: u8,
}

fn month_of(v: u32) -> StoreResult<LedgerMonth> {
    LedgerMonth::from_yyyymm(v).ok_or_else(|| StoreError::Internal(format!("stored month {v} is not valid")))
}

impl TryFrom<RowOut> for LedgerRow {
    type Error = StoreError;
    fn try_from(r: RowOut) -> StoreResult<LedgerRow> {
        Ok(LedgerRow {
            dataset_id: r.dataset_id,
            import_id: r.import_id,
            row: r.row_number,
            company_code: r.company_code,
            entity: r.entity,
            region: r.region,
            department: r.department,
            division: r.division,
            account_group: r.account_group,
            account_code: r.account_code,
            account_name: r.account_name,
            date: r.date,
            month: month_of(r.month)?,
            debit: Money::from_scaled(r.debit),
            credit: Money::from_scaled(r.credit),
            balance: Money::from_scaled(r.balance),
            currency: r.currency,
            description: r.description,
            extra: r.extra,
        })
    }
}

#[derive(Row, Deserialize)]
struct Count {
    n: u64,
}

pub async fn insert(client: &Client, project_id: &str, import_id: &str, rows: &[LedgerRow]) -> StoreResult<()> {
    for r in rows {
        if r.import_id != import_id {
            return Err(StoreError::Invalid(format!("row {} belongs to import {:?}, not {import_id:?}", r.row, r.import_id)));
        }
        r.check_storable().map_err(StoreError::Invalid)?;
    }
    if rows.is_empty() {
        return Ok(());
    }
    // One INSERT: ClickHouse writes each block of it (up to a million rows) atomically, and the
    // rows stay invisible until the commit anyway.
    with_timeout(TIMEOUT, async {
        let mut insert = client.insert::<RowIn<'_>>("ledger_rows").await?;
        for r in rows {
            insert
                .write(&RowIn {
                    project_id,
                    dataset_id: &r.dataset_id,
                    import_id: &r.import_id,
                    row_number: r.row,
                    company_code: &r.company_code,
                    entity: &r.entity,
                    region: &r.region,
                    department: &r.department,
                    division: &r.division,
                    account_group: &r.account_group,
                    account_code: &r.account_code,
                    account_name: &r.account_name,
                    date: &r.date,
                    month: r.month.yyyymm(),
                    debit: r.debit.scaled(),
                    credit: r.credit.scaled(),
                    balance: r.balance.scaled(),
                    currency: &r.currency,
                    description: &r.description,
                    extra: &r.extra,
                })
                .await?;
        }
        insert.end().await
    })
    .await
}

/// The next commit number of a dataset: after every earlier one, and the clock's nanoseconds so
/// two servers committing at once practically never tie.
async fn next_seq(client: &Client, project_id: &str, dataset_id: &str) -> StoreResult<u64> {
    let mut sql = Sql::new("SELECT max(seq) AS n FROM ledger_imports WHERE project_id = ");
    sql.str(project_id).push(" AND dataset_id = ").str(dataset_id);
    let last = with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)).unwrap_or(0);
    Ok(now.max(last.saturating_add(1)))
}

async fn write_commit(client: &Client, row: CommitIn<'_>) -> StoreResult<()> {
    with_timeout(TIMEOUT, async {
        let mut insert = client.insert::<CommitIn<'_>>("ledger_imports").await?;
        insert.write(&row).await?;
        insert.end().await
    })
    .await
}

pub async fn commit(
    client: &Client,
    database: &str,
    project_id: &str,
    dataset_id: &str,
    import_id: &str,
    mode: CommitMode,
) -> StoreResult<()> {
    if import_id.is_empty() || dataset_id.is_empty() {
        return Err(StoreError::Invalid("a commit needs a dataset id and an import id".into()));
    }
    let mut sql = Sql::new("SELECT count() AS n FROM ledger_imports WHERE project_id = ");
    sql.str(project_id).push(" AND dataset_id = ").str(dataset_id).push(" AND import_id = ").str(import_id);
    if with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n > 0 {
        return Ok(());
    }
    let seq = next_seq(client, project_id, dataset_id).await?;
    let replaces = mode == CommitMode::Replace;
    write_commit(client, CommitIn { project_id, dataset_id, import_id, seq, replaces: u8::from(replaces) }).await?;
    if replaces {
        remove_before(client, database, project_id, dataset_id, seq, false).await?;
    }
    Ok(())
}

/// Remove what commits before `seq` made visible in the dataset (all its rows with `all_rows`),
/// then those commits; the commit at `seq` keeps them hidden meanwhile.
async fn remove_before(client: &Client, database: &str, project_id: &str, dataset_id: &str, seq: u64, all_rows: bool) -> StoreResult<()> {
    #[derive(Row, Deserialize)]
    struct Import {
        import_id: String,
    }
    let mut rows = Sql::new("ALTER TABLE ledger_rows DELETE WHERE project_id = ");
    rows.str(project_id).push(" AND dataset_id = ").str(dataset_id);
    if !all_rows {
        let mut sql = Sql::new("SELECT DISTINCT import_id FROM ledger_imports WHERE project_id = ");
        sql.str(project_id).push(" AND dataset_id = ").str(dataset_id).push(" AND seq < ").u64(seq).push(" AND import_id != ''");
        let hidden: Vec<String> =
            with_timeout(TIMEOUT, sql.query(client).fetch_all::<Import>()).await?.into_iter().map(|i| i.import_id).collect();
        if hidden.is_empty() {
            return Ok(());
        }
        rows.push(" AND import_id IN ").list(&hidden);
    }
    with_timeout(TIMEOUT, rows.query(client).execute()).await?;
    let mut commits = Sql::new("ALTER TABLE ledger_imports DELETE WHERE project_id = ");
    commits.str(project_id).push(" AND dataset_id = ").str(dataset_id).push(" AND seq < ").u64(seq);
    with_timeout(TIMEOUT, commits.query(client).execute()).await?;
    wait_for_mutations(client, database).await
}

pub async fn discard(client: &Client, database: &str, project_id: &str, import_id: &str) -> StoreResult<()> {
    let mut sql = Sql::new("SELECT count() AS n FROM ledger_imports WHERE project_id = ");
    sql.str(project_id).push(" AND import_id = ").str(import_id);
    if with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n > 0 {
        return Err(StoreError::Conflict(format!("import {import_id} is committed")));
    }
    let mut sql = Sql::new("SELECT count() AS n FROM ledger_rows WHERE project_id = ");
    sql.str(project_id).push(" AND import_id = ").str(import_id);
    if with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n == 0 {
        return Ok(());
    }
    let mut sql = Sql::new("ALTER TABLE ledger_rows DELETE WHERE project_id = ");
    sql.str(project_id).push(" AND import_id = ").str(import_id);
    with_timeout(TIMEOUT, sql.query(client).execute()).await?;
    wait_for_mutations(client, database).await
}

pub async fn delete_dataset(client: &Client, database: &str, project_id: &str, dataset_id: &str) -> StoreResult<()> {
    // The marker hides every commit of the dataset at once; removal follows.
    let seq = next_seq(client, project_id, dataset_id).await?;
    write_commit(client, CommitIn { project_id, dataset_id, import_id: "", seq, replaces: 1 }).await?;
    remove_before(client, database, project_id, dataset_id, seq, true).await
}

/// ClickHouse 18.16 runs `ALTER ... DELETE` in the background (no `mutations_sync`): wait until
/// the ledger tables' mutations are done, so the caller sees the rows gone.
async fn wait_for_mutations(client: &Client, database: &str) -> StoreResult<()> {
    let started = Instant::now();
    loop {
        let mut sql = Sql::new("SELECT count() AS n FROM system.mutations WHERE database = ");
        sql.str(database).push(" AND table IN ('ledger_rows', 'ledger_imports') AND is_done = 0");
        if with_timeout(TIMEOUT, sql.query(client).fetch_one::<Count>()).await?.n == 0 {
            return Ok(());
        }
        if started.elapsed() > TIMEOUT {
            return Err(StoreError::Unavailable("ClickHouse did not finish removing ledger rows in time".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The committed imports visible in `project_id` (of `datasets`, or all): looked up once per read
/// and passed to the row query as a literal list — a join per query made the dashboard 2–3× the
/// bare aggregates.
async fn visible(client: &Client, project_id: &str, datasets: &[String]) -> StoreResult<Vec<(String, String)>> {
    #[derive(Row, Deserialize)]
    struct Visible {
        dataset_id: String,
        import_id: String,
    }
    let mut sql = Sql::new(
        "SELECT dataset_id, import_id FROM ledger_imports ANY INNER JOIN \
         (SELECT dataset_id, max(if(replaces = 1, seq, toUInt64(0))) AS base FROM ledger_imports WHERE project_id = ",
    );
    sql.str(project_id);
    if !datasets.is_empty() {
        sql.push(" AND dataset_id IN ").list(datasets);
    }
    sql.push(" GROUP BY dataset_id) USING dataset_id WHERE project_id = ").str(project_id).push(" AND seq >= base AND import_id != ''");
    let rows: Vec<Visible> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    Ok(rows.into_iter().map(|v| (v.dataset_id, v.import_id)).collect())
}

/// `FROM ledger_rows WHERE ...`: the rows of the `visible` imports (non-empty) passing `filter`.
fn from_visible(project_id: &str, filter: &LedgerFilter, visible: &[(String, String)]) -> Sql {
    let mut sql = Sql::new(" FROM ledger_rows WHERE project_id = ");
    sql.str(project_id).push(" AND (dataset_id, import_id) IN (");
    for (i, (dataset, import)) in visible.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" }).str(dataset).push(", ").str(import).push(")");
    }
    sql.push(")");
    for field in LedgerFilter::FIELDS {
        let values = filter.values(field);
        if !values.is_empty() {
            sql.push(&format!(" AND {} IN ", field.column())).list(values);
        }
    }
    if let Some(m) = filter.month_from {
        sql.push(" AND month >= ").u64(u64::from(m.yyyymm()));
    }
    if let Some(m) = filter.month_to {
        sql.push(" AND month <= ").u64(u64::from(m.yyyymm()));
    }
    sql
}

fn checked(filter: &LedgerFilter) -> StoreResult<()> {
    filter.check().map_err(|e| StoreError::Invalid(e.to_string()))
}

/// One group of totals. The aliases differ from the table's columns on purpose: ClickHouse
/// aliases are visible in WHERE, so `… AS month` would shadow the filtered `month` column.
#[derive(Row, Deserialize)]
struct TotalOut {
    group_key: String,
    group_month: u32,
    group_name: String,
    group_account: String,
    sum_debit: i64,
    sum_credit: i64,
    sum_balance: i64,
    /// The same sums in floating point: they tell when an Int64 sum wrapped.
    float_debit: f64,
    float_credit: f64,
    float_balance: f64,
    rows: u64,
}

pub async fn totals(client: &Client, project_id: &str, filter: &LedgerFilter, group_by: LedgerGroupBy) -> StoreResult<Vec<LedgerTotal>> {
    checked(filter)?;
    if filter.is_empty_range() {
        return Ok(Vec::new());
    }
    let (key, month, name) = match group_by {
        LedgerGroupBy::None => ("''", "toUInt32(0)", "''"),
        LedgerGroupBy::Month => ("''", "month", "''"),
        LedgerGroupBy::Entity => ("entity", "toUInt32(0)", "''"),
        LedgerGroupBy::Region => ("region", "toUInt32(0)", "''"),
        LedgerGroupBy::CompanyCode => ("company_code", "toUInt32(0)", "''"),
        LedgerGroupBy::Department => ("department", "toUInt32(0)", "''"),
        LedgerGroupBy::Division => ("division", "toUInt32(0)", "''"),
        LedgerGroupBy::AccountGroup => ("account_group", "toUInt32(0)", "''"),
        LedgerGroupBy::Account => ("account_code", "toUInt32(0)", "account_name"),
    };
    // sum(Int64) wraps silently on overflow: the float sums tell when it did (SQLite fails).
    let mut sql = Sql::new(&format!(
        "SELECT {key} AS group_key, {month} AS group_month, {name} AS group_name, account_group AS group_account, \
         sum(debit) AS sum_debit, sum(credit) AS sum_credit, sum(balance) AS sum_balance, sum(toFloat64(debit)) AS float_debit, \
         sum(toFloat64(credit)) AS float_credit, sum(toFloat64(balance)) AS float_balance, count() AS rows"
    ));
    let visible = visible(client, project_id, &filter.datasets).await?;
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    sql.append(from_visible(project_id, filter, &visible));
    sql.push(" GROUP BY group_key, group_month, group_name, group_account ORDER BY group_key, group_month, group_name, group_account");
    let rows: Vec<TotalOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    rows.into_iter()
        .map(|r| {
            if [(r.float_debit, r.sum_debit), (r.float_credit, r.sum_credit), (r.float_balance, r.sum_balance)]
                .iter()
                .any(|(f, exact)| (f - *exact as f64).abs() > WRAP_GAP)
            {
                return Err(StoreError::Internal("a ledger total is beyond the exact Int64 range".into()));
            }
            Ok(LedgerTotal {
                key: if group_by == LedgerGroupBy::Month { month_of(r.group_month)?.to_string() } else { r.group_key },
                name: r.group_name,
                account_group: r.group_account,
                debit: Money::from_scaled(r.sum_debit),
                credit: Money::from_scaled(r.sum_credit),
                balance: Money::from_scaled(r.sum_balance),
                rows: r.rows,
            })
        })
        .collect()
}

fn with_from(select: &str, project_id: &str, filter: &LedgerFilter, visible: &[(String, String)]) -> Sql {
    let mut sql = Sql::new(select);
    sql.append(from_visible(project_id, filter, visible));
    sql
}

pub async fn filter_values(client: &Client, project_id: &str, datasets: &[String]) -> StoreResult<LedgerFilterValues> {
    #[derive(Row, Deserialize)]
    struct Values {
        entities: Vec<String>,
        regions: Vec<String>,
        company_codes: Vec<String>,
        departments: Vec<String>,
        divisions: Vec<String>,
        account_groups: Vec<String>,
        months: Vec<u32>,
    }
    let filter = LedgerFilter { datasets: datasets.to_vec(), ..Default::default() };
    checked(&filter)?;
    let visible = visible(client, project_id, datasets).await?;
    if visible.is_empty() {
        return Ok(LedgerFilterValues::default());
    }
    // One scan for every drop-down (the distinct values of each are few).
    let sql = with_from(
        "SELECT groupUniqArray(entity) AS entities, groupUniqArray(region) AS regions, groupUniqArray(company_code) AS company_codes, \
         groupUniqArray(department) AS departments, groupUniqArray(division) AS divisions, groupUniqArray(account_group) AS account_groups, \
         groupUniqArray(month) AS months",
        project_id,
        &filter,
        &visible,
    );
    let v: Values = with_timeout(TIMEOUT, sql.query(client).fetch_one()).await?;
    let sorted = |mut values: Vec<String>| {
        values.sort_unstable();
        values
    };
    let mut months = v.months;
    months.sort_unstable();
    Ok(LedgerFilterValues {
        entities: sorted(v.entities),
        regions: sorted(v.regions),
        company_codes: sorted(v.company_codes),
        departments: sorted(v.departments),
        divisions: sorted(v.divisions),
        account_groups: sorted(v.account_groups),
        months: months.into_iter().map(month_of).collect::<StoreResult<_>>()?,
    })
}

/// `ORDER BY` of the drill-down: the column, then the row key ascending (the key itself for `Row`).
fn order_by(sort: LedgerSort) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let Some(column) = sort.column.column() else {
        return format!(" ORDER BY dataset_id {dir}, import_id {dir}, row_number {dir}");
    };
    format!(" ORDER BY {column} {dir}, dataset_id, import_id, row_number")
}

pub async fn records(
    client: &Client,
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
    let size = u64::from(page_size.clamp(1, MAX_PAGE_SIZE));
    let offset = page.checked_mul(size).filter(|o| *o <= i64::MAX as u64).ok_or_else(|| StoreError::Invalid("page too far".into()))?;
    let visible = visible(client, project_id, &filter.datasets).await?;
    if visible.is_empty() {
        return Ok(LedgerRecordPage::default());
    }
    let count = with_from("SELECT count() AS n", project_id, filter, &visible);
    let total = with_timeout(TIMEOUT, count.query(client).fetch_one::<Count>()).await?.n;
    let mut sql = with_from(&format!("SELECT {READ_COLUMNS}"), project_id, filter, &visible);
    sql.push(&order_by(sort)).push(" LIMIT ").u64(size).push(" OFFSET ").u64(offset);
    let rows: Vec<RowOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    Ok(LedgerRecordPage { rows: rows.into_iter().map(LedgerRow::try_from).collect::<StoreResult<_>>()?, total })
}

pub async fn export_batch(
    client: &Client,
    project_id: &str,
    filter: &LedgerFilter,
    after: Option<&LedgerRowKey>,
    limit: u32,
) -> StoreResult<Vec<LedgerRow>> {
    checked(filter)?;
    if filter.is_empty_range() {
        return Ok(Vec::new());
    }
    let visible = visible(client, project_id, &filter.datasets).await?;
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = with_from(&format!("SELECT {READ_COLUMNS}"), project_id, filter, &visible);
    if let Some(k) = after {
        sql.push(" AND (dataset_id > ")
            .str(&k.dataset_id)
            .push(" OR (dataset_id = ")
            .str(&k.dataset_id)
            .push(" AND (import_id > ")
            .str(&k.import_id)
            .push(" OR (import_id = ")
            .str(&k.import_id)
            .push(" AND row_number > ")
            .u64(k.row)
            .push("))))");
    }
    sql.push(" ORDER BY dataset_id, import_id, row_number LIMIT ").u64(u64::from(limit.clamp(1, MAX_EXPORT_BATCH)));
    let rows: Vec<RowOut> = with_timeout(TIMEOUT, sql.query(client).fetch_all()).await?;
    rows.into_iter().map(LedgerRow::try_from).collect()
}
