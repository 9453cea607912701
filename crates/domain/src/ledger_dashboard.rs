//! Ledger records as the analytics store keeps them, the dashboard's filter, and the profit and
//! loss formulas (issue 5). Wasm-safe: the pages render these types.
//!
//! **Money** is exact: a [`Money`] is an `i64` count of ten-thousandths (4 decimals), stored as
//! such (`INTEGER` on SQLite, `Int64` on ClickHouse, whose 18.16 `Decimal` is still experimental).
//!
//! **Signs.** A stored `balance` keeps the ledger import's meaning, `debit − credit` (debits
//! positive). Income is booked on the credit side, so the profit and loss shows each account
//! group on its *natural side*: income groups (REVENUE, OTHER_INCOME) as `−Σ balance`
//! (= credits − debits), expense groups (COGS, OPEX, OTHER_EXPENSE, DEPRECIATION, INTEREST,
//! TAX) as `Σ balance`. Other groups (balance sheet accounts, unrecognised names) are not part
//! of the profit and loss. A file whose single amount column shows revenue as positive must be
//! imported with its sign flipped (a dataset setting of the import, not a dashboard rule).
//!
//! **Formulas** ([`Pnl`]): revenue = REVENUE; gross profit = revenue − COGS; EBITDA = gross
//! profit − OPEX + OTHER_INCOME − OTHER_EXPENSE (other income and expense are neither
//! depreciation, interest nor tax, so they belong above the EBITDA line); net income = EBITDA −
//! DEPRECIATION − INTEREST − TAX. So net income is the sum of every profit and loss group.

use crate::url::query_value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr};

/// Ten-thousandths per unit of money.
pub const MONEY_SCALE: i64 = 10_000;
/// Decimals a [`Money`] holds.
pub const MONEY_DECIMALS: usize = 4;
/// Longest text stored in one field of a ledger row (the import's cell limit).
pub const MAX_FIELD_BYTES: usize = 32 * 1024;
/// Longest JSON of a row's unmapped columns.
pub const MAX_EXTRA_BYTES: usize = 64 * 1024;
/// Longest dataset or import id.
pub const MAX_ID_BYTES: usize = 200;
/// Most values one filter field may list (a URL cannot make a query unboundedly large).
pub const MAX_FILTER_VALUES: usize = 200;

// ------------------------------------------------------------------------------------------ money

/// An exact amount of money with 4 decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an amount (digits with an optional sign and up to 4 decimals)")]
    NotAnAmount(String),
    #[error("'{0}' has more than 4 decimals")]
    TooPrecise(String),
    #[error("the amount is too large to be exact")]
    Overflow,
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From a count of ten-thousandths.
    pub const fn from_scaled(scaled: i64) -> Self {
        Money(scaled)
    }

    /// The count of ten-thousandths.
    pub const fn scaled(self) -> i64 {
        self.0
    }

    /// Whole units (checked).
    pub fn from_units(units: i64) -> Result<Self, MoneyError> {
        units.checked_mul(MONEY_SCALE).map(Money).ok_or(MoneyError::Overflow)
    }

    /// Hundredths (checked).
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        cents.checked_mul(100).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_sub(other.0).map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.0.checked_neg().map(Money).ok_or(MoneyError::Overflow)
    }

    pub fn abs(self) -> Result<Money, MoneyError> {
        self.0.checked_abs().map(Money).ok_or(MoneyError::Overflow)
    }

    /// Sum without any rounding; `Overflow` beyond the `i64` range.
    pub fn sum<I: IntoIterator<Item = Money>>(items: I) -> Result<Money, MoneyError> {
        items.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// `[+-]digits[.digits]` with at most 4 decimals (more are accepted when they are zeros).
    /// No grouping, exponent or currency: the ledger import has already cleaned those.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let bad = || MoneyError::NotAnAmount(text.to_owned());
        let (negative, digits) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() && frac_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(bad());
        }
        let significant = frac_part.trim_end_matches('0');
        if significant.len() > MONEY_DECIMALS {
            return Err(MoneyError::TooPrecise(text.to_owned()));
        }
        // Accumulate negatively so i64::MIN parses too.
        let mut value: i64 = 0;
        let push = |value: i64, digit: u8| value.checked_mul(10).and_then(|v| v.checked_sub(i64::from(digit - b'0')));
        for b in int_part.bytes() {
            value = push(value, b).ok_or(MoneyError::Overflow)?;
        }
        for i in 0..MONEY_DECIMALS {
            value = push(value, significant.as_bytes().get(i).copied().unwrap_or(b'0')).ok_or(MoneyError::Overflow)?;
        }
        if negative {
            Ok(Money(value))
        } else {
            value.checked_neg().map(Money).ok_or(MoneyError::Overflow)
        }
    }
}

