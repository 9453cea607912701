//! [`IndexBuilder`] → [`KbIndex`]: build, search, serialise.
//!
//! Binary format (version 1), all little-endian, varints LEB128:
//! `"EDKB"`, u32 version, entries (kind, key, tags, first chunk, chunk count), chunk → entry,
//! chunk field masks, all chunk texts as one string + offsets, field spans, content hashes
//! (32 raw bytes each), the BM25 index, then an optional vector store. An index is immutable:
//! a new release gets a new index, never an edited one.

use std::collections::HashSet;

use domain::kb::entry::{Entry, EntryKey, EntryKind};
use serde::{Deserialize, Serialize};

use crate::bm25::{self, best_per_entry, Bm25Builder, Bm25Index, TermMatch};
use crate::chunk::{self, Chunk, Field, FieldSpan};
use crate::codec::{self, Reader, Writer};
use crate::hybrid::{rrf, Ranking};
use crate::vector::{hash_bytes, hash_hex, Embeddings, VectorStore};
use crate::Error;

const MAGIC: &[u8; 4] = b"EDKB";
const VERSION: u32 = 1;
/// At most this many hits per search.
pub const MAX_K: usize = 100;
/// How deep each side's ranking goes before fusion.
const FUSION_DEPTH: usize = 100;

/// A search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub text: String,
    /// How many entries (capped at [`MAX_K`]).
    pub k: usize,
    /// Only entries of these kinds; empty: all.
    #[serde(default)]
    pub kinds: Vec<EntryKind>,
    /// Only operations carrying at least one of these tags (case-insensitive); empty: no tag
    /// filter. Tables have no tags, so a tag filter leaves only operations.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub ranking: Ranking,
}

impl Query {
    /// `text`, 10 hits, no filter, hybrid ranking.
    pub fn new(text: impl Into<String>) -> Query {
        Query { text: text.into(), k: 10, kinds: Vec::new(), tags: Vec::new(), ranking: Ranking::Hybrid }
    }

    pub fn k(mut self, k: usize) -> Query {
        self.k = k;
        self
    }

    pub fn kinds(mut self, kinds: impl IntoIterator<Item = EntryKind>) -> Query {
        self.kinds = kinds.into_iter().collect();
        self
    }

    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Query {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    pub fn ranking(mut self, ranking: Ranking) -> Query {
        self.ranking = ranking;
        self
    }

    /// Kinds named as in URLs and tool calls (`api_operation`, `table`).
    pub fn parse_kinds<S: AsRef<str>>(names: &[S]) -> Result<Vec<EntryKind>, Error> {
        names.iter().map(|n| EntryKind::parse(n.as_ref().trim()).ok_or_else(|| Error::UnknownKind(n.as_ref().to_owned()))).collect()
    }
}

/// One entry found, with the chunk that matched best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub key: EntryKey,
    pub kind: EntryKind,
    /// BM25 score (lexical), cosine similarity (vector) or RRF score (hybrid).
    pub score: f32,
    /// The best chunk: the lexical one when the entry matched lexically, else the vector one.
    pub chunk_no: u32,
    pub text: String,
    /// The fields the chunk covers.
    pub fields: Vec<Field>,
    /// The query terms (analysed) found in that chunk and the fields they were found in.
    pub matches: Vec<TermMatch>,
    /// 1-based rank in the lexical / vector ranking, when the entry was in it.
    pub lexical_rank: Option<u32>,
    pub vector_rank: Option<u32>,
}

/// Where a build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Chunking,
    Indexing,
    Vectors,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// Builds a [`KbIndex`] from a release's entries and, optionally, chunk embeddings.
pub struct IndexBuilder<'a> {
    entries: &'a [Entry],
    embeddings: Option<Embeddings>,
    progress: Option<Box<dyn FnMut(Progress) + 'a>>,
}

const PROGRESS_EVERY: usize = 500;

