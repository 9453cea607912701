//! Chunk embeddings and cosine search.
//!
//! Vectors are stored L2-normalised, one per chunk in chunk order, so cosine similarity is a
//! dot product. Search is brute force: at 10,000 entries (~10–20k chunks) × 256–1,536 dims that
//! is 5–30 M multiply-adds, a few milliseconds on one core; an ANN structure (HNSW) would only
//! pay off well beyond that and would make results approximate and builds slower.
//!
//! Embeddings are keyed by the chunk's content hash, so a new release reuses the vectors of
//! every chunk whose text did not change ([`reuse`]) and only the rest goes to the provider.

use std::collections::HashMap;

use crate::chunk::Chunk;
use crate::codec::{Reader, Writer};
use crate::Error;

/// Embeddings by chunk content hash (hex), all from one model and of one dimension: the input
/// of [`crate::IndexBuilder::embeddings`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Embeddings {
    pub model: String,
    dim: usize,
    by_hash: HashMap<String, Vec<f32>>,
}

impl Embeddings {
    pub fn new(model: impl Into<String>) -> Self {
        Embeddings { model: model.into(), dim: 0, by_hash: HashMap::new() }
    }

    /// The dimension (0 until the first vector).
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Adds the vector of the chunk text whose hash is `content_hash`. Every vector must have
    /// the first one's dimension, non-zero, with finite components.
    pub fn insert(&mut self, content_hash: impl Into<String>, vector: Vec<f32>) -> Result<(), Error> {
        if vector.is_empty() || vector.iter().any(|x| !x.is_finite()) {
            return Err(Error::BadVector);
        }
        if self.dim == 0 {
            self.dim = vector.len();
        } else if vector.len() != self.dim {
            return Err(Error::Dimension { expected: self.dim, got: vector.len() });
        }
        self.by_hash.insert(content_hash.into(), vector);
        Ok(())
    }

    pub fn get(&self, content_hash: &str) -> Option<&[f32]> {
        self.by_hash.get(content_hash).map(Vec::as_slice)
    }
}

/// The vectors of an index's chunks.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorStore {
    model: String,
    dim: usize,
    /// Content hash of each row (the chunk's), 32 raw bytes each.
    hashes: Vec<[u8; 32]>,
    /// Row-major, normalised.
    data: Vec<f32>,
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Dot product with eight independent accumulators (the compiler vectorises it).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

