//! Server functions of the datasets pages (issue 5): the list, and one dataset with its imports
//! (the mapping form of an import waiting for it, the first rejected rows of a finished one).
//! The upload itself goes through the JSON API in `src/http/datasets.rs`; membership and roles
//! are checked in `services::datasets`.

use super::AppError;
use crate::api::traces::ProjectHead;
use domain::datasets::{Dataset, DatasetImport, DatasetListing};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Rejected rows shown on the page; the whole list is the CSV download.
pub const REJECTIONS_SHOWN: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetsView {
    pub project: ProjectHead,
    pub datasets: Vec<DatasetListing>,
    /// Editors and owners upload and delete datasets; analysts only read.
    pub can_write: bool,
}

/// A ledger field a column can be mapped to: its form value and its name for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChoice {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingColumn {
    pub index: usize,
    pub header: String,
    /// A [`FieldChoice::value`], or empty: kept as an extra attribute.
    pub field: String,
    pub confidence: f32,
}

/// The confirm-mapping form of an import in status `mapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingForm {
    /// "an Excel workbook (.xlsx)", ….
    pub format: String,
    pub extension_mismatch: Option<String>,
    pub header_row: u64,
    pub columns: Vec<MappingColumn>,
    pub fields: Vec<FieldChoice>,
    /// Sample rows: (row number in the file, one text per column).
    pub sample: Vec<(u64, Vec<String>)>,
    pub notes: Vec<String>,
    /// `DatasetSettings` values as their form values.
    pub date_order: String,
    pub decimal_separator: String,
    pub company_code: String,
    pub entity: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub row: String,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportView {
    pub import: DatasetImport,
    pub uploader: Option<String>,
    /// The mapping form, for the person who may confirm it (see `services::datasets::may_carry_on`).
    pub mapping: Option<MappingForm>,
    /// The caller may confirm the mapping (and carry on the upload).
    pub may_confirm: bool,
    pub rejections: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetailView {
    pub project: ProjectHead,
    pub dataset: Dataset,
    /// Newest first.
    pub imports: Vec<ImportView>,
    pub can_write: bool,
}

/// The project's datasets with their newest import.
#[server(prefix = "/api")]
pub async fn load_datasets(slug: String) -> Result<DatasetsView, AppError> {
    use super::support::*;
    let (access, datasets) = services::datasets::list(&stores(), &request(), &slug).await.map_err(fail)?;
    Ok(DatasetsView { project: server::head(&access), can_write: access.role.allows(domain::ProjectRole::Editor), datasets })
}

/// One dataset, its imports, the mapping form of an import waiting for one and the first
/// rejected rows of finished imports.
#[server(prefix = "/api")]
pub async fn load_dataset(slug: String, id: String) -> Result<DatasetDetailView, AppError> {
    use super::support::*;
    let stores = stores();
    let ctx = request();
    let (access, dataset, imports) = services::datasets::detail(&stores, &ctx, &slug, &id).await.map_err(fail)?;
    // Uploaders by e-mail; someone who left the project shows as unknown.
    let members = services::projects::members(stores.primary.as_ref(), &ctx, &slug).await.map(|(_, m)| m).unwrap_or_default();
    let mut views = Vec::with_capacity(imports.len());
    for import in imports {
        let uploader = import.uploaded_by.as_ref().and_then(|u| members.iter().find(|m| &m.user_id == u)).map(|m| m.email.clone());
        let user_id = ctx.actor().map(|a| a.user_id.clone()).unwrap_or_default();
        let confirms = services::datasets::may_carry_on(&access, &import, &user_id);
        let mapping =
            (confirms && import.status == domain::datasets::ImportStatus::Mapping).then(|| server::mapping_form(&import)).flatten();
        let rejections = if import.rows_rejected > 0 && import.status.is_final() {
            match services::datasets::rejections_csv(&stores, &ctx, &slug, &import.id).await {
                Ok(stream) => server::first_rejections(stream, REJECTIONS_SHOWN).await,
                Err(e) => {
                    tracing::warn!(error = %e, import = %import.id, "rejected rows unreadable");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        views.push(ImportView { import, uploader, mapping, may_confirm: confirms, rejections });
    }
    Ok(DatasetDetailView {
        project: server::head(&access),
        can_write: access.role.allows(domain::ProjectRole::Editor),
        dataset,
        imports: views,
    })
}

/// Megabytes with one decimal ("< 0.1 MB" for a small file).
pub fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    match bytes {
        0 => "0 MB".into(),
        _ if mb < 0.05 => "< 0.1 MB".into(),
        _ => format!("{mb:.1} MB"),
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use services::{
        ledger::{ColumnMapping, DatasetSettings, LedgerField, Row, Sniffed},
        ports::ByteStream,
    };

    pub fn head(a: &services::authz::ProjectAccess) -> ProjectHead {
        ProjectHead { slug: a.project.slug.to_string(), name: a.project.name.clone(), role: a.role }
    }

    /// A field's name as the mapping form shows it.
    pub fn field_label(f: LedgerField) -> &'static str {
        match f {
            LedgerField::CompanyCode => "Company code",
            LedgerField::Entity => "Entity",
            LedgerField::Region => "Region",
            LedgerField::Department => "Department",
            LedgerField::Division => "Division",
            LedgerField::AccountGroup => "Account group",
            LedgerField::AccountCode => "Account code",
            LedgerField::AccountName => "Account name",
            LedgerField::Date => "Date",
            LedgerField::Month => "Month",
            LedgerField::Debit => "Debit",
            LedgerField::Credit => "Credit",
            LedgerField::Balance => "Balance / amount",
            LedgerField::Currency => "Currency",
            LedgerField::Description => "Description",
        }
    }

    fn form_value<T: Serialize>(v: &T) -> String {
        serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    #[derive(Deserialize)]
    struct PreviewJson {
        sniffed: Option<Sniffed>,
        #[serde(default)]
        sample: Vec<Row>,
    }

    /// The form for an import in status `mapping`; `None` when its proposed mapping is unreadable
    /// (the page then says so instead of offering a form that cannot work).
    pub fn mapping_form(import: &DatasetImport) -> Option<MappingForm> {
        let mapping: ColumnMapping = serde_json::from_value(import.mapping.clone()?).ok()?;
        let preview: PreviewJson = import
            .preview
            .clone()
            .and_then(|p| serde_json::from_value(p).ok())
            .unwrap_or(PreviewJson { sniffed: None, sample: Vec::new() });
        let settings: DatasetSettings = serde_json::from_value(import.settings.clone()).unwrap_or_default();
        let width = mapping.columns.iter().map(|c| c.index + 1).max().unwrap_or(0);
        let sample = preview
            .sample
            .iter()
            .map(|r| {
                let mut cells = vec![String::new(); width];
                for (i, c) in r.cells.iter().enumerate().take(width) {
                    cells[i] = c.to_text();
                }
                (r.number, cells)
            })
            .collect();
        Some(MappingForm {
            format: preview.sniffed.as_ref().map(|s| s.format.to_string()).unwrap_or_default(),
            extension_mismatch: preview.sniffed.and_then(|s| s.extension_mismatch),
            header_row: mapping.header_row,
            columns: mapping
                .columns
                .iter()
                .map(|c| MappingColumn {
                    index: c.index,
                    header: c.header.clone(),
                    field: c.field.map(|f| form_value(&f)).unwrap_or_default(),
                    confidence: c.confidence,
                })
                .collect(),
            fields: LedgerField::ALL.iter().map(|f| FieldChoice { value: form_value(f), label: field_label(*f).into() }).collect(),
            sample,
            notes: mapping.notes.clone(),
            date_order: form_value(&settings.date_order),
            decimal_separator: form_value(&settings.decimal_separator),
            company_code: settings.company_code.unwrap_or_default(),
            entity: settings.entity.unwrap_or_default(),
            currency: settings.currency.unwrap_or_default(),
        })
    }

    /// The first `limit` rows of the rejections CSV (`row,column,reason` with a header line),
    /// reading no more of the stream than that needs.
    pub async fn first_rejections(stream: ByteStream, limit: usize) -> Vec<RejectedRow> {
        // The stream is read through axum's body: this crate has no `futures` dependency.
        use leptos::server_fn::axum_export::body::{Body, HttpBody};
        let mut body = Body::from_stream(stream);
        let mut parser = CsvRecords::default();
        let mut out = Vec::new();
        while out.len() < limit {
            let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
            let bytes = match frame {
                Some(Ok(f)) => match f.into_data() {
                    Ok(b) => b,
                    Err(_) => continue,
                },
                _ => break,
            };
            for record in parser.push(&bytes) {
                out.push(record);
            }
        }
        out.extend(parser.finish());
        // The header line is the first record.
        if out.first().is_some_and(|r| r.row == "row") {
            out.remove(0);
        }
        out.truncate(limit);
        out
    }

    /// A small CSV reader for the three-column rejections file: quoted fields, doubled quotes and
    /// line breaks inside quotes, records split across stream chunks.
    #[derive(Default)]
    pub struct CsvRecords {
        pending: Vec<u8>,
    }

    impl CsvRecords {
        /// Complete records in `bytes` (and what came before); the rest waits for more.
        pub fn push(&mut self, bytes: &[u8]) -> Vec<RejectedRow> {
            self.pending.extend_from_slice(bytes);
            let mut out = Vec::new();
            let mut start = 0;
            while let Some((fields, used)) = parse_record(&self.pending[start..], false) {
                out.push(to_row(fields));
                start += used;
            }
            self.pending.drain(..start);
            out
        }

        /// The last record when the file does not end with a line break.
        pub fn finish(&mut self) -> Option<RejectedRow> {
            let rest = std::mem::take(&mut self.pending);
            parse_record(&rest, true).map(|(fields, _)| to_row(fields)).filter(|r| !(r.row.is_empty() && r.reason.is_empty()))
        }
    }

    fn to_row(mut fields: Vec<String>) -> RejectedRow {
        fields.resize(3, String::new());
        let reason = fields.pop().unwrap_or_default();
        let column = fields.pop().unwrap_or_default();
        let row = fields.pop().unwrap_or_default();
        RejectedRow { row, column, reason }
    }

    /// One record from the start of `data` and the bytes it used; `None` when it may continue
    /// beyond `data` (unless `at_end`).
    fn parse_record(data: &[u8], at_end: bool) -> Option<(Vec<String>, usize)> {
        if data.is_empty() {
            return None;
        }
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let mut quoted = false;
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if quoted {
                if b == b'"' {
                    if data.get(i + 1) == Some(&b'"') {
                        field.push(b'"');
                        i += 1;
                    } else if i + 1 == data.len() && !at_end {
                        return None; // a doubled quote may be split across chunks
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(b);
                }
            } else {
                match b {
                    b'"' => quoted = true,
                    b',' => fields.push(String::from_utf8_lossy(&std::mem::take(&mut field)).into_owned()),
                    b'\n' => {
                        if field.last() == Some(&b'\r') {
                            field.pop();
                        }
                        fields.push(String::from_utf8_lossy(&field).into_owned());
                        return Some((fields, i + 1));
                    }
                    _ => field.push(b),
                }
            }
            i += 1;
        }
        if at_end {
            fields.push(String::from_utf8_lossy(&field).into_owned());
            Some((fields, data.len()))
        } else {
            None
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_quoted_fields_across_chunks() {
            let mut p = CsvRecords::default();
            let mut rows = p.push(b"row,column,reason\n3,Debit,'x' is not a number\n4,\"Posting, Date\",\"said \"\"no\"\"");
            rows.extend(p.push(b"\nacross lines\"\n5,,blank row"));
            rows.extend(p.finish());
            let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r.row.as_str(), r.column.as_str(), r.reason.as_str())).collect();
            assert_eq!(
                got,
                vec![
                    ("row", "column", "reason"),
                    ("3", "Debit", "'x' is not a number"),
                    ("4", "Posting, Date", "said \"no\"\nacross lines"),
                    ("5", "", "blank row"),
                ]
            );
        }

        #[test]
        fn a_quote_split_at_a_chunk_end_waits() {
            let mut p = CsvRecords::default();
            assert!(p.push(b"1,a,\"x\"").is_empty());
            let rows = p.push(b"\"y\"\n");
            assert_eq!(rows[0].reason, "x\"y");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::megabytes;

    #[test]
    fn sizes_in_megabytes() {
        assert_eq!(megabytes(0), "0 MB");
        assert_eq!(megabytes(10), "< 0.1 MB");
        assert_eq!(megabytes(60 * 1024), "0.1 MB");
        assert_eq!(megabytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MB");
    }
}
