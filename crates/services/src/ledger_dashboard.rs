//! The ledger dashboard (issue 5) computed from the analytics store's general aggregate
//! ([`AnalyticsStore::ledger_totals`]): KPI cards against the previous period, the monthly
//! trend, revenue and expenses by entity and region, the expense breakdown, the profit and loss
//! waterfall and the top accounts. No SQL here, and every sum is exact ([`Money`]).
//!
//! The page's entry points ([`open_dashboard`], [`drill_down`], [`start_export`]) check that
//! the caller is a member of the project (any role) first; [`dashboard`] and the export
//! writers take a project id already checked.
//!
//! Dataset names: dataset metadata is not in the primary store yet, so pages show dataset ids.

use crate::ports::ProjectId;
use crate::{
    audit::{self, Change},
    authz::{self, ProjectAccess},
    ports::AnalyticsStore,
    RequestContext, ServiceError, ServiceResult, Stores,
};
use bytes::Bytes;
use domain::{
    ledger_dashboard::{
        groups, natural_amount, ExpenseSlice, Kpis, LedgerDashboard, LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerMonth,
        LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerTotal, Money, MoneyError, MonthRange, Pnl, SegmentBar, StepKind,
        TopAccount, TrendPoint, WaterfallStep,
    },
    ProjectRole,
};
use futures::{stream, Stream};
use std::{collections::BTreeMap, sync::Arc};

/// Rows of the top accounts table.
pub const TOP_ACCOUNTS: usize = 10;
/// Longest period the dashboard draws month by month (100 years).
pub const MAX_PERIOD_MONTHS: u32 = 1_200;

fn exact<T>(r: Result<T, MoneyError>) -> ServiceResult<T> {
    r.map_err(|_| ServiceError::Invalid("the totals are too large to be computed exactly".into()))
}

/// Rows per drill-down page.
pub const DRILL_PAGE_SIZE: u32 = 50;
/// Rows read per export batch.
pub const EXPORT_BATCH: u32 = 5_000;
/// Most rows an XLSX export holds (it is built in memory); CSV has no limit.
pub const XLSX_MAX_ROWS: usize = 100_000;

fn checked(filter: &LedgerFilter) -> ServiceResult<()> {
    filter.check().map_err(|e| ServiceError::Invalid(e.to_string()))
}

/// The dashboard of project `slug` for any member, with the filter drop-downs' values.
#[tracing::instrument(skip_all)]
pub async fn open_dashboard(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: &LedgerFilter,
) -> ServiceResult<(ProjectAccess, LedgerDashboard, LedgerFilterValues)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    checked(filter)?;
    // Independent reads: run together (ClickHouse answers them in parallel).
    let (d, values) = futures::try_join!(dashboard(stores.analytics.as_ref(), &access.id, filter), async {
        Ok(stores.analytics.ledger_filter_values(&access.id, &filter.datasets).await?)
    })?;
    Ok((access, d, values))
}

/// One page (0-based) of the records behind `filter`, for any member.
#[tracing::instrument(skip_all)]
pub async fn drill_down(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: &LedgerFilter,
    sort: LedgerSort,
    page: u64,
) -> ServiceResult<(ProjectAccess, LedgerRecordPage)> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    checked(filter)?;
    let records = stores.analytics.ledger_records(&access.id, filter, sort, page, DRILL_PAGE_SIZE).await?;
    Ok((access, records))
}

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// Authorise (any member) and audit an export of the records behind `filter` before its first
/// byte; then stream it with [`csv_stream`] or build it with [`xlsx_file`].
#[tracing::instrument(skip_all)]
pub async fn start_export(
    stores: &Stores,
    ctx: &RequestContext,
    slug: &str,
    filter: &LedgerFilter,
    format: ExportFormat,
) -> ServiceResult<ProjectAccess> {
    let access = authz::project_by_slug(stores.primary.as_ref(), ctx, slug, ProjectRole::Analyst).await?;
    checked(filter)?;
    let change = Change {
        action: "ledger.export",
        entity_type: "ledger_records",
        entity_id: &access.project.id,
        project_id: Some(&access.project.id),
        old: None,
        new: Some(serde_json::json!({ "format": format.as_str(), "filter": filter.to_query() })),
    };
    audit::record(stores.primary.as_ref(), ctx, change).await?;
    Ok(access)
}

