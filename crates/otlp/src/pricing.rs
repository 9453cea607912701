//! Model prices and exact cost. Money is integer micro-dollars end to end: prices are µ$ per
//! million tokens, so `tokens × price / 1e6` is computed in u128 and rounded once, per span.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// List price of one model, in micro-dollars (1e-6 USD) per million tokens:
/// $2.50 / 1M tokens is `2_500_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input_per_million_micros: u64,
    pub output_per_million_micros: u64,
}

/// Model name → price. Lookup: exact name, then the longest entry that is a prefix followed by
/// `-`, `:` or `@` (dated and suffixed variants such as `gpt-4o-2024-08-06`), then the same for
/// the name without a `provider/` or `models/` prefix. Names are compared in lowercase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

/// Public list prices, standard tier, text tokens, no caching or batch discounts, as published
/// by OpenAI, Anthropic, Google (Gemini API, prompts ≤ 200k tokens) and xAI in November 2025.
/// (model, $ per 1M input tokens in µ$, $ per 1M output tokens in µ$)
const SEED: &[(&str, u64, u64)] = &[
    // OpenAI
    ("gpt-5", 1_250_000, 10_000_000),
    ("gpt-5.1", 1_250_000, 10_000_000),
    ("gpt-5-mini", 250_000, 2_000_000),
    ("gpt-5-nano", 50_000, 400_000),
    ("gpt-4.1", 2_000_000, 8_000_000),
    ("gpt-4.1-mini", 400_000, 1_600_000),
    ("gpt-4.1-nano", 100_000, 400_000),
    ("gpt-4o", 2_500_000, 10_000_000),
    ("gpt-4o-2024-05-13", 5_000_000, 15_000_000),
    ("gpt-4o-mini", 150_000, 600_000),
    ("gpt-4-turbo", 10_000_000, 30_000_000),
    ("gpt-4", 30_000_000, 60_000_000),
    ("gpt-3.5-turbo", 500_000, 1_500_000),
    ("o1", 15_000_000, 60_000_000),
    ("o1-mini", 1_100_000, 4_400_000),
    ("o1-pro", 150_000_000, 600_000_000),
    ("o3", 2_000_000, 8_000_000),
    ("o3-mini", 1_100_000, 4_400_000),
    ("o3-pro", 20_000_000, 80_000_000),
    ("o4-mini", 1_100_000, 4_400_000),
    ("text-embedding-3-small", 20_000, 0),
    ("text-embedding-3-large", 130_000, 0),
    ("text-embedding-ada-002", 100_000, 0),
    // Anthropic
    ("claude-opus-4-5", 5_000_000, 25_000_000),
    ("claude-opus-4-1", 15_000_000, 75_000_000),
    ("claude-opus-4", 15_000_000, 75_000_000),
    ("claude-sonnet-4-5", 3_000_000, 15_000_000),
    ("claude-sonnet-4", 3_000_000, 15_000_000),
    ("claude-haiku-4-5", 1_000_000, 5_000_000),
    ("claude-3-7-sonnet", 3_000_000, 15_000_000),
    ("claude-3-5-sonnet", 3_000_000, 15_000_000),
    ("claude-3-5-haiku", 800_000, 4_000_000),
    ("claude-3-opus", 15_000_000, 75_000_000),
    ("claude-3-sonnet", 3_000_000, 15_000_000),
    ("claude-3-haiku", 250_000, 1_250_000),
    // Google Gemini
    ("gemini-3-pro-preview", 2_000_000, 12_000_000),
    ("gemini-2.5-pro", 1_250_000, 10_000_000),
    ("gemini-2.5-flash", 300_000, 2_500_000),
    ("gemini-2.5-flash-lite", 100_000, 400_000),
    ("gemini-2.0-flash", 100_000, 400_000),
    ("gemini-2.0-flash-lite", 75_000, 300_000),
    ("gemini-1.5-pro", 1_250_000, 5_000_000),
    ("gemini-1.5-flash", 75_000, 300_000),
    ("gemini-1.5-flash-8b", 37_500, 150_000),
    // xAI
    ("grok-4", 3_000_000, 15_000_000),
    ("grok-4-fast", 200_000, 500_000),
    ("grok-4-1-fast", 200_000, 500_000),
    ("grok-code-fast-1", 200_000, 1_500_000),
    ("grok-3", 3_000_000, 15_000_000),
    ("grok-3-mini", 300_000, 500_000),
    ("grok-2", 2_000_000, 10_000_000),
];

