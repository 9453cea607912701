//! The model price table admins edit; ingestion prices spans with it through [`PriceCache`].
//!
//! Seeding: the table starts from `otlp::PriceTable::seeded()` (the one list of public
//! prices), written by the app the first time the table is read or edited, not by a
//! migration, so the seed has a single source. The store remembers that it seeded, so
//! models an admin deletes stay deleted.

use crate::{
    audit::{self, Change},
    clock::now_ms,
    context::RequestContext,
    ports::{ModelPriceRecord, PrimaryStore},
    ServiceError, ServiceResult,
};
use otlp::pricing::{ModelPrice, PriceTable};
use serde_json::json;
use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

/// Highest accepted price: $1,000,000 per million tokens, in µ$.
pub const MAX_PRICE_MICROS: u64 = 1_000_000_000_000;
pub const MAX_MODEL_LEN: usize = 200;
pub const MAX_PROVIDER_LEN: usize = 40;

/// A price row as typed in the admin form: prices in US dollars per million tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceInput {
    pub model: String,
    /// Empty: guessed from the model name (see [`provider_of`]).
    pub provider: String,
    pub input_usd_per_million: String,
    pub output_usd_per_million: String,
}

/// `"2.50"` (dollars) → `2_500_000` µ$. Exact: at most six decimals, no floats. `what`
/// names the field in the error.
pub fn parse_usd_micros(raw: &str, what: &str) -> ServiceResult<u64> {
    let invalid = |why: &str| Err(ServiceError::Invalid(format!("the {what} price {why}")));
    let s = raw.trim();
    let s = s.strip_prefix('$').unwrap_or(s).trim();
    if s.is_empty() {
        return invalid("is missing (US dollars per million tokens, e.g. 2.50)");
    }
    if s.starts_with('-') {
        return invalid("cannot be negative");
    }
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return invalid("must be a number of US dollars per million tokens, e.g. 2.50");
    }
    if fraction.len() > 6 {
        return invalid("has more than six decimals (the smallest unit is a millionth of a dollar)");
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().or_else(|_| invalid("is too large"))? };
    let fraction: u64 = format!("{fraction:0<6}").parse().or_else(|_| invalid("is not a number"))?;
    let micros = whole.checked_mul(1_000_000).and_then(|w| w.checked_add(fraction));
    match micros {
        Some(m) if m <= MAX_PRICE_MICROS => Ok(m),
        _ => invalid("is too large (at most $1,000,000 per million tokens)"),
    }
}

/// `2_500_000` µ$ → `"2.50"`: at least two decimals, trailing zeros beyond them dropped.
pub fn format_usd(micros: u64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let trimmed = text.trim_end_matches('0');
    let decimals = trimmed.len() - trimmed.find('.').unwrap_or(0) - 1;
    if decimals < 2 {
        format!("{trimmed}{}", "0".repeat(2 - decimals))
    } else {
        trimmed.to_owned()
    }
}

/// A model name as stored: trimmed, lowercase, no spaces or control characters.
pub fn clean_model(raw: &str) -> ServiceResult<String> {
    let model = raw.trim().to_ascii_lowercase();
    if model.is_empty() {
        return Err(ServiceError::Invalid("enter a model name, e.g. gpt-4o".into()));
    }
    if model.chars().count() > MAX_MODEL_LEN {
        return Err(ServiceError::Invalid(format!("a model name has at most {MAX_MODEL_LEN} characters")));
    }
    if model.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::Invalid("a model name cannot contain spaces".into()));
    }
    Ok(model)
}

fn clean_provider(raw: &str, model: &str) -> ServiceResult<String> {
    let provider = raw.trim().to_ascii_lowercase();
    if provider.is_empty() {
        return Ok(provider_of(model).to_owned());
    }
    if provider.chars().count() > MAX_PROVIDER_LEN || !provider.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(ServiceError::Invalid(format!(
            "a provider is at most {MAX_PROVIDER_LEN} letters, digits, “-”, “_” or “.”, e.g. openai"
        )));
    }
    Ok(provider)
}

