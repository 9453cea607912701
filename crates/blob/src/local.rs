//! Blobs as plain files below a folder.
//!
//! Layout: the blob `a/b/c.csv` is the file `ROOT/a/b/c.csv`, byte for byte.
//! Its content type, when one was given, is kept in the sidecar file
//! `ROOT/a/b/c.csv~type` (one line, the type). Uploads are written to
//! `ROOT/a/b/~tmp-<uuid>` and renamed over the key once complete, so readers see
//! the old blob or the new one, never a partial one. `~` cannot occur in a key
//! (`BlobKey`), so sidecars and temporary files never collide with blobs and
//! `list` skips them. Folders left empty by `delete` are removed.
//!
//! Limits of a file system that S3 does not have: a key cannot be both a blob
//! and a "folder" of other blobs (`a` and `a/b`: `Conflict`), and a key segment
//! longer than [`MAX_SEGMENT_LEN`] bytes is `Invalid` (file names are limited to 255).

use crate::{body_failed, check_content_type, check_range};
use async_trait::async_trait;
use domain::{blob_key::valid_prefix, BlobKey};
use futures::StreamExt;
use services::{
    error::StoreResult,
    ports::{BlobBody, BlobMeta, BlobStore, ByteRange, ByteStream, DownloadUrl},
    StoreError,
};
use std::{
    io::{self, ErrorKind, SeekFrom},
    path::{Component, Path, PathBuf},
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

/// Longest key segment stored (leaves room for the `~type` sidecar suffix).
pub const MAX_SEGMENT_LEN: usize = 240;
const SIDECAR_SUFFIX: &str = "~type";
const TEMP_PREFIX: &str = "~tmp-";
/// Write and read buffers.
const BUFFER_SIZE: usize = 256 * 1024;

/// The blob store on a local folder (the embedded default).
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// Blobs live below `root`, which is created on first use.
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`: the root joined with the key's segments, each checked
    /// again to be a plain name so no key can reach outside the root.
    fn path_of(&self, key: &BlobKey) -> StoreResult<PathBuf> {
        let mut path = self.root.clone();
        for segment in key.as_str().split('/') {
            let plain = Path::new(segment).components().collect::<Vec<_>>();
            if !matches!(plain.as_slice(), [Component::Normal(_)]) || segment.contains(['~', '\\']) {
                return Err(StoreError::Invalid(format!("blob key {key} has a segment that is not a plain file name")));
            }
            if segment.len() > MAX_SEGMENT_LEN {
                return Err(StoreError::Invalid(format!("blob key {key} has a segment longer than {MAX_SEGMENT_LEN} bytes")));
            }
            path.push(segment);
        }
        Ok(path)
    }
}

fn sidecar_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().expect("a blob path ends in a file name").to_os_string();
    name.push(SIDECAR_SUFFIX);
    path.with_file_name(name)
}

/// Convert an I/O error by kind.
fn io_error(e: io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::NotFound => StoreError::NotFound,
        ErrorKind::NotADirectory | ErrorKind::IsADirectory | ErrorKind::DirectoryNotEmpty | ErrorKind::AlreadyExists => {
            StoreError::Conflict(format!("a blob key and a folder of blobs collide: {e}"))
        }
        ErrorKind::InvalidFilename | ErrorKind::InvalidInput => StoreError::Invalid(e.to_string()),
        ErrorKind::StorageFull | ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::WouldBlock => {
            StoreError::Unavailable(format!("blob folder: {e}"))
        }
        _ => StoreError::Internal(format!("blob folder: {e}")),
    }
}

/// While writing, a missing file or folder is not the caller's `NotFound`.
fn write_error(e: io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::NotFound => StoreError::Internal(format!("blob folder: {e}")),
        _ => io_error(e),
    }
}

/// A temporary file removed when dropped unless it was renamed into place,
/// so a failed or cancelled upload leaves nothing behind.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn new(dir: &Path) -> Self {
        Self { path: dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple())), keep: false }
    }

    async fn persist(mut self, to: &Path) -> io::Result<()> {
        tokio::fs::rename(&self.path, to).await?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Create `dir` and open a fresh temporary file in it. Retried because a
/// concurrent `delete` may remove the (momentarily empty) folder in between.
async fn create_temp(dir: &Path) -> StoreResult<(TempFile, tokio::fs::File)> {
    let mut attempts = 0;
    loop {
        tokio::fs::create_dir_all(dir).await.map_err(write_error)?;
        let temp = TempFile::new(dir);
        match tokio::fs::OpenOptions::new().write(true).create_new(true).open(&temp.path).await {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == ErrorKind::NotFound && attempts < 3 => attempts += 1,
            Err(e) => return Err(write_error(e)),
        }
    }
}

async fn read_content_type(path: &Path) -> StoreResult<Option<String>> {
    match tokio::fs::read_to_string(sidecar_of(path)).await {
        Ok(ct) => Ok(Some(ct.trim_end().to_owned()).filter(|ct| !ct.is_empty())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(e)),
    }
}

async fn remove_if_present(path: &Path) -> StoreResult<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(e)),
    }
}

/// The size of the blob file at `path`; a folder is not a blob.
async fn blob_size(path: &Path) -> StoreResult<u64> {
    let meta = tokio::fs::metadata(path).await.map_err(io_error)?;
    if meta.is_file() {
        Ok(meta.len())
    } else {
        Err(StoreError::NotFound)
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    fn backend(&self) -> &'static str {
        "file"
    }

    async fn migrate(&self) -> StoreResult<()> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|e| StoreError::Unavailable(format!("blob folder {}: {e}", self.root.display())))
    }

    /// The folder exists (it is created if missing) and a file can be written in it.
    async fn ping(&self) -> StoreResult<()> {
        let unavailable = |e: io::Error| StoreError::Unavailable(format!("blob folder {}: {e}", self.root.display()));
        tokio::fs::create_dir_all(&self.root).await.map_err(unavailable)?;
        let (probe, mut file) = create_temp(&self.root).await?;
        file.write_all(b"ping").await.map_err(unavailable)?;
        drop(file);
        drop(probe);
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn put(&self, key: &BlobKey, body: ByteStream, content_type: Option<&str>) -> StoreResult<BlobMeta> {
        check_content_type(content_type)?;
        let path = self.path_of(key)?;
        let dir = path.parent().expect("a blob path has a parent").to_owned();

        let (temp, file) = create_temp(&dir).await?;
        let mut writer = BufWriter::with_capacity(BUFFER_SIZE, file);
        let mut size = 0u64;
        let mut body = body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(body_failed)?;
            writer.write_all(&chunk).await.map_err(write_error)?;
            size += chunk.len() as u64;
        }
        writer.flush().await.map_err(write_error)?;
        let file = writer.into_inner();
        file.sync_data().await.map_err(write_error)?;
        drop(file);

        // The type first, then the data: a reader never sees the new blob
        // without its type (a new key stays invisible until the data rename).
        let sidecar = sidecar_of(&path);
        match content_type {
            Some(ct) => {
                let (type_temp, mut type_file) = create_temp(&dir).await?;
                type_file.write_all(ct.as_bytes()).await.map_err(write_error)?;
                type_file.sync_data().await.map_err(write_error)?;
                drop(type_file);
                type_temp.persist(&sidecar).await.map_err(write_error)?;
            }
            None => remove_if_present(&sidecar).await?,
        }
        temp.persist(&path).await.map_err(write_error)?;
        Ok(BlobMeta { key: key.clone(), size, content_type: content_type.map(str::to_owned) })
    }

    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> StoreResult<BlobBody> {
        check_range(range)?;
        let path = self.path_of(key)?;
        // Opened first: a concurrent `put` renames a new file over the key, and
        // this handle keeps reading the blob as it was when opened.
        let mut file = tokio::fs::File::open(&path).await.map_err(io_error)?;
        let meta = file.metadata().await.map_err(io_error)?;
        if !meta.is_file() {
            return Err(StoreError::NotFound);
        }
        let size = meta.len();
        let content_type = read_content_type(&path).await?;
        let (start, len) = match range {
            None => (0, size),
            Some(r) => {
                if r.start >= size {
                    return Err(StoreError::Invalid(format!("byte range starts at {} but the blob has {size} bytes", r.start)));
                }
                let end = r.end.map_or(size - 1, |end| end.min(size - 1));
                (r.start, end - r.start + 1)
            }
        };
        if start > 0 {
            file.seek(SeekFrom::Start(start)).await.map_err(io_error)?;
        }
        let stream = ReaderStream::with_capacity(file.take(len), BUFFER_SIZE).boxed();
        Ok(BlobBody { meta: BlobMeta { key: key.clone(), size, content_type }, stream })
    }

    async fn head(&self, key: &BlobKey) -> StoreResult<BlobMeta> {
        let path = self.path_of(key)?;
        let size = blob_size(&path).await?;
        let content_type = read_content_type(&path).await?;
        Ok(BlobMeta { key: key.clone(), size, content_type })
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<BlobMeta>> {
        if !valid_prefix(prefix) {
            return Err(StoreError::Invalid(format!("{prefix:?} is not a valid blob key prefix")));
        }
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || list_blocking(&root, &prefix))
            .await
            .map_err(|e| StoreError::Internal(format!("listing blobs panicked: {e}")))?
            .map_err(io_error)
    }

    async fn delete(&self, key: &BlobKey) -> StoreResult<()> {
        let path = self.path_of(key)?;
        match tokio::fs::symlink_metadata(&path).await {
            Ok(meta) if meta.is_file() => remove_if_present(&path).await?,
            // A folder (other keys below it) or nothing: no blob of this key.
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        remove_if_present(&sidecar_of(&path)).await?;
        // Prune folders left empty, up to (not including) the root. Failing
        // (not empty, or a concurrent put) just stops the pruning.
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if tokio::fs::remove_dir(d).await.is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// Local blobs have no URL of their own: the app streams them.
    async fn download_url(&self, _key: &BlobKey, _expires_in: Duration) -> StoreResult<DownloadUrl> {
        Ok(DownloadUrl::Proxied)
    }
}

/// Walk the folders that can hold keys starting with `prefix`, skipping
/// sidecars, temporary files, symlinks and names that are not keys.
fn list_blocking(root: &Path, prefix: &str) -> io::Result<Vec<BlobMeta>> {
    let mut found = Vec::new();
    let mut pending: Vec<(PathBuf, String)> = vec![(root.to_owned(), String::new())];
    while let Some((dir, dir_key)) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // Missing root or a folder removed while listing: nothing there.
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if name.contains('~') {
                continue;
            }
            let key = format!("{dir_key}{name}");
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                let folder = format!("{key}/");
                if folder.starts_with(prefix) || prefix.starts_with(&folder) {
                    pending.push((entry.path(), folder));
                }
            } else if file_type.is_file() && key.starts_with(prefix) {
                let Ok(key) = BlobKey::parse(&key) else { continue };
                let size = match entry.metadata() {
                    Ok(meta) => meta.len(),
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                found.push(BlobMeta { key, size, content_type: None });
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_root() {
        let store = LocalBlobStore::new(PathBuf::from("/srv/blobs"));
        let key = BlobKey::parse("datasets/p1/file.csv").unwrap();
        assert_eq!(store.path_of(&key).unwrap(), PathBuf::from("/srv/blobs/datasets/p1/file.csv"));
        assert_eq!(sidecar_of(&store.path_of(&key).unwrap()), PathBuf::from("/srv/blobs/datasets/p1/file.csv~type"));
        let long = BlobKey::parse(&"a".repeat(MAX_SEGMENT_LEN + 1)).unwrap();
        assert!(matches!(store.path_of(&long), Err(StoreError::Invalid(_))));
    }

    fn body(data: &'static [u8]) -> ByteStream {
        futures::stream::iter(vec![Ok(bytes::Bytes::from_static(data))]).boxed()
    }

    fn key(s: &str) -> BlobKey {
        BlobKey::parse(s).unwrap()
    }

    #[tokio::test]
    async fn files_are_plain_copies_with_a_type_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path().join("root"));
        store.put(&key("a/b.txt"), body(b"hello"), Some("text/plain")).await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("root/a/b.txt")).unwrap(), b"hello");
        assert_eq!(std::fs::read_to_string(dir.path().join("root/a/b.txt~type")).unwrap(), "text/plain");
        store.put(&key("a/b.txt"), body(b"hi"), None).await.unwrap();
        assert!(!dir.path().join("root/a/b.txt~type").exists(), "no type, no sidecar");
        assert_eq!(store.head(&key("a/b.txt")).await.unwrap().content_type, None);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("root/a")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec!["b.txt"], "no temporary files are left");
    }

    #[tokio::test]
    async fn folders_are_not_blobs_and_are_pruned_when_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path().to_owned());
        store.put(&key("x/y/z"), body(b"z"), None).await.unwrap();
        assert_eq!(store.head(&key("x/y")).await, Err(StoreError::NotFound));
        assert_eq!(store.get(&key("x/y"), None).await.err(), Some(StoreError::NotFound));
        store.delete(&key("x/y")).await.expect("deleting a folder's name deletes nothing");
        assert!(matches!(store.put(&key("x/y/z/w"), body(b"w"), None).await, Err(StoreError::Conflict(_))), "a blob is not a folder");
        assert!(matches!(store.put(&key("x/y"), body(b"y"), None).await, Err(StoreError::Conflict(_))), "a folder is not a blob");
        store.delete(&key("x/y/z")).await.unwrap();
        assert!(!dir.path().join("x").exists(), "emptied folders are removed");
        store.put(&key("x/y"), body(b"y"), None).await.expect("the name is free again");
        assert!(dir.path().exists(), "the root itself stays");
    }

    #[tokio::test]
    async fn stray_files_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path().to_owned());
        store.put(&key("k/a"), body(b"a"), Some("text/plain")).await.unwrap();
        std::fs::write(dir.path().join("k/~tmp-0123"), b"partial").unwrap();
        std::fs::write(dir.path().join("k/not a key"), b"?").unwrap();
        let listed: Vec<_> = store.list("").await.unwrap().into_iter().map(|m| m.key.to_string()).collect();
        assert_eq!(listed, vec!["k/a"]);
    }

    #[test]
    fn io_errors_map_by_kind() {
        assert_eq!(io_error(io::Error::from(ErrorKind::NotFound)), StoreError::NotFound);
        assert!(matches!(write_error(io::Error::from(ErrorKind::NotFound)), StoreError::Internal(_)));
        assert!(matches!(io_error(io::Error::from(ErrorKind::NotADirectory)), StoreError::Conflict(_)));
        assert!(matches!(io_error(io::Error::from(ErrorKind::StorageFull)), StoreError::Unavailable(_)));
        assert!(matches!(io_error(io::Error::from(ErrorKind::PermissionDenied)), StoreError::Internal(_)));
    }
}
