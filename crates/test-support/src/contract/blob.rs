//! The blob store's contract: every adapter (local folder, S3) must pass each
//! case. Run them with [`blob_contract_tests!`](crate::blob_contract_tests).

use bytes::Bytes;
use domain::BlobKey;
use futures::{stream, StreamExt};
use services::{
    ports::{BlobStore, ByteRange, ByteStream, DownloadUrl},
    StoreError,
};
use std::{sync::Arc, time::Duration};

/// Expands to one `#[tokio::test]` per case, each on a fresh, empty store made
/// by `$make` (an expression giving a future of `Arc<dyn BlobStore>`).
///
/// ```ignore
/// mod local {
///     test_support::blob_contract_tests!(test_support::backends::local_blob());
/// }
/// ```
#[macro_export]
macro_rules! blob_contract_tests {
    ($make:expr) => {
        $crate::blob_contract_tests!(@cases $make;
            migrate_is_idempotent,
            ping_answers,
            put_then_get_roundtrips,
            large_body_in_many_chunks_comes_back_exactly,
            body_larger_than_a_multipart_part_comes_back_exactly,
            a_default_upload_chunk_comes_back_exactly,
            put_overwrites,
            range_reads_return_exactly_the_range,
            range_past_the_end_is_invalid,
            head_reports_size_and_content_type,
            missing_keys_are_not_found,
            list_by_prefix_is_sorted_and_excludes_others,
            delete_removes_and_is_idempotent,
            failing_body_leaves_nothing_under_the_key,
            failing_body_keeps_the_previous_blob,
            download_url_serves_the_bytes,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[$crate::tokio::test(flavor = "multi_thread", worker_threads = 2, crate = "test_support::tokio")]
            async fn $case() {
                $crate::contract::blob::$case($make.await).await;
            }
        )+
    };
}

const MIB: usize = 1024 * 1024;

fn key(s: &str) -> BlobKey {
    BlobKey::parse(s).expect("valid blob key")
}

/// Deterministic, non-repeating-looking bytes (so a shifted or reordered
/// chunk would not compare equal).
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i as u64).wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed).collect()
}

/// `data` as a stream of chunks of varying sizes (1 byte up to ~64 KiB).
fn chunked(data: &[u8]) -> ByteStream {
    let mut chunks = Vec::new();
    let mut rest = Bytes::copy_from_slice(data);
    let mut n = 0usize;
    while !rest.is_empty() {
        let size = [1, 7, 4096, 65_536, 65_537, 13_331][n % 6].min(rest.len());
        chunks.push(Ok(rest.split_to(size)));
        n += 1;
    }
    stream::iter(chunks).boxed()
}

fn one_chunk(data: &[u8]) -> ByteStream {
    stream::iter(vec![Ok(Bytes::copy_from_slice(data))]).boxed()
}

/// `good` bytes in 1 MiB chunks, then an I/O error.
fn failing_after(good: usize) -> ByteStream {
    let data = pattern(good, 9);
    let mut items: Vec<std::io::Result<Bytes>> = data.chunks(MIB).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    items.push(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "client went away")));
    stream::iter(items).boxed()
}

async fn read_all(mut body: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.expect("read chunk"));
    }
    out
}

async fn get_all(store: &dyn BlobStore, k: &BlobKey) -> Vec<u8> {
    read_all(store.get(k, None).await.expect("get").stream).await
}

async fn get_range(store: &dyn BlobStore, k: &BlobKey, start: u64, end: Option<u64>) -> Result<Vec<u8>, StoreError> {
    let body = store.get(k, Some(ByteRange { start, end })).await?;
    assert_eq!(body.meta.size, 1000, "a ranged get reports the whole blob's size");
    Ok(read_all(body.stream).await)
}

/// Same bytes, without printing megabytes on failure.
fn assert_same(actual: &[u8], expected: &[u8], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    if let Some(at) = actual.iter().zip(expected).position(|(a, b)| a != b) {
        panic!("{what}: first difference at byte {at}");
    }
}