impl PriceTable {
    /// The default table admins start from.
    pub fn seeded() -> Self {
        let mut table = PriceTable::default();
        for &(model, input, output) in SEED {
            table.set(model, ModelPrice { input_per_million_micros: input, output_per_million_micros: output });
        }
        table
    }

    pub fn set(&mut self, model: &str, price: ModelPrice) {
        self.prices.insert(model.to_ascii_lowercase(), price);
    }

    pub fn remove(&mut self, model: &str) -> Option<ModelPrice> {
        self.prices.remove(&model.to_ascii_lowercase())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ModelPrice)> {
        self.prices.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        let model = model.trim().to_ascii_lowercase();
        self.lookup(&model).or_else(|| model.rsplit_once('/').and_then(|(_, bare)| self.lookup(bare)))
    }

    fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        if let Some(p) = self.prices.get(model) {
            return Some(p);
        }
        self.prices
            .iter()
            .filter(|(name, _)| model.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with(['-', ':', '@'])))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| p)
    }

    /// Cost in micro-dollars, rounded half up; `None` when the model has no price.
    pub fn cost_micros(&self, model: &str, input_tokens: u64, output_tokens: u64) -> Option<u64> {
        let p = self.price(model)?;
        let nano_units =
            input_tokens as u128 * p.input_per_million_micros as u128 + output_tokens as u128 * p.output_per_million_micros as u128;
        Some(u64::try_from((nano_units + 500_000) / 1_000_000).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_then_longest_prefix() {
        let t = PriceTable::seeded();
        assert_eq!(t.price("gpt-4o").unwrap().input_per_million_micros, 2_500_000);
        assert_eq!(t.price("gpt-4o-2024-05-13").unwrap().input_per_million_micros, 5_000_000, "exact dated entry wins");
        assert_eq!(t.price("gpt-4o-2024-08-06").unwrap().input_per_million_micros, 2_500_000);
        assert_eq!(t.price("gpt-4o-mini-2024-07-18").unwrap().input_per_million_micros, 150_000);
        assert_eq!(t.price("claude-opus-4-5-20251101").unwrap().input_per_million_micros, 5_000_000);
        assert_eq!(t.price("claude-opus-4-20250514").unwrap().input_per_million_micros, 15_000_000);
        assert_eq!(t.price("GPT-4.1-MINI").unwrap().input_per_million_micros, 400_000);
        assert_eq!(t.price("openai/gpt-4o").unwrap().input_per_million_micros, 2_500_000);
        assert_eq!(t.price("models/gemini-2.5-flash-lite").unwrap().input_per_million_micros, 100_000);
        assert_eq!(t.price("grok-4-fast-reasoning").unwrap().output_per_million_micros, 500_000);
        assert!(t.price("gpt-4.5-preview").is_none(), "a prefix must end at a separator");
        assert!(t.price("llama-3").is_none());
    }

    #[test]
    fn cost_is_exact_integer_micros() {
        let t = PriceTable::seeded();
        // 1 token of gemini-1.5-flash-8b input = 0.0375 µ$ → rounds to 0; 40 tokens = 1.5 µ$ → 2.
        assert_eq!(t.cost_micros("gemini-1.5-flash-8b", 1, 0), Some(0));
        assert_eq!(t.cost_micros("gemini-1.5-flash-8b", 40, 0), Some(2));
        // 1M in + 1M out of claude-3-haiku = $1.50 exactly.
        assert_eq!(t.cost_micros("claude-3-haiku-20240307", 1_000_000, 1_000_000), Some(1_500_000));
        assert_eq!(t.cost_micros("o1-pro", u64::MAX, u64::MAX), Some(u64::MAX));
        assert_eq!(t.cost_micros("unknown", 10, 10), None);
    }

    #[test]
    fn admin_edits_and_serde() {
        let mut t = PriceTable::default();
        t.set("My-Model", ModelPrice { input_per_million_micros: 1_000_000, output_per_million_micros: 2_000_000 });
        assert_eq!(t.cost_micros("my-model-v2", 500_000, 500_000), Some(1_500_000));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"my-model":{"input_per_million_micros":1000000,"output_per_million_micros":2000000}}"#);
        assert_eq!(serde_json::from_str::<PriceTable>(&json).unwrap(), t);
        assert!(t.remove("MY-MODEL").is_some());
        assert_eq!(t.iter().count(), 0);
    }
}
