//! Datasets (issue 5): a named set of ledger records in a project, filled by imports of uploaded
//! files. An import walks uploading → analysing → mapping → queued → importing → completed | failed;
//! its rows become visible in dashboards only when it completes.

use serde::{Deserialize, Serialize};

/// How an import changes its dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// The first import of a new dataset.
    Create,
    /// Rows join the dataset's rows.
    Append,
    /// Rows become the dataset's only rows.
    Replace,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Create => "create",
            ImportMode::Append => "append",
            ImportMode::Replace => "replace",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "create" => ImportMode::Create,
            "append" => ImportMode::Append,
            "replace" => ImportMode::Replace,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Chunks are arriving.
    Uploading,
    /// The whole file is here; a job assembles it and proposes a column mapping.
    Analysing,
    /// Waiting for a person to confirm the mapping.
    Mapping,
    /// Mapping confirmed; the import job is waiting for a worker.
    Queued,
    Importing,
    /// Rows written, being made visible (a retry after a crash here only re-commits).
    Committing,
    Completed,
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Uploading => "uploading",
            ImportStatus::Analysing => "analysing",
            ImportStatus::Mapping => "mapping",
            ImportStatus::Queued => "queued",
            ImportStatus::Importing => "importing",
            ImportStatus::Committing => "committing",
            ImportStatus::Completed => "completed",
            ImportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "uploading" => ImportStatus::Uploading,
            "analysing" => ImportStatus::Analysing,
            "mapping" => ImportStatus::Mapping,
            "queued" => ImportStatus::Queued,
            "importing" => ImportStatus::Importing,
            "committing" => ImportStatus::Committing,
            "completed" => ImportStatus::Completed,
            "failed" => ImportStatus::Failed,
            _ => return None,
        })
    }

    /// Completed or failed: nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, ImportStatus::Completed | ImportStatus::Failed)
    }

    /// A worker may be writing its rows right now.
    pub fn is_busy(self) -> bool {
        matches!(self, ImportStatus::Analysing | ImportStatus::Queued | ImportStatus::Importing | ImportStatus::Committing)
    }

    /// Shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ImportStatus::Uploading => "Uploading",
            ImportStatus::Analysing => "Analysing the file",
            ImportStatus::Mapping => "Waiting for the column mapping",
            ImportStatus::Queued => "Queued",
            ImportStatus::Importing => "Importing",
            ImportStatus::Committing => "Finishing",
            ImportStatus::Completed => "Completed",
            ImportStatus::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// Rows visible in dashboards (accepted rows of the completed imports since the last replace).
    pub rows: u64,
    /// Bytes of the files behind those rows.
    pub size_bytes: u64,
    pub created_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One uploaded file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetImport {
    pub id: String,
    pub project_id: String,
    pub dataset_id: String,
    pub mode: ImportMode,
    pub status: ImportStatus,
    pub file_name: String,
    pub size_bytes: u64,
    pub chunk_size: u64,
    /// Chunks 0..chunks_received are stored (each acknowledged).
    pub chunks_received: u32,
    pub bytes_received: u64,
    /// `ledger::DatasetSettings` as JSON (the domain crate does not know the parser).
    pub settings: serde_json::Value,
    /// The proposed mapping after analysis, the confirmed one after that (`ledger::ColumnMapping`).
    pub mapping: Option<serde_json::Value>,
    /// Sniffed format and a few sample rows for the mapping page (`ledger::Preview` minus the mapping).
    pub preview: Option<serde_json::Value>,
    /// The id the rows are written under in the analytics store (one per attempt).
    pub analytics_import_id: Option<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Why it failed, in words a person understands.
    pub error: Option<String>,
    pub uploaded_by: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

impl DatasetImport {
    /// Chunks a file of this size is cut into.
    pub fn chunk_count(&self) -> u32 {
        chunk_count(self.size_bytes, self.chunk_size)
    }

    /// Size of chunk `index`: `chunk_size`, except the last one.
    pub fn chunk_len(&self, index: u32) -> Option<u64> {
        (index < self.chunk_count()).then(|| self.chunk_size.min(self.size_bytes - u64::from(index) * self.chunk_size))
    }
}

pub fn chunk_count(size: u64, chunk_size: u64) -> u32 {
    size.div_ceil(chunk_size.max(1)) as u32
}

/// A dataset with its newest import and who uploaded it, for the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetListing {
    pub dataset: Dataset,
    pub latest: Option<DatasetImport>,
    pub uploader_email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in [ImportMode::Create, ImportMode::Append, ImportMode::Replace] {
            assert_eq!(ImportMode::parse(m.as_str()), Some(m));
        }
        for s in [
            ImportStatus::Uploading,
            ImportStatus::Analysing,
            ImportStatus::Mapping,
            ImportStatus::Queued,
            ImportStatus::Importing,
            ImportStatus::Committing,
            ImportStatus::Completed,
            ImportStatus::Failed,
        ] {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ImportStatus::parse("done"), None);
    }

    #[test]
    fn chunks_cover_the_file_exactly() {
        assert_eq!(chunk_count(0, 4), 0);
        assert_eq!(chunk_count(8, 4), 2);
        assert_eq!(chunk_count(9, 4), 3);
        let import = DatasetImport {
            id: "i".into(),
            project_id: "p".into(),
            dataset_id: "d".into(),
            mode: ImportMode::Create,
            status: ImportStatus::Uploading,
            file_name: "f.csv".into(),
            size_bytes: 9,
            chunk_size: 4,
            chunks_received: 0,
            bytes_received: 0,
            settings: serde_json::json!({}),
            mapping: None,
            preview: None,
            analytics_import_id: None,
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            error: None,
            uploaded_by: None,
            created_at_ms: 0,
            updated_at_ms: 0,
            finished_at_ms: None,
        };
        assert_eq!(import.chunk_len(0), Some(4));
        assert_eq!(import.chunk_len(2), Some(1));
        assert_eq!(import.chunk_len(3), None);
    }
}
