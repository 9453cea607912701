//! Blobs in an S3-compatible bucket (AWS, MinIO, R2, s3s...).
//!
//! Keys are stored as `<prefix><key>`. Uploads stream: bodies up to
//! [`SINGLE_PUT_MAX`] go in a single PutObject (an upload chunk is one request, not a
//! three-request multipart upload), larger ones as a multipart upload holding one
//! part in memory at a time; an upload that fails (or is
//! cancelled) is aborted, and S3 shows nothing under the key until it completes.

use crate::{body_failed, check_content_type, check_range};
use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sdk_s3::{
    config::{http::HttpResponse, BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation},
    error::{ProvideErrorMetadata, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream as S3ByteStream,
    types::{BucketLocationConstraint, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration},
    Client,
};
use aws_smithy_types::{error::display::DisplayErrorContext, timeout::TimeoutConfig};
use bytes::{Bytes, BytesMut};
use domain::{blob_key::valid_prefix, BlobKey};
use futures::StreamExt;
use services::{
    error::StoreResult,
    ports::{BlobBody, BlobMeta, BlobStore, ByteRange, ByteStream, DownloadUrl},
    StoreError,
};
use std::{fmt, time::Duration};

/// Size of each multipart part (S3 wants at least 5 MiB for all but the last).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Largest body sent as one PutObject: above the default dataset chunk (8 MiB) so a chunk is one
/// request.
pub const SINGLE_PUT_MAX: usize = 16 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the bucket is and the static keys to reach it.
#[derive(Clone)]
pub struct S3Config {
    /// Custom endpoint (MinIO, R2, s3s...); `None` for AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    /// Folder inside the bucket for all keys, e.g. `elasticdash/`.
    pub prefix: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `http://host/bucket/key` instead of `http://bucket.host/key` (MinIO, s3s).
    pub path_style: bool,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// The blob store on an S3-compatible server.
#[derive(Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    /// Empty, or ends in `/`.
    prefix: String,
    region: String,
}

impl fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3BlobStore").field("bucket", &self.bucket).field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl S3BlobStore {
    /// Build the client (no request is made; `ping()` checks the bucket). The
    /// prefix is used as a folder: `app`, `app/` and `/app/` all mean `app/`.
    pub fn new(config: S3Config) -> Self {
        let prefix = match config.prefix.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => String::new(),
            Some(p) => format!("{p}/"),
        };
        let credentials = Credentials::new(config.access_key_id, config.secret_access_key, None, None, "elasticdash-config");
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(config.path_style)
            // Checksums only where S3 requires them: S3-compatible servers vary
            // in their support for the newer default (CRC32 on every upload).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(TimeoutConfig::builder().connect_timeout(CONNECT_TIMEOUT).read_timeout(READ_TIMEOUT).build());
        if let Some(endpoint) = config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self { client: Client::from_conf(builder.build()), bucket: config.bucket, prefix, region: config.region }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Create the bucket unless it exists (for tests and `migrate`).
    pub async fn create_bucket_if_missing(&self) -> StoreResult<()> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {}
            Err(e) => return Err(map_sdk_error(e, "HeadBucket")),
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        // us-east-1 is the default location and must not be named.
        if !self.region.is_empty() && self.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(self.region.as_str())).build(),
            );
        }
        match create.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_bucket_already_owned_by_you()) => Ok(()),
            Err(e) => Err(map_sdk_error(e, "CreateBucket")),
        }
    }

    fn object_key(&self, key: &BlobKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    async fn put_single(&self, object_key: &str, body: Bytes, content_type: Option<&str>) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(object_key)
            .set_content_type(content_type.map(str::to_owned))
            .content_length(body.len() as i64)
            .body(S3ByteStream::from(body))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "PutObject"))?;
        Ok(())
    }

    /// Upload what `buf` already holds and the rest of `body` as a multipart
    /// upload, one part in memory at a time; aborted on any failure.
    async fn put_multipart(
        &self,
        object_key: &str,
        mut buf: BytesMut,
        mut body: ByteStream,
        content_type: Option<&str>,
    ) -> StoreResult<u64> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(object_key)
            .set_content_type(content_type.map(str::to_owned))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "CreateMultipartUpload"))?;
        let upload_id = created.upload_id().ok_or_else(|| StoreError::Internal("S3 CreateMultipartUpload returned no upload id".into()))?;
        let mut upload = MultipartUpload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: object_key.to_owned(),
            upload_id: upload_id.to_owned(),
            parts: Vec::new(),
            finished: false,
        };
        let mut size = 0u64;
        let mut ended = false;
        let result: StoreResult<()> = async {
            loop {
                while buf.len() >= PART_SIZE {
                    let part = buf.split_to(PART_SIZE).freeze();
                    size += part.len() as u64;
                    upload.send_part(part).await?;
                }
                if ended {
                    if !buf.is_empty() || upload.parts.is_empty() {
                        let part = buf.split().freeze();
                        size += part.len() as u64;
                        upload.send_part(part).await?;
                    }
                    return Ok(());
                }
                ended = fill(&mut body, &mut buf, PART_SIZE).await?;
            }
        }
        .await;
        match result {
            Ok(()) => {
                upload.complete().await?;
                Ok(size)
            }
            Err(e) => {
                upload.abort().await;
                Err(e)
            }
        }
    }
}

