//! Server functions of the model price table (admins; the service checks the role).

use super::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One model's price, in US dollars per million tokens (exact decimal text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRow {
    pub model: String,
    pub provider: String,
    pub input_usd: String,
    pub output_usd: String,
    pub updated_at_ms: i64,
    /// `None` for the built-in seed.
    pub updated_by: Option<String>,
}

#[server(prefix = "/api")]
pub async fn admin_prices() -> Result<Vec<PriceRow>, AppError> {
    use super::support::*;
    use services::prices::{format_usd, list};
    let rows = list(stores().primary.as_ref(), &request()).await.map_err(fail)?;
    Ok(rows
        .into_iter()
        .map(|p| PriceRow {
            input_usd: format_usd(p.input_per_million_micros),
            output_usd: format_usd(p.output_per_million_micros),
            model: p.model,
            provider: p.provider,
            updated_at_ms: p.updated_at_ms,
            updated_by: p.updated_by,
        })
        .collect())
}