impl fmt::Display for Money {
    /// At least 2 decimals, up to 4 (trailing zeros beyond the second are dropped): `-1234.5` is
    /// `-1234.50`, `0.1234` stays `0.1234`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = MONEY_SCALE as u64;
        let frac = format!("{:04}", abs % scale);
        let frac = frac.trim_end_matches('0');
        let frac = if frac.len() < 2 { &format!("{:02}", (abs % scale) / 100)[..] } else { frac };
        write!(f, "{sign}{}.{frac}", abs / scale)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// As a JSON string: exact in JavaScript too (numbers lose digits beyond 2^53).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

// ------------------------------------------------------------------------------------------ month

/// A calendar month, `YYYY-MM`, years 1900 to 2200 (what the ledger import accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LedgerMonth {
    year: u16,
    month: u8,
}

impl LedgerMonth {
    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((1900..=2200).contains(&year) && (1..=12).contains(&month)).then_some(LedgerMonth { year, month })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        LedgerMonth::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// As stored: `year * 100 + month`.
    pub fn yyyymm(self) -> u32 {
        u32::from(self.year) * 100 + u32::from(self.month)
    }

    pub fn from_yyyymm(v: u32) -> Option<Self> {
        LedgerMonth::new(u16::try_from(v / 100).ok()?, u8::try_from(v % 100).ok()?)
    }

    fn index(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }

    fn from_index(i: i32) -> Option<Self> {
        LedgerMonth::new(u16::try_from(i.div_euclid(12)).ok()?, u8::try_from(i.rem_euclid(12) + 1).ok()?)
    }

    /// `n` months later (earlier when negative); `None` outside 1900..=2200.
    pub fn plus(self, n: i32) -> Option<Self> {
        LedgerMonth::from_index(self.index() + n)
    }

    /// Months from `self` to `to`, both included (0 when `to` is earlier).
    pub fn months_to(self, to: LedgerMonth) -> u32 {
        u32::try_from(to.index() - self.index() + 1).unwrap_or(0)
    }
}

impl fmt::Display for LedgerMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for LedgerMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LedgerMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LedgerMonth::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a month (YYYY-MM)")))
    }
}

/// A `YYYY-MM-DD` date with a real day of the month (leap years included).
pub fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let Some(month) = LedgerMonth::parse(&text[..7]) else { return false };
    let Ok(day) = text[8..].parse::<u8>() else { return false };
    if !text[8..].bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let y = u32::from(month.year());
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match month.month() {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

// ------------------------------------------------------------------------------------------ rows

/// One ledger line as the analytics store keeps it. Text fields use `""` for "blank" (the
/// import never produces empty text), so both stores sort and filter them alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRow {
    pub dataset_id: String,
    /// The import that wrote the row; rows are visible once it is committed.
    pub import_id: String,
    /// 1-based line in the uploaded file.
    pub row: u64,
    pub company_code: String,
    pub entity: String,
    pub region: String,
    pub department: String,
    pub division: String,
    /// Canonical code (REVENUE, COGS, ...) or the file's group upper-cased.
    pub account_group: String,
    pub account_code: String,
    pub account_name: String,
    /// `YYYY-MM-DD`, or blank for month-only rows.
    pub date: String,
    pub month: LedgerMonth,
    pub debit: Money,
    pub credit: Money,
    /// `debit − credit` unless the file said otherwise.
    pub balance: Money,
    pub currency: String,
    pub description: String,
    /// The file's columns that map to no ledger field, as a JSON object `{"header": "value"}`
    /// (`""` when there are none): kept so nothing uploaded is lost.
    pub extra: String,
}

