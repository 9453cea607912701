//! Ledger fields, their header synonyms, and the proposed column mapping the user confirms.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::ImportError;
use crate::header::normalise;

/// A column of the ledger schema (DESIGN.md "Ledger records").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerField {
    CompanyCode,
    Entity,
    Region,
    Department,
    Division,
    AccountGroup,
    AccountCode,
    AccountName,
    Date,
    Month,
    Debit,
    Credit,
    /// Signed amount (debit − credit); "Amount" headers map here.
    Balance,
    Currency,
    Description,
}

impl LedgerField {
    pub const ALL: [LedgerField; 15] = [
        LedgerField::CompanyCode,
        LedgerField::Entity,
        LedgerField::Region,
        LedgerField::Department,
        LedgerField::Division,
        LedgerField::AccountGroup,
        LedgerField::AccountCode,
        LedgerField::AccountName,
        LedgerField::Date,
        LedgerField::Month,
        LedgerField::Debit,
        LedgerField::Credit,
        LedgerField::Balance,
        LedgerField::Currency,
        LedgerField::Description,
    ];

    /// Header texts that name this field (English, French, German exports); compared normalised.
    pub fn synonyms(self) -> &'static [&'static str] {
        use LedgerField::*;
        match self {
            CompanyCode => &[
                "company code",
                "company",
                "co code",
                "company id",
                "company no",
                "company number",
                "bukrs",
                "societe",
                "code societe",
                "firma",
                "company_code",
            ],
            Entity => &["entity", "entity name", "legal entity", "entity code", "business unit", "subsidiary", "entite", "gesellschaft"],
            Region => &["region", "geography", "geo", "territory", "area", "zone", "sales region"],
            Department => &[
                "department",
                "dept",
                "department name",
                "cost center",
                "cost centre",
                "departement",
                "service",
                "abteilung",
                "kostenstelle",
            ],
            Division => &["division", "segment", "business line", "line of business", "sparte"],
            AccountGroup => &[
                "account group",
                "acct group",
                "account type",
                "account category",
                "account class",
                "category",
                "group",
                "class",
                "fs line",
                "type de compte",
                "classe",
                "kontengruppe",
            ],
            AccountCode => &[
                "account code",
                "account",
                "gl account",
                "gl code",
                "account number",
                "account no",
                "acct",
                "acct no",
                "acct code",
                "gl",
                "gl account number",
                "compte",
                "numero de compte",
                "no compte",
                "konto",
                "sachkonto",
            ],
            AccountName => &[
                "account name",
                "account description",
                "gl account name",
                "acct name",
                "account title",
                "libelle compte",
                "intitule",
                "intitule compte",
                "kontobezeichnung",
            ],
            Date => &[
                "date",
                "posting date",
                "transaction date",
                "entry date",
                "document date",
                "value date",
                "txn date",
                "gl date",
                "journal date",
                "date comptable",
                "date ecriture",
                "datum",
                "buchungsdatum",
            ],
            Month => &[
                "month",
                "period",
                "periode",
                "fiscal period",
                "accounting period",
                "posting period",
                "year month",
                "yyyymm",
                "mois",
                "monat",
            ],
            Debit => &["debit", "dr", "debit amount", "debits", "soll"],
            Credit => &["credit", "cr", "credit amount", "credits", "haben"],
            Balance => {
                &["balance", "amount", "net amount", "net", "value", "amount lc", "local amount", "montant", "solde", "betrag", "saldo"]
            }
            Currency => &["currency", "ccy", "curr", "currency code", "devise", "wahrung", "waehrung"],
            Description => &["description", "memo", "narrative", "text", "libelle", "line description", "buchungstext"],
        }
    }
}

/// Normalised synonym → field, built once.
fn synonym_table() -> &'static [(String, LedgerField)] {
    static TABLE: OnceLock<Vec<(String, LedgerField)>> = OnceLock::new();
    TABLE.get_or_init(|| LedgerField::ALL.iter().flat_map(|&f| f.synonyms().iter().map(move |s| (normalise(s), f))).collect())
}

/// Best field for a header and its confidence: 1.0 for a synonym, less when a synonym of at least
/// four letters is only part of the header ("Debit Amount USD"), scaled by how much it covers.
pub fn best_field(header: &str) -> Option<(LedgerField, f32)> {
    let key = normalise(header);
    if key.is_empty() {
        return None;
    }
    let mut best: Option<(LedgerField, f32)> = None;
    for (syn, field) in synonym_table() {
        let score = if *syn == key {
            1.0
        } else if syn.len() >= 4 && key.contains(syn.as_str()) {
            0.5 + 0.4 * syn.len() as f32 / key.len() as f32
        } else {
            continue;
        };
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((*field, score));
        }
    }
    best
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnAssignment {
    /// 0-based column index in the file.
    pub index: usize,
    /// Header as shown to the user (disambiguated when repeated).
    pub header: String,
    /// `None`: kept as an extra attribute under `header`.
    pub field: Option<LedgerField>,
    /// 0–1; 1 for an exact synonym, 0 for unmapped or user-chosen columns.
    pub confidence: f32,
}