/// The provider a model name belongs to, by its well-known prefix ("" when unknown).
pub fn provider_of(model: &str) -> &'static str {
    let m = model.rsplit('/').next().unwrap_or(model);
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| m.starts_with(p));
    if starts(&["gpt-", "o1", "o3", "o4", "text-embedding-", "chatgpt-", "davinci", "babbage"]) {
        "openai"
    } else if starts(&["claude-"]) {
        "anthropic"
    } else if starts(&["gemini-", "gemma-"]) {
        "google"
    } else if starts(&["grok-"]) {
        "xai"
    } else {
        ""
    }
}

/// The built-in table as rows.
fn seed_rows(now_ms: i64) -> Vec<ModelPriceRecord> {
    PriceTable::seeded()
        .iter()
        .map(|(model, p)| ModelPriceRecord {
            model: model.to_owned(),
            provider: provider_of(model).to_owned(),
            input_per_million_micros: p.input_per_million_micros,
            output_per_million_micros: p.output_per_million_micros,
            updated_at_ms: now_ms,
            updated_by: None,
        })
        .collect()
}

/// Every row, seeding the table the first time.
async fn rows(store: &dyn PrimaryStore) -> ServiceResult<Vec<ModelPriceRecord>> {
    let rows = store.list_model_prices().await?;
    if rows.is_empty() && store.seed_model_prices(&seed_rows(now_ms()), now_ms()).await? {
        return Ok(store.list_model_prices().await?);
    }
    Ok(rows)
}

/// The table ingestion prices with (no access check: it is not shown to anyone).
pub async fn load_table(store: &dyn PrimaryStore) -> ServiceResult<PriceTable> {
    let mut table = PriceTable::default();
    for r in rows(store).await? {
        table.set(
            &r.model,
            ModelPrice { input_per_million_micros: r.input_per_million_micros, output_per_million_micros: r.output_per_million_micros },
        );
    }
    Ok(table)
}

/// Admins only.
pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext) -> ServiceResult<Vec<ModelPriceRecord>> {
    ctx.admin()?;
    rows(store).await
}

fn price_json(p: &ModelPriceRecord) -> serde_json::Value {
    json!({
        "provider": p.provider,
        "input_per_million_micros": p.input_per_million_micros,
        "output_per_million_micros": p.output_per_million_micros,
    })
}

/// Add a model or change its price (admins only); audited, and `cache` is invalidated.
pub async fn upsert(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    cache: &PriceCache,
    input: PriceInput,
) -> ServiceResult<ModelPriceRecord> {
    let admin = ctx.admin()?;
    let model = clean_model(&input.model)?;
    let record = ModelPriceRecord {
        provider: clean_provider(&input.provider, &model)?,
        input_per_million_micros: parse_usd_micros(&input.input_usd_per_million, "input")?,
        output_per_million_micros: parse_usd_micros(&input.output_usd_per_million, "output")?,
        updated_at_ms: now_ms(),
        updated_by: Some(admin.email.clone()),
        model,
    };
    // Seed first: an edit made before the first read must not stop the seed.
    store.seed_model_prices(&seed_rows(record.updated_at_ms), record.updated_at_ms).await?;
    let old = store.model_price(&record.model).await?;
    store.upsert_model_price(&record).await?;
    cache.invalidate();
    let action = if old.is_some() { "model_price.update" } else { "model_price.create" };
    let change = Change {
        action,
        entity_type: "model_price",
        entity_id: &record.model,
        project_id: None,
        old: old.as_ref().map(price_json),
        new: Some(price_json(&record)),
    };
    audit::record(store, ctx, change).await?;
    Ok(record)
}

