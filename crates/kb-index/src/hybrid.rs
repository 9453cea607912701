//! Reciprocal rank fusion of the lexical and the vector ranking.

use serde::{Deserialize, Serialize};

/// The RRF constant: an item at rank r (1-based) of a list scores 1 / (RRF_K + r).
pub const RRF_K: f32 = 60.0;

/// Which ranking a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ranking {
    /// BM25 only.
    Lexical,
    /// Cosine similarity of embeddings only (needs a query embedding and an index with vectors).
    Vector,
    /// Both, fused by reciprocal rank; falls back to lexical when there is no vector side.
    #[default]
    Hybrid,
}

/// Fuses rankings (each a list of item ids, best first) by reciprocal rank: every item scores
/// the sum over the lists it appears in of 1 / (RRF_K + rank). Returns the best `k` as
/// `(item, score)`, highest first; ties go to the item ranked best in the earliest list.
pub fn rrf(rankings: &[&[u32]], k: usize) -> Vec<(u32, f32)> {
    let mut scores: Vec<(u32, f32, usize)> = Vec::new(); // (item, score, first appearance order)
    let mut pos: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    let mut order = 0usize;
    for list in rankings {
        for (r, &item) in list.iter().enumerate() {
            let s = 1.0 / (RRF_K + (r + 1) as f32);
            match pos.get(&item) {
                Some(&i) => scores[i].1 += s,
                None => {
                    pos.insert(item, scores.len());
                    scores.push((item, s, order));
                }
            }
            order += 1;
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    scores.truncate(k);
    scores.into_iter().map(|(i, s, _)| (i, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_in_both_lists_rise() {
        let lexical = [1, 2, 3];
        let vector = [3, 4, 1];
        let fused = rrf(&[&lexical, &vector], 10);
        let ids: Vec<u32> = fused.iter().map(|f| f.0).collect();
        assert_eq!(ids, [1, 3, 2, 4]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-7);
        assert!((fused[1].1 - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-7);
        assert_eq!(rrf(&[&lexical, &vector], 2).len(), 2);
    }

    #[test]
    fn one_list_keeps_its_order_and_empty_is_empty() {
        assert_eq!(rrf(&[&[5, 6, 7]], 10).iter().map(|f| f.0).collect::<Vec<_>>(), [5, 6, 7]);
        assert!(rrf(&[], 10).is_empty());
        assert!(rrf(&[&[], &[]], 10).is_empty());
    }
}
