//! Longest common subsequence of two token-hash sequences by Myers' greedy diff.
//!
//! O((N + M) · D) time for D insertions + deletions, so near-identical prompts (the common case)
//! align in about linear time; `max_d` caps the work for dissimilar ones (the caller derives it
//! from the similarity threshold: beyond it the score could not pass anyway). The trace of
//! furthest-reaching points is kept to recover the matched pairs: O(D²) memory, reused between
//! calls through [`Scratch`].

/// Buffers reused across alignments.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch {
    v: Vec<i32>,
    trace: Vec<i32>,
    /// The last alignment: (index in `a`, index in `b`) of each matched token, in order.
    pub pairs: Vec<(u32, u32)>,
    /// The best alignment kept by the caller.
    pub best: Vec<(u32, u32)>,
    /// The caller's candidate lists.
    pub ids: Vec<super::TemplateId>,
    pub ranked: Vec<(f64, u64, super::TemplateId)>,
}

const NONE: i32 = i32::MIN / 2;

/// Aligns `a` with `b` into `s.pairs`. False if more than `max_d` edits are needed.
pub(crate) fn lcs(a: &[u64], b: &[u64], max_d: usize, s: &mut Scratch) -> bool {
    s.pairs.clear();
    s.trace.clear();
    let (n, m) = (a.len() as i32, b.len() as i32);
    let max_d = max_d.min(a.len() + b.len()) as i32;
    let off = max_d + 1;
    s.v.clear();
    s.v.resize(2 * max_d as usize + 3, NONE);
    let at = |k: i32| (k + off) as usize;
    for d in 0..=max_d {
        for k in (-d..=d).step_by(2) {
            let prev = |j: i32| if d > 0 && j.abs() < d { Some(s.v[at(j)]).filter(|x| *x != NONE) } else { None };
            let start = if d == 0 { Some((true, 0)) } else { choose(prev(k - 1), prev(k + 1), k, n, m) };
            let Some((_, mut x)) = start else {
                s.v[at(k)] = NONE;
                continue;
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            s.v[at(k)] = x;
            if x == n && y == m {
                s.trace.extend_from_slice(&s.v[at(-d)..=at(d)]);
                return backtrack(d, n, m, s);
            }
        }
        s.trace.extend_from_slice(&s.v[at(-d)..=at(d)]);
    }
    false
}

/// How diagonal `k` is entered from the previous step's furthest points on `k - 1` and `k + 1`:
/// (moved down, x after the move), keeping only points inside the edit graph.
fn choose(left: Option<i32>, up: Option<i32>, k: i32, n: i32, m: i32) -> Option<(bool, i32)> {
    let down = up.filter(|x| x - k <= m);
    let right = left.map(|x| x + 1).filter(|x| *x <= n);
    match (down, right) {
        (Some(d), Some(r)) if d >= r => Some((true, d)),
        (_, Some(r)) => Some((false, r)),
        (Some(d), None) => Some((true, d)),
        (None, None) => None,
    }
}

/// Walks the trace back from (n, m), reached at step `dist`, collecting the diagonal moves.
fn backtrack(dist: i32, n: i32, m: i32, s: &mut Scratch) -> bool {
    let (mut x, mut y) = (n, m);
    for d in (1..=dist).rev() {
        let k = x - y;
        // Step d - 1 holds diagonals -(d-1)..=(d-1) and starts at index (d-1)².
        let base = ((d - 1) * (d - 1)) as usize;
        let prev = |j: i32| {
            if j.abs() < d {
                s.trace.get(base + (j + d - 1) as usize).copied().filter(|x| *x != NONE)
            } else {
                None
            }
        };
        let Some((down, start)) = choose(prev(k - 1), prev(k + 1), k, n, m) else { return false };
        while x > start && y > start - k {
            x -= 1;
            y -= 1;
            s.pairs.push((x as u32, y as u32));
        }
        (x, y) = if down { (start, start - k - 1) } else { (start - 1, start - k) };
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        s.pairs.push((x as u32, y as u32));
    }
    s.pairs.reverse();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcs_len(a: &[u64], b: &[u64]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] { t[i + 1][j + 1] + 1 } else { t[i + 1][j].max(t[i][j + 1]) };
            }
        }
        t[0][0]
    }

    fn check(a: &[u64], b: &[u64]) {
        let mut s = Scratch::default();
        assert!(lcs(a, b, a.len() + b.len(), &mut s), "{a:?} {b:?}");
        assert_eq!(s.pairs.len(), lcs_len(a, b), "{a:?} {b:?}");
        for w in s.pairs.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1);
        }
        for &(i, j) in &s.pairs {
            assert_eq!(a[i as usize], b[j as usize]);
        }
    }

    #[test]
    fn matches_the_dynamic_programming_lcs() {
        check(&[], &[]);
        check(&[1], &[]);
        check(&[], &[1, 2]);
        check(&[1, 2, 3], &[1, 2, 3]);
        check(&[1, 2, 3, 4, 5], &[1, 9, 3, 8, 8, 5]);
        check(&[7, 7, 7], &[7, 1, 7]);
        // A small deterministic generator over a tiny alphabet exercises many shapes.
        let mut x = 0x9e37_79b9_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..300 {
            let (la, lb) = ((next() % 12) as usize, (next() % 12) as usize);
            let a: Vec<u64> = (0..la).map(|_| next() % 4).collect();
            let b: Vec<u64> = (0..lb).map(|_| next() % 4).collect();
            check(&a, &b);
        }
    }

    #[test]
    fn gives_up_beyond_max_d() {
        let mut s = Scratch::default();
        assert!(!lcs(&[1, 2, 3], &[4, 5, 6], 5, &mut s));
        assert!(lcs(&[1, 2, 3], &[4, 5, 6], 6, &mut s));
        assert!(s.pairs.is_empty());
    }
}