impl LedgerRow {
    /// What both stores can hold; checked before anything of a batch is written.
    pub fn check_storable(&self) -> Result<(), String> {
        for (name, id) in [("dataset id", &self.dataset_id), ("import id", &self.import_id)] {
            if id.is_empty() || id.len() > MAX_ID_BYTES {
                return Err(format!("row {}: the {name} must be 1 to {MAX_ID_BYTES} bytes", self.row));
            }
        }
        if self.row > i64::MAX as u64 {
            return Err(format!("row number {} is too large", self.row));
        }
        if !self.date.is_empty() && !is_iso_date(&self.date) {
            return Err(format!("row {}: '{}' is not a YYYY-MM-DD date", self.row, self.date));
        }
        let texts = [
            &self.company_code,
            &self.entity,
            &self.region,
            &self.department,
            &self.division,
            &self.account_group,
            &self.account_code,
            &self.account_name,
            &self.currency,
            &self.description,
        ];
        if texts.iter().any(|t| t.len() > MAX_FIELD_BYTES) {
            return Err(format!("row {}: a value is longer than {MAX_FIELD_BYTES} bytes", self.row));
        }
        if self.extra.len() > MAX_EXTRA_BYTES {
            return Err(format!("row {}: the unmapped columns hold more than {MAX_EXTRA_BYTES} bytes", self.row));
        }
        Ok(())
    }

    /// Where the row is in the export order.
    pub fn key(&self) -> LedgerRowKey {
        LedgerRowKey { dataset_id: self.dataset_id.clone(), import_id: self.import_id.clone(), row: self.row }
    }
}

/// A row's identity, and the export order: dataset id, import id, row number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LedgerRowKey {
    pub dataset_id: String,
    pub import_id: String,
    pub row: u64,
}

/// How a committed import changes its dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitMode {
    /// The import's rows join the dataset's visible rows (a new dataset is an append to nothing).
    Append,
    /// The import's rows become the dataset's only visible rows.
    Replace,
}

// ------------------------------------------------------------------------------------------ filter

/// The dashboard's filter. Each list narrows to rows whose field is one of its values (empty:
/// any); `""` selects blank fields. Months are inclusive. Values compare exactly (bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerFilter {
    pub datasets: Vec<String>,
    pub entities: Vec<String>,
    pub regions: Vec<String>,
    pub company_codes: Vec<String>,
    pub departments: Vec<String>,
    pub divisions: Vec<String>,
    pub account_groups: Vec<String>,
    /// Narrows to accounts (the drill-down of a top account); last in the URL.
    pub account_codes: Vec<String>,
    pub month_from: Option<LedgerMonth>,
    pub month_to: Option<LedgerMonth>,
}

/// A filterable text field of a ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LedgerField {
    Dataset,
    Entity,
    Region,
    CompanyCode,
    Department,
    Division,
    AccountGroup,
    AccountCode,
    AccountName,
}

impl LedgerField {
    /// The column name in both stores (and the URL key of the filter).
    pub fn column(self) -> &'static str {
        match self {
            LedgerField::Dataset => "dataset_id",
            LedgerField::Entity => "entity",
            LedgerField::Region => "region",
            LedgerField::CompanyCode => "company_code",
            LedgerField::Department => "department",
            LedgerField::Division => "division",
            LedgerField::AccountGroup => "account_group",
            LedgerField::AccountCode => "account_code",
            LedgerField::AccountName => "account_name",
        }
    }

    /// The URL key of the field's filter (`dataset` for datasets, else the column).
    pub fn query_key(self) -> &'static str {
        match self {
            LedgerField::Dataset => "dataset",
            other => other.column(),
        }
    }

    pub fn of(self, row: &LedgerRow) -> &str {
        match self {
            LedgerField::Dataset => &row.dataset_id,
            LedgerField::Entity => &row.entity,
            LedgerField::Region => &row.region,
            LedgerField::CompanyCode => &row.company_code,
            LedgerField::Department => &row.department,
            LedgerField::Division => &row.division,
            LedgerField::AccountGroup => &row.account_group,
            LedgerField::AccountCode => &row.account_code,
            LedgerField::AccountName => &row.account_name,
        }
    }
}

/// Why a filter from a URL was refused (shown to the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerFilterError {
    #[error("'{0}' is not a month (YYYY-MM)")]
    BadMonth(String),
    #[error("the {0} filter lists more than {MAX_FILTER_VALUES} values")]
    TooManyValues(&'static str),
    #[error("the query string is not valid: {0}")]
    BadEncoding(String),
}