/// Read `body` into `buf` until it holds at least `target` bytes; `true` when
/// the body has ended.
async fn fill(body: &mut ByteStream, buf: &mut BytesMut, target: usize) -> StoreResult<bool> {
    while buf.len() < target {
        match body.next().await {
            Some(chunk) => buf.extend_from_slice(&chunk.map_err(body_failed)?),
            None => return Ok(true),
        }
    }
    Ok(false)
}

/// An open multipart upload; aborted when dropped unfinished (a cancelled
/// `put`), so its parts do not linger in the bucket.
struct MultipartUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    finished: bool,
}

impl MultipartUpload {
    async fn send_part(&mut self, part: Bytes) -> StoreResult<()> {
        let number = self.parts.len() as i32 + 1;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .content_length(part.len() as i64)
            .body(S3ByteStream::from(part))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "UploadPart"))?;
        self.parts.push(CompletedPart::builder().set_e_tag(out.e_tag).part_number(number).build());
        Ok(())
    }

    async fn complete(mut self) -> StoreResult<()> {
        let parts = CompletedMultipartUpload::builder().set_parts(Some(std::mem::take(&mut self.parts))).build();
        let result = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(parts)
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "CompleteMultipartUpload"));
        if result.is_ok() {
            self.finished = true;
        }
        result.map(|_| ())
    }

    async fn abort(mut self) {
        self.finished = true;
        let aborted = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(&self.upload_id).send().await;
        if let Err(e) = aborted {
            tracing::warn!(key = %self.key, error = %DisplayErrorContext(&e), "could not abort an S3 multipart upload");
        }
    }
}

impl Drop for MultipartUpload {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let abort = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(&self.upload_id);
            runtime.spawn(async move {
                let _ = abort.send().await;
            });
        }
    }
}

/// Convert an SDK error by its kind, HTTP status and S3 error code (never by
/// message text): 404 → `NotFound`, 416 → `Invalid`, network and timeouts and
/// 5xx → `Unavailable`, 403 → `Internal` naming the likely cause.
fn map_sdk_error<E>(err: SdkError<E, HttpResponse>, operation: &str) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let detail = || format!("S3 {operation}: {}", DisplayErrorContext(&err));
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => StoreError::Unavailable(detail()),
        SdkError::ServiceError(_) => match (status, code.as_deref()) {
            (_, Some("NoSuchBucket")) => StoreError::Internal(format!("S3 {operation}: the bucket does not exist")),
            (Some(404), _) | (_, Some("NoSuchKey")) => StoreError::NotFound,
            (Some(416), _) | (_, Some("InvalidRange")) => StoreError::Invalid(format!("S3 {operation}: the byte range is not satisfiable")),
            (Some(403), _) => StoreError::Internal(format!(
                "S3 {operation}: access denied (403); check the access key, the secret key, the clock and the bucket policy"
            )),
            (Some(s), _) if s >= 500 => StoreError::Unavailable(detail()),
            _ => StoreError::Internal(detail()),
        },
        _ => StoreError::Internal(detail()),
    }
}

/// "bytes 0-9/100" → 100.
fn total_from_content_range(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/').and_then(|(_, total)| total.trim().parse().ok())
}