pub(crate) fn hash_bytes(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub(crate) fn hash_hex(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl VectorStore {
    /// The vectors of `chunks` from `embeddings`; every chunk must have one.
    pub fn build(chunks: &[Chunk], embeddings: &Embeddings) -> Result<VectorStore, Error> {
        let dim = embeddings.dim();
        let mut data = Vec::with_capacity(chunks.len() * dim);
        let mut hashes = Vec::with_capacity(chunks.len());
        for c in chunks {
            let v =
                embeddings.get(&c.content_hash).ok_or_else(|| Error::MissingEmbedding { key: c.key.name.clone(), chunk_no: c.chunk_no })?;
            let start = data.len();
            data.extend_from_slice(v);
            normalise(&mut data[start..]);
            hashes.push(hash_bytes(&c.content_hash).ok_or(Error::Corrupt("content hash"))?);
        }
        Ok(VectorStore { model: embeddings.model.clone(), dim, hashes, data })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn vector(&self, row: usize) -> &[f32] {
        &self.data[row * self.dim..(row + 1) * self.dim]
    }

    /// Cosine similarity of `query` to every allowed row, as `(row, similarity)`; empty when
    /// the query's dimension is not the store's or the query is zero.
    pub fn similarities(&self, query: &[f32], allow: &dyn Fn(u32) -> bool) -> Vec<(u32, f32)> {
        if query.len() != self.dim || self.dim == 0 {
            return Vec::new();
        }
        let mut q = query.to_vec();
        normalise(&mut q);
        if q.iter().all(|&x| x == 0.0) || q.iter().any(|x| !x.is_finite()) {
            return Vec::new();
        }
        (0..self.hashes.len() as u32).filter(|&r| allow(r)).map(|r| (r, dot(&q, self.vector(r as usize)))).collect()
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.str(&self.model);
        w.varint(self.dim as u64);
        w.varint(self.hashes.len() as u64);
        for h in &self.hashes {
            w.buf.extend_from_slice(h);
        }
        w.f32s(&self.data);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<VectorStore, Error> {
        let model = r.string("vector model")?;
        let dim = r.varint("vector dim")? as usize;
        let n = r.len(32, "vector rows")?;
        let mut hashes = Vec::with_capacity(n);
        for _ in 0..n {
            let mut h = [0u8; 32];
            for b in h.iter_mut() {
                *b = r.u8("vector hash")?;
            }
            hashes.push(h);
        }
        let data = r.f32s("vectors")?;
        if Some(data.len()) != n.checked_mul(dim) {
            return Err(Error::Corrupt("vector data size"));
        }
        Ok(VectorStore { model, dim, hashes, data })
    }
}

/// Splits the chunks of a new release into those whose embedding `previous` already has (same
/// model, same text, hence same content hash) and those to embed. Returns the reusable vectors
/// as an [`Embeddings`] of `model` (to which the caller adds the new ones) and the indexes in
/// `chunks` of the chunks to embed. A different model (or no previous index) reuses nothing.
pub fn reuse(previous: Option<&VectorStore>, model: &str, chunks: &[Chunk]) -> (Embeddings, Vec<usize>) {
    let mut reused = Embeddings::new(model);
    let mut to_embed = Vec::new();
    let mut pending: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let old: HashMap<[u8; 32], usize> = match previous {
        Some(p) if p.model == model => p.hashes.iter().enumerate().map(|(i, h)| (*h, i)).collect(),
        _ => HashMap::new(),
    };
    for (i, c) in chunks.iter().enumerate() {
        if reused.get(&c.content_hash).is_some() {
            continue; // two chunks with one text share the vector
        }
        match hash_bytes(&c.content_hash).and_then(|h| old.get(&h)) {
            Some(&row) => {
                let prev = previous.expect("rows come from previous");
                // Stored normalised: still the same direction, which is all cosine needs.
                reused.insert(c.content_hash.clone(), prev.vector(row).to_vec()).expect("previous vectors are valid");
            }
            None => {
                if pending.insert(c.content_hash.as_str()) {
                    to_embed.push(i);
                }
            }
        }
    }
    (reused, to_embed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{chunk_entry, content_hash};
    use crate::testdata::test_embedding;
    use domain::kb::entry::{EntryKey, EntryKind};

    fn chunk(name: &str, text: &str) -> Chunk {
        Chunk {
            key: EntryKey::table("public", name),
            kind: EntryKind::Table,
            chunk_no: 0,
            text: text.into(),
            fields: vec![],
            spans: vec![],
            content_hash: content_hash(text),
        }
    }

    fn embed_all(chunks: &[Chunk]) -> Embeddings {
        let mut e = Embeddings::new("test");
        for c in chunks {
            e.insert(c.content_hash.clone(), test_embedding(&c.text)).unwrap();
        }
        e
    }

    #[test]
    fn cosine_ranks_the_similar_text_first() {
        let chunks = vec![chunk("a", "invoice line items"), chunk("b", "user sign in sessions"), chunk("c", "refund a payment")];
        let store = VectorStore::build(&chunks, &embed_all(&chunks)).unwrap();
        let sims = store.similarities(&test_embedding("sign-in sessions of users"), &|_| true);
        let best = sims.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert_eq!(best.0, 1);
        let self_sim = store.similarities(&test_embedding("refund a payment"), &|r| r == 2)[0].1;
        assert!((self_sim - 1.0).abs() < 1e-5);
        assert!(store.similarities(&[1.0, 2.0], &|_| true).is_empty(), "wrong dimension");
        assert!(store.similarities(&vec![0.0; store.dim()], &|_| true).is_empty(), "zero query");
    }

    #[test]
    fn unchanged_chunks_reuse_their_vectors() {
        let old = vec![chunk("a", "one"), chunk("b", "two")];
        let store = VectorStore::build(&old, &embed_all(&old)).unwrap();
        let new = vec![chunk("a", "one"), chunk("b", "two, changed"), chunk("c", "three"), chunk("d", "three")];
        let (reused, to_embed) = reuse(Some(&store), "test", &new);
        assert_eq!(reused.len(), 1);
        assert!(reused.get(&new[0].content_hash).is_some());
        assert_eq!(to_embed, vec![1, 2], "identical texts are embedded once");
        let (none, all) = reuse(Some(&store), "other-model", &new);
        assert!(none.is_empty());
        assert_eq!(all, vec![0, 1, 2]);
        assert_eq!(reuse(None, "test", &new).1.len(), 3);
    }

    #[test]
    fn missing_or_mismatched_vectors_are_errors() {
        let chunks = chunk_entry(&crate::chunk::tests::users_table());
        assert!(matches!(VectorStore::build(&chunks, &Embeddings::new("m")), Err(Error::MissingEmbedding { .. })));
        let mut e = Embeddings::new("m");
        e.insert("x", vec![1.0, 0.0]).unwrap();
        assert!(matches!(e.insert("y", vec![1.0]), Err(Error::Dimension { expected: 2, got: 1 })));
        assert!(matches!(e.insert("z", vec![f32::NAN, 1.0]), Err(Error::BadVector)));
    }

    #[test]
    fn round_trips_and_hashes_convert() {
        let chunks = vec![chunk("a", "one"), chunk("b", "two")];
        let store = VectorStore::build(&chunks, &embed_all(&chunks)).unwrap();
        let mut w = Writer::default();
        store.write(&mut w);
        assert_eq!(VectorStore::read(&mut Reader::new(&w.buf)).unwrap(), store);
        let h = content_hash("x");
        assert_eq!(hash_hex(&hash_bytes(&h).unwrap()), h);
        assert!(hash_bytes("zz").is_none());
    }
}
