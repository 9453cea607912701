//! The knowledge base's background work as people follow it: imports of an OpenAPI document
//! or SQL DDL (parsed by a worker job into a preview), and the retrieval index of a release.

use serde::{Deserialize, Serialize};

/// What an uploaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// OpenAPI 3.0 / 3.1 or Swagger 2.0, JSON or YAML.
    OpenApi,
    DdlPostgres,
    DdlMysql,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::OpenApi => "openapi",
            ImportFormat::DdlPostgres => "ddl_postgres",
            ImportFormat::DdlMysql => "ddl_mysql",
        }
    }

    pub fn parse(s: &str) -> Option<ImportFormat> {
        [ImportFormat::OpenApi, ImportFormat::DdlPostgres, ImportFormat::DdlMysql].into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportFormat::OpenApi => "OpenAPI / Swagger",
            ImportFormat::DdlPostgres => "SQL DDL (PostgreSQL)",
            ImportFormat::DdlMysql => "SQL DDL (MySQL)",
        }
    }
}

/// queued → parsing → ready (preview shown) → applied (drafts made), or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Queued,
    Parsing,
    Ready,
    Applied,
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Parsing => "parsing",
            ImportStatus::Ready => "ready",
            ImportStatus::Applied => "applied",
            ImportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ImportStatus> {
        [ImportStatus::Queued, ImportStatus::Parsing, ImportStatus::Ready, ImportStatus::Applied, ImportStatus::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// Still moving: the page follows it.
    pub fn is_active(self) -> bool {
        matches!(self, ImportStatus::Queued | ImportStatus::Parsing)
    }
}

/// One import of a file into the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbImport {
    pub id: String,
    pub project_id: String,
    pub format: ImportFormat,
    pub file_name: String,
    /// The uploaded file in the blob store.
    pub blob_key: String,
    pub size_bytes: u64,
    pub status: ImportStatus,
    /// Progress of parsing: entries read so far of `total` (0 when unknown).
    pub done: u64,
    pub total: u64,
    /// Why it failed, naming the JSON pointer or line.
    pub error: Option<String>,
    /// What was skipped or kept as is (unknown statements, remote `$ref`s).
    pub warnings: Vec<String>,
    /// The parsed entries (JSON array of `Entry`) in the blob store, once ready.
    pub result_blob_key: Option<String>,
    /// How many entries the file holds, once ready.
    pub entries: u64,
    /// Drafts made from it, once applied.
    pub drafts_made: u64,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// queued → building → ready, or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexStatus {
    Queued,
    Building,
    Ready,
    Failed,
}

impl IndexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Queued => "queued",
            IndexStatus::Building => "building",
            IndexStatus::Ready => "ready",
            IndexStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<IndexStatus> {
        [IndexStatus::Queued, IndexStatus::Building, IndexStatus::Ready, IndexStatus::Failed].into_iter().find(|x| x.as_str() == s)
    }
}

/// The retrieval index of one release: an immutable artifact in the blob store, so every app
/// server loads the same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KbIndexRecord {
    pub project_id: String,
    pub release: u64,
    pub status: IndexStatus,
    /// Chunks indexed so far of `total`.
    pub done: u64,
    pub total: u64,
    pub blob_key: Option<String>,
    /// The embeddings model and dimension when the index has vectors.
    pub vector_model: Option<String>,
    pub dimensions: Option<u32>,
    pub error: Option<String>,
    pub updated_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in [ImportFormat::OpenApi, ImportFormat::DdlPostgres, ImportFormat::DdlMysql] {
            assert_eq!(ImportFormat::parse(f.as_str()), Some(f));
        }
        for s in [ImportStatus::Queued, ImportStatus::Parsing, ImportStatus::Ready, ImportStatus::Applied, ImportStatus::Failed] {
            assert_eq!(ImportStatus::parse(s.as_str()), Some(s));
        }
        for s in [IndexStatus::Queued, IndexStatus::Building, IndexStatus::Ready, IndexStatus::Failed] {
            assert_eq!(IndexStatus::parse(s.as_str()), Some(s));
        }
        assert!(ImportStatus::Parsing.is_active() && !ImportStatus::Ready.is_active());
    }
}
