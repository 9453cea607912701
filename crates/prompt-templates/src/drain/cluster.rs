//! One template: its tokens (literals and `<*>` wildcards), the rendered text, how a prompt
//! scores against it and how it generalises to cover a prompt.
//!
//! Score of a prompt P against template T, given the LCS alignment of T's literals with P:
//!
//! ```text
//! score = 2·LCS / (L + W + LCS + E)
//! ```
//!
//! L = T's literals, W = T's wildcards, E = P's unmatched tokens, except that a run of them
//! facing a wildcard of T counts once (the wildcard absorbs a variable-length filler). A
//! wildcard thus stands for "one variable slot" on both sides, like Drain's `<*>`, and a template
//! made mostly of wildcards cannot match everything.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{sketch::Sketch, TemplateId};
use crate::mask::{Sep, Token};

pub(crate) const WILDCARD: &str = "<*>";
/// Stored text per token is cut here (hashes still cover the whole token), bounding a
/// template's size by `max_tokens`.
const MAX_TOKEN_TEXT: usize = 64;

/// A template token. `start`/`len` locate its text in [`Cluster::template`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tok {
    #[serde(rename = "h")]
    pub hash: u64,
    #[serde(rename = "s")]
    pub start: u32,
    #[serde(rename = "n")]
    pub len: u32,
    #[serde(rename = "p")]
    pub sep: Sep,
    #[serde(rename = "w", default)]
    pub wild: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cluster {
    pub id: TemplateId,
    /// Creation order, for deterministic restores and tie-breaks.
    pub seq: u64,
    pub size: u64,
    /// Miner tick of the last prompt that matched (LRU).
    pub last_seen: u64,
    pub template: String,
    pub tokens: Vec<Tok>,
    #[serde(skip)]
    pub derived: Derived,
}

/// Recomputed from `tokens` whenever they change (and after a restore).
#[derive(Clone, Debug, Default)]
pub(crate) struct Derived {
    /// Literal hashes in order: the sequence aligned with prompts.
    pub lits: Vec<u64>,
    /// Index in `tokens` of each literal.
    pub lit_pos: Vec<u32>,
    pub wilds: usize,
    pub sketch: Sketch,
    /// The prefix-tree key wanted and the path actually taken (see `index`).
    pub key: Vec<u64>,
    pub path: Vec<u64>,
}

impl Cluster {
    pub fn new(id: TemplateId, seq: u64, tick: u64, prompt: &[Token]) -> Self {
        let mut c = Cluster { id, seq, size: 1, last_seen: tick, template: String::new(), tokens: Vec::new(), derived: Derived::default() };
        for t in prompt {
            push(&mut c.tokens, &mut c.template, t.text, t.hash, t.sep, false);
        }
        c.derive();
        c
    }

    pub fn derive(&mut self) {
        let d = &mut self.derived;
        d.lits.clear();
        d.lit_pos.clear();
        for (i, t) in self.tokens.iter().enumerate().filter(|(_, t)| !t.wild) {
            d.lits.push(t.hash);
            d.lit_pos.push(i as u32);
        }
        d.wilds = self.tokens.len() - d.lits.len();
        d.sketch = Sketch::of(&d.lits);
    }

    /// Restored state is only trusted after this: every token's text lies in the template.
    pub fn is_consistent(&self) -> bool {
        self.tokens.iter().all(|t| self.text(t).is_some()) && self.tokens.len() <= u32::MAX as usize
    }

    fn text(&self, t: &Tok) -> Option<&str> {
        let start = t.start as usize;
        self.template.get(start..start + t.len as usize)
    }

    /// An upper bound of [`Cluster::score`] for a prompt of `n` tokens, from the bag overlap.
    pub fn upper_bound(&self, n: usize, prompt: &Sketch) -> f64 {
        let l = self.derived.lits.len();
        let b = self.derived.sketch.overlap(prompt).min(l).min(n);
        let denom = if self.derived.wilds == 0 { l + n } else { l + self.derived.wilds + b };
        ratio(b, denom)
    }

