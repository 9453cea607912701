//! A bag-of-tokens sketch: token counts in 128 hashed buckets. The sum over buckets of the
//! smaller count bounds the LCS of two sequences from above (collisions only add), so
//! candidates that cannot reach the threshold are skipped without aligning them.

use crate::hash::mix;

const BUCKETS: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sketch([u16; BUCKETS]);

impl Default for Sketch {
    fn default() -> Self {
        Sketch([0; BUCKETS])
    }
}

impl Sketch {
    pub fn of(hashes: &[u64]) -> Self {
        let mut s = Sketch::default();
        for h in hashes {
            let b = &mut s.0[(mix(*h) >> 57) as usize];
            *b = b.saturating_add(1);
        }
        s
    }

    /// Σ min(count): ≥ the multiset intersection, hence ≥ any common subsequence (while no
    /// bucket saturates, which the token limit prevents).
    pub fn overlap(&self, other: &Sketch) -> usize {
        // u16 lanes vectorise 8-16 wide; the sum cannot wrap since it is at most the smaller
        // total count, and prompts are capped below 2¹⁶ tokens.
        usize::from(self.0.iter().zip(other.0.iter()).fold(0u16, |acc, (a, b)| acc.wrapping_add(*a.min(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_bounds_the_intersection() {
        let a = Sketch::of(&[1, 2, 2, 3]);
        let b = Sketch::of(&[2, 2, 2, 4]);
        assert!(a.overlap(&b) >= 2);
        assert_eq!(a.overlap(&a), 4);
        assert_eq!(a.overlap(&Sketch::default()), 0);
    }
}
