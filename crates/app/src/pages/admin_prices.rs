//! The model price table page (admins): every model's price, and forms to add, change and
//! remove one. Ingestion prices new spans with it (existing spans keep their cost).

use crate::{
    api::prices::{admin_prices, PriceRow},
    components::flash::{FlashBanner, LoadError},
    pages::admin::AdminTabs,
};
use domain::usage::utc_minute;
use leptos::prelude::*;
use leptos_meta::Title;

/// The add form's fields.
fn price_fields() -> impl IntoView {
    view! {
        <label>"Model" <input type="text" name="model" required maxlength="200" placeholder="gpt-4o" /></label>
        <label>"Provider" <input type="text" name="provider" maxlength="40" placeholder="guessed from the name" /></label>
        <label>"Input $ / 1M tokens" <input type="text" inputmode="decimal" name="input" required placeholder="2.50" /></label>
        <label>"Output $ / 1M tokens" <input type="text" inputmode="decimal" name="output" required placeholder="10.00" /></label>
    }
}

fn price_row(p: PriceRow) -> impl IntoView {
    let updated = match &p.updated_by {
        Some(by) => format!("{} by {by}", utc_minute(p.updated_at_ms)),
        None => "built-in list".to_owned(),
    };
    let model = p.model.clone();
    view! {
        <tr data-testid="price-row">
            <td class="nowrap"><code>{p.model.clone()}</code></td>
            <td>{p.provider.clone()}</td>
            <td class="num">{format!("${}", p.input_usd)}</td>
            <td class="num">{format!("${}", p.output_usd)}</td>
            <td><small class="muted">{updated}</small></td>
            <td class="actions nowrap">
                <details class="inline-details">
                    <summary class="btn btn-ghost btn-sm">"Edit"</summary>
                    // A row's edit changes its prices only; the name is the row.
                    <form method="post" action="/admin/prices" class="inline-form">
                        <input type="hidden" name="model" value=p.model.clone() />
                        <input type="hidden" name="provider" value=p.provider.clone() />
                        <input type="text" inputmode="decimal" name="input" required size="7" value=p.input_usd.clone() aria-label="Input $ / 1M tokens" title="Input $ / 1M tokens" />
                        <input type="text" inputmode="decimal" name="output" required size="7" value=p.output_usd.clone() aria-label="Output $ / 1M tokens" title="Output $ / 1M tokens" />
                        <button class="btn btn-primary btn-sm" type="submit">"Save"</button>
                    </form>
                </details>
                <form method="post" action="/admin/prices/delete" class="inline-form">
                    <input type="hidden" name="model" value=model />
                    <button class="btn btn-ghost btn-sm" type="submit">"Remove"</button>
                </form>
            </td>
        </tr>
    }
}

#[component]
pub fn AdminPricesPage() -> impl IntoView {
    if let Some(refused) = crate::pages::admin::admin_refusal() {
        return refused;
    }
    let data = admin_prices();
    view! {
        <Title text="Model prices" />
        <AdminTabs current="/admin/prices" />
        <FlashBanner />
        <section class="card">
            <h2>"Add or change a price"</h2>
            <p class="muted">
                "US dollars per million tokens, up to six decimals. A name also prices its dated and suffixed variants: "
                <code>"gpt-4o"</code> " prices " <code>"gpt-4o-2024-08-06"</code> " unless that has its own row. "
                "New spans are priced with the table; stored spans keep their cost."
            </p>
            <form method="post" action="/admin/prices" class="form form-row" data-testid="add-price">
                {price_fields()}
                <button class="btn btn-primary" type="submit">"Save price"</button>
            </form>
        </section>
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <LoadError message=e.to_string() /> }.into_any(),
                Ok(rows) => {
                    let count = rows.len();
                    let body = rows.into_iter().map(price_row).collect_view();
                    view! {
                        <section class="card section-gap">
                            <h2>{format!("{count} models")}</h2>
                            <div class="table-wrap">
                                <table class="data-table" data-testid="price-table">
                                    <thead><tr><th>"Model"</th><th>"Provider"</th><th class="num">"Input / 1M"</th><th class="num">"Output / 1M"</th><th>"Updated"</th><th></th></tr></thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                        </section>
                    }.into_any()
                }
            }
        })}
    }
    .into_any()
}