fn non_negative(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.create_bucket_if_missing().await
    }

    async fn ping(&self) -> StoreResult<()> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                Err(StoreError::Internal(format!("S3 bucket {} does not exist (run `migrate` to create it)", self.bucket)))
            }
            Err(e) => Err(map_sdk_error(e, "HeadBucket")),
        }
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, body: ByteStream, content_type: Option<&str>) -> StoreResult<BlobMeta> {
        check_content_type(content_type)?;
        let object_key = self.object_key(key);
        let mut body = body;
        let mut buf = BytesMut::new();
        let ended = fill(&mut body, &mut buf, SINGLE_PUT_MAX).await?;
        let size = if ended && buf.len() < SINGLE_PUT_MAX {
            let size = buf.len() as u64;
            self.put_single(&object_key, buf.freeze(), content_type).await?;
            size
        } else {
            self.put_multipart(&object_key, buf, body, content_type).await?
        };
        Ok(BlobMeta { key: key.clone(), size, content_type: content_type.map(str::to_owned) })
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> StoreResult<BlobBody> {
        check_range(range)?;
        let header = range.map(|r| match r.end {
            Some(end) => format!("bytes={}-{end}", r.start),
            None => format!("bytes={}-", r.start),
        });
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .set_range(header)
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "GetObject"))?;
        let size = match (range, out.content_range()) {
            (Some(_), Some(content_range)) => total_from_content_range(content_range)
                .ok_or_else(|| StoreError::Internal(format!("S3 GetObject: unreadable Content-Range {content_range:?}")))?,
            _ => non_negative(out.content_length()),
        };
        let meta = BlobMeta { key: key.clone(), size, content_type: out.content_type().map(str::to_owned) };
        let stream = futures::stream::try_unfold(out.body, |mut body| async move {
            match body.try_next().await {
                Ok(Some(bytes)) => Ok(Some((bytes, body))),
                Ok(None) => Ok(None),
                Err(e) => Err(std::io::Error::other(e)),
            }
        })
        .boxed();
        Ok(BlobBody { meta, stream })
    }

    async fn head(&self, key: &BlobKey) -> StoreResult<BlobMeta> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "HeadObject"))?;
        Ok(BlobMeta { key: key.clone(), size: non_negative(out.content_length()), content_type: out.content_type().map(str::to_owned) })
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<BlobMeta>> {
        if !valid_prefix(prefix) {
            return Err(StoreError::Invalid(format!("{prefix:?} is not a valid blob key prefix")));
        }
        let mut pages =
            self.client.list_objects_v2().bucket(&self.bucket).prefix(format!("{}{prefix}", self.prefix)).into_paginator().send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| map_sdk_error(e, "ListObjectsV2"))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(self.prefix.as_str())) else { continue };
                // Objects written by other tools may not be valid keys: not ours.
                let Ok(key) = BlobKey::parse(key) else { continue };
                found.push(BlobMeta { key, size: non_negative(object.size()), content_type: None });
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(|e| map_sdk_error(e, "DeleteObject"))
        {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn download_url(&self, key: &BlobKey, expires_in: Duration) -> StoreResult<DownloadUrl> {
        let presigning =
            PresigningConfig::expires_in(expires_in).map_err(|e| StoreError::Invalid(format!("presigned URL lifetime: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .presigned(presigning)
            .await
            .map_err(|e| map_sdk_error(e, "presign GetObject"))?;
        Ok(DownloadUrl::Presigned(request.uri().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(prefix: Option<&str>) -> S3Config {
        S3Config {
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            bucket: "b".into(),
            prefix: prefix.map(str::to_owned),
            access_key_id: "AK".into(),
            secret_access_key: "very-secret".into(),
            path_style: true,
        }
    }

    #[test]
    fn prefixes_are_normalised_to_a_folder() {
        assert_eq!(S3BlobStore::new(config(None)).prefix, "");
        assert_eq!(S3BlobStore::new(config(Some("/"))).prefix, "");
        assert_eq!(S3BlobStore::new(config(Some("app"))).prefix, "app/");
        assert_eq!(S3BlobStore::new(config(Some("/app/x/"))).prefix, "app/x/");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_unavailable() {
        let store = S3BlobStore::new(config(None));
        assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))), "ping");
        let key = BlobKey::parse("a").unwrap();
        assert!(matches!(store.head(&key).await, Err(StoreError::Unavailable(_))), "head");
    }

    #[test]
    fn the_secret_is_not_debug_printed() {
        assert!(!format!("{:?}", config(None)).contains("very-secret"));
    }

    #[test]
    fn content_range_gives_the_total_size() {
        assert_eq!(total_from_content_range("bytes 0-9/100"), Some(100));
        assert_eq!(total_from_content_range("bytes 0-9/*"), None);
    }
}