pub async fn migrate_is_idempotent(store: Arc<dyn BlobStore>) {
    store.migrate().await.expect("first migrate");
    store.migrate().await.expect("second migrate");
    let k = key("after/migrate.txt");
    store.put(&k, one_chunk(b"still works"), None).await.expect("put after migrate");
    assert_eq!(store.head(&k).await.unwrap().size, 11);
}

pub async fn ping_answers(store: Arc<dyn BlobStore>) {
    store.ping().await.expect("ping");
    assert!(matches!(store.backend(), "file" | "s3"), "backend {}", store.backend());
}

pub async fn put_then_get_roundtrips(store: Arc<dyn BlobStore>) {
    let k = key("exports/p1/report.csv");
    let data = b"day,traces\n2024-02-29,42\n";
    let meta = store.put(&k, chunked(data), Some("text/csv")).await.expect("put");
    assert_eq!((meta.key.clone(), meta.size, meta.content_type.as_deref()), (k.clone(), data.len() as u64, Some("text/csv")));
    let body = store.get(&k, None).await.expect("get");
    assert_eq!(body.meta.key, k);
    assert_eq!(body.meta.size, data.len() as u64);
    assert_eq!(body.meta.content_type.as_deref(), Some("text/csv"));
    assert_eq!(read_all(body.stream).await, data);

    let empty = key("exports/p1/empty");
    assert_eq!(store.put(&empty, stream::iter(Vec::new()).boxed(), None).await.expect("put empty").size, 0);
    assert_eq!(get_all(&*store, &empty).await, Vec::<u8>::new());
    assert_eq!(store.head(&empty).await.expect("head empty").size, 0);
}

pub async fn large_body_in_many_chunks_comes_back_exactly(store: Arc<dyn BlobStore>) {
    let k = key("uploads/big.bin");
    let data = pattern(5 * MIB + 123, 1);
    let meta = store.put(&k, chunked(&data), Some("application/octet-stream")).await.expect("put 5 MiB");
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(store.head(&k).await.expect("head").size, data.len() as u64);
    assert_same(&get_all(&*store, &k).await, &data, "5 MiB body");
}

/// A dataset upload chunk of the default size (8 MiB), under a key shaped like the datasets': what
/// every real upload sends, and what tests with small chunks never did. (s3s-fs, the test S3
/// server, keeps each object's metadata in a file named after base64(bucket + key): keys much
/// longer than this one exceed the file system's 255-byte names there, not on S3.)
pub async fn a_default_upload_chunk_comes_back_exactly(store: Arc<dyn BlobStore>) {
    let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let k = key(&format!("datasets/{id}/{id}/chunks/000000"));
    let data = pattern(8 * MIB, 3);
    let meta = store.put(&k, chunked(&data), Some("application/octet-stream")).await.expect("put an 8 MiB chunk");
    assert_eq!(meta.size, data.len() as u64);
    assert_same(&get_all(&*store, &k).await, &data, "8 MiB chunk");
}

/// Larger than two S3 multipart parts (8 MiB): several parts and a short last one.
pub async fn body_larger_than_a_multipart_part_comes_back_exactly(store: Arc<dyn BlobStore>) {
    let k = key("uploads/bigger.bin");
    let data = pattern(17 * MIB + 5, 2);
    let meta = store.put(&k, chunked(&data), Some("application/zip")).await.expect("put 17 MiB");
    assert_eq!(meta.size, data.len() as u64);
    let head = store.head(&k).await.expect("head");
    assert_eq!((head.size, head.content_type.as_deref()), (data.len() as u64, Some("application/zip")));
    assert_same(&get_all(&*store, &k).await, &data, "17 MiB body");
    let tail = read_all(store.get(&k, Some(ByteRange { start: 16 * MIB as u64 - 3, end: None })).await.expect("tail").stream).await;
    assert_same(&tail, &data[16 * MIB - 3..], "range across the last part boundary");
}

pub async fn put_overwrites(store: Arc<dyn BlobStore>) {
    let k = key("a/file.txt");
    store.put(&k, one_chunk(b"first version, longer"), Some("text/plain")).await.expect("put 1");
    store.put(&k, one_chunk(b"second"), Some("application/json")).await.expect("put 2");
    assert_eq!(get_all(&*store, &k).await, b"second");
    let head = store.head(&k).await.expect("head");
    assert_eq!((head.size, head.content_type.as_deref()), (6, Some("application/json")));
    assert_eq!(store.list("a/").await.expect("list").len(), 1, "one key, not two");
}

