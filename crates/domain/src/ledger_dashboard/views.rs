//! The dashboard as the page shows it: period, trend, segments, waterfall, top accounts.

use super::*;

/// An inclusive range of months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthRange {
    pub from: LedgerMonth,
    pub to: LedgerMonth,
}

impl MonthRange {
    pub fn months(&self) -> u32 {
        self.from.months_to(self.to)
    }

    /// The same number of months just before; `None` before 1900.
    pub fn previous(&self) -> Option<MonthRange> {
        let n = i32::try_from(self.months()).ok()?;
        Some(MonthRange { from: self.from.plus(-n)?, to: self.from.plus(-1)? })
    }

    /// Every month of the range in order.
    pub fn each(&self) -> impl Iterator<Item = LedgerMonth> + '_ {
        (0..self.months()).filter_map(|i| self.from.plus(i32::try_from(i).ok()?))
    }
}

/// A point of the monthly trend line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub month: LedgerMonth,
    pub revenue: Money,
    pub expenses: Money,
    pub ebitda: Money,
    pub net_income: Money,
}

/// One bar pair of "revenue and expenses by entity / region".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentBar {
    pub key: String,
    pub revenue: Money,
    pub expenses: Money,
}

/// A slice of the expense donut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseSlice {
    pub account_group: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    /// A bar from zero (revenue, gross profit, EBITDA, net income).
    Total,
    /// A floating bar from the running level (`amount` added: negative for expenses).
    Delta,
}

/// One bar of the profit and loss waterfall; `start`..`end` is where it floats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaterfallStep {
    pub label: String,
    /// The account group a delta bar drills down to (blank for totals).
    pub account_group: String,
    pub kind: StepKind,
    pub amount: Money,
    pub start: Money,
    pub end: Money,
}

/// A row of the top accounts table: `amount` is the balance on the group's natural side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopAccount {
    pub account_code: String,
    pub account_name: String,
    pub account_group: String,
    pub debit: Money,
    pub credit: Money,
    pub amount: Money,
    pub rows: u64,
}

/// Everything the dashboard page shows for one filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerDashboard {
    /// The months shown: the filter's, or the data's when the filter leaves them open; `None`
    /// when nothing matches.
    pub period: Option<MonthRange>,
    /// What the KPIs compare with.
    pub previous_period: Option<MonthRange>,
    pub kpis: Kpis,
    pub trend: Vec<TrendPoint>,
    pub by_entity: Vec<SegmentBar>,
    pub by_region: Vec<SegmentBar>,
    pub expense_breakdown: Vec<ExpenseSlice>,
    pub waterfall: Vec<WaterfallStep>,
    pub top_accounts: Vec<TopAccount>,
    /// Visible rows behind the figures.
    pub rows: u64,
}
