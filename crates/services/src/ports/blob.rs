use crate::error::StoreResult;
use async_trait::async_trait;
use bytes::Bytes;
use domain::BlobKey;
use futures::stream::BoxStream;
use std::time::Duration;

pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: BlobKey,
    pub size: u64,
    pub content_type: Option<String>,
}

/// Inclusive byte range, as in HTTP `Range: bytes=start-end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// `None` means to the end.
    pub end: Option<u64>,
}

pub struct BlobBody {
    pub meta: BlobMeta,
    pub stream: ByteStream,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadUrl {
    /// A time-limited URL the browser can fetch directly (S3).
    Presigned(String),
    /// No direct URL: the app streams the blob itself (local folder).
    Proxied,
}

/// Files: uploaded originals, large payloads, exports. A local folder by
/// default, any S3-compatible server when scaled out.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// "file" or "s3".
    fn backend(&self) -> &'static str;
    /// Prepare the store (create the folder or the bucket when missing).
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    /// Stream `body` into `key`, replacing it. Nothing is visible under `key`
    /// until the whole body has been written.
    async fn put(&self, key: &BlobKey, body: ByteStream, content_type: Option<&str>) -> StoreResult<BlobMeta>;
    /// `NotFound` for a missing key, `Invalid` for a range past the end. For
    /// a range read, `meta.size` is still the whole blob's size (for
    /// `Content-Range`).
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> StoreResult<BlobBody>;
    async fn head(&self, key: &BlobKey) -> StoreResult<BlobMeta>;
    /// Keys starting with `prefix`, sorted (without content types: S3's
    /// listing does not return them).
    async fn list(&self, prefix: &str) -> StoreResult<Vec<BlobMeta>>;
    /// Deleting a missing key is not an error.
    async fn delete(&self, key: &BlobKey) -> StoreResult<()>;
    async fn download_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<DownloadUrl>;
}
