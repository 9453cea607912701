//! The model price table (admins only).

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{extract::State, response::Response, Extension, Form};
use serde::Deserialize;
use services::prices;
use tower_sessions::Session;

const PRICES: &str = "/admin/prices";

#[derive(Deserialize)]
pub struct PriceForm {
    #[serde(default)]
    model: String,
    #[serde(default)]
    provider: String,
    /// US dollars per million tokens.
    #[serde(default)]
    input: String,
    #[serde(default)]
    output: String,
}

pub async fn upsert(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<PriceForm>) -> Response {
    let input =
        prices::PriceInput { model: f.model, provider: f.provider, input_usd_per_million: f.input, output_usd_per_million: f.output };
    let r = prices::upsert(state.services.stores.primary.as_ref(), &ctx, &state.services.prices, input).await;
    let ok = |p: services::ports::ModelPriceRecord| {
        format!(
            "Saved {}: ${} input, ${} output per million tokens.",
            p.model,
            prices::format_usd(p.input_per_million_micros),
            prices::format_usd(p.output_per_million_micros)
        )
    };
    finish(&session, r, ok, PRICES, PRICES).await
}

#[derive(Deserialize)]
pub struct ModelRef {
    #[serde(default)]
    model: String,
}

pub async fn delete(State(state): State<AppState>, session: Session, Extension(ctx): Ctx, Form(f): Form<ModelRef>) -> Response {
    let r = prices::delete(state.services.stores.primary.as_ref(), &ctx, &state.services.prices, &f.model).await;
    finish(&session, r, |_| format!("Removed the price of {}.", f.model.trim().to_ascii_lowercase()), PRICES, PRICES).await
}