/// The export's columns, in order.
pub const EXPORT_COLUMNS: [&str; 19] = [
    "dataset_id",
    "import_id",
    "row",
    "company_code",
    "entity",
    "region",
    "department",
    "division",
    "account_group",
    "account_code",
    "account_name",
    "date",
    "month",
    "debit",
    "credit",
    "balance",
    "currency",
    "description",
    "extra",
];

/// A text cell for CSV: formula-looking text is prefixed with `'` so a spreadsheet does not run
/// it (CSV injection), then quoted when needed. Amounts are written as they are.
fn csv_text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    csv_quote(&s)
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One CSV line (with its newline) of a row.
pub fn csv_line(r: &LedgerRow) -> String {
    let texts = |v: &[&str]| v.iter().map(|t| csv_text(t)).collect::<Vec<_>>();
    let mut cells = texts(&[&r.dataset_id, &r.import_id]);
    cells.push(r.row.to_string());
    cells.extend(texts(&[
        &r.company_code,
        &r.entity,
        &r.region,
        &r.department,
        &r.division,
        &r.account_group,
        &r.account_code,
        &r.account_name,
    ]));
    cells.push(csv_quote(&r.date));
    cells.push(r.month.to_string());
    cells.extend([r.debit.to_string(), r.credit.to_string(), r.balance.to_string()]);
    cells.extend(texts(&[&r.currency, &r.description, &r.extra]));
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

/// The CSV of every visible row behind `filter`, batch by batch in key order (nothing is held
/// beyond one batch). Call after [`start_export`].
pub fn csv_stream(
    analytics: Arc<dyn AnalyticsStore>,
    project_id: ProjectId,
    filter: LedgerFilter,
) -> impl Stream<Item = ServiceResult<Bytes>> + Send + 'static {
    let header = format!("{}\r\n", EXPORT_COLUMNS.join(","));
    // State: the key to continue after, or `None` when done; the header goes first.
    let start = (Some(None::<LedgerRowKey>), Some(header));
    stream::unfold(start, move |(cursor, header)| {
        let (analytics, project_id, filter) = (analytics.clone(), project_id.clone(), filter.clone());
        async move {
            if let Some(h) = header {
                return Some((Ok(Bytes::from(h)), (cursor, None)));
            }
            let after = cursor?;
            match analytics.ledger_export_batch(&project_id, &filter, after.as_ref(), EXPORT_BATCH).await {
                Err(e) => Some((Err(e.into()), (None, None))),
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() == EXPORT_BATCH as usize).then(|| rows.last().map(LedgerRow::key));
                    let body: String = rows.iter().map(csv_line).collect();
                    Some((Ok(Bytes::from(body)), (next, None)))
                }
            }
        }
    })
}

