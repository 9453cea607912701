//! The knowledge base in the primary store: drafts, releases (numbered snapshots), imports and
//! the index record of each release. Every method is scoped by project: an id of another
//! project is as unknown as a missing one.

use super::ProjectId;
use crate::error::StoreResult;
use async_trait::async_trait;
use domain::kb::{Draft, EntryKey, EntryKind, ImportStatus, KbImport, KbIndexRecord, Release, ReleaseEntry};
pub use domain::kb::{KbSettings, ReleaseHeader};

/// Which drafts [`KbRepo::list_drafts`] returns; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftFilter {
    /// `DraftStatus::as_str()` values; empty: every status.
    pub statuses: Vec<String>,
    pub author_id: Option<String>,
    pub key: Option<EntryKey>,
    pub limit: u32,
    pub offset: u32,
}

/// Which entries of a release [`KbRepo::release_entries`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub kind: Option<EntryKind>,
    /// Entries whose key contains this (ASCII case-insensitive).
    pub search: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[async_trait]
pub trait KbRepo {
    /// Defaults when the project never saved any. `NotFound` for an unknown project on save.
    async fn kb_settings(&self, project_id: &ProjectId) -> StoreResult<KbSettings>;
    async fn set_kb_settings(&self, project_id: &ProjectId, settings: &KbSettings) -> StoreResult<()>;

    /// All or nothing (an import makes thousands at once). `NotFound` for an unknown project,
    /// `Conflict` when an id exists.
    async fn insert_drafts(&self, drafts: &[Draft]) -> StoreResult<()>;
    async fn draft(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<Draft>>;
    /// Write every field of `draft` but its identity, author and creation time if its stored
    /// version is still `expected_version` (the caller bumped it). `Conflict` when the version
    /// differs, `NotFound` for no such draft.
    async fn update_draft(&self, draft: &Draft, expected_version: u64) -> StoreResult<()>;
    /// Most recently updated first, one page.
    async fn list_drafts(&self, project_id: &ProjectId, filter: &DraftFilter) -> StoreResult<Vec<Draft>>;

    /// Publish atomically: the release with all its entries, and each draft written as given
    /// if its stored version is still the paired expected version. Nothing is written when the
    /// release number exists (`Conflict`: another publish won) or a draft moved (`Conflict`).
    /// Release `n` must follow the latest (or be 1): `Conflict` otherwise. `NotFound` for an
    /// unknown project or draft; `Invalid` when the release holds a key twice, a draft is of
    /// another project or listed twice, or an entry's `content_hash` is not its content's
    /// (checked where the latest release holds no such hash: entries are stored once per hash).
    async fn publish_release(&self, release: &Release, drafts: &[(Draft, u64)]) -> StoreResult<()>;
    async fn latest_release(&self, project_id: &ProjectId) -> StoreResult<Option<ReleaseHeader>>;
    /// Newest first; `before`: only numbers below it.
    async fn list_releases(&self, project_id: &ProjectId, before: Option<u64>, limit: u32) -> StoreResult<Vec<ReleaseHeader>>;
    /// The whole snapshot, entries sorted by key.
    async fn release(&self, project_id: &ProjectId, number: u64) -> StoreResult<Option<Release>>;
    /// One page of a release's entries sorted by key, and how many match in all.
    async fn release_entries(&self, project_id: &ProjectId, number: u64, filter: &EntryFilter) -> StoreResult<(Vec<ReleaseEntry>, u64)>;
    async fn release_entry(&self, project_id: &ProjectId, number: u64, key: &EntryKey) -> StoreResult<Option<ReleaseEntry>>;

    /// `NotFound` for an unknown project, `Conflict` when the id exists.
    async fn insert_kb_import(&self, import: &KbImport) -> StoreResult<()>;
    async fn kb_import(&self, project_id: &ProjectId, id: &str) -> StoreResult<Option<KbImport>>;
    /// Write every field but identity, file and creator if the stored status is still
    /// `expected` (compare-and-set). `Conflict` / `NotFound`.
    async fn update_kb_import(&self, import: &KbImport, expected: ImportStatus) -> StoreResult<()>;
    /// Newest first.
    async fn list_kb_imports(&self, project_id: &ProjectId, limit: u32) -> StoreResult<Vec<KbImport>>;

    /// Insert or replace the index record of `(project, release)`. `NotFound` for an unknown
    /// project or release.
    async fn put_kb_index(&self, record: &KbIndexRecord) -> StoreResult<()>;
    async fn kb_index(&self, project_id: &ProjectId, release: u64) -> StoreResult<Option<KbIndexRecord>>;
}
