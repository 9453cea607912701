//! What the analytics store answers: totals, filter values, sorted record pages.

use super::*;

/// How [`LedgerTotal`]s are grouped (always also by account group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LedgerGroupBy {
    /// One group per account group; `key` is blank.
    None,
    /// `key` is `YYYY-MM`.
    Month,
    Entity,
    Region,
    CompanyCode,
    Department,
    Division,
    /// `key` is the account group itself.
    AccountGroup,
    /// `key` is the account code and `name` the account name (grouped by both).
    Account,
}

impl LedgerGroupBy {
    pub const ALL: [LedgerGroupBy; 9] = [
        LedgerGroupBy::None,
        LedgerGroupBy::Month,
        LedgerGroupBy::Entity,
        LedgerGroupBy::Region,
        LedgerGroupBy::CompanyCode,
        LedgerGroupBy::Department,
        LedgerGroupBy::Division,
        LedgerGroupBy::AccountGroup,
        LedgerGroupBy::Account,
    ];

    /// `(key, name)` of a row in this grouping (the reference for the stores).
    pub fn key_of(self, row: &LedgerRow) -> (String, String) {
        let key = match self {
            LedgerGroupBy::None => String::new(),
            LedgerGroupBy::Month => row.month.to_string(),
            LedgerGroupBy::Entity => row.entity.clone(),
            LedgerGroupBy::Region => row.region.clone(),
            LedgerGroupBy::CompanyCode => row.company_code.clone(),
            LedgerGroupBy::Department => row.department.clone(),
            LedgerGroupBy::Division => row.division.clone(),
            LedgerGroupBy::AccountGroup => row.account_group.clone(),
            LedgerGroupBy::Account => row.account_code.clone(),
        };
        let name = if self == LedgerGroupBy::Account { row.account_name.clone() } else { String::new() };
        (key, name)
    }
}

/// Sums of the visible rows of one group and account group. Lists are ordered by key, name,
/// then account group (byte order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTotal {
    pub key: String,
    /// The account name when grouped by [`LedgerGroupBy::Account`], else blank.
    pub name: String,
    pub account_group: String,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
    pub rows: u64,
}

/// Distinct values of the visible rows, for the filter's drop-downs; sorted, blank included
/// when some row has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerFilterValues {
    pub entities: Vec<String>,
    pub regions: Vec<String>,
    pub company_codes: Vec<String>,
    pub departments: Vec<String>,
    pub divisions: Vec<String>,
    pub account_groups: Vec<String>,
    pub months: Vec<LedgerMonth>,
}

/// Columns the drill-down table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LedgerSortColumn {
    Month,
    Date,
    Entity,
    Region,
    CompanyCode,
    Department,
    Division,
    AccountGroup,
    AccountCode,
    AccountName,
    Debit,
    Credit,
    Balance,
    /// The export order: dataset, import, row number.
    Row,
}

impl LedgerSortColumn {
    pub const ALL: [LedgerSortColumn; 14] = [
        LedgerSortColumn::Month,
        LedgerSortColumn::Date,
        LedgerSortColumn::Entity,
        LedgerSortColumn::Region,
        LedgerSortColumn::CompanyCode,
        LedgerSortColumn::Department,
        LedgerSortColumn::Division,
        LedgerSortColumn::AccountGroup,
        LedgerSortColumn::AccountCode,
        LedgerSortColumn::AccountName,
        LedgerSortColumn::Debit,
        LedgerSortColumn::Credit,
        LedgerSortColumn::Balance,
        LedgerSortColumn::Row,
    ];

    /// URL name.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerSortColumn::Month => "month",
            LedgerSortColumn::Date => "date",
            LedgerSortColumn::Entity => "entity",
            LedgerSortColumn::Region => "region",
            LedgerSortColumn::CompanyCode => "company_code",
            LedgerSortColumn::Department => "department",
            LedgerSortColumn::Division => "division",
            LedgerSortColumn::AccountGroup => "account_group",
            LedgerSortColumn::AccountCode => "account_code",
            LedgerSortColumn::AccountName => "account_name",
            LedgerSortColumn::Debit => "debit",
            LedgerSortColumn::Credit => "credit",
            LedgerSortColumn::Balance => "balance",
            LedgerSortColumn::Row => "row",
        }
    }

    /// The column sorted by, named alike in both stores; `None` for [`LedgerSortColumn::Row`],
    /// which sorts by the row key (dataset, import, row number).
    pub fn column(self) -> Option<&'static str> {
        (self != LedgerSortColumn::Row).then(|| self.as_str())
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The drill-down's order: the column, then always the row key ascending, so pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSort {
    pub column: LedgerSortColumn,
    pub descending: bool,
}

impl Default for LedgerSort {
    fn default() -> Self {
        LedgerSort { column: LedgerSortColumn::Row, descending: false }
    }
}

/// One page of the drill-down and the count of every matching row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRecordPage {
    pub rows: Vec<LedgerRow>,
    pub total: u64,
}