/// The XLSX workbook of the rows behind `filter` (amounts as numbers with 4 decimals shown as
/// needed); `Invalid` beyond [`XLSX_MAX_ROWS`] rows, pointing at the CSV export. Call after
/// [`start_export`].
pub async fn xlsx_file(analytics: &dyn AnalyticsStore, project_id: &ProjectId, filter: &LedgerFilter) -> ServiceResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let too_many =
        || ServiceError::Invalid(format!("an XLSX export holds at most {XLSX_MAX_ROWS} rows: narrow the filter or export CSV instead"));
    let mut rows: Vec<LedgerRow> = Vec::new();
    let mut after: Option<LedgerRowKey> = None;
    loop {
        let batch = analytics.ledger_export_batch(project_id, filter, after.as_ref(), EXPORT_BATCH).await?;
        let full = batch.len() == EXPORT_BATCH as usize;
        after = batch.last().map(LedgerRow::key);
        rows.extend(batch);
        if rows.len() > XLSX_MAX_ROWS {
            return Err(too_many());
        }
        if !full {
            break;
        }
    }
    let xlsx = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "xlsx export");
        ServiceError::Internal
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Records").map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00##");
    for (c, name) in EXPORT_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold).map_err(xlsx)?;
    }
    let amount = |m: Money| m.scaled() as f64 / domain::ledger_dashboard::MONEY_SCALE as f64;
    for (i, r) in rows.iter().enumerate() {
        let y = i as u32 + 1;
        let texts = [
            (0, &r.dataset_id),
            (1, &r.import_id),
            (3, &r.company_code),
            (4, &r.entity),
            (5, &r.region),
            (6, &r.department),
            (7, &r.division),
            (8, &r.account_group),
            (9, &r.account_code),
            (10, &r.account_name),
            (11, &r.date),
            (16, &r.currency),
            (17, &r.description),
            (18, &r.extra),
        ];
        for (c, t) in texts {
            if !t.is_empty() {
                sheet.write_string(y, c, t.as_str()).map_err(xlsx)?;
            }
        }
        sheet.write_number(y, 2, r.row as f64).map_err(xlsx)?;
        sheet.write_string(y, 12, r.month.to_string()).map_err(xlsx)?;
        for (c, m) in [(13, r.debit), (14, r.credit), (15, r.balance)] {
            sheet.write_number_with_format(y, c, amount(m), &money).map_err(xlsx)?;
        }
    }
    book.save_to_buffer().map_err(xlsx)
}

/// Everything the dashboard shows for `filter` in `project_id`.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn dashboard(analytics: &dyn AnalyticsStore, project_id: &ProjectId, filter: &LedgerFilter) -> ServiceResult<LedgerDashboard> {
    filter.check().map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let by_month = analytics.ledger_totals(project_id, filter, LedgerGroupBy::Month).await?;
    let months: Vec<LedgerMonth> = by_month.iter().filter_map(|t| LedgerMonth::parse(&t.key)).collect();
    let Some(period) = period_of(filter, &months) else {
        return Ok(LedgerDashboard::default());
    };
    if period.months() > MAX_PERIOD_MONTHS {
        return Err(ServiceError::Invalid(format!("choose a period of at most {} years", MAX_PERIOD_MONTHS / 12)));
    }
    let current = LedgerFilter { month_from: Some(period.from), month_to: Some(period.to), ..filter.clone() };
    let previous_period = period.previous();
    let previous = async {
        match previous_period {
            Some(p) => {
                let f = LedgerFilter { month_from: Some(p.from), month_to: Some(p.to), ..filter.clone() };
                analytics.ledger_totals(project_id, &f, LedgerGroupBy::None).await
            }
            None => Ok(Vec::new()),
        }
    };
    let (previous, by_entity, by_region, by_account) = futures::try_join!(
        previous,
        analytics.ledger_totals(project_id, &current, LedgerGroupBy::Entity),
        analytics.ledger_totals(project_id, &current, LedgerGroupBy::Region),
        analytics.ledger_totals(project_id, &current, LedgerGroupBy::Account),
    )?;
    assemble(period, previous_period, &by_month, &previous, &by_entity, &by_region, &by_account)
}

/// The pure part of [`dashboard`]: the figures from the store's totals.
pub fn assemble(
    period: MonthRange,
    previous_period: Option<MonthRange>,
    by_month: &[LedgerTotal],
    previous: &[LedgerTotal],
    by_entity: &[LedgerTotal],
    by_region: &[LedgerTotal],
    by_account: &[LedgerTotal],
) -> ServiceResult<LedgerDashboard> {
    let pnl = pnl_of(by_month)?;
    let kpis = exact(Kpis::compare(&pnl, &pnl_of(previous)?))?;
    Ok(LedgerDashboard {
        period: Some(period),
        previous_period,
        kpis,
        trend: trend(period, by_month)?,
        by_entity: segments(by_entity)?,
        by_region: segments(by_region)?,
        expense_breakdown: expense_breakdown(&pnl),
        waterfall: exact(waterfall(&pnl))?,
        top_accounts: top_accounts(by_account, TOP_ACCOUNTS)?,
        rows: by_month.iter().map(|t| t.rows).sum(),
    })
}

