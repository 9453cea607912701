//! Drain's fixed-depth prefix tree, keyed by the first `depth` tokens (no token-count level: a
//! prompt's length varies with its fillers, and the score's own length terms already separate
//! prompts of very different sizes).
//!
//! A template's key is its first `depth` tokens; from its first wildcard on, every level is
//! `<*>` (a wildcard may stand for any number of tokens, so later positions are unknown). A
//! node holds at most `max_children` literal children; further templates take its `<*>` child,
//! as in Drain. A prompt searches, at each level, both the child for its own token and the
//! `<*>` child: at most 2^depth leaves.
//!
//! Nodes are not objects: an edge is the hash of the path so far, kept with the number of
//! templates under it, so empty branches vanish when templates are evicted and the index needs
//! no serialisation (it is rebuilt from the templates on restore).

use super::{TemplateId, WILD};
use crate::hash::{combine, MixedMap};

/// The key of positions past the end of a short prompt.
const END: u64 = 0xffff_454e_4400_ffff;

const ROOT: u64 = 0x5eed_0fd7_a1e5_0001;

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    /// Path hash after an edge → templates below it.
    edges: MixedMap<u64, u32>,
    /// Path hash of a node → its literal (non-`<*>`) children in use.
    children: MixedMap<u64, u32>,
    leaves: MixedMap<u64, Vec<TemplateId>>,
}

/// The key of a token sequence: `(hash, is wildcard)` per token.
pub(crate) fn key(tokens: impl Iterator<Item = (u64, bool)>, depth: usize) -> Vec<u64> {
    let mut key = Vec::with_capacity(depth);
    let mut wild = false;
    for (hash, is_wild) in tokens.take(depth) {
        wild |= is_wild;
        key.push(if wild { WILD } else { hash });
    }
    let pad = if wild { WILD } else { END };
    key.resize(depth, pad);
    key
}

impl Index {
    /// Files `id` under `key`; returns the path taken (needed to remove it).
    pub fn insert(&mut self, id: TemplateId, key: &[u64], max_children: usize) -> Vec<u64> {
        let mut h = ROOT;
        let mut path = Vec::with_capacity(key.len());
        for &want in key {
            let in_use = self.edges.contains_key(&combine(h, want));
            let room = self.children.get(&h).map_or(0, |c| *c as usize) < max_children;
            let token = if want != WILD && (in_use || room) { want } else { WILD };
            let next = combine(h, token);
            let refs = self.edges.entry(next).or_insert(0);
            if *refs == 0 && token != WILD {
                *self.children.entry(h).or_insert(0) += 1;
            }
            *refs += 1;
            path.push(token);
            h = next;
        }
        self.leaves.entry(h).or_default().push(id);
        path
    }

    pub fn remove(&mut self, id: TemplateId, path: &[u64]) {
        let mut h = ROOT;
        for &token in path {
            let next = combine(h, token);
            if let Some(refs) = self.edges.get_mut(&next) {
                *refs = refs.saturating_sub(1);
                if *refs == 0 {
                    self.edges.remove(&next);
                    if token != WILD {
                        decrement(&mut self.children, h);
                    }
                }
            }
            h = next;
        }
        if let Some(ids) = self.leaves.get_mut(&h) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.leaves.remove(&h);
            }
        }
    }

    /// Templates whose path can match a prompt with this key, in a deterministic order.
    pub fn candidates(&self, key: &[u64], out: &mut Vec<TemplateId>) {
        self.walk(ROOT, key, out);
    }

    fn walk(&self, h: u64, key: &[u64], out: &mut Vec<TemplateId>) {
        let Some((&token, rest)) = key.split_first() else {
            out.extend(self.leaves.get(&h).into_iter().flatten());
            return;
        };
        for t in [token, WILD] {
            let next = combine(h, t);
            if self.edges.contains_key(&next) {
                self.walk(next, rest, out);
            }
            if token == WILD {
                break;
            }
        }
    }
}

fn decrement(map: &mut MixedMap<u64, u32>, k: u64) {
    if let Some(c) = map.get_mut(&k) {
        *c = c.saturating_sub(1);
        if *c == 0 {
            map.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_turn_to_wildcards_after_the_first_one() {
        let k = key([(1, false), (WILD, true), (3, false)].into_iter(), 4);
        assert_eq!(k, [1, WILD, WILD, WILD]);
        assert_eq!(key([(1, false)].into_iter(), 2), [1, END]);
    }

    #[test]
    fn prompts_find_exact_and_wildcard_branches() {
        let mut ix = Index::default();
        let a = ix.insert(TemplateId(1), &[1, 2], 10);
        ix.insert(TemplateId(2), &[1, WILD], 10);
        ix.insert(TemplateId(3), &[9, 2], 10);
        let mut out = Vec::new();
        ix.candidates(&[1, 2], &mut out);
        assert_eq!(out, [TemplateId(1), TemplateId(2)]);
        ix.remove(TemplateId(1), &a);
        out.clear();
        ix.candidates(&[1, 2], &mut out);
        assert_eq!(out, [TemplateId(2)]);
    }

    #[test]
    fn full_nodes_send_new_templates_to_the_wildcard_child() {
        let mut ix = Index::default();
        ix.insert(TemplateId(1), &[1], 2);
        ix.insert(TemplateId(2), &[2], 2);
        assert_eq!(ix.insert(TemplateId(3), &[3], 2), [WILD]);
        assert_eq!(ix.insert(TemplateId(4), &[1], 2), [1], "an existing child is still used");
        let mut out = Vec::new();
        ix.candidates(&[7], &mut out);
        assert_eq!(out, [TemplateId(3)]);
    }

    #[test]
    fn removing_everything_leaves_nothing() {
        let mut ix = Index::default();
        let paths: Vec<_> = (0..50).map(|i| (TemplateId(i), ix.insert(TemplateId(i), &[i % 7, i % 3, i], 4))).collect();
        for (id, p) in paths {
            ix.remove(id, &p);
        }
        assert!(ix.edges.is_empty() && ix.children.is_empty() && ix.leaves.is_empty());
    }
}