impl<'a> IndexBuilder<'a> {
    pub fn new(entries: &'a [Entry]) -> Self {
        IndexBuilder { entries, embeddings: None, progress: None }
    }

    /// Embeddings of every chunk (by content hash): see [`crate::vector::reuse`].
    pub fn embeddings(mut self, embeddings: Embeddings) -> Self {
        self.embeddings = Some(embeddings);
        self
    }

    /// Called every few hundred entries or chunks and at the end of every stage.
    pub fn on_progress(mut self, f: impl FnMut(Progress) + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    pub fn build(mut self) -> Result<KbIndex, Error> {
        let mut report = |stage, done, total| {
            if let Some(p) = self.progress.as_mut() {
                p(Progress { stage, done, total });
            }
        };
        let n = self.entries.len();
        let mut seen = HashSet::with_capacity(n);
        let mut entries = Vec::with_capacity(n);
        let mut chunks: Vec<Chunk> = Vec::with_capacity(n * 2);
        let mut chunk_owner: Vec<usize> = Vec::with_capacity(n * 2);
        for (i, e) in self.entries.iter().enumerate() {
            let key = e.key();
            if !seen.insert(key.clone()) {
                return Err(Error::DuplicateKey(key.name));
            }
            let cs = chunk::chunk_entry(e);
            chunk_owner.extend(std::iter::repeat_n(i, cs.len()));
            entries.push(EntryMeta { key, tags: e.tags().to_vec(), first_chunk: chunks.len() as u32, n_chunks: cs.len() as u32 });
            chunks.extend(cs);
            if (i + 1) % PROGRESS_EVERY == 0 {
                report(Stage::Chunking, i + 1, n);
            }
        }
        report(Stage::Chunking, n, n);
        let mut bm = Bm25Builder::default();
        for (i, c) in chunks.iter().enumerate() {
            // A table's bare name is what a query calls it; like Postgres' search_path, the
            // bare name means the `public` one, other schemas' tables are named qualified.
            let name = match &self.entries[chunk_owner[i]] {
                Entry::Table(t) if t.schema == "public" => Some(t.name.clone()),
                Entry::Table(t) => Some(format!("{}.{}", t.schema, t.name)),
                Entry::ApiOperation(_) => None,
            };
            bm.add_named(&c.text, &c.spans, name.as_deref());
            if (i + 1) % PROGRESS_EVERY == 0 {
                report(Stage::Indexing, i + 1, chunks.len());
            }
        }
        let bm25 = bm.finish();
        report(Stage::Indexing, chunks.len(), chunks.len());
        let vectors = match &self.embeddings {
            Some(e) => {
                let v = VectorStore::build(&chunks, e)?;
                report(Stage::Vectors, chunks.len(), chunks.len());
                Some(v)
            }
            None => None,
        };
        let index = KbIndex::assemble(entries, &chunks, bm25, vectors)?;
        report(Stage::Done, n, n);
        Ok(index)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct EntryMeta {
    key: EntryKey,
    tags: Vec<String>,
    first_chunk: u32,
    n_chunks: u32,
}

/// The searchable index of one release.
#[derive(Debug, Clone, PartialEq)]
pub struct KbIndex {
    entries: Vec<EntryMeta>,
    chunk_entry: Vec<u32>,
    chunk_fields: Vec<u16>,
    texts: String,
    text_offsets: Vec<u32>,
    /// Spans of all chunks, flat; `span_offsets[c]..span_offsets[c + 1]` are chunk `c`'s.
    spans: Vec<FieldSpan>,
    span_offsets: Vec<u32>,
    hashes: Vec<[u8; 32]>,
    bm25: Bm25Index,
    vectors: Option<VectorStore>,
}

impl KbIndex {
    fn assemble(entries: Vec<EntryMeta>, chunks: &[Chunk], bm25: Bm25Index, vectors: Option<VectorStore>) -> Result<KbIndex, Error> {
        let mut chunk_entry = Vec::with_capacity(chunks.len());
        for (e, m) in entries.iter().enumerate() {
            chunk_entry.extend(std::iter::repeat_n(e as u32, m.n_chunks as usize));
        }
        let mut texts = String::with_capacity(chunks.iter().map(|c| c.text.len()).sum());
        let mut text_offsets = vec![0u32];
        let mut spans = Vec::new();
        let mut span_offsets = vec![0u32];
        let mut chunk_fields = Vec::with_capacity(chunks.len());
        let mut hashes = Vec::with_capacity(chunks.len());
        for c in chunks {
            texts.push_str(&c.text);
            text_offsets.push(texts.len() as u32);
            spans.extend_from_slice(&c.spans);
            span_offsets.push(spans.len() as u32);
            chunk_fields.push(c.fields.iter().fold(0u16, |m, f| m | f.bit()));
            hashes.push(hash_bytes(&c.content_hash).ok_or(Error::Corrupt("content hash"))?);
        }
        Ok(KbIndex { entries, chunk_entry, chunk_fields, texts, text_offsets, spans, span_offsets, hashes, bm25, vectors })
    }

    pub fn num_entries(&self) -> usize {
        self.entries.len()
    }

    pub fn num_chunks(&self) -> usize {
        self.chunk_entry.len()
    }

    /// Distinct terms in the lexical index.
    pub fn num_terms(&self) -> usize {
        self.bm25.num_terms()
    }

    pub fn keys(&self) -> impl Iterator<Item = &EntryKey> {
        self.entries.iter().map(|e| &e.key)
    }

    pub fn vectors(&self) -> Option<&VectorStore> {
        self.vectors.as_ref()
    }

    pub fn embedding_model(&self) -> Option<&str> {
        self.vectors.as_ref().map(VectorStore::model)
    }

    fn chunk_text(&self, c: usize) -> &str {
        &self.texts[self.text_offsets[c] as usize..self.text_offsets[c + 1] as usize]
    }

    /// Chunk `c` (0-based over the whole index) as it was built.
    pub fn chunk(&self, c: usize) -> Chunk {
        let e = &self.entries[self.chunk_entry[c] as usize];
        Chunk {
            key: e.key.clone(),
            kind: e.key.kind,
            chunk_no: c as u32 - e.first_chunk,
            text: self.chunk_text(c).to_owned(),
            fields: Field::from_mask(self.chunk_fields[c]),
            spans: self.spans[self.span_offsets[c] as usize..self.span_offsets[c + 1] as usize].to_vec(),
            content_hash: hash_hex(&self.hashes[c]),
        }
    }

    pub fn chunks(&self) -> impl Iterator<Item = Chunk> + '_ {
        (0..self.num_chunks()).map(|c| self.chunk(c))
    }

    /// The chunks of one entry.
    pub fn entry_chunks(&self, key: &EntryKey) -> Vec<Chunk> {
        match self.entries.iter().find(|e| &e.key == key) {
            Some(e) => (e.first_chunk..e.first_chunk + e.n_chunks).map(|c| self.chunk(c as usize)).collect(),
            None => Vec::new(),
        }
    }

    /// Searches the index. `query_embedding` (the query text embedded with the index's model)
    /// feeds the vector side; without it, or with a wrong dimension, `Vector` finds nothing
    /// and `Hybrid` is lexical. Never fails: an empty or stop-word-only query finds nothing
    /// lexically, a huge one is cut (see [`crate::bm25::MAX_QUERY_BYTES`]).
    pub fn search(&self, q: &Query, query_embedding: Option<&[f32]>) -> Vec<Hit> {
        let k = q.k.min(MAX_K);
        if k == 0 || self.entries.is_empty() {
            return Vec::new();
        }
        let tags: Vec<String> = q.tags.iter().map(|t| t.to_lowercase()).collect();
        let allow = |e: u32| {
            let m = &self.entries[e as usize];
            (q.kinds.is_empty() || q.kinds.contains(&m.key.kind))
                && (tags.is_empty() || m.tags.iter().any(|t| tags.contains(&t.to_lowercase())))
        };
        let terms = bm25::query_terms(&q.text);
        let depth = if q.ranking == Ranking::Hybrid { k.max(FUSION_DEPTH) } else { k };
        let lexical = if q.ranking == Ranking::Vector { Vec::new() } else { self.bm25.search(&terms, depth, &self.chunk_entry, &allow) };
        let vector: Vec<(u32, u32, f32)> = match (&self.vectors, query_embedding, q.ranking) {
            (Some(v), Some(emb), Ranking::Vector | Ranking::Hybrid) => {
                let sims = v.similarities(emb, &|c| allow(self.chunk_entry[c as usize]));
                best_per_entry(sims.into_iter(), &self.chunk_entry, depth)
            }
            _ => Vec::new(),
        };
        let lex_rank = |e: u32| lexical.iter().position(|h| h.entry == e).map(|p| p as u32 + 1);
        let vec_rank = |e: u32| vector.iter().position(|h| h.0 == e).map(|p| p as u32 + 1);
        let ranked: Vec<(u32, f32)> = match q.ranking {
            Ranking::Lexical => lexical.iter().map(|h| (h.entry, h.score)).collect(),
            Ranking::Vector => vector.iter().map(|h| (h.0, h.2)).collect(),
            Ranking::Hybrid if vector.is_empty() => lexical.iter().take(k).map(|h| (h.entry, h.score)).collect(),
            Ranking::Hybrid => {
                let l: Vec<u32> = lexical.iter().map(|h| h.entry).collect();
                let v: Vec<u32> = vector.iter().map(|h| h.0).collect();
                rrf(&[&l, &v], k)
            }
        };
        ranked
            .into_iter()
            .take(k)
            .map(|(e, score)| {
                let chunk = lexical
                    .iter()
                    .find(|h| h.entry == e)
                    .map(|h| h.chunk)
                    .or_else(|| vector.iter().find(|h| h.0 == e).map(|h| h.1))
                    .unwrap_or(0);
                let meta = &self.entries[e as usize];
                Hit {
                    key: meta.key.clone(),
                    kind: meta.key.kind,
                    score,
                    chunk_no: chunk - meta.first_chunk,
                    text: self.chunk_text(chunk as usize).to_owned(),
                    fields: Field::from_mask(self.chunk_fields[chunk as usize]),
                    matches: self.bm25.matches(&terms, chunk),
                    lexical_rank: lex_rank(e),
                    vector_rank: vec_rank(e),
                }
            })
            .collect()
    }

    /// The index as bytes (see the module docs for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.buf.extend_from_slice(MAGIC);
        w.u32(VERSION);
        w.varint(self.entries.len() as u64);
        for e in &self.entries {
            w.u8(match e.key.kind {
                EntryKind::ApiOperation => 0,
                EntryKind::Table => 1,
            });
            w.str(&e.key.name);
            w.varint(e.tags.len() as u64);
            for t in &e.tags {
                w.str(t);
            }
            w.varint(u64::from(e.first_chunk));
            w.varint(u64::from(e.n_chunks));
        }
        w.u32s(&self.chunk_entry);
        w.u16s(&self.chunk_fields);
        w.str(&self.texts);
        w.u32s(&self.text_offsets);
        w.u32s(&self.span_offsets);
        w.varint(self.spans.len() as u64);
        for s in &self.spans {
            w.u8(s.field as u8);
            w.varint(u64::from(s.start));
            w.varint(u64::from(s.end - s.start));
        }
        w.varint(self.hashes.len() as u64);
        for h in &self.hashes {
            w.buf.extend_from_slice(h);
        }
        self.bm25.write(&mut w);
        match &self.vectors {
            Some(v) => {
                w.u8(1);
                v.write(&mut w);
            }
            None => w.u8(0),
        }
        w.buf
    }

    /// Loads an index written by [`KbIndex::to_bytes`], validating its structure (corrupt
    /// bytes give an error, never a panic later).
    pub fn from_bytes(bytes: &[u8]) -> Result<KbIndex, Error> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return Err(Error::NotAnIndex);
        }
        let mut r = Reader::new(&bytes[4..]);
        let version = r.u32("version")?;
        if version != VERSION {
            return Err(Error::Version(version));
        }
        let n = r.len(3, "entry count")?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = match r.u8("entry kind")? {
                0 => EntryKind::ApiOperation,
                1 => EntryKind::Table,
                _ => return Err(Error::Corrupt("entry kind")),
            };
            let name = r.string("entry key")?;
            let nt = r.len(1, "tag count")?;
            let tags = (0..nt).map(|_| r.string("tag")).collect::<Result<Vec<_>, _>>()?;
            let first_chunk = u32::try_from(r.varint("first chunk")?).map_err(|_| Error::Corrupt("first chunk"))?;
            let n_chunks = u32::try_from(r.varint("chunk count")?).map_err(|_| Error::Corrupt("chunk count"))?;
            entries.push(EntryMeta { key: EntryKey { kind, name }, tags, first_chunk, n_chunks });
        }
        let chunk_entry = r.u32s("chunk entries")?;
        let chunk_fields = r.u16s("chunk fields")?;
        let texts = r.string("chunk texts")?;
        let text_offsets = r.u32s("text offsets")?;
        let span_offsets = r.u32s("span offsets")?;
        let ns = r.len(3, "span count")?;
        let mut spans = Vec::with_capacity(ns);
        for _ in 0..ns {
            let field = Field::from_index(r.u8("span field")?).ok_or(Error::Corrupt("span field"))?;
            let start = u32::try_from(r.varint("span start")?).map_err(|_| Error::Corrupt("span start"))?;
            let len = u32::try_from(r.varint("span length")?).map_err(|_| Error::Corrupt("span length"))?;
            spans.push(FieldSpan { field, start, end: start.checked_add(len).ok_or(Error::Corrupt("span end"))? });
        }
        let nh = r.len(32, "hash count")?;
        let mut hashes = Vec::with_capacity(nh);
        for _ in 0..nh {
            let mut h = [0u8; 32];
            for b in h.iter_mut() {
                *b = r.u8("hash")?;
            }
            hashes.push(h);
        }
        let bm25 = Bm25Index::read(&mut r)?;
        let vectors = match r.u8("vector flag")? {
            0 => None,
            1 => Some(VectorStore::read(&mut r)?),
            _ => return Err(Error::Corrupt("vector flag")),
        };
        if !r.at_end() {
            return Err(Error::Corrupt("trailing bytes"));
        }
        // Structure: every per-chunk array agrees, every reference is in range.
        let nc = chunk_entry.len();
        codec::check_offsets(&text_offsets, texts.len(), "text offsets")?;
        codec::check_offsets(&span_offsets, spans.len(), "span offsets")?;
        if chunk_fields.len() != nc
            || text_offsets.len() != nc + 1
            || span_offsets.len() != nc + 1
            || hashes.len() != nc
            || bm25.num_chunks() != nc
            || vectors.as_ref().is_some_and(|v| v.len() != nc)
        {
            return Err(Error::Corrupt("chunk count"));
        }
        if text_offsets.iter().any(|&o| !texts.is_char_boundary(o as usize)) {
            return Err(Error::Corrupt("text offsets"));
        }
        let mut next = 0u32;
        for (i, e) in entries.iter().enumerate() {
            if e.first_chunk != next || e.n_chunks == 0 {
                return Err(Error::Corrupt("entry chunks"));
            }
            next = next.checked_add(e.n_chunks).ok_or(Error::Corrupt("entry chunks"))?;
            if chunk_entry.get(e.first_chunk as usize..next as usize).is_none_or(|s| s.iter().any(|&x| x as usize != i)) {
                return Err(Error::Corrupt("chunk entries"));
            }
        }
        if next as usize != nc {
            return Err(Error::Corrupt("entry chunks"));
        }
        for c in 0..nc {
            let len = text_offsets[c + 1] - text_offsets[c];
            if spans[span_offsets[c] as usize..span_offsets[c + 1] as usize].iter().any(|s| s.end > len) {
                return Err(Error::Corrupt("span range"));
            }
        }
        Ok(KbIndex { entries, chunk_entry, chunk_fields, texts, text_offsets, spans, span_offsets, hashes, bm25, vectors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{generate, test_embedding};
    use std::time::Instant;

    fn small() -> (Vec<Entry>, KbIndex) {
        let set = generate(1_200);
        let index = IndexBuilder::new(&set.entries).build().unwrap();
        (set.entries, index)
    }

    fn with_vectors(entries: &[Entry]) -> KbIndex {
        let mut emb = Embeddings::new("test");
        for c in chunk::chunk_entries(entries) {
            emb.insert(c.content_hash.clone(), test_embedding(&c.text)).unwrap();
        }
        IndexBuilder::new(entries).embeddings(emb).build().unwrap()
    }

    fn top(index: &KbIndex, q: &Query) -> Vec<String> {
        index.search(q, None).into_iter().map(|h| h.key.name).collect()
    }

    #[test]
    fn finds_operations_and_tables_the_way_people_ask() {
        let (_, index) = small();
        let hits = top(&index, &Query::new("how do I cancel a subscription").k(3));
        assert_eq!(hits[0], "POST /subscriptions/{id}/cancel", "{hits:?}");
        let hits = top(&index, &Query::new("which table stores invoice line items").k(3));
        assert_eq!(hits[0], "public.invoice_line_items", "{hits:?}");
        let hits = top(&index, &Query::new("怎么取消一个还没发货的订单").k(3));
        assert_eq!(hits[0], "POST /cn/orders/{order_id}/cancel", "{hits:?}");
        let hits = top(&index, &Query::new("請求書を取引先に送る").k(3));
        assert_eq!(hits[0], "POST /jp/invoices/{invoice_id}/issue", "{hits:?}");
        let hits = top(&index, &Query::new("구독 해지").k(3));
        assert_eq!(hits[0], "POST /kr/subscriptions/{subscription_id}/cancel", "{hits:?}");
    }

    #[test]
    fn hits_say_which_chunk_and_which_terms_matched_where() {
        let (_, index) = small();
        let hit = &index.search(&Query::new("cancel subscription").k(1).ranking(Ranking::Lexical), None)[0];
        assert_eq!(hit.key, EntryKey::api("POST", "/subscriptions/{id}/cancel"));
        assert_eq!(hit.kind, EntryKind::ApiOperation);
        assert_eq!(hit.chunk_no, 0);
        assert!(hit.text.starts_with("POST /subscriptions/{id}/cancel — Cancel a subscription."));
        assert!(hit.fields.contains(&Field::Title));
        assert_eq!(hit.lexical_rank, Some(1));
        assert_eq!(hit.vector_rank, None);
        let cancel = hit.matches.iter().find(|m| m.term == "cancel").unwrap();
        assert!(cancel.fields.contains(&Field::Title) && cancel.fields.contains(&Field::Summary), "{:?}", cancel.fields);
        let sub = hit.matches.iter().find(|m| m.term == "subscription").unwrap();
        assert!(sub.fields.contains(&Field::Tags), "{:?}", sub.fields);
        assert!(hit.score > 0.0);
    }

    #[test]
    fn filters_by_kind_and_tag() {
        let (_, index) = small();
        let q = Query::new("invoice").k(20);
        let tables = index.search(&q.clone().kinds([EntryKind::Table]), None);
        assert!(!tables.is_empty() && tables.iter().all(|h| h.kind == EntryKind::Table));
        let ops = index.search(&q.clone().kinds([EntryKind::ApiOperation]), None);
        assert!(!ops.is_empty() && ops.iter().all(|h| h.kind == EntryKind::ApiOperation));
        let tagged = index.search(&q.clone().tags(["BILLING"]), None);
        assert!(!tagged.is_empty());
        assert!(tagged.iter().all(|h| h.kind == EntryKind::ApiOperation));
        assert!(index.search(&q.clone().tags(["no-such-tag"]), None).is_empty());
        // A kind no entry has: nothing, not everything.
        let only_ops: Vec<Entry> = generate(200).entries.into_iter().filter(|e| e.kind() == EntryKind::ApiOperation).collect();
        let ops_index = IndexBuilder::new(&only_ops).build().unwrap();
        assert!(ops_index.search(&Query::new("sign in").kinds([EntryKind::Table]), None).is_empty());
        // Kinds named by strings: unknown names are errors.
        assert_eq!(Query::parse_kinds(&["table", "api_operation"]).unwrap(), vec![EntryKind::Table, EntryKind::ApiOperation]);
        assert_eq!(Query::parse_kinds(&["tables"]), Err(Error::UnknownKind("tables".into())));
    }

    #[test]
    fn degenerate_queries_are_empty_and_bounded() {
        let (_, index) = small();
        assert!(index.search(&Query::new(""), None).is_empty());
        assert!(index.search(&Query::new("   ?!.,;:/{}()[]\"' — 。、「」"), None).is_empty());
        assert!(index.search(&Query::new("how do I the of a"), None).is_empty(), "stop words only");
        assert!(index.search(&Query::new("invoice").k(0), None).is_empty());
        assert_eq!(index.search(&Query::new("invoice").k(100_000), None).len(), MAX_K);
        let big: String = (0..12_000).map(|i| format!("invoice{i} 订单{i} ")).collect();
        assert!(big.len() >= 100_000);
        let t = Instant::now();
        let _ = index.search(&Query::new(big), None);
        assert!(t.elapsed().as_millis() < 2_000, "{:?}", t.elapsed());
        let empty = IndexBuilder::new(&[]).build().unwrap();
        assert!(empty.search(&Query::new("invoice"), None).is_empty());
        assert_eq!(KbIndex::from_bytes(&empty.to_bytes()).unwrap(), empty);
    }

    #[test]
    fn rankings_vector_and_hybrid() {
        let (entries, _) = small();
        let index = with_vectors(&entries);
        assert_eq!(index.embedding_model(), Some("test"));
        let text = "cancel a subscription";
        let emb = test_embedding(text);
        let v = index.search(&Query::new(text).ranking(Ranking::Vector), Some(&emb));
        assert_eq!(v.len(), 10);
        assert!(v.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(v.iter().all(|h| h.vector_rank.is_some()));
        // Vector needs an embedding of the right size.
        assert!(index.search(&Query::new(text).ranking(Ranking::Vector), None).is_empty());
        assert!(index.search(&Query::new(text).ranking(Ranking::Vector), Some(&[1.0, 2.0])).is_empty());
        // Hybrid without an embedding is lexical.
        let lex = index.search(&Query::new(text).ranking(Ranking::Lexical), None);
        let hyb_plain = index.search(&Query::new(text), None);
        assert_eq!(lex, hyb_plain);
        let hyb = index.search(&Query::new(text), Some(&emb));
        assert_eq!(hyb[0].key, EntryKey::api("POST", "/subscriptions/{id}/cancel"));
        assert!(hyb[0].lexical_rank.is_some() && hyb[0].vector_rank.is_some());
        assert!(hyb[0].score <= 2.0 / 61.0 + 1e-6);
        // A vector-only query text can be empty.
        assert_eq!(index.search(&Query::new("").ranking(Ranking::Vector), Some(&emb)).len(), 10);
    }

    #[test]
    fn serialise_load_round_trip() {
        let (entries, index) = small();
        let bytes = index.to_bytes();
        let back = KbIndex::from_bytes(&bytes).unwrap();
        assert_eq!(back, index);
        assert_eq!(back.to_bytes(), bytes);
        let q = Query::new("refund a payment");
        assert_eq!(back.search(&q, None), index.search(&q, None));
        let chunks: Vec<Chunk> = index.chunks().collect();
        assert_eq!(chunks, chunk::chunk_entries(&entries));
        let vindex = with_vectors(&entries[..300]);
        let vbytes = vindex.to_bytes();
        assert_eq!(KbIndex::from_bytes(&vbytes).unwrap(), vindex);
    }

    #[test]
    fn corrupt_bytes_are_errors_not_panics() {
        let set = generate(60);
        let index = with_vectors(&set.entries);
        let bytes = index.to_bytes();
        assert_eq!(KbIndex::from_bytes(b"nope"), Err(Error::NotAnIndex));
        let mut v = bytes.clone();
        v[4] = 9;
        assert_eq!(KbIndex::from_bytes(&v), Err(Error::Version(9)));
        for cut in (0..bytes.len()).step_by(97) {
            assert!(KbIndex::from_bytes(&bytes[..cut]).is_err(), "prefix {cut}");
        }
        // Flipped bytes: an error or an index that still searches without panicking.
        for i in (8..bytes.len()).step_by(211) {
            let mut v = bytes.clone();
            v[i] ^= 0x5a;
            if let Ok(idx) = KbIndex::from_bytes(&v) {
                let _ = idx.search(&Query::new("invoice comments"), Some(&test_embedding("invoice")));
            }
        }
    }

    #[test]
    fn progress_is_reported_and_duplicates_refused() {
        let set = generate(1_100);
        let mut seen = Vec::new();
        IndexBuilder::new(&set.entries).on_progress(|p| seen.push(p)).build().unwrap();
        assert!(seen.iter().any(|p| p.stage == Stage::Chunking && p.done == 500));
        assert!(seen.iter().any(|p| p.stage == Stage::Indexing));
        assert_eq!(seen.last().unwrap().stage, Stage::Done);
        assert!(seen.iter().all(|p| p.done <= p.total));
        let twice = vec![set.entries[0].clone(), set.entries[0].clone()];
        assert!(matches!(IndexBuilder::new(&twice).build(), Err(Error::DuplicateKey(_))));
        let e = Embeddings::new("m");
        assert!(matches!(IndexBuilder::new(&set.entries[..3]).embeddings(e).build(), Err(Error::MissingEmbedding { .. })));
    }

    #[test]
    fn entry_chunks_and_reuse_from_a_loaded_index() {
        let set = generate(300);
        let v1 = with_vectors(&set.entries);
        let loaded = KbIndex::from_bytes(&v1.to_bytes()).unwrap();
        let mut next = set.entries.clone();
        if let Entry::ApiOperation(op) = &mut next[0] {
            op.summary = "Sign in with a password".into();
        }
        let chunks = chunk::chunk_entries(&next);
        let (mut emb, to_embed) = crate::vector::reuse(loaded.vectors(), "test", &chunks);
        assert_eq!(to_embed, vec![0], "only the edited entry's chunk");
        for &i in &to_embed {
            emb.insert(chunks[i].content_hash.clone(), test_embedding(&chunks[i].text)).unwrap();
        }
        let v2 = IndexBuilder::new(&next).embeddings(emb).build().unwrap();
        assert_eq!(v2.num_chunks(), v1.num_chunks());
        let key = next[0].key();
        assert_eq!(v2.entry_chunks(&key)[0].text.lines().next().unwrap(), "POST /auth/login — Sign in with a password.");
        assert!(v2.entry_chunks(&EntryKey::table("x", "y")).is_empty());
    }
}