/// The mapping proposed from the headers; the user confirms or edits it and passes it back to import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// 1-based row number of the header in the file; data starts below it.
    pub header_row: u64,
    pub columns: Vec<ColumnAssignment>,
    /// Person-readable remarks: renamed duplicate headers, columns that lost a field to another.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl ColumnMapping {
    /// Proposes a field per header; each field goes to one column, the most confident (then leftmost).
    pub fn propose(header_row: u64, headers: &[String], mut notes: Vec<String>) -> Self {
        let mut columns: Vec<ColumnAssignment> = headers
            .iter()
            .enumerate()
            .map(|(index, h)| {
                let (field, confidence) = best_field(h).map_or((None, 0.0), |(f, c)| (Some(f), c));
                ColumnAssignment { index, header: h.clone(), field, confidence }
            })
            .collect();
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&a, &b| columns[b].confidence.total_cmp(&columns[a].confidence).then(a.cmp(&b)));
        let mut taken: Vec<(LedgerField, usize)> = Vec::new();
        for i in order {
            let Some(field) = columns[i].field else { continue };
            if let Some(&(_, winner)) = taken.iter().find(|(f, _)| *f == field) {
                notes.push(format!(
                    "column '{}' also looks like {} but '{}' was chosen for it; it is kept as an extra attribute",
                    columns[i].header,
                    field_name(field),
                    columns[winner].header
                ));
                columns[i].field = None;
                columns[i].confidence = 0.0;
            } else {
                taken.push((field, i));
            }
        }
        ColumnMapping { header_row, columns, notes }
    }

    pub fn column_of(&self, field: LedgerField) -> Option<usize> {
        self.columns.iter().find(|c| c.field == Some(field)).map(|c| c.index)
    }

    /// Checks a (possibly user-edited) mapping: each field once, and enough fields for a ledger row.
    pub fn check(&self) -> Result<(), ImportError> {
        for field in LedgerField::ALL {
            let cols: Vec<&str> = self.columns.iter().filter(|c| c.field == Some(field)).map(|c| c.header.as_str()).collect();
            if cols.len() > 1 {
                return Err(ImportError::Mapping(format!("{} is mapped to several columns: {}", field_name(field), cols.join(", "))));
            }
        }
        let has = |fields: &[LedgerField]| fields.iter().any(|&f| self.column_of(f).is_some());
        let required: [(&[LedgerField], &str); 3] = [
            (&[LedgerField::Date, LedgerField::Month], "a date or month column"),
            (&[LedgerField::Debit, LedgerField::Credit, LedgerField::Balance], "an amount column (debit, credit, balance or amount)"),
            (&[LedgerField::AccountCode, LedgerField::AccountName], "an account code or account name column"),
        ];
        let missing: Vec<&str> = required.iter().filter(|(fields, _)| !has(fields)).map(|(_, what)| *what).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            let found: Vec<&str> = self.columns.iter().map(|c| c.header.as_str()).collect();
            let hint = if found.len() == 1 { " (only one column was found: is the delimiter right?)" } else { "" };
            Err(ImportError::Mapping(format!("missing {}; the columns are: {}{hint}", missing.join(", "), found.join(", "))))
        }
    }
}

/// snake_case name used in messages and serialised mappings.
pub fn field_name(field: LedgerField) -> String {
    serde_json::to_value(field).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_synonyms_ignoring_case_accents_and_punctuation() {
        let f = |h: &str| best_field(h).map(|(f, _)| f);
        assert_eq!(f("Co. Code"), Some(LedgerField::CompanyCode));
        assert_eq!(f("Entity Name"), Some(LedgerField::Entity));
        assert_eq!(f("ACCT GROUP"), Some(LedgerField::AccountGroup));
        assert_eq!(f("GL Account"), Some(LedgerField::AccountCode));
        assert_eq!(f("Amount"), Some(LedgerField::Balance));
        assert_eq!(f("Posting Date"), Some(LedgerField::Date));
        assert_eq!(f("Période"), Some(LedgerField::Month));
        assert_eq!(f("Debit Amount (USD)"), Some(LedgerField::Debit));
        assert_eq!(f("Colour"), None);
    }

    #[test]
    fn proposes_one_column_per_field_and_checks_requirements() {
        let headers: Vec<String> = ["Date", "Account", "Amount", "Net Amount", "Colour"].map(String::from).to_vec();
        let m = ColumnMapping::propose(1, &headers, vec![]);
        assert_eq!(m.column_of(LedgerField::Balance), Some(2));
        assert_eq!(m.columns[3].field, None);
        assert!(m.notes[0].contains("Net Amount"));
        m.check().unwrap();
        let one = ColumnMapping::propose(1, &["date;account;amount".to_string()], vec![]);
        assert!(one.check().unwrap_err().to_string().contains("delimiter"));
    }
}
