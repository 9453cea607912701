//! The dashboard filter and its URL codec.

use super::*;

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
pub(super) const BLANK_MARK: char = '~';

/// A value as an HTML form sends it (before percent-encoding): blank and `~…` values marked,
/// so `<option value=…>` round-trips through [`LedgerFilter::from_query`].
pub fn form_value(v: &str) -> String {
    if v.is_empty() || v.starts_with(BLANK_MARK) {
        format!("{BLANK_MARK}{v}")
    } else {
        v.to_owned()
    }
}

pub(super) fn encode_value(v: &str) -> String {
    if v.is_empty() || v.starts_with(BLANK_MARK) {
        format!("{BLANK_MARK}{}", query_value(v))
    } else {
        query_value(v)
    }
}

/// Percent-decoding of one query component (`+` is a space, as forms send it).
pub(super) fn percent_decode(raw: &str) -> Result<String, LedgerFilterError> {
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
