//! Ledger rows as the analytics store keeps them.

use super::*;

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
