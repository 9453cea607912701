//! A fresh, empty blob store per test.

use async_trait::async_trait;
use blob::{LocalBlobStore, S3BlobStore, S3Config};
use domain::BlobKey;
use services::{
    error::StoreResult,
    ports::{BlobBody, BlobMeta, BlobStore, ByteRange, ByteStream, DownloadUrl},
};
use std::{sync::Arc, time::Duration};
use tempfile::TempDir;

/// A new temporary folder, removed with the store.
pub async fn local_blob() -> Arc<dyn BlobStore> {
    let dir = tempfile::Builder::new().prefix("ed-blobs-").tempdir().expect("temporary folder");
    let store = LocalBlobStore::new(dir.path().join("blobs"));
    Arc::new(LocalInTempDir { store, _dir: dir })
}

/// A new bucket on the S3 server at `ED_TEST_S3_ENDPOINT` with the keys in
/// `ED_TEST_S3_ACCESS_KEY` / `ED_TEST_S3_SECRET_KEY` (path-style; region from
/// `ED_TEST_S3_REGION`, us-east-1 when unset); fails when they are not set. Keys go below a prefix, as a
/// deployment sharing a bucket would have them.
pub async fn s3_blob() -> Arc<dyn BlobStore> {
    let config = S3Config {
        endpoint: Some(crate::required_env("ED_TEST_S3_ENDPOINT")),
        region: std::env::var("ED_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".into()),
        // Bucket names allow lowercase letters, digits and `-` only.
        bucket: crate::unique_name("ed-test").replace('_', "-"),
        prefix: Some("elasticdash/".into()),
        access_key_id: crate::required_env("ED_TEST_S3_ACCESS_KEY"),
        secret_access_key: crate::required_env("ED_TEST_S3_SECRET_KEY"),
        path_style: true,
    };
    let store = S3BlobStore::new(config);
    store.migrate().await.expect("create the test bucket on ED_TEST_S3_ENDPOINT");
    Arc::new(store)
}

/// The local store whose folder is deleted when it is dropped.
struct LocalInTempDir {
    store: LocalBlobStore,
    _dir: TempDir,
}

#[async_trait]
impl BlobStore for LocalInTempDir {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.store.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }
    async fn put(&self, key: &BlobKey, body: ByteStream, content_type: Option<&str>) -> StoreResult<BlobMeta> {
        self.store.put(key, body, content_type).await
    }
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> StoreResult<BlobBody> {
        self.store.get(key, range).await
    }
    async fn head(&self, key: &BlobKey) -> StoreResult<BlobMeta> {
        self.store.head(key).await
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<BlobMeta>> {
        self.store.list(prefix).await
    }
    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        self.store.delete(key).await
    }
    async fn download_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<DownloadUrl> {
        self.store.download_url(key, expires_in).await
    }
}
