//! Online template miner for system prompts: Drain's search structure, Spell's comparison.
//!
//! **Variant.** Drain (He et al., 2017) files log lines in a fixed-depth tree keyed by token
//! count and first tokens, then compares a line with the templates of its leaf position by
//! position. System prompts break the position-wise part: a filler such as a name, an unquoted
//! question or a list of items has a different number of tokens in every prompt, and everything
//! after it shifts. So this miner keeps Drain's tree for candidate search (first `depth` masked
//! tokens, `max_children`, a `<*>` branch; no token-count level, see `index.rs`) but compares
//! and merges by longest common subsequence, as Spell (Du & Li, 2016) does, with a Drain-like
//! similarity threshold over the alignment (see `cluster.rs`):
//!
//! 1. [`mask`](crate::mask) the prompt (numbers, ids, dates, quotes, context blocks…) and cap it
//!    at `max_tokens` tokens;
//! 2. collect candidate templates from the tree; skip those whose bag-of-tokens bound
//!    (`sketch.rs`) cannot reach `similarity`;
//! 3. align the rest, best bound first, with Myers' diff (`align.rs`) bounded by the edits the
//!    threshold allows; score `2·LCS / (L + W + LCS + E)`;
//! 4. the best template at or above `similarity` absorbs the prompt: every gap where template or
//!    prompt has unmatched tokens becomes one variable-length `<*>`; otherwise the prompt starts
//!    a new template.
//!
//! Cost: a prompt seen before, byte for byte, is recognised by a hash of its text and costs
//! about one hash (agent loops re-send the same system prompt on every call). Otherwise masking
//! is linear, and an alignment is O((L + N)·D) for D differing tokens, small for prompts of a
//! known template. `benches/mining.rs` prints the figures beside a SHA-256 of the prompt.
//!
//! Memory: at most `max_clusters` templates (least recently matched evicted) of at most
//! `max_tokens + 1` tokens of ≤ 64 stored bytes, ≈ 100 bytes per token in the worst case,
//! typically 10–20 KB per template; plus the exact-text map (16 bytes × 4 × `max_clusters`).
//!
//! **Ids.** A template's id is fixed when it is created — a hash of its first prompt's masked
//! tokens — and never changes as it gains wildcards. An evicted template that comes back gets
//! the same id if it comes back with the same masked text. Ids are stable across persist and
//! restore (the miner is serde); different miners (or projects) assign ids independently.

mod align;
mod cluster;
mod index;
mod sketch;
mod state;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::hash::{combine, hash_bytes, mix, MixedMap};
use crate::mask::{mask_with_limit, Token};
use align::Scratch;
use cluster::Cluster;
use sketch::Sketch;

/// The hash of a `<*>` token.
pub(crate) const WILD: u64 = 0xffff_2a2a_2a2a_ffff;

/// Miner settings. Out-of-range values are clamped by [`TemplateMiner::new`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Minimum score (0–1] for a prompt to join a template. On the labelled corpus (seeds 1–3)
    /// 0.55–0.75 keep purity and completeness ≥ 0.97 and 0.6 gives ≥ 0.994 / 1.0; lower, ad-hoc
    /// prompts that share one persona sentence merge; higher, templates whose unmasked fillers
    /// are long (lists, unknown tags) split.
    pub similarity: f64,
    /// Tokens of the prefix-tree key (Drain's depth minus its length level).
    pub depth: usize,
    /// Literal children per tree node before new templates go to the `<*>` child.
    pub max_children: usize,
    /// Templates kept; the least recently matched is evicted beyond this.
    pub max_clusters: usize,
    /// Tokens of a prompt that are mined; the rest is summarised by one `<TRUNCATED>` token.
    pub max_tokens: usize,
    /// Cap on the insertions + deletions one alignment may explore (O(max_edits²) memory).
    pub max_edits: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { similarity: 0.6, depth: 3, max_children: 64, max_clusters: 1024, max_tokens: 1024, max_edits: 512 }
    }
}