/// In a URL, a blank value means "no filter" (what an HTML form's "All" option sends), so a
/// filter on blank fields is written `~`, and a value starting with `~` gets one more `~`.
const BLANK_MARK: char = '~';

/// A value as an HTML form sends it (before percent-encoding): blank and `~…` values marked,
/// so `<option value=…>` round-trips through [`LedgerFilter::from_query`].
pub fn form_value(v: &str) -> String {
    if v.is_empty() || v.starts_with(BLANK_MARK) {
        format!("{BLANK_MARK}{v}")
    } else {
        v.to_owned()
    }
}

fn encode_value(v: &str) -> String {
    if v.is_empty() || v.starts_with(BLANK_MARK) {
        format!("{BLANK_MARK}{}", query_value(v))
    } else {
        query_value(v)
    }
}

/// Percent-decoding of one query component (`+` is a space, as forms send it).
fn percent_decode(raw: &str) -> Result<String, LedgerFilterError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3).ok_or_else(|| LedgerFilterError::BadEncoding(raw.to_owned()))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| LedgerFilterError::BadEncoding(raw.to_owned()))?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| LedgerFilterError::BadEncoding(raw.to_owned()))
}

impl LedgerFilter {
    /// The list of values of one field (`AccountName` has none: empty).
    pub fn values(&self, field: LedgerField) -> &[String] {
        match field {
            LedgerField::Dataset => &self.datasets,
            LedgerField::Entity => &self.entities,
            LedgerField::Region => &self.regions,
            LedgerField::CompanyCode => &self.company_codes,
            LedgerField::Department => &self.departments,
            LedgerField::Division => &self.divisions,
            LedgerField::AccountGroup => &self.account_groups,
            LedgerField::AccountCode => &self.account_codes,
            LedgerField::AccountName => &[],
        }
    }

    fn values_mut(&mut self, field: LedgerField) -> Option<&mut Vec<String>> {
        Some(match field {
            LedgerField::Dataset => &mut self.datasets,
            LedgerField::Entity => &mut self.entities,
            LedgerField::Region => &mut self.regions,
            LedgerField::CompanyCode => &mut self.company_codes,
            LedgerField::Department => &mut self.departments,
            LedgerField::Division => &mut self.divisions,
            LedgerField::AccountGroup => &mut self.account_groups,
            LedgerField::AccountCode => &mut self.account_codes,
            LedgerField::AccountName => return None,
        })
    }

    /// The fields a filter can list, in URL order.
    pub const FIELDS: [LedgerField; 8] = [
        LedgerField::Dataset,
        LedgerField::Entity,
        LedgerField::Region,
        LedgerField::CompanyCode,
        LedgerField::Department,
        LedgerField::Division,
        LedgerField::AccountGroup,
        LedgerField::AccountCode,
    ];

    /// Whether `row` passes (the reference for the stores' SQL).
    pub fn matches(&self, row: &LedgerRow) -> bool {
        Self::FIELDS.iter().all(|&f| {
            let values = self.values(f);
            values.is_empty() || values.iter().any(|v| v == f.of(row))
        }) && self.month_from.is_none_or(|m| row.month >= m)
            && self.month_to.is_none_or(|m| row.month <= m)
    }

    /// `Err` when a list is longer than [`MAX_FILTER_VALUES`] (stores answer `Invalid`).
    pub fn check(&self) -> Result<(), LedgerFilterError> {
        match Self::FIELDS.iter().find(|&&f| self.values(f).len() > MAX_FILTER_VALUES) {
            Some(f) => Err(LedgerFilterError::TooManyValues(f.query_key())),
            None => Ok(()),
        }
    }

    /// True when no row can pass (an empty month range).
    pub fn is_empty_range(&self) -> bool {
        matches!((self.month_from, self.month_to), (Some(a), Some(b)) if a > b)
    }

