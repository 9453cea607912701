//! The retrieval index of one knowledge-base release.
//!
//! ```text
//! entries ──chunk──▶ chunks ──tokenize──▶ BM25 inverted index ─┐
//!                       └──(embeddings, reused by content hash)─▶ vectors ─┴─▶ KbIndex ⇄ bytes
//! KbIndex::search(Query { text, k, kinds, tags, ranking }, query embedding) → hits per entry
//! ```
//!
//! - [`chunk`]: entries rendered as readable text chunks (≤ 1,500 characters) with field spans.
//! - [`tokenize`]: UAX #29 words, identifier splitting, CJK bigrams, light plural stemming.
//! - [`bm25`]: the inverted index (BM25, k1 = 1.2, b = 0.75, field-weighted tf).
//! - [`vector`]: normalised embeddings per chunk, brute-force cosine, reuse across releases.
//! - [`hybrid`]: reciprocal rank fusion (k = 60).
//! - [`build`]: [`IndexBuilder`] and the [`KbIndex`] with its binary format.
//! - [`testdata`]: a generated 10,000-entry KB, labelled queries and a test embedding, for
//!   tests and the benchmark (`bench/kb_search.sh`).
//!
//! Typical release flow (the embeddings come from an LLM provider elsewhere):
//! ```ignore
//! let chunks = kb_index::chunk::chunk_entries(&entries);
//! let (mut embeddings, to_embed) = kb_index::vector::reuse(previous.vectors(), "text-embedding-3-small", &chunks);
//! for (i, v) in to_embed.iter().zip(provider.embed(texts_of(&chunks, &to_embed)).await?) {
//!     embeddings.insert(chunks[*i].content_hash.clone(), v)?;
//! }
//! let index = kb_index::IndexBuilder::new(&entries).embeddings(embeddings).build()?;
//! blob_store.put(key, index.to_bytes());
//! ```

pub mod bm25;
pub mod build;
pub mod chunk;
mod codec;
pub mod hybrid;
pub mod testdata;
pub mod tokenize;
pub mod vector;

pub use bm25::TermMatch;
pub use build::{Hit, IndexBuilder, KbIndex, Progress, Query, Stage, MAX_K};
pub use chunk::{Chunk, Field, FieldSpan};
pub use hybrid::Ranking;
pub use vector::{Embeddings, VectorStore};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    #[error("the index bytes are corrupt ({0})")]
    Corrupt(&'static str),
    #[error("not a knowledge-base index (bad magic)")]
    NotAnIndex,
    #[error("index format version {0} is not supported (rebuild the index)")]
    Version(u32),
    #[error("no embedding for chunk {chunk_no} of {key}")]
    MissingEmbedding { key: String, chunk_no: u32 },
    #[error("embedding dimension {got}, expected {expected}")]
    Dimension { expected: usize, got: usize },
    #[error("an embedding is empty or has a non-finite component")]
    BadVector,
    #[error("two entries have the key {0}")]
    DuplicateKey(String),
    #[error("unknown entry kind {0:?} (api_operation or table)")]
    UnknownKind(String),
}