pub async fn range_reads_return_exactly_the_range(store: Arc<dyn BlobStore>) {
    let k = key("r/thousand");
    let data = pattern(1000, 3);
    store.put(&k, chunked(&data), None).await.expect("put");
    let s = &*store;
    assert_eq!(get_range(s, &k, 10, Some(19)).await.expect("10-19"), &data[10..20], "inclusive end");
    assert_eq!(get_range(s, &k, 0, Some(0)).await.expect("0-0"), &data[..1], "first byte");
    assert_eq!(get_range(s, &k, 999, Some(999)).await.expect("999-999"), &data[999..], "last byte");
    assert_eq!(get_range(s, &k, 990, None).await.expect("990-"), &data[990..], "open end");
    assert_eq!(get_range(s, &k, 0, None).await.expect("0-"), data, "whole blob as a range");
    assert_eq!(get_range(s, &k, 995, Some(5000)).await.expect("995-5000"), &data[995..], "end past the size is clamped");
}

pub async fn range_past_the_end_is_invalid(store: Arc<dyn BlobStore>) {
    let k = key("r/thousand");
    store.put(&k, one_chunk(&pattern(1000, 4)), None).await.expect("put");
    for (start, end) in [(1000, None), (1000, Some(1001)), (5000, Some(6000)), (10, Some(5))] {
        let result = store.get(&k, Some(ByteRange { start, end })).await;
        assert!(matches!(result, Err(StoreError::Invalid(_))), "range {start}-{end:?} gave {:?}", result.err());
    }
    let missing = store.get(&key("r/missing"), Some(ByteRange { start: 0, end: Some(1) })).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "a range of a missing key");
}

pub async fn head_reports_size_and_content_type(store: Arc<dyn BlobStore>) {
    let k = key("h/doc.pdf");
    store.put(&k, chunked(&pattern(4321, 5)), Some("application/pdf")).await.expect("put");
    let meta = store.head(&k).await.expect("head");
    assert_eq!(meta.key, k);
    assert_eq!(meta.size, 4321);
    assert_eq!(meta.content_type.as_deref(), Some("application/pdf"));
}

pub async fn missing_keys_are_not_found(store: Arc<dyn BlobStore>) {
    let k = key("nothing/here.txt");
    assert!(matches!(store.head(&k).await, Err(StoreError::NotFound)), "head");
    assert!(matches!(store.get(&k, None).await.map(|b| b.meta), Err(StoreError::NotFound)), "get");
    store.put(&key("nothing/else.txt"), one_chunk(b"x"), None).await.expect("put");
    assert!(matches!(store.head(&k).await, Err(StoreError::NotFound)), "head beside another key");
}

pub async fn list_by_prefix_is_sorted_and_excludes_others(store: Arc<dyn BlobStore>) {
    let keys = ["d/p1/b.csv", "d/p1/a.csv", "d/p1/sub/c.csv", "d/p10/x.csv", "d/p2/y.csv", "e/z.csv", "d/p1.csv"];
    for (i, k) in keys.iter().enumerate() {
        store.put(&key(k), one_chunk(&pattern(i + 1, 6)), Some("text/csv")).await.expect("put");
    }
    let listed = |prefix: &'static str| {
        let store = store.clone();
        async move { store.list(prefix).await.expect("list").into_iter().map(|m| (m.key.to_string(), m.size)).collect::<Vec<_>>() }
    };
    let owned = |v: &[(&str, u64)]| v.iter().map(|(k, s)| (k.to_string(), *s)).collect::<Vec<_>>();
    assert_eq!(listed("d/p1/").await, owned(&[("d/p1/a.csv", 2), ("d/p1/b.csv", 1), ("d/p1/sub/c.csv", 3)]), "a folder");
    assert_eq!(
        listed("d/p1").await,
        owned(&[("d/p1.csv", 7), ("d/p1/a.csv", 2), ("d/p1/b.csv", 1), ("d/p1/sub/c.csv", 3), ("d/p10/x.csv", 4)]),
        "a partial name"
    );
    assert_eq!(listed("d/p1/a").await, owned(&[("d/p1/a.csv", 2)]));
    let all = listed("").await;
    let mut sorted: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    sorted.sort();
    assert_eq!(all.into_iter().map(|(k, _)| k).collect::<Vec<_>>(), sorted, "everything, sorted");
    assert_eq!(listed("zzz/").await, vec![], "nothing under an unknown prefix");
    assert!(matches!(store.list("../").await, Err(StoreError::Invalid(_))), "a prefix that is not key-shaped");
}