    /// The URL query (no `?`): `dataset=..&entity=..&from=YYYY-MM&to=YYYY-MM`, one key per value.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        for f in Self::FIELDS {
            for v in self.values(f) {
                parts.push(format!("{}={}", f.query_key(), encode_value(v)));
            }
        }
        if let Some(m) = self.month_from {
            parts.push(format!("from={m}"));
        }
        if let Some(m) = self.month_to {
            parts.push(format!("to={m}"));
        }
        parts.join("&")
    }

    /// Reads [`to_query`](Self::to_query)'s form back; unknown keys (other page parameters)
    /// and blank values are ignored. A leading `?` is allowed.
    pub fn from_query(query: &str) -> Result<LedgerFilter, LedgerFilterError> {
        let mut filter = LedgerFilter::default();
        for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key)?;
            let value = percent_decode(raw)?;
            if value.is_empty() {
                continue;
            }
            match key.as_str() {
                "from" | "to" => {
                    let m = LedgerMonth::parse(&value).ok_or_else(|| LedgerFilterError::BadMonth(value.clone()))?;
                    if key == "from" {
                        filter.month_from = Some(m);
                    } else {
                        filter.month_to = Some(m);
                    }
                }
                _ => {
                    let Some(field) = Self::FIELDS.iter().copied().find(|f| f.query_key() == key) else { continue };
                    let value = match value.strip_prefix(BLANK_MARK) {
                        Some(rest) => rest.to_owned(),
                        None => value,
                    };
                    if let Some(list) = filter.values_mut(field) {
                        if !list.contains(&value) {
                            list.push(value);
                        }
                    }
                }
            }
        }
        filter.check()?;
        Ok(filter)
    }
}

// ------------------------------------------------------------------------------------------ reads

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

// ------------------------------------------------------------------------------------------ P&L

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

