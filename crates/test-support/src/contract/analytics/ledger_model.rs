//! What the ledger reads must return, computed in plain Rust from the rows a case knows to be
//! visible: the reference the stores' SQL is checked against.

use domain::ledger_dashboard::{
    LedgerFilter, LedgerFilterValues, LedgerGroupBy, LedgerRecordPage, LedgerRow, LedgerRowKey, LedgerSort, LedgerSortColumn, LedgerTotal,
    Money,
};
use std::{cmp::Ordering, collections::BTreeMap};

/// Debit, credit and balance sums (wide enough not to overflow) and the row count.
type Sums = (i128, i128, i128, u64);

/// `None` when some sum leaves the exact `i64` range (the stores must fail then).
pub fn totals(rows: &[LedgerRow], filter: &LedgerFilter, group_by: LedgerGroupBy) -> Option<Vec<LedgerTotal>> {
    let mut sums: BTreeMap<(String, String, String), Sums> = BTreeMap::new();
    for r in rows.iter().filter(|r| filter.matches(r)) {
        let (key, name) = group_by.key_of(r);
        let s = sums.entry((key, name, r.account_group.clone())).or_default();
        s.0 += i128::from(r.debit.scaled());
        s.1 += i128::from(r.credit.scaled());
        s.2 += i128::from(r.balance.scaled());
        s.3 += 1;
    }
    let money = |v: i128| i64::try_from(v).ok().map(Money::from_scaled);
    sums.into_iter()
        .map(|((key, name, account_group), (d, c, b, n))| {
            Some(LedgerTotal { key, name, account_group, debit: money(d)?, credit: money(c)?, balance: money(b)?, rows: n })
        })
        .collect()
}

fn compare(a: &LedgerRow, b: &LedgerRow, column: LedgerSortColumn) -> Ordering {
    match column {
        LedgerSortColumn::Month => a.month.cmp(&b.month),
        LedgerSortColumn::Date => a.date.cmp(&b.date),
        LedgerSortColumn::Entity => a.entity.cmp(&b.entity),
        LedgerSortColumn::Region => a.region.cmp(&b.region),
        LedgerSortColumn::CompanyCode => a.company_code.cmp(&b.company_code),
        LedgerSortColumn::Department => a.department.cmp(&b.department),
        LedgerSortColumn::Division => a.division.cmp(&b.division),
        LedgerSortColumn::AccountGroup => a.account_group.cmp(&b.account_group),
        LedgerSortColumn::AccountCode => a.account_code.cmp(&b.account_code),
        LedgerSortColumn::AccountName => a.account_name.cmp(&b.account_name),
        LedgerSortColumn::Debit => a.debit.cmp(&b.debit),
        LedgerSortColumn::Credit => a.credit.cmp(&b.credit),
        LedgerSortColumn::Balance => a.balance.cmp(&b.balance),
        LedgerSortColumn::Row => Ordering::Equal,
    }
}

/// Every matching row in drill-down order.
pub fn sorted(rows: &[LedgerRow], filter: &LedgerFilter, sort: LedgerSort) -> Vec<LedgerRow> {
    let mut out: Vec<LedgerRow> = rows.iter().filter(|r| filter.matches(r)).cloned().collect();
    out.sort_by(|a, b| {
        if sort.column == LedgerSortColumn::Row {
            let o = a.key().cmp(&b.key());
            return if sort.descending { o.reverse() } else { o };
        }
        let o = compare(a, b, sort.column);
        let o = if sort.descending { o.reverse() } else { o };
        o.then_with(|| a.key().cmp(&b.key()))
    });
    out
}

pub fn page(rows: &[LedgerRow], filter: &LedgerFilter, sort: LedgerSort, page: u64, size: u32) -> LedgerRecordPage {
    let all = sorted(rows, filter, sort);
    let size = size.clamp(1, 500) as usize;
    let start = (page as usize).saturating_mul(size);
    LedgerRecordPage { total: all.len() as u64, rows: all.into_iter().skip(start).take(size).collect() }
}

pub fn export(rows: &[LedgerRow], filter: &LedgerFilter, after: Option<&LedgerRowKey>, limit: usize) -> Vec<LedgerRow> {
    let mut all: Vec<LedgerRow> = rows.iter().filter(|r| filter.matches(r) && after.is_none_or(|k| r.key() > *k)).cloned().collect();
    all.sort_by_key(LedgerRow::key);
    all.truncate(limit);
    all
}

pub fn filter_values(rows: &[LedgerRow], datasets: &[String]) -> LedgerFilterValues {
    let visible: Vec<&LedgerRow> = rows.iter().filter(|r| datasets.is_empty() || datasets.contains(&r.dataset_id)).collect();
    let distinct = |f: fn(&LedgerRow) -> &String| {
        let mut v: Vec<String> = visible.iter().map(|r| f(r).clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut months: Vec<_> = visible.iter().map(|r| r.month).collect();
    months.sort();
    months.dedup();
    LedgerFilterValues {
        entities: distinct(|r| &r.entity),
        regions: distinct(|r| &r.region),
        company_codes: distinct(|r| &r.company_code),
        departments: distinct(|r| &r.department),
        divisions: distinct(|r| &r.division),
        account_groups: distinct(|r| &r.account_group),
        months,
    }
}
