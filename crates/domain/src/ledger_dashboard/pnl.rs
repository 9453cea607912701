//! The profit and loss: natural sides, formulas, KPIs.

use super::*;

/// The profit and loss groups (canonical account group codes).
pub mod groups {
    pub const REVENUE: &str = "REVENUE";
    pub const COGS: &str = "COGS";
    pub const OPEX: &str = "OPEX";
    pub const OTHER_INCOME: &str = "OTHER_INCOME";
    pub const OTHER_EXPENSE: &str = "OTHER_EXPENSE";
    pub const DEPRECIATION: &str = "DEPRECIATION";
    pub const INTEREST: &str = "INTEREST";
    pub const TAX: &str = "TAX";
    /// Income groups: shown as credits − debits.
    pub const INCOME: [&str; 2] = [REVENUE, OTHER_INCOME];
    /// Expense groups: shown as debits − credits.
    pub const EXPENSES: [&str; 6] = [COGS, OPEX, OTHER_EXPENSE, DEPRECIATION, INTEREST, TAX];

    pub fn is_pnl(group: &str) -> bool {
        INCOME.contains(&group) || EXPENSES.contains(&group)
    }
}

/// A group's stored balance (`Σ debit − credit`) on its natural side: income negated, expenses
/// as they are, other groups as they are.
pub fn natural_amount(account_group: &str, balance: Money) -> Result<Money, MoneyError> {
    if groups::INCOME.contains(&account_group) {
        balance.checked_neg()
    } else {
        Ok(balance)
    }
}

/// Profit and loss totals on their natural sides (see the module notes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pnl {
    pub revenue: Money,
    pub cogs: Money,
    pub opex: Money,
    pub other_income: Money,
    pub other_expense: Money,
    pub depreciation: Money,
    pub interest: Money,
    pub tax: Money,
}

impl Pnl {
    /// From `(account group, Σ balance)` pairs; a group may come several times (it adds up),
    /// groups outside the profit and loss are ignored.
    pub fn from_balances<'a>(balances: impl IntoIterator<Item = (&'a str, Money)>) -> Result<Pnl, MoneyError> {
        let mut p = Pnl::default();
        for (group, balance) in balances {
            let slot = match group {
                groups::REVENUE => &mut p.revenue,
                groups::COGS => &mut p.cogs,
                groups::OPEX => &mut p.opex,
                groups::OTHER_INCOME => &mut p.other_income,
                groups::OTHER_EXPENSE => &mut p.other_expense,
                groups::DEPRECIATION => &mut p.depreciation,
                groups::INTEREST => &mut p.interest,
                groups::TAX => &mut p.tax,
                _ => continue,
            };
            *slot = slot.checked_add(natural_amount(group, balance)?)?;
        }
        Ok(p)
    }

    /// Revenue − COGS.
    pub fn gross_profit(&self) -> Result<Money, MoneyError> {
        self.revenue.checked_sub(self.cogs)
    }

    /// Gross profit − OPEX + other income − other expense.
    pub fn ebitda(&self) -> Result<Money, MoneyError> {
        self.gross_profit()?.checked_sub(self.opex)?.checked_add(self.other_income)?.checked_sub(self.other_expense)
    }

    /// EBITDA − depreciation − interest − tax.
    pub fn net_income(&self) -> Result<Money, MoneyError> {
        self.ebitda()?.checked_sub(self.depreciation)?.checked_sub(self.interest)?.checked_sub(self.tax)
    }

    /// Every expense group (COGS, OPEX, other expense, depreciation, interest, tax).
    pub fn expenses(&self) -> Result<Money, MoneyError> {
        Money::sum([self.cogs, self.opex, self.other_expense, self.depreciation, self.interest, self.tax])
    }
}

/// Change from `previous` to `current` in hundredths of a percent of `|previous|`, rounded half
/// away from zero; `None` when `previous` is zero (no base to compare with).
pub fn change_bp(current: Money, previous: Money) -> Option<i64> {
    if previous.is_zero() {
        return None;
    }
    let diff = i128::from(current.scaled()) - i128::from(previous.scaled());
    let base = i128::from(previous.scaled()).abs();
    let scaled = diff * 10_000;
    let rounded = (scaled.abs() + base / 2) / base;
    let signed = if scaled < 0 { -rounded } else { rounded };
    i64::try_from(signed).ok()
}

/// `+12.34%` / `-5.00%` of [`change_bp`].
pub fn format_change(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "+" };
    let abs = bp.unsigned_abs();
    format!("{sign}{}.{:02}%", abs / 100, abs % 100)
}

/// One KPI card: this period, the previous one of the same length, and the change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpi {
    pub current: Money,
    pub previous: Money,
    pub change_bp: Option<i64>,
}

impl Kpi {
    pub fn new(current: Money, previous: Money) -> Kpi {
        Kpi { current, previous, change_bp: change_bp(current, previous) }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub revenue: Kpi,
    pub cogs: Kpi,
    pub gross_profit: Kpi,
    pub opex: Kpi,
    pub other_income: Kpi,
    pub other_expense: Kpi,
    pub ebitda: Kpi,
    pub depreciation: Kpi,
    pub interest: Kpi,
    pub tax: Kpi,
    pub net_income: Kpi,
}

impl Kpis {
    pub fn compare(current: &Pnl, previous: &Pnl) -> Result<Kpis, MoneyError> {
        let k = |c: Money, p: Money| Kpi::new(c, p);
        Ok(Kpis {
            revenue: k(current.revenue, previous.revenue),
            cogs: k(current.cogs, previous.cogs),
            gross_profit: k(current.gross_profit()?, previous.gross_profit()?),
            opex: k(current.opex, previous.opex),
            other_income: k(current.other_income, previous.other_income),
            other_expense: k(current.other_expense, previous.other_expense),
            ebitda: k(current.ebitda()?, previous.ebitda()?),
            depreciation: k(current.depreciation, previous.depreciation),
            interest: k(current.interest, previous.interest),
            tax: k(current.tax, previous.tax),
            net_income: k(current.net_income()?, previous.net_income()?),
        })
    }
}
