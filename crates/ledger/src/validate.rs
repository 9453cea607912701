//! Turns one row into a [`LedgerRecord`] or a [`Rejection`] saying which column and why.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cell::{Cell, DateSystem, Row};
use crate::dates::{date_from_serial, in_range, parse_date_text, DateOrder};
use crate::header::normalise;
use crate::mapping::{ColumnMapping, LedgerField};
use crate::money::{decimal_from_f64, parse_money, DecimalSeparator};

/// Dataset-level settings chosen by the user when creating or appending to a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetSettings {
    pub decimal_separator: DecimalSeparator,
    pub date_order: DateOrder,
    /// Used when the file has no company code column (or the cell is blank).
    pub company_code: Option<String>,
    pub entity: Option<String>,
    pub currency: Option<String>,
    /// Longer cells are rejected (a 1 MB cell is a broken export, not a ledger value).
    pub max_cell_chars: usize,
}

impl Default for DatasetSettings {
    fn default() -> Self {
        DatasetSettings {
            decimal_separator: DecimalSeparator::Auto,
            date_order: DateOrder::default(),
            company_code: None,
            entity: None,
            currency: None,
            max_cell_chars: 32 * 1024,
        }
    }
}

/// One validated ledger row. Money is exact.
///
/// Amount rule: with debit and/or credit and no balance, `balance = debit − credit` (a missing side
/// is 0). With only a balance (or "amount"), `debit = max(balance, 0)` and `credit = max(−balance, 0)`.
/// When all three are given they are kept as written. `month` is the first day of the month: from
/// the month column when there is one, else from `date`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRecord {
    /// 1-based row number in the file, for messages and drill-down back to the source.
    pub row: u64,
    pub company_code: Option<String>,
    pub entity: Option<String>,
    pub region: Option<String>,
    pub department: Option<String>,
    pub division: Option<String>,
    /// Canonical code (REVENUE, COGS, OPEX, OTHER_INCOME, OTHER_EXPENSE, TAX, DEPRECIATION, INTEREST)
    /// when recognised, otherwise the text upper-cased with `_` between words.
    pub account_group: Option<String>,
    pub account_code: Option<String>,
    pub account_name: Option<String>,
    pub date: Option<NaiveDate>,
    pub month: NaiveDate,
    pub debit: Decimal,
    pub credit: Decimal,
    pub balance: Decimal,
    pub currency: Option<String>,
    pub description: Option<String>,
    /// Unmapped columns by header, blanks left out.
    pub extra: Map<String, Value>,
}

/// A refused row; shown on the page and downloadable as CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column '{}': {}", self.row, c, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

const ACCOUNT_GROUPS: [(&str, &[&str]); 8] = [
    ("REVENUE", &["revenue", "revenues", "sales", "turnover", "income", "chiffre d'affaires", "produits", "umsatz", "umsatzerlose"]),
    ("COGS", &["cogs", "cost of goods sold", "cost of sales", "cost of revenue", "cout des ventes", "achats consommes"]),
    ("OPEX", &["opex", "operating expenses", "operating expense", "expenses", "sg&a", "sga", "charges d'exploitation", "charges externes"]),
    ("OTHER_INCOME", &["other income", "other_income", "non-operating income", "autres produits"]),
    ("OTHER_EXPENSE", &["other expense", "other expenses", "other_expense", "non-operating expense", "autres charges"]),
    ("TAX", &["tax", "taxes", "income tax", "income taxes", "impots", "impot sur les societes"]),
    (
        "DEPRECIATION",
        &["depreciation", "amortisation", "amortization", "d&a", "depreciation and amortization", "dotations aux amortissements"],
    ),
    ("INTEREST", &["interest", "interest expense", "finance costs", "financial expenses", "charges financieres"]),
];

pub fn canonical_account_group(text: &str) -> String {
    static NORMALISED: std::sync::OnceLock<Vec<(String, &str)>> = std::sync::OnceLock::new();
    let table =
        NORMALISED.get_or_init(|| ACCOUNT_GROUPS.iter().flat_map(|(code, names)| names.iter().map(|n| (normalise(n), *code))).collect());
    let key = normalise(text);
    table.iter().find(|(name, _)| *name == key).map(|(_, code)| code.to_string()).unwrap_or_else(|| {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_").to_uppercase()
    })
}

/// Validates rows against one mapping; built once per import.
pub struct RowValidator {
    columns: [Option<usize>; LedgerField::ALL.len()],
    headers: Vec<String>,
    extras: Vec<usize>,
    settings: DatasetSettings,
    separator: DecimalSeparator,
    date_system: DateSystem,
}