    /// The most edits (insertions + deletions) an alignment may need and still score
    /// `threshold`: from `2·LCS ≥ t·(L + W + LCS)` (and `2·LCS ≥ t·(L + n)` without wildcards).
    pub fn max_edits(&self, n: usize, threshold: f64) -> usize {
        let (l, w) = (self.derived.lits.len() as f64, self.derived.wilds as f64);
        let min_lcs = if w == 0.0 { threshold * (l + n as f64) / 2.0 } else { threshold * (l + w) / (2.0 - threshold) };
        (l + n as f64 - 2.0 * min_lcs + 1e-9).max(0.0) as usize
    }

    /// Score of a prompt of `n` tokens aligned by `pairs` (literal index, prompt index).
    pub fn score(&self, n: usize, pairs: &[(u32, u32)]) -> f64 {
        let mut extra = 0;
        self.gaps(n, pairs, |t, p, _| {
            if !p.is_empty() {
                extra += if self.has_wildcard(t) { 1 } else { p.len() };
            }
        });
        ratio(pairs.len(), self.derived.lits.len() + self.derived.wilds + pairs.len() + extra)
    }

    /// Generalises the template to cover `prompt` (aligned by `pairs`): each gap where either
    /// side has unmatched tokens becomes one wildcard. Returns whether the template changed.
    pub fn merge(&mut self, prompt: &[Token], pairs: &[(u32, u32)]) -> bool {
        if self.covers(prompt.len(), pairs) {
            return false;
        }
        let (mut tokens, mut template) = (Vec::with_capacity(self.tokens.len()), String::with_capacity(self.template.len()));
        let mut changed = false;
        self.gaps(prompt.len(), pairs, |t, p, matched| {
            if !t.is_empty() || !p.is_empty() {
                let old = self.tokens.get(t.clone()).unwrap_or_default();
                changed |= !(old.len() == 1 && old[0].wild);
                let sep = old.first().map(|t| t.sep).or_else(|| prompt.get(p.start).map(|t| t.sep)).unwrap_or_default();
                push(&mut tokens, &mut template, WILDCARD, super::WILD, sep, true);
            }
            if let Some(tok) = matched.and_then(|i| self.tokens.get(i)) {
                push(&mut tokens, &mut template, self.text(tok).unwrap_or_default(), tok.hash, tok.sep, false);
            }
        });
        if changed {
            self.tokens = tokens;
            self.template = template;
            self.derive();
        }
        changed
    }

    /// Whether the template already covers the prompt: every gap is empty on both sides or is
    /// exactly one wildcard (the common case once a template has settled).
    fn covers(&self, n: usize, pairs: &[(u32, u32)]) -> bool {
        let mut covered = true;
        self.gaps(n, pairs, |t, p, _| {
            let one_wildcard = t.len() == 1 && self.tokens.get(t.start).is_some_and(|t| t.wild);
            covered &= (t.is_empty() && p.is_empty()) || one_wildcard;
        });
        covered
    }

    fn has_wildcard(&self, t: Range<usize>) -> bool {
        self.tokens.get(t).is_some_and(|ts| ts.iter().any(|t| t.wild))
    }

    /// Calls `f(template range, prompt range, matched template token)` for each gap between
    /// matched tokens, the last gap with no matched token after it.
    fn gaps(&self, n: usize, pairs: &[(u32, u32)], mut f: impl FnMut(Range<usize>, Range<usize>, Option<usize>)) {
        let (mut t0, mut p0) = (0, 0);
        for k in 0..=pairs.len() {
            let (t1, p1, matched) = match pairs.get(k) {
                Some(&(l, p)) => {
                    let t = self.derived.lit_pos.get(l as usize).map_or(self.tokens.len(), |&t| t as usize);
                    (t, p as usize, Some(t))
                }
                None => (self.tokens.len(), n, None),
            };
            f(t0..t1.max(t0), p0..p1.max(p0), matched);
            (t0, p0) = (t1 + 1, p1 + 1);
        }
    }
}