/// The months shown: the filter's bounds, a missing bound taken from the data; `None` when the
/// range is empty or nothing bounds it.
pub fn period_of(filter: &LedgerFilter, months_with_data: &[LedgerMonth]) -> Option<MonthRange> {
    let from = filter.month_from.or_else(|| months_with_data.iter().min().copied())?;
    let to = filter.month_to.or_else(|| months_with_data.iter().max().copied())?;
    (from <= to).then_some(MonthRange { from, to })
}

/// The profit and loss of totals of any grouping (summed over keys).
pub fn pnl_of(totals: &[LedgerTotal]) -> ServiceResult<Pnl> {
    exact(Pnl::from_balances(totals.iter().map(|t| (t.account_group.as_str(), t.balance))))
}

/// Totals grouped by `key`, in key order.
fn by_key(totals: &[LedgerTotal]) -> BTreeMap<&str, Vec<&LedgerTotal>> {
    let mut out: BTreeMap<&str, Vec<&LedgerTotal>> = BTreeMap::new();
    for t in totals {
        out.entry(t.key.as_str()).or_default().push(t);
    }
    out
}

fn pnl_of_refs(totals: &[&LedgerTotal]) -> ServiceResult<Pnl> {
    exact(Pnl::from_balances(totals.iter().map(|t| (t.account_group.as_str(), t.balance))))
}

/// One point per month of the period, zeros for months without rows.
pub fn trend(period: MonthRange, by_month: &[LedgerTotal]) -> ServiceResult<Vec<TrendPoint>> {
    let months = by_key(by_month);
    period
        .each()
        .map(|month| {
            let key = month.to_string();
            let pnl = pnl_of_refs(months.get(key.as_str()).map(Vec::as_slice).unwrap_or_default())?;
            Ok(TrendPoint {
                month,
                revenue: pnl.revenue,
                expenses: exact(pnl.expenses())?,
                ebitda: exact(pnl.ebitda())?,
                net_income: exact(pnl.net_income())?,
            })
        })
        .collect()
}

/// Revenue and expenses per key (entity or region), largest revenue first, then by key; keys
/// with neither are left out.
pub fn segments(totals: &[LedgerTotal]) -> ServiceResult<Vec<SegmentBar>> {
    let mut bars = Vec::new();
    for (key, ts) in by_key(totals) {
        let pnl = pnl_of_refs(&ts)?;
        let bar = SegmentBar { key: key.to_owned(), revenue: pnl.revenue, expenses: exact(pnl.expenses())? };
        if !(bar.revenue.is_zero() && bar.expenses.is_zero()) {
            bars.push(bar);
        }
    }
    bars.sort_by(|a, b| b.revenue.cmp(&a.revenue).then_with(|| a.key.cmp(&b.key)));
    Ok(bars)
}

/// The expense groups with a non-zero amount, in profit and loss order.
pub fn expense_breakdown(pnl: &Pnl) -> Vec<ExpenseSlice> {
    let amounts = [pnl.cogs, pnl.opex, pnl.other_expense, pnl.depreciation, pnl.interest, pnl.tax];
    groups::EXPENSES
        .iter()
        .zip(amounts)
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(group, amount)| ExpenseSlice { account_group: (*group).to_owned(), amount })
        .collect()
}