// ------------------------------------------------------------------------------------------ dashboard

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

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn month(s: &str) -> LedgerMonth {
        LedgerMonth::parse(s).unwrap()
    }

    #[test]
    fn money_parses_and_prints_exactly() {
        assert_eq!(m("0.1").scaled(), 1_000);
        assert_eq!(m("-1234.5").to_string(), "-1234.50");
        assert_eq!(m("0.1234").to_string(), "0.1234");
        assert_eq!(m("12.3400").to_string(), "12.34");
        assert_eq!(m("12.345").to_string(), "12.345");
        assert_eq!(m("+7").to_string(), "7.00");
        assert_eq!(m(".5").to_string(), "0.50");
        assert_eq!(m("5.").to_string(), "5.00");
        assert_eq!(m("-0.0001").to_string(), "-0.0001");
        assert_eq!(m("1.23450000").scaled(), 12_345, "zeros beyond 4 decimals are fine");
        assert_eq!(m("-922337203685477.5808").scaled(), i64::MIN);
        assert_eq!(m("922337203685477.5807").scaled(), i64::MAX);
        assert_eq!(Money::from_scaled(i64::MIN).to_string(), "-922337203685477.5808");
        assert_eq!(m("0.1").checked_add(m("0.2")).unwrap(), m("0.3"));
        for bad in ["", "-", ".", "1,5", "1e3", "1.2.3", " 1", "abc", "--1", "1-"] {
            assert!(matches!(Money::parse(bad), Err(MoneyError::NotAnAmount(_))), "{bad:?}");
        }
        assert_eq!(Money::parse("0.00001"), Err(MoneyError::TooPrecise("0.00001".into())));
        assert_eq!(Money::parse("922337203685477.5808"), Err(MoneyError::Overflow));
        assert_eq!(Money::from_scaled(i64::MAX).checked_add(Money::from_scaled(1)), Err(MoneyError::Overflow));
        for s in ["0.00", "1.50", "-3.1416", "100000000000.01"] {
            assert_eq!(m(s).to_string(), s, "round trip");
        }
        assert_eq!(serde_json::to_string(&m("1.5")).unwrap(), "\"1.50\"");
        assert_eq!(serde_json::from_str::<Money>("\"-2.25\"").unwrap(), m("-2.25"));
        assert_eq!(Money::from_cents(-150).unwrap(), m("-1.5"));
    }

    #[test]
    fn months_parse_step_and_count() {
        assert_eq!(month("2024-02").yyyymm(), 202_402);
        assert_eq!(LedgerMonth::from_yyyymm(202_402), Some(month("2024-02")));
        assert_eq!(month("2024-01").plus(-1), Some(month("2023-12")));
        assert_eq!(month("2024-11").plus(3), Some(month("2025-02")));
        assert_eq!(month("2024-01").months_to(month("2024-12")), 12);
        assert_eq!(month("2024-05").months_to(month("2024-04")), 0);
        for bad in ["2024-13", "2024-00", "24-01", "2024-1", "1899-12", "2201-01", "2024/01", "２０２４-01"] {
            assert_eq!(LedgerMonth::parse(bad), None, "{bad}");
        }
        let r = MonthRange { from: month("2024-01"), to: month("2024-03") };
        assert_eq!(r.previous(), Some(MonthRange { from: month("2023-10"), to: month("2023-12") }));
        assert_eq!(r.each().map(|m| m.to_string()).collect::<Vec<_>>(), ["2024-01", "2024-02", "2024-03"]);
        assert!(is_iso_date("2024-02-29") && !is_iso_date("2023-02-29") && !is_iso_date("2024-04-31") && !is_iso_date("2024-4-1"));
    }

    #[test]
    fn filter_query_round_trips() {
        let filter = LedgerFilter {
            datasets: vec!["d1".into(), "d2".into()],
            entities: vec!["Elara & Co".into(), "東京支社".into(), "".into(), "~tilde".into()],
            regions: vec!["الشرق الأوسط".into()],
            company_codes: vec!["C'01".into()],
            departments: vec!["R&D".into(), "a=b+c%".into()],
            divisions: vec!["x; DROP TABLE ledger_rows; --".into()],
            account_groups: vec!["REVENUE".into(), "COGS".into()],
            account_codes: vec!["4000".into()],
            month_from: Some(month("2024-01")),
            month_to: Some(month("2024-06")),
        };
        let q = filter.to_query();
        assert!(q.starts_with("dataset=d1&dataset=d2&entity=Elara%20%26%20Co&"), "{q}");
        assert!(q.ends_with("&from=2024-01&to=2024-06"), "{q}");
        assert_eq!(LedgerFilter::from_query(&q).unwrap(), filter);
        assert_eq!(LedgerFilter::from_query(&format!("?{q}")).unwrap(), filter);
        // What a form's <option value=form_value(v)> sends reads back as v.
        for v in ["", "~tilde", "plain"] {
            let sent = format!("entity={}", query_value(&form_value(v)));
            assert_eq!(LedgerFilter::from_query(&sent).unwrap().entities, vec![v.to_owned()], "{v:?}");
        }
        assert_eq!(LedgerFilter::default().to_query(), "");
        assert_eq!(LedgerFilter::from_query("").unwrap(), LedgerFilter::default());
    }

    #[test]
    fn filter_query_from_forms() {
        // An HTML form sends every field; blank means any, `+` is a space, other keys are ignored.
        let f = LedgerFilter::from_query("entity=&region=North+America&from=&to=2024-03&page=2&sort=debit").unwrap();
        assert_eq!(f, LedgerFilter { regions: vec!["North America".into()], month_to: Some(month("2024-03")), ..Default::default() });
        assert_eq!(LedgerFilter::from_query("from=2024-13"), Err(LedgerFilterError::BadMonth("2024-13".into())));
        assert!(matches!(LedgerFilter::from_query("entity=%E0%A4"), Err(LedgerFilterError::BadEncoding(_))));
        assert!(matches!(LedgerFilter::from_query("entity=%zz"), Err(LedgerFilterError::BadEncoding(_))));
        let many: Vec<String> = (0..=MAX_FILTER_VALUES).map(|i| format!("entity=e{i}")).collect();
        assert_eq!(LedgerFilter::from_query(&many.join("&")), Err(LedgerFilterError::TooManyValues("entity")));
    }

    fn row(group: &str, balance: &str) -> LedgerRow {
        LedgerRow {
            dataset_id: "d".into(),
            import_id: "i".into(),
            row: 1,
            company_code: String::new(),
            entity: "E".into(),
            region: String::new(),
            department: String::new(),
            division: String::new(),
            account_group: group.into(),
            account_code: "4000".into(),
            account_name: String::new(),
            date: String::new(),
            month: month("2024-03"),
            debit: Money::ZERO,
            credit: Money::ZERO,
            balance: m(balance),
            currency: String::new(),
            description: String::new(),
            extra: String::new(),
        }
    }

    #[test]
    fn filter_matches_rows() {
        let r = row("REVENUE", "-1");
        assert!(LedgerFilter::default().matches(&r));
        assert!(LedgerFilter { entities: vec!["X".into(), "E".into()], ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { entities: vec!["e".into()], ..Default::default() }.matches(&r), "exact case");
        assert!(LedgerFilter { account_codes: vec!["4000".into()], ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { account_codes: vec!["4001".into()], ..Default::default() }.matches(&r));
        assert!(LedgerFilter { regions: vec!["".into()], ..Default::default() }.matches(&r), "blank selects blank");
        assert!(LedgerFilter { month_from: Some(month("2024-03")), month_to: Some(month("2024-03")), ..Default::default() }.matches(&r));
        assert!(!LedgerFilter { month_from: Some(month("2024-04")), ..Default::default() }.matches(&r));
        assert!(
            LedgerFilter { month_from: Some(month("2024-04")), month_to: Some(month("2024-03")), ..Default::default() }.is_empty_range()
        );
    }

    #[test]
    fn storable_rows() {
        assert_eq!(row("REVENUE", "1").check_storable(), Ok(()));
        assert!(LedgerRow { import_id: String::new(), ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { date: "2024-02-30".into(), ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { row: u64::MAX, ..row("X", "1") }.check_storable().is_err());
        assert!(LedgerRow { description: "x".repeat(MAX_FIELD_BYTES + 1), ..row("X", "1") }.check_storable().is_err());
    }

    #[test]
    fn pnl_formulas_on_natural_sides() {
        // Revenue booked as credits (negative balances), expenses as debits; one revenue return.
        let balances = [
            ("REVENUE", m("-1000.00")),
            ("REVENUE", m("50.00")),
            ("COGS", m("400.00")),
            ("OPEX", m("250.50")),
            ("OTHER_INCOME", m("-20.00")),
            ("OTHER_EXPENSE", m("5.00")),
            ("DEPRECIATION", m("30.00")),
            ("INTEREST", m("10.25")),
            ("TAX", m("60.00")),
            ("FIXED_ASSETS", m("99999.00")),
        ];
        let p = Pnl::from_balances(balances.iter().map(|(g, b)| (*g, *b))).unwrap();
        assert_eq!(p.revenue, m("950"));
        assert_eq!(p.other_income, m("20"));
        assert_eq!(p.gross_profit().unwrap(), m("550"));
        // 550 − 250.50 + 20 − 5
        assert_eq!(p.ebitda().unwrap(), m("314.50"));
        // 314.50 − 30 − 10.25 − 60
        assert_eq!(p.net_income().unwrap(), m("214.25"));
        assert_eq!(p.expenses().unwrap(), m("755.75"));
        // Net income is minus the sum of every P&L balance.
        let pnl_sum = Money::sum(balances.iter().filter(|(g, _)| groups::is_pnl(g)).map(|(_, b)| *b)).unwrap();
        assert_eq!(p.net_income().unwrap(), pnl_sum.checked_neg().unwrap());
        let huge = [("REVENUE", Money::from_scaled(i64::MIN))];
        assert_eq!(Pnl::from_balances(huge.iter().map(|(g, b)| (*g, *b))), Err(MoneyError::Overflow));
    }

    #[test]
    fn changes_in_basis_points() {
        assert_eq!(change_bp(m("110"), m("100")), Some(1_000));
        assert_eq!(change_bp(m("90"), m("100")), Some(-1_000));
        assert_eq!(change_bp(m("-50"), m("-100")), Some(5_000), "a loss halved is an improvement");
        assert_eq!(change_bp(m("1"), m("3")), Some(-6_667));
        assert_eq!(change_bp(m("2"), m("3")), Some(-3_333));
        assert_eq!(change_bp(m("5"), m("0")), None);
        assert_eq!(change_bp(Money::from_scaled(i64::MAX), Money::from_scaled(1)), None, "beyond i64 basis points");
        assert_eq!(format_change(1_234), "+12.34%");
        assert_eq!(format_change(-5), "-0.05%");
        let kpis = Kpis::compare(
            &Pnl { revenue: m("120"), cogs: m("20"), ..Default::default() },
            &Pnl { revenue: m("100"), cogs: m("50"), ..Default::default() },
        )
        .unwrap();
        assert_eq!(kpis.gross_profit, Kpi { current: m("100"), previous: m("50"), change_bp: Some(10_000) });
        assert_eq!(kpis.net_income.current, m("100"));
        assert_eq!(kpis.tax.change_bp, None);
    }
}