/// Remove a model's price (admins only): its spans then have no cost. Audited.
pub async fn delete(store: &dyn PrimaryStore, ctx: &RequestContext, cache: &PriceCache, model: &str) -> ServiceResult<()> {
    ctx.admin()?;
    let model = clean_model(model)?;
    store.seed_model_prices(&seed_rows(now_ms()), now_ms()).await?;
    let old = store.model_price(&model).await?.ok_or(ServiceError::NotFound("model price"))?;
    store.delete_model_price(&model).await?;
    cache.invalidate();
    let change = Change {
        action: "model_price.delete",
        entity_type: "model_price",
        entity_id: &model,
        project_id: None,
        old: Some(price_json(&old)),
        new: None,
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}

/// The price table as ingestion sees it, read from the store at most once per `ttl` (and
/// right after an edit made through this process: [`invalidate`](Self::invalidate)).
/// Other servers see an edit within `ttl`.
pub struct PriceCache {
    ttl: Duration,
    state: RwLock<CacheState>,
}

#[derive(Default)]
struct CacheState {
    table: Option<(Instant, Arc<PriceTable>)>,
    /// Bumped by `invalidate`: a load that started before an edit must not store its table.
    generation: u64,
}

impl PriceCache {
    pub fn new(ttl: Duration) -> Self {
        PriceCache { ttl, state: RwLock::new(CacheState::default()) }
    }

    pub async fn table(&self, store: &dyn PrimaryStore) -> ServiceResult<Arc<PriceTable>> {
        let (generation, stale) = {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            match &state.table {
                Some((at, table)) if at.elapsed() < self.ttl => return Ok(table.clone()),
                Some((_, table)) => (state.generation, Some(table.clone())),
                None => (state.generation, None),
            }
        };
        match load_table(store).await {
            Ok(table) => {
                let table = Arc::new(table);
                let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
                if state.generation == generation {
                    state.table = Some((Instant::now(), table.clone()));
                }
                Ok(table)
            }
            // Keep pricing with the last table rather than fail ingestion on a store hiccup.
            Err(e) => match stale {
                Some(table) => {
                    tracing::warn!(error = %e, "could not refresh the price table; using the previous one");
                    Ok(table)
                }
                None => Err(e),
            },
        }
    }

    /// Forget the cached table: the next [`table`](Self::table) reads the store.
    pub fn invalidate(&self) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.table = None;
        state.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_parse_exactly_to_micros() {
        assert_eq!(parse_usd_micros("2.50", "input"), Ok(2_500_000));
        assert_eq!(parse_usd_micros(" $0.0375 ", "input"), Ok(37_500));
        assert_eq!(parse_usd_micros("15", "input"), Ok(15_000_000));
        assert_eq!(parse_usd_micros(".5", "input"), Ok(500_000));
        assert_eq!(parse_usd_micros("0", "input"), Ok(0));
        assert_eq!(parse_usd_micros("1000000", "input"), Ok(MAX_PRICE_MICROS));
        for (bad, why) in [
            ("", "missing"),
            ("-1", "negative"),
            ("1.2345678", "six decimals"),
            ("1e3", "number"),
            ("1,5", "number"),
            (".", "number"),
            ("1000000.01", "too large"),
            ("99999999999999999999999", "too large"),
        ] {
            match parse_usd_micros(bad, "output") {
                Err(ServiceError::Invalid(m)) => assert!(m.starts_with("the output price") && m.contains(why), "{bad}: {m}"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
    }

    #[test]
    fn micros_format_as_dollars() {
        assert_eq!(format_usd(2_500_000), "2.50");
        assert_eq!(format_usd(37_500), "0.0375");
        assert_eq!(format_usd(0), "0.00");
        assert_eq!(format_usd(600_000_000), "600.00");
        for m in [1, 37_500, 2_500_000, 123_456_789] {
            assert_eq!(parse_usd_micros(&format_usd(m), "x"), Ok(m), "round trip of {m}");
        }
    }

    #[test]
    fn models_are_cleaned_and_providers_guessed() {
        assert_eq!(clean_model("  GPT-4o-Mini "), Ok("gpt-4o-mini".into()));
        assert!(clean_model("   ").is_err());
        assert!(clean_model("my model").is_err());
        assert!(clean_model(&"x".repeat(MAX_MODEL_LEN + 1)).is_err());
        assert_eq!(provider_of("gpt-4o"), "openai");
        assert_eq!(provider_of("claude-3-haiku"), "anthropic");
        assert_eq!(provider_of("models/gemini-2.5-pro"), "google");
        assert_eq!(provider_of("grok-4"), "xai");
        assert_eq!(provider_of("llama-3"), "");
        assert_eq!(clean_provider("", "o3-mini"), Ok("openai".into()));
        assert_eq!(clean_provider(" Mistral ", "x"), Ok("mistral".into()));
        assert!(clean_provider("a b", "x").is_err());
    }

    #[test]
    fn every_seeded_model_has_a_provider() {
        let rows = seed_rows(0);
        assert_eq!(rows.len(), PriceTable::seeded().iter().count());
        let unknown: Vec<_> = rows.iter().filter(|r| r.provider.is_empty()).map(|r| r.model.as_str()).collect();
        assert!(unknown.is_empty(), "{unknown:?}");
    }
}
