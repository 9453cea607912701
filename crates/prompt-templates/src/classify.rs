//! Stability class of a fingerprint (or of a call site) from its history, updated per call.
//!
//! A [`History`] is kept per fingerprint — or per call site (service + span name), where the
//! template itself may change between calls — and fed one [`Observation`] per LLM span:
//!
//! | class | rule (thresholds from [`Config`]) |
//! |---|---|
//! | `pending` | fewer than `min_observations` calls, first seen less than `ad_hoc_after_ms` ago |
//! | `ad_hoc` | fewer than `min_observations` calls although first seen `ad_hoc_after_ms` ago or more |
//! | `unstable` | enough calls, and in the last `window` calls either more than `max_mutations` template mutations or more than `max_templates` distinct template ids |
//! | `stable_template` | enough calls, neither of the above |
//!
//! A mutation is a call whose prompt made its template gain wildcards
//! ([`TemplateMatch::changed`](crate::TemplateMatch)). A new template generalises during its
//! first few calls, which says nothing about instability, so mutations among the history's
//! first `warmup` calls are not counted.
//!
//! Timestamps come from the caller (span start times); out-of-order spans are fine.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::drain::TemplateId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    StableTemplate,
    Unstable,
    AdHoc,
    Pending,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::StableTemplate => "stable_template",
            Classification::Unstable => "unstable",
            Classification::AdHoc => "ad_hoc",
            Classification::Pending => "pending",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Calls needed before a history is judged stable or unstable.
    pub min_observations: u64,
    /// How long a history may stay under `min_observations` before it counts as ad hoc.
    pub ad_hoc_after_ms: u64,
    /// Recent calls considered for instability.
    pub window: usize,
    /// Calls at the start of a history whose template mutations are expected.
    pub warmup: u64,
    /// Template mutations tolerated in the window.
    pub max_mutations: usize,
    /// Distinct template ids tolerated in the window (1 for fingerprints; more for call sites
    /// that legitimately alternate between a few templates).
    pub max_templates: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { min_observations: 5, ad_hoc_after_ms: 24 * 3_600_000, window: 20, warmup: 3, max_mutations: 2, max_templates: 1 }
    }
}

/// One LLM call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observation {
    pub template_id: TemplateId,
    pub template_changed: bool,
    pub at_ms: u64,
}

/// The state kept per fingerprint or call site: counts plus the last `window` calls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub count: u64,
    pub first_ms: u64,
    pub last_ms: u64,
    /// (template, counted as a mutation), oldest first.
    recent: VecDeque<(TemplateId, bool)>,
}

impl History {
    /// Records a call and returns the class after it.
    pub fn observe(&mut self, obs: Observation, config: &Config) -> Classification {
        if self.count == 0 {
            (self.first_ms, self.last_ms) = (obs.at_ms, obs.at_ms);
        }
        self.first_ms = self.first_ms.min(obs.at_ms);
        self.last_ms = self.last_ms.max(obs.at_ms);
        let mutation = obs.template_changed && self.count >= config.warmup;
        self.count += 1;
        self.recent.push_back((obs.template_id, mutation));
        while self.recent.len() > config.window.max(1) {
            self.recent.pop_front();
        }
        self.classify(self.last_ms, config)
    }

    /// The class at `now_ms` (a quiet history turns from pending to ad hoc with time alone).
    pub fn classify(&self, now_ms: u64, config: &Config) -> Classification {
        if self.count < config.min_observations {
            let age = now_ms.max(self.last_ms).saturating_sub(self.first_ms);
            return if self.count > 0 && age >= config.ad_hoc_after_ms { Classification::AdHoc } else { Classification::Pending };
        }
        let mutations = self.recent.iter().filter(|(_, m)| *m).count();
        let mut templates: Vec<TemplateId> = self.recent.iter().map(|(t, _)| *t).collect();
        templates.sort_unstable();
        templates.dedup();
        if mutations > config.max_mutations || templates.len() > config.max_templates {
            Classification::Unstable
        } else {
            Classification::StableTemplate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    fn obs(template: u64, changed: bool, at_ms: u64) -> Observation {
        Observation { template_id: TemplateId(template), template_changed: changed, at_ms }
    }

    #[test]
    fn few_recent_calls_are_pending() {
        let (c, mut h) = (Config::default(), History::default());
        assert_eq!(h.classify(0, &c), Classification::Pending);
        assert_eq!(h.observe(obs(1, false, 0), &c), Classification::Pending);
        assert_eq!(h.observe(obs(1, false, HOUR), &c), Classification::Pending);
    }

    #[test]
    fn rare_calls_become_ad_hoc_with_time() {
        let (c, mut h) = (Config::default(), History::default());
        h.observe(obs(1, false, 0), &c);
        assert_eq!(h.classify(23 * HOUR, &c), Classification::Pending);
        assert_eq!(h.classify(24 * HOUR, &c), Classification::AdHoc);
        assert_eq!(h.observe(obs(1, false, 30 * HOUR), &c), Classification::AdHoc);
    }

    #[test]
    fn recurring_unchanged_template_is_stable() {
        let (c, mut h) = (Config::default(), History::default());
        let mut class = Classification::Pending;
        for i in 0..10 {
            // The template generalises during warm-up: expected, not instability.
            class = h.observe(obs(7, i < 2, i * 1000), &c);
        }
        assert_eq!(class, Classification::StableTemplate);
    }

    #[test]
    fn a_template_that_keeps_mutating_is_unstable_and_recovers() {
        let (c, mut h) = (Config::default(), History::default());
        for i in 0..10 {
            h.observe(obs(7, i % 2 == 0, i), &c);
        }
        assert_eq!(h.classify(10, &c), Classification::Unstable);
        for i in 10..30 {
            h.observe(obs(7, false, i), &c);
        }
        assert_eq!(h.classify(30, &c), Classification::StableTemplate);
    }

    #[test]
    fn a_call_site_switching_templates_is_unstable() {
        let (c, mut h) = (Config { max_templates: 2, ..Config::default() }, History::default());
        for i in 0..10 {
            h.observe(obs(i % 2, false, i), &c);
        }
        assert_eq!(h.classify(10, &c), Classification::StableTemplate, "A/B between two templates is tolerated");
        for i in 10..16 {
            h.observe(obs(i, false, i), &c);
        }
        assert_eq!(h.classify(16, &c), Classification::Unstable);
    }

    #[test]
    fn serialises_with_snake_case_names() {
        assert_eq!(serde_json::to_string(&Classification::StableTemplate).ok().as_deref(), Some("\"stable_template\""));
        assert_eq!(Classification::AdHoc.as_str(), "ad_hoc");
    }
}