/// Revenue, − COGS, = gross profit, − OPEX, + other income, − other expense, = EBITDA,
/// − depreciation, − interest, − tax, = net income.
pub fn waterfall(pnl: &Pnl) -> Result<Vec<WaterfallStep>, MoneyError> {
    let total = |label: &str, value: Money| WaterfallStep {
        label: label.to_owned(),
        account_group: String::new(),
        kind: StepKind::Total,
        amount: value,
        start: Money::ZERO,
        end: value,
    };
    let mut steps = vec![total("Revenue", pnl.revenue)];
    let mut level = pnl.revenue;
    let mut delta = |steps: &mut Vec<WaterfallStep>, label: &str, group: &str, amount: Money| -> Result<(), MoneyError> {
        let end = level.checked_add(amount)?;
        steps.push(WaterfallStep {
            label: label.to_owned(),
            account_group: group.to_owned(),
            kind: StepKind::Delta,
            amount,
            start: level,
            end,
        });
        level = end;
        Ok(())
    };
    delta(&mut steps, "Cost of goods sold", groups::COGS, pnl.cogs.checked_neg()?)?;
    steps.push(total("Gross profit", pnl.gross_profit()?));
    delta(&mut steps, "Operating expenses", groups::OPEX, pnl.opex.checked_neg()?)?;
    delta(&mut steps, "Other income", groups::OTHER_INCOME, pnl.other_income)?;
    delta(&mut steps, "Other expense", groups::OTHER_EXPENSE, pnl.other_expense.checked_neg()?)?;
    steps.push(total("EBITDA", pnl.ebitda()?));
    delta(&mut steps, "Depreciation", groups::DEPRECIATION, pnl.depreciation.checked_neg()?)?;
    delta(&mut steps, "Interest", groups::INTEREST, pnl.interest.checked_neg()?)?;
    delta(&mut steps, "Tax", groups::TAX, pnl.tax.checked_neg()?)?;
    steps.push(total("Net income", pnl.net_income()?));
    Ok(steps)
}