pub async fn delete_removes_and_is_idempotent(store: Arc<dyn BlobStore>) {
    let k = key("del/a/one.txt");
    let sibling = key("del/a/two.txt");
    store.put(&k, one_chunk(b"one"), Some("text/plain")).await.expect("put");
    store.put(&sibling, one_chunk(b"two"), None).await.expect("put sibling");
    store.delete(&k).await.expect("delete");
    assert!(matches!(store.head(&k).await, Err(StoreError::NotFound)), "head after delete");
    assert!(matches!(store.get(&k, None).await.map(|b| b.meta), Err(StoreError::NotFound)), "get after delete");
    assert_eq!(store.list("del/").await.expect("list").into_iter().map(|m| m.key).collect::<Vec<_>>(), vec![sibling.clone()]);
    store.delete(&k).await.expect("deleting again is fine");
    store.delete(&key("del/never/existed")).await.expect("deleting a missing key is fine");
    assert_eq!(get_all(&*store, &sibling).await, b"two", "the sibling is untouched");
    store.delete(&sibling).await.expect("delete sibling");
    assert_eq!(store.list("del/").await.expect("list"), vec![]);
    store.put(&k, one_chunk(b"again"), None).await.expect("put a deleted key again");
    assert_eq!(get_all(&*store, &k).await, b"again");
}

pub async fn failing_body_leaves_nothing_under_the_key(store: Arc<dyn BlobStore>) {
    // Small (one PutObject on S3) and larger than a multipart part.
    for (name, good) in [("fail/small", MIB + 3), ("fail/large", 9 * MIB)] {
        let k = key(name);
        let result = store.put(&k, failing_after(good), Some("text/plain")).await;
        assert!(result.is_err(), "{name}: put of a failing body must fail");
        assert!(matches!(store.head(&k).await, Err(StoreError::NotFound)), "{name}: nothing under the key");
        assert!(matches!(store.get(&k, None).await.map(|b| b.meta), Err(StoreError::NotFound)), "{name}: get");
    }
    assert_eq!(store.list("").await.expect("list"), vec![], "no partial or temporary blobs are listed");
}

pub async fn failing_body_keeps_the_previous_blob(store: Arc<dyn BlobStore>) {
    let k = key("keep/this.txt");
    store.put(&k, one_chunk(b"the good version"), Some("text/plain")).await.expect("put");
    assert!(store.put(&k, failing_after(2 * MIB), Some("application/json")).await.is_err(), "failing put");
    assert_eq!(get_all(&*store, &k).await, b"the good version");
    assert_eq!(store.head(&k).await.expect("head").size, 16);
    assert_eq!(store.list("keep/").await.expect("list").len(), 1);
}

pub async fn download_url_serves_the_bytes(store: Arc<dyn BlobStore>) {
    let k = key("dl/report.csv");
    let data = pattern(70_000, 7);
    store.put(&k, chunked(&data), Some("text/csv")).await.expect("put");
    match store.download_url(&k, Duration::from_secs(300)).await.expect("download_url") {
        DownloadUrl::Presigned(url) => {
            let response = reqwest::get(&url).await.expect("fetch the presigned URL");
            assert!(response.status().is_success(), "presigned GET answered {}", response.status());
            assert_same(&response.bytes().await.expect("body"), &data, "presigned download");
        }
        DownloadUrl::Proxied => assert_eq!(store.backend(), "file", "only the local folder has no URL of its own"),
    }
}
