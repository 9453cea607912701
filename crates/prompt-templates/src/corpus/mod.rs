//! A deterministic labelled corpus of system prompts for tests and the benchmark.
//!
//! [`TEMPLATES`] holds 56 realistic system-prompt templates (support bots, SQL and
//! pandas assistants, RAG answerers with retrieved passages in tags, header sections and
//! markdown sections, agents with tool lists, translation, classification, moderation,
//! Chinese, Japanese, Spanish, French and German bots…). Each is instantiated 8–30 times with
//! fresh fillers: names (multi-word, accented, CJK), ids in several formats, dates in several
//! forms, amounts, quoted user text, and variable-length blocks (passages, chat history,
//! transcripts, item lists — some inside recognised markers, some not). To these come
//! [`AD_HOC`] one-off prompts, and the whole is shuffled with the seed.

mod ad_hoc;
mod fillers;
mod rng;
mod templates;

pub use rng::Rng;
pub use templates::TEMPLATES;

/// Ad-hoc prompts in a generated corpus.
pub const AD_HOC: usize = 150;

/// A prompt and its true class: `Some(template index)`, or `None` for an ad-hoc prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelledPrompt {
    pub text: String,
    pub label: Option<usize>,
}

#[derive(Clone, Debug)]
pub struct Corpus {
    pub items: Vec<LabelledPrompt>,
    /// Distinct templates used.
    pub templates: usize,
    pub ad_hoc: usize,
}

/// The corpus for `seed` (same seed, same corpus).
pub fn generate(seed: u64) -> Corpus {
    let mut rng = Rng::new(seed);
    let mut items = Vec::new();
    for (label, template) in TEMPLATES.iter().enumerate() {
        for _ in 0..rng.range(8, 30) {
            items.push(LabelledPrompt { text: instantiate(template, &mut rng), label: Some(label) });
        }
    }
    let ad_hoc = ad_hoc::prompts(&mut rng, AD_HOC);
    let ad_hoc_count = ad_hoc.len();
    items.extend(ad_hoc.into_iter().map(|text| LabelledPrompt { text, label: None }));
    rng.shuffle(&mut items);
    Corpus { items, templates: TEMPLATES.len(), ad_hoc: ad_hoc_count }
}

/// Fills every `{slot}` of `template`; a slot used twice gets the same value.
pub fn instantiate(template: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut values: Vec<(&str, String)> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let slot = after
            .find('}')
            .map(|close| &after[..close])
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        let value = slot.and_then(|s| match values.iter().find(|(k, _)| *k == s) {
            Some((_, v)) => Some(v.clone()),
            None => {
                let v = fillers::fill(s, rng)?;
                values.push((s, v.clone()));
                Some(v)
            }
        });
        match (slot, value) {
            (Some(s), Some(v)) => {
                out.push_str(&v);
                rest = &after[s.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_known() {
        let mut rng = Rng::new(1);
        for (i, t) in TEMPLATES.iter().enumerate() {
            let text = instantiate(t, &mut rng);
            for slot in text.split('{').skip(1).filter_map(|s| s.split('}').next()) {
                assert!(slot.is_empty() || !slot.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "template {i}: unfilled {{{slot}}}");
            }
        }
    }

    #[test]
    fn corpus_is_deterministic_and_large_enough() {
        let a = generate(7);
        assert_eq!(a.items, generate(7).items);
        assert_ne!(a.items, generate(8).items);
        assert!(a.templates >= 50);
        assert_eq!(a.ad_hoc, AD_HOC);
        assert!(a.items.len() > 50 * 8 + AD_HOC);
    }

    #[test]
    fn literal_braces_survive() {
        assert_eq!(instantiate("{\"a\": 1} {unknown_slot} {}", &mut Rng::new(1)), "{\"a\": 1} {unknown_slot} {}");
    }
}