/// Excel error values as they appear as text in CSV exports.
const EXCEL_ERRORS: [&str; 8] = ["#REF!", "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#VALUE!", "#DATA!"];

type Checked<T> = Result<T, Rejection>;

impl RowValidator {
    /// `separator` is the file's resolved decimal separator (never `Auto` in practice).
    pub fn new(mapping: &ColumnMapping, settings: &DatasetSettings, separator: DecimalSeparator, date_system: DateSystem) -> Self {
        let columns = LedgerField::ALL.map(|f| mapping.column_of(f));
        let width = mapping.columns.iter().map(|c| c.index + 1).max().unwrap_or(0);
        let mut headers = vec![String::new(); width];
        for c in &mapping.columns {
            headers[c.index] = c.header.clone();
        }
        let extras = mapping.columns.iter().filter(|c| c.field.is_none()).map(|c| c.index).collect();
        RowValidator { columns, headers, extras, settings: settings.clone(), separator, date_system }
    }

    fn reject(&self, row: &Row, index: Option<usize>, reason: impl Into<String>) -> Rejection {
        Rejection { row: row.number, column: index.and_then(|i| self.headers.get(i).cloned()), reason: reason.into() }
    }

    /// The cell mapped to `field`, `None` when unmapped or blank; error cells and oversize cells are rejected.
    fn cell<'r>(&self, row: &'r Row, field: LedgerField) -> Checked<Option<(usize, &'r Cell)>> {
        let Some(index) = self.columns[field as usize] else { return Ok(None) };
        match row.cells.get(index) {
            None => Ok(None),
            Some(c) if c.is_blank() => Ok(None),
            Some(Cell::Text(t)) if t.trim_start().starts_with('#') && EXCEL_ERRORS.contains(&t.trim()) => {
                Err(self.reject(row, Some(index), format!("error value {} (a formula that failed before the export)", t.trim())))
            }
            Some(Cell::Error(e)) => {
                Err(self.reject(row, Some(index), format!("error cell {e} (a formula that failed in the spreadsheet)")))
            }
            Some(c) => Ok(Some((index, c))),
        }
    }

    /// Moves the text out of the row (no copy for the common already-trimmed cell).
    fn text(&self, row: &mut Row, field: LedgerField) -> Checked<Option<String>> {
        let Some((index, _)) = self.cell(row, field)? else { return Ok(None) };
        Ok(Some(match std::mem::replace(&mut row.cells[index], Cell::Empty) {
            Cell::Text(s) if s.trim().len() == s.len() => s,
            Cell::DateTime(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            other => other.to_text().trim().to_string(),
        }))
    }

    fn amount(&self, row: &Row, field: LedgerField) -> Checked<Option<Decimal>> {
        let Some((index, cell)) = self.cell(row, field)? else { return Ok(None) };
        let parsed = match cell {
            Cell::Int(i) => Ok(Decimal::from(*i)),
            Cell::Float(f) => decimal_from_f64(*f).map_err(|e| e.to_string()),
            Cell::Text(s) => parse_money(s, self.separator).map_err(|e| e.to_string()),
            other => Err(format!("'{}' is not an amount", other.to_text())),
        };
        parsed.map(Some).map_err(|reason| self.reject(row, Some(index), reason))
    }

    fn date(&self, row: &Row, field: LedgerField) -> Checked<Option<(NaiveDate, bool)>> {
        let Some((index, cell)) = self.cell(row, field)? else { return Ok(None) };
        let serial = |v: f64| date_from_serial(v, self.date_system).map(|d| (d, false));
        let parsed = match cell {
            Cell::DateTime(d) => in_range(d.date()).map(|d| (d, false)),
            // `202403` in a month column is a YYYYMM period, not a serial (which would be year 2454).
            Cell::Int(n) if field == LedgerField::Month && (190_001..=220_012).contains(n) => {
                parse_date_text(&n.to_string(), self.settings.date_order).map(|p| (p.date, p.month_only))
            }
            Cell::Float(f) if field == LedgerField::Month && f.fract() == 0.0 && (190_001.0..=220_012.0).contains(f) => {
                parse_date_text(&f.to_string(), self.settings.date_order).map(|p| (p.date, p.month_only))
            }
            Cell::Int(n) => serial(*n as f64),
            Cell::Float(f) => serial(*f),
            Cell::Text(s) | Cell::IsoDateTime(s) => parse_date_text(s, self.settings.date_order).map(|p| (p.date, p.month_only)),
            other => return Err(self.reject(row, Some(index), format!("'{}' is not a date", other.to_text()))),
        };
        parsed.map(Some).map_err(|e| self.reject(row, Some(index), e.to_string()))
    }

    pub fn record(&self, mut row: Row) -> Checked<LedgerRecord> {
        let row = &mut row;
        use LedgerField::*;
        let limit = self.settings.max_cell_chars;
        if let Some((i, c)) = row.cells.iter().enumerate().find(|(_, c)| matches!(c, Cell::Text(s) if s.len() > limit)) {
            return Err(self.reject(row, Some(i), format!("the value is {} bytes long; the limit is {limit}", c.to_text().len())));
        }
        let date = self.date(row, Date)?;
        let month_cell = self.date(row, Month)?;
        let (date, month) = match (date, month_cell) {
            (Some((d, false)), month) => (Some(d), month.map_or(d, |(m, _)| m)),
            // A date column holding only months ("2024-03") gives the month, not a day.
            (Some((m, true)), None) => (None, m),
            (Some((_, true)), Some((m, _))) | (None, Some((m, _))) => (None, m),
            (None, None) => {
                return Err(self.reject(row, self.columns[Date as usize].or(self.columns[Month as usize]), "the date is missing"))
            }
        };
        let month = month.with_day(1).unwrap_or(month);
        let (debit, credit, balance) = (self.amount(row, Debit)?, self.amount(row, Credit)?, self.amount(row, Balance)?);
        let (debit, credit, balance) = match (debit, credit, balance) {
            (None, None, None) => {
                let col = self.columns[Balance as usize].or(self.columns[Debit as usize]).or(self.columns[Credit as usize]);
                return Err(self.reject(row, col, "the amount is missing"));
            }
            (None, None, Some(b)) => (b.max(Decimal::ZERO), (-b).max(Decimal::ZERO), b),
            (d, c, None) => (d.unwrap_or_default(), c.unwrap_or_default(), d.unwrap_or_default() - c.unwrap_or_default()),
            (d, c, Some(b)) => (d.unwrap_or_default(), c.unwrap_or_default(), b),
        };
        let (account_code, account_name) = (self.text(row, AccountCode)?, self.text(row, AccountName)?);
        if account_code.is_none() && account_name.is_none() {
            let col = self.columns[AccountCode as usize].or(self.columns[AccountName as usize]);
            return Err(self.reject(row, col, "the account code and name are both missing"));
        }
        let or_default = |v: Option<String>, d: &Option<String>| v.or_else(|| d.clone());
        Ok(LedgerRecord {
            row: row.number,
            company_code: or_default(self.text(row, CompanyCode)?, &self.settings.company_code),
            entity: or_default(self.text(row, Entity)?, &self.settings.entity),
            region: self.text(row, Region)?,
            department: self.text(row, Department)?,
            division: self.text(row, Division)?,
            account_group: self.text(row, AccountGroup)?.map(|g| canonical_account_group(&g)),
            account_code,
            account_name,
            date,
            month,
            debit,
            credit,
            balance,
            currency: or_default(self.text(row, Currency)?, &self.settings.currency),
            description: self.text(row, Description)?,
            extra: self.extras(row),
        })
    }

    fn extras(&self, row: &Row) -> Map<String, Value> {
        self.extras
            .iter()
            .filter_map(|&i| {
                let value = match row.cells.get(i)? {
                    c if c.is_blank() => return None,
                    Cell::Int(n) => Value::from(*n),
                    Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
                    Cell::Bool(b) => Value::Bool(*b),
                    other => Value::String(other.to_text()),
                };
                Some((self.headers[i].clone(), value))
            })
            .collect()
    }
}

/// Rejections kept up to a cap; beyond it only counted, so a file of garbage cannot exhaust memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionLog {
    pub kept: Vec<Rejection>,
    pub total: u64,
    pub cap: usize,
}

impl RejectionLog {
    pub fn new(cap: usize) -> Self {
        RejectionLog { kept: Vec::new(), total: 0, cap }
    }

    pub fn push(&mut self, rejection: Rejection) {
        self.total += 1;
        if self.kept.len() < self.cap {
            self.kept.push(rejection);
        }
    }

    /// Rejections counted but not kept.
    pub fn dropped(&self) -> u64 {
        self.total - self.kept.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_account_groups() {
        assert_eq!(canonical_account_group("Cost of Goods Sold"), "COGS");
        assert_eq!(canonical_account_group("revenue"), "REVENUE");
        assert_eq!(canonical_account_group("Other Income"), "OTHER_INCOME");
        assert_eq!(canonical_account_group("Fixed assets"), "FIXED_ASSETS");
    }
}