impl Config {
    fn clamped(self) -> Self {
        let d = Config::default();
        Config {
            similarity: if self.similarity.is_finite() { self.similarity.clamp(0.01, 1.0) } else { d.similarity },
            depth: self.depth.min(16),
            max_children: self.max_children.max(1),
            max_clusters: self.max_clusters.max(1),
            max_tokens: self.max_tokens.clamp(1, 60_000),
            max_edits: self.max_edits.clamp(1, 4096),
        }
    }
}

/// A template's id: fixed at creation (see the module docs). Displayed as 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TemplateId(pub u64);

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What [`TemplateMiner::add`] did with a prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateMatch {
    pub template_id: TemplateId,
    /// The template after this prompt, variable parts as `<*>` or typed placeholders.
    pub template: String,
    /// An existing template gained wildcards to cover this prompt.
    pub changed: bool,
    /// This prompt started a new template.
    pub created: bool,
    /// Prompts the template has absorbed (since its creation or restore).
    pub size: u64,
}

/// The online miner. One per project (templates are not shared across tenants).
#[derive(Clone, Debug)]
pub struct TemplateMiner {
    config: Config,
    clusters: MixedMap<TemplateId, Cluster>,
    index: index::Index,
    /// (last_seen tick, id): the first entry is the least recently matched template.
    lru: BTreeSet<(u64, TemplateId)>,
    tick: u64,
    seq: u64,
    /// Hash of an exact prompt text → its template: a repeated prompt (every call of an agent
    /// loop, a template without variables) skips masking and alignment. Not persisted; cleared
    /// when it reaches `4 × max_clusters` entries. A 64-bit collision between two live prompt
    /// texts would misfile one of them (odds ~2⁻⁵⁰ at the cap).
    seen: MixedMap<u64, TemplateId>,
    scratch: Scratch,
}

impl Default for TemplateMiner {
    fn default() -> Self {
        TemplateMiner::new(Config::default())
    }
}

