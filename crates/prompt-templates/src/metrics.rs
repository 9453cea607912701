//! Clustering quality against labels: purity and completeness (a.k.a. inverse purity).
//!
//! For N items, each with a true label and a found cluster:
//!
//! ```text
//! purity       = (1/N) · Σ over clusters of  max over labels   |cluster ∩ label|
//! completeness = (1/N) · Σ over labels   of  max over clusters |cluster ∩ label|
//! ```
//!
//! Purity is the fraction of items whose cluster's majority label is their own: it drops when
//! templates are merged. Completeness is the fraction of items that fall in their label's
//! largest cluster: it drops when a template is split. Each ad-hoc item (label `None`) is its
//! own label, so merging ad-hoc prompts together costs purity and they cannot inflate
//! completeness. Both are 1 for a perfect clustering.

use std::collections::HashMap;

/// A true class: a template of the corpus, or one ad-hoc item (by its position).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    Template(usize),
    AdHoc(usize),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quality {
    pub purity: f64,
    pub completeness: f64,
    pub items: usize,
    /// Clusters found.
    pub clusters: usize,
    /// Distinct true labels (templates + ad-hoc items).
    pub labels: usize,
    /// Clusters whose majority label is a template.
    pub template_clusters: usize,
    /// Distinct template labels.
    pub templates: usize,
}

/// Scores `(label, cluster)` pairs; `None` labels are ad hoc, one label per item.
pub fn evaluate<C: Copy + Eq + std::hash::Hash>(assignments: impl IntoIterator<Item = (Option<usize>, C)>) -> Quality {
    let mut joint: HashMap<(Label, C), usize> = HashMap::new();
    let mut items = 0;
    for (i, (label, cluster)) in assignments.into_iter().enumerate() {
        let label = label.map_or(Label::AdHoc(i), Label::Template);
        *joint.entry((label, cluster)).or_default() += 1;
        items += 1;
    }
    // Per cluster: (largest label count, that label); per label: largest cluster count.
    let mut by_cluster: HashMap<C, (usize, Label)> = HashMap::new();
    let mut by_label: HashMap<Label, usize> = HashMap::new();
    for (&(label, cluster), &n) in &joint {
        let best = by_cluster.entry(cluster).or_insert((0, label));
        if n > best.0 || (n == best.0 && is_template(label) && !is_template(best.1)) {
            *best = (n, label);
        }
        let l = by_label.entry(label).or_default();
        *l = (*l).max(n);
    }
    let ratio = |x: usize| if items == 0 { 1.0 } else { x as f64 / items as f64 };
    Quality {
        purity: ratio(by_cluster.values().map(|(n, _)| n).sum()),
        completeness: ratio(by_label.values().sum()),
        items,
        clusters: by_cluster.len(),
        labels: by_label.len(),
        template_clusters: by_cluster.values().filter(|(_, l)| is_template(*l)).count(),
        templates: by_label.keys().filter(|l| is_template(**l)).count(),
    }
}

fn is_template(l: Label) -> bool {
    matches!(l, Label::Template(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_clustering_scores_one() {
        let q = evaluate([(Some(0), 'a'), (Some(0), 'a'), (Some(1), 'b'), (None, 'c'), (None, 'd')]);
        assert_eq!((q.purity, q.completeness), (1.0, 1.0));
        assert_eq!((q.clusters, q.labels, q.template_clusters, q.templates), (4, 4, 2, 2));
    }

    #[test]
    fn merging_costs_purity_and_splitting_costs_completeness() {
        let merged = evaluate([(Some(0), 'a'), (Some(0), 'a'), (Some(1), 'a'), (None, 'a')]);
        assert_eq!((merged.purity, merged.completeness), (0.5, 1.0));
        let split = evaluate([(Some(0), 'a'), (Some(0), 'b'), (Some(0), 'c'), (Some(0), 'c')]);
        assert_eq!((split.purity, split.completeness), (1.0, 0.5));
    }

    #[test]
    fn empty_input_is_perfect() {
        let q = evaluate(std::iter::empty::<(Option<usize>, u8)>());
        assert_eq!((q.purity, q.completeness, q.items), (1.0, 1.0, 0));
    }
}