fn push(tokens: &mut Vec<Tok>, template: &mut String, text: &str, hash: u64, sep: Sep, wild: bool) {
    if !template.is_empty() {
        template.push_str(sep.as_str());
    }
    let start = template.len();
    template.push_str(clip(text));
    tokens.push(Tok { hash, start: start as u32, len: (template.len() - start) as u32, sep, wild });
}

/// `text` cut to [`MAX_TOKEN_TEXT`] bytes at a character boundary.
fn clip(text: &str) -> &str {
    if text.len() <= MAX_TOKEN_TEXT {
        return text;
    }
    let cut = (0..=MAX_TOKEN_TEXT).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    &text[..cut]
}

fn ratio(matched: usize, denom: usize) -> f64 {
    if denom == 0 {
        1.0
    } else {
        2.0 * matched as f64 / denom as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drain::align::{lcs, Scratch};
    use crate::mask::mask;

    fn aligned(c: &Cluster, prompt: &[Token]) -> Vec<(u32, u32)> {
        let hashes: Vec<u64> = prompt.iter().map(|t| t.hash).collect();
        let mut s = Scratch::default();
        assert!(lcs(&c.derived.lits, &hashes, 10_000, &mut s));
        s.pairs
    }

    fn cluster(text: &str) -> Cluster {
        Cluster::new(TemplateId(1), 0, 0, &mask(text).tokens)
    }

    #[test]
    fn merge_turns_each_differing_gap_into_one_wildcard() {
        let mut c = cluster("Hello Bob, welcome to ACME. You have 3 tickets.");
        let p = mask("Hello Mary Ann, welcome to ACME. You have 12 tickets.");
        let pairs = aligned(&c, &p.tokens);
        assert!((c.score(p.tokens.len(), &pairs) - 2.0 * 8.0 / 19.0).abs() < 1e-9);
        assert!(c.merge(&p.tokens, &pairs));
        assert_eq!(c.template, "Hello <*> welcome to ACME. You have <NUM> tickets.");
        let again = mask("Hello Li, welcome to ACME. You have 1 tickets.");
        let pairs = aligned(&c, &again.tokens);
        assert!(!c.merge(&again.tokens, &pairs), "already covered");
    }

    #[test]
    fn a_wildcard_absorbs_a_long_filler_as_one_token() {
        let mut c = cluster("Summarise a b c d e f g h for the user x");
        let p = mask("Summarise a b c d e f g h for the user y");
        let pairs = aligned(&c, &p.tokens);
        c.merge(&p.tokens, &pairs);
        let long = mask("Summarise a b c d e f g h for the user one two three four five six seven eight nine ten");
        let pairs = aligned(&c, &long.tokens);
        let s = c.score(long.tokens.len(), &pairs);
        // 12 literals + 1 wildcard; the ten-word filler counts as one unmatched token.
        assert!((s - 2.0 * 12.0 / 26.0).abs() < 1e-9, "{s}");
    }

    #[test]
    fn inserted_text_becomes_a_wildcard() {
        let mut c = cluster("Answer briefly. Be kind.");
        let p = mask("Answer very briefly. Be kind.");
        let pairs = aligned(&c, &p.tokens);
        assert!(c.merge(&p.tokens, &pairs));
        assert_eq!(c.template, "Answer <*> briefly. Be kind.");
    }

    #[test]
    fn bounds_never_undercut_scores() {
        let c = cluster("the cat sat on the mat with the hat");
        for text in ["the cat sat", "a dog sat on a mat", "the the the the", "", "hat with mat on sat cat the"] {
            let p = mask(text);
            let hashes: Vec<u64> = p.tokens.iter().map(|t| t.hash).collect();
            let s = c.score(hashes.len(), &aligned(&c, &p.tokens));
            assert!(c.upper_bound(hashes.len(), &Sketch::of(&hashes)) >= s - 1e-12, "{text}");
        }
    }

    #[test]
    fn long_tokens_are_clipped_at_a_char_boundary() {
        let c = cluster(&"é".repeat(100));
        assert_eq!(c.template.len(), 64);
        assert!(c.is_consistent());
    }
}