impl TemplateMiner {
    pub fn new(config: Config) -> Self {
        TemplateMiner {
            config: config.clamped(),
            clusters: MixedMap::default(),
            index: index::Index::default(),
            lru: BTreeSet::new(),
            tick: 0,
            seq: 0,
            seen: MixedMap::default(),
            scratch: Scratch::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Templates currently kept.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    pub fn template(&self, id: TemplateId) -> Option<&str> {
        self.clusters.get(&id).map(|c| c.template.as_str())
    }

    /// (id, template, prompts absorbed), oldest template first.
    pub fn templates(&self) -> Vec<(TemplateId, &str, u64)> {
        let mut all: Vec<&Cluster> = self.clusters.values().collect();
        all.sort_by_key(|c| c.seq);
        all.into_iter().map(|c| (c.id, c.template.as_str(), c.size)).collect()
    }

    /// Mines one prompt: joins the most similar template (generalising it if needed) or
    /// starts a new one.
    pub fn add(&mut self, prompt: &str) -> TemplateMatch {
        self.tick += 1;
        let text_hash = hash_bytes(prompt.as_bytes());
        if let Some(m) = self.seen.get(&text_hash).copied().and_then(|id| self.absorb(id, &[], None)) {
            return m;
        }
        let masked = mask_with_limit(prompt, self.config.max_tokens);
        let hashes: Vec<u64> = masked.tokens.iter().map(|t| t.hash).collect();
        let mut scratch = std::mem::take(&mut self.scratch);
        let found = self.best(&hashes, &mut scratch);
        let m = match found.and_then(|id| self.absorb(id, &masked.tokens, Some(&scratch.best))) {
            Some(m) => m,
            None => self.create(&masked.tokens, &hashes),
        };
        self.scratch = scratch;
        if self.seen.len() >= self.config.max_clusters.saturating_mul(4).max(1024) {
            self.seen.clear();
        }
        self.seen.insert(text_hash, m.template_id);
        m
    }

    /// The template a prompt would join, without changing anything.
    pub fn match_only(&self, prompt: &str) -> Option<TemplateId> {
        if let Some(id) = self.seen.get(&hash_bytes(prompt.as_bytes())).filter(|id| self.clusters.contains_key(id)) {
            return Some(*id);
        }
        let masked = mask_with_limit(prompt, self.config.max_tokens);
        let hashes: Vec<u64> = masked.tokens.iter().map(|t| t.hash).collect();
        self.best(&hashes, &mut Scratch::default())
    }

    /// The best-scoring template at or above the threshold; its alignment is left in
    /// `scratch.best`.
    fn best(&self, prompt: &[u64], scratch: &mut Scratch) -> Option<TemplateId> {
        let key = index::key(prompt.iter().map(|h| (*h, false)), self.config.depth);
        scratch.ids.clear();
        self.index.candidates(&key, &mut scratch.ids);
        let sketch = Sketch::of(prompt);
        let threshold = self.config.similarity;
        let mut ranked = std::mem::take(&mut scratch.ranked);
        ranked.clear();
        for c in scratch.ids.iter().filter_map(|id| self.clusters.get(id)) {
            let bound = c.upper_bound(prompt.len(), &sketch);
            if bound >= threshold {
                ranked.push((bound, c.seq, c.id));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut best: Option<(f64, TemplateId)> = None;
        for &(bound, _, id) in &ranked {
            if best.is_some_and(|(score, _)| bound <= score) {
                break;
            }
            let Some(c) = self.clusters.get(&id) else { continue };
            let max_d = c.max_edits(prompt.len(), threshold).min(self.config.max_edits);
            if !align::lcs(&c.derived.lits, prompt, max_d, scratch) {
                continue;
            }
            let score = c.score(prompt.len(), &scratch.pairs);
            if score >= threshold && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, id));
                std::mem::swap(&mut scratch.pairs, &mut scratch.best);
            }
        }
        scratch.ranked = ranked;
        best.map(|(_, id)| id)
    }

    /// Counts `prompt` into template `id`, generalising the template to the alignment `pairs`
    /// (None: a prompt already known to be covered).
    fn absorb(&mut self, id: TemplateId, prompt: &[Token], pairs: Option<&[(u32, u32)]>) -> Option<TemplateMatch> {
        let (depth, max_children) = (self.config.depth, self.config.max_children);
        let c = self.clusters.get_mut(&id)?;
        let changed = pairs.is_some_and(|pairs| c.merge(prompt, pairs));
        c.size += 1;
        self.lru.remove(&(c.last_seen, id));
        c.last_seen = self.tick;
        self.lru.insert((c.last_seen, id));
        if changed {
            let key = index::key(c.tokens.iter().map(|t| (t.hash, t.wild)), depth);
            if key != c.derived.key {
                self.index.remove(id, &c.derived.path);
                c.derived.path = self.index.insert(id, &key, max_children);
                c.derived.key = key;
            }
        }
        Some(TemplateMatch { template_id: id, template: c.template.clone(), changed, created: false, size: c.size })
    }

    fn create(&mut self, prompt: &[Token], hashes: &[u64]) -> TemplateMatch {
        while self.clusters.len() >= self.config.max_clusters {
            if !self.evict_one() {
                break;
            }
        }
        let mut id = TemplateId(hashes.iter().fold(mix(hashes.len() as u64), |h, x| combine(h, *x)));
        while self.clusters.contains_key(&id) {
            id = TemplateId(combine(id.0, 1));
        }
        self.seq += 1;
        let c = Cluster::new(id, self.seq, self.tick, prompt);
        let m = TemplateMatch { template_id: id, template: c.template.clone(), changed: false, created: true, size: 1 };
        self.insert(c);
        m
    }

    /// Files a cluster in the index and the LRU order.
    fn insert(&mut self, mut c: Cluster) {
        let key = index::key(c.tokens.iter().map(|t| (t.hash, t.wild)), self.config.depth);
        c.derived.path = self.index.insert(c.id, &key, self.config.max_children);
        c.derived.key = key;
        self.lru.insert((c.last_seen, c.id));
        self.clusters.insert(c.id, c);
    }

    fn evict_one(&mut self) -> bool {
        let Some((_, id)) = self.lru.pop_first() else { return false };
        if let Some(c) = self.clusters.remove(&id) {
            self.index.remove(id, &c.derived.path);
        }
        true
    }
}

#[cfg(test)]
mod tests;