/// The `n` accounts with the largest amounts (either sign), then by code, name and group.
pub fn top_accounts(by_account: &[LedgerTotal], n: usize) -> ServiceResult<Vec<TopAccount>> {
    let mut rows = by_account
        .iter()
        .map(|t| {
            Ok(TopAccount {
                account_code: t.key.clone(),
                account_name: t.name.clone(),
                account_group: t.account_group.clone(),
                debit: t.debit,
                credit: t.credit,
                amount: exact(natural_amount(&t.account_group, t.balance))?,
                rows: t.rows,
            })
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    // |amount| as i128: i64::MIN has no i64 absolute value.
    rows.sort_by(|a, b| {
        i128::from(b.amount.scaled())
            .abs()
            .cmp(&i128::from(a.amount.scaled()).abs())
            .then_with(|| (&a.account_code, &a.account_name, &a.account_group).cmp(&(&b.account_code, &b.account_name, &b.account_group)))
    });
    rows.truncate(n);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn month(s: &str) -> LedgerMonth {
        LedgerMonth::parse(s).unwrap()
    }

    fn t(key: &str, group: &str, balance: &str, rows: u64) -> LedgerTotal {
        let b = m(balance);
        LedgerTotal {
            key: key.into(),
            name: String::new(),
            account_group: group.into(),
            debit: b.max(Money::ZERO),
            credit: b.checked_neg().unwrap().max(Money::ZERO),
            balance: b,
            rows,
        }
    }

    /// Two months of a small company (balances are debit − credit: revenue negative).
    fn months() -> Vec<LedgerTotal> {
        vec![
            t("2024-01", "COGS", "300.00", 2),
            t("2024-01", "OPEX", "150.25", 3),
            t("2024-01", "REVENUE", "-1000.00", 4),
            t("2024-01", "TAX", "40.00", 1),
            t("2024-03", "DEPRECIATION", "20.00", 1),
            t("2024-03", "FIXED_ASSETS", "5000.00", 1),
            t("2024-03", "INTEREST", "5.50", 1),
            t("2024-03", "OTHER_EXPENSE", "10.00", 1),
            t("2024-03", "OTHER_INCOME", "-30.00", 1),
            t("2024-03", "REVENUE", "-500.10", 2),
        ]
    }

    #[test]
    fn periods_come_from_the_filter_or_the_data() {
        let data = [month("2024-03"), month("2024-01")];
        let all = LedgerFilter::default();
        assert_eq!(period_of(&all, &data), Some(MonthRange { from: month("2024-01"), to: month("2024-03") }));
        let from = LedgerFilter { month_from: Some(month("2023-11")), ..Default::default() };
        assert_eq!(period_of(&from, &data), Some(MonthRange { from: month("2023-11"), to: month("2024-03") }));
        let both = LedgerFilter { month_from: Some(month("2022-01")), month_to: Some(month("2022-06")), ..Default::default() };
        assert_eq!(period_of(&both, &[]), Some(MonthRange { from: month("2022-01"), to: month("2022-06") }), "zeros, still compared");
        assert_eq!(period_of(&all, &[]), None);
        let reversed = LedgerFilter { month_from: Some(month("2024-05")), month_to: Some(month("2024-04")), ..Default::default() };
        assert_eq!(period_of(&reversed, &data), None);
    }

    #[test]
    fn dashboard_figures_by_hand() {
        let period = MonthRange { from: month("2024-01"), to: month("2024-03") };
        let previous = vec![t("", "REVENUE", "-1200.00", 5), t("", "COGS", "400.00", 2), t("", "OPEX", "100.00", 1)];
        let entities = vec![
            t("Elara GmbH", "REVENUE", "-500.10", 2),
            t("Elara GmbH", "OPEX", "150.25", 3),
            t("東京支社", "REVENUE", "-1000.00", 4),
            t("東京支社", "COGS", "300.00", 2),
            t("", "FIXED_ASSETS", "5000.00", 1),
        ];
        let accounts = vec![
            LedgerTotal { name: "Product revenue".into(), ..t("4000", "REVENUE", "-1500.10", 6) },
            LedgerTotal { name: "Cost of goods".into(), ..t("5000", "COGS", "300.00", 2) },
            LedgerTotal { name: "Rent".into(), ..t("6200", "OPEX", "150.25", 3) },
            LedgerTotal { name: "Machinery".into(), ..t("2100", "FIXED_ASSETS", "5000.00", 1) },
            LedgerTotal { name: "Refunds".into(), ..t("4900", "REVENUE", "300.00", 1) },
        ];
        let d = assemble(period, period.previous(), &months(), &previous, &entities, &entities, &accounts).unwrap();
        assert_eq!(d.rows, 17);
        assert_eq!(d.previous_period, Some(MonthRange { from: month("2023-10"), to: month("2023-12") }));
        // Revenue 1500.10; gross profit 1200.10; EBITDA 1200.10 − 150.25 + 30 − 10 = 1069.85;
        // net income 1069.85 − 20 − 5.50 − 40 = 1004.35. Previous: 1200, 800, 700, 700.
        let k = &d.kpis;
        assert_eq!((k.revenue.current, k.revenue.previous, k.revenue.change_bp), (m("1500.10"), m("1200"), Some(2_501)));
        assert_eq!((k.gross_profit.current, k.gross_profit.previous, k.gross_profit.change_bp), (m("1200.10"), m("800"), Some(5_001)));
        assert_eq!((k.ebitda.current, k.ebitda.previous, k.ebitda.change_bp), (m("1069.85"), m("700"), Some(5_284)));
        assert_eq!((k.net_income.current, k.net_income.change_bp), (m("1004.35"), Some(4_348)));
        assert_eq!((k.tax.current, k.tax.change_bp), (m("40"), None));
        // Three months, February empty.
        let trend: Vec<_> = d.trend.iter().map(|p| (p.month.to_string(), p.revenue, p.expenses, p.ebitda, p.net_income)).collect();
        assert_eq!(
            trend,
            vec![
                ("2024-01".into(), m("1000"), m("490.25"), m("549.75"), m("509.75")),
                ("2024-02".into(), m("0"), m("0"), m("0"), m("0")),
                ("2024-03".into(), m("500.10"), m("35.50"), m("520.10"), m("494.60")),
            ]
        );
        // By entity: largest revenue first; the blank entity has no P&L rows.
        let bars: Vec<_> = d.by_entity.iter().map(|b| (b.key.as_str(), b.revenue, b.expenses)).collect();
        assert_eq!(bars, vec![("東京支社", m("1000"), m("300")), ("Elara GmbH", m("500.10"), m("150.25"))]);
        let slices: Vec<_> = d.expense_breakdown.iter().map(|s| (s.account_group.as_str(), s.amount)).collect();
        assert_eq!(
            slices,
            vec![
                ("COGS", m("300")),
                ("OPEX", m("150.25")),
                ("OTHER_EXPENSE", m("10")),
                ("DEPRECIATION", m("20")),
                ("INTEREST", m("5.50")),
                ("TAX", m("40"))
            ]
        );
        let steps: Vec<_> = d.waterfall.iter().map(|s| (s.label.as_str(), s.kind, s.amount, s.start, s.end)).collect();
        use StepKind::*;
        assert_eq!(
            steps,
            vec![
                ("Revenue", Total, m("1500.10"), m("0"), m("1500.10")),
                ("Cost of goods sold", Delta, m("-300"), m("1500.10"), m("1200.10")),
                ("Gross profit", Total, m("1200.10"), m("0"), m("1200.10")),
                ("Operating expenses", Delta, m("-150.25"), m("1200.10"), m("1049.85")),
                ("Other income", Delta, m("30"), m("1049.85"), m("1079.85")),
                ("Other expense", Delta, m("-10"), m("1079.85"), m("1069.85")),
                ("EBITDA", Total, m("1069.85"), m("0"), m("1069.85")),
                ("Depreciation", Delta, m("-20"), m("1069.85"), m("1049.85")),
                ("Interest", Delta, m("-5.50"), m("1049.85"), m("1044.35")),
                ("Tax", Delta, m("-40"), m("1044.35"), m("1004.35")),
                ("Net income", Total, m("1004.35"), m("0"), m("1004.35")),
            ]
        );
        // Top accounts by size on their natural side; a refund is a negative revenue.
        let top: Vec<_> = d.top_accounts.iter().map(|a| (a.account_code.as_str(), a.amount)).collect();
        assert_eq!(top, vec![("2100", m("5000")), ("4000", m("1500.10")), ("4900", m("-300")), ("5000", m("300")), ("6200", m("150.25"))]);
        assert_eq!(top_accounts(&accounts, 2).unwrap().len(), 2);
    }

    #[test]
    fn csv_lines_quote_and_defuse_text_but_not_amounts() {
        let r = LedgerRow {
            dataset_id: "d".into(),
            import_id: "i".into(),
            row: 7,
            company_code: "=1+1".into(),
            entity: "Elara, \"Tokyo\"".into(),
            region: String::new(),
            department: String::new(),
            division: String::new(),
            account_group: "REVENUE".into(),
            account_code: "4000".into(),
            account_name: "line\nbreak".into(),
            date: "2024-01-31".into(),
            month: month("2024-01"),
            debit: m("0"),
            credit: m("1250.5"),
            balance: m("-1250.5"),
            currency: "EUR".into(),
            description: "-refund".into(),
            extra: r#"{"=cost centre":"-12"}"#.into(),
        };
        assert_eq!(
            csv_line(&r),
            "d,i,7,'=1+1,\"Elara, \"\"Tokyo\"\"\",,,,REVENUE,4000,\"line\nbreak\",2024-01-31,2024-01,0.00,1250.50,-1250.50,EUR,'-refund,\"{\"\"=cost centre\"\":\"\"-12\"\"}\"\r\n"
        );
    }

    #[test]
    fn overflowing_totals_are_refused() {
        // Revenue 9e14 minus a negative COGS of 9e14 leaves the exact range.
        let huge = vec![t("2024-01", "REVENUE", "-900000000000000", 1), t("2024-01", "COGS", "-900000000000000", 1)];
        let period = MonthRange { from: month("2024-01"), to: month("2024-01") };
        assert!(matches!(assemble(period, None, &huge, &[], &[], &[], &[]), Err(ServiceError::Invalid(_))));
    }
}
