//! Datasets (issue 5): confirm an import's column mapping, delete a dataset. Uploads themselves
//! go through the JSON API (`src/http/datasets.rs`), driven by the upload island.

use super::{finish, Ctx};
use crate::startup::AppState;
use axum::{
    extract::{Path, State},
    response::Response,
    Extension, Form,
};
use domain::datasets::DatasetImport;
use services::{
    datasets,
    ledger::{ColumnMapping, DatasetSettings, LedgerField},
    ServiceError, ServiceResult,
};
use tower_sessions::Session;

/// A page of the project's datasets (a slug or id that is not one goes to the project list).
fn page(slug: &str, dataset_id: Option<&str>) -> String {
    let Ok(slug) = domain::ProjectSlug::parse(slug) else { return "/projects".into() };
    match dataset_id {
        Some(id) if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            format!("/projects/{slug}/datasets/{id}")
        }
        _ => format!("/projects/{slug}/datasets"),
    }
}

/// The posted form value of `name`, if any.
fn value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A snake_case form value as the enum it names (`LedgerField`, `DateOrder`, `DecimalSeparator`).
fn parse_choice<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> ServiceResult<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| ServiceError::Invalid(format!("“{raw}” is not a {what} this form offers")))
}

/// The proposed mapping with the person's choices: `field_<column index>` is a ledger field or
/// empty (kept as an extra attribute); a column the form leaves out keeps its proposal.
pub fn chosen_mapping(proposed: &ColumnMapping, form: &[(String, String)]) -> ServiceResult<ColumnMapping> {
    let mut mapping = proposed.clone();
    for column in &mut mapping.columns {
        let Some(raw) = value(form, &format!("field_{}", column.index)) else { continue };
        let field = match raw.trim() {
            "" => None,
            v => Some(parse_choice::<LedgerField>(v, "ledger field")?),
        };
        if field != column.field {
            column.field = field;
            column.confidence = 0.0;
        }
    }
    Ok(mapping)
}

/// The import's settings with the form's: date order, decimal separator and the defaults for a
/// missing company code, entity or currency (blank: none).
pub fn chosen_settings(current: DatasetSettings, form: &[(String, String)]) -> ServiceResult<DatasetSettings> {
    let mut s = current;
    if let Some(v) = value(form, "date_order") {
        s.date_order = parse_choice(v, "date order")?;
    }
    if let Some(v) = value(form, "decimal_separator") {
        s.decimal_separator = parse_choice(v, "decimal separator")?;
    }
    let text = |v: Option<&str>, old: Option<String>| match v {
        Some(v) => Some(v.trim().to_owned()).filter(|v| !v.is_empty()),
        None => old,
    };
    s.company_code = text(value(form, "company_code"), s.company_code);
    s.entity = text(value(form, "entity"), s.entity);
    s.currency = text(value(form, "currency"), s.currency);
    Ok(s)
}

async fn confirm(
    state: &AppState,
    ctx: &services::RequestContext,
    slug: &str,
    id: &str,
    form: &[(String, String)],
) -> ServiceResult<DatasetImport> {
    let (_, import) = datasets::upload_to_carry_on(&state.services.stores, ctx, slug, id).await?;
    let proposed: ColumnMapping = import
        .mapping
        .clone()
        .and_then(|m| serde_json::from_value(m).ok())
        .ok_or_else(|| ServiceError::Conflict("this upload has no proposed mapping yet; reload the page".into()))?;
    let settings: DatasetSettings = serde_json::from_value(import.settings.clone()).unwrap_or_default();
    let mapping = chosen_mapping(&proposed, form)?;
    let settings = chosen_settings(settings, form)?;
    datasets::confirm_mapping(&state.services.stores, ctx, slug, id, Some(mapping), Some(settings)).await
}

pub async fn confirm_mapping(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, dataset_id, import_id)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let r = confirm(&state, &ctx, &slug, &import_id, &form).await;
    let back = page(&slug, Some(&dataset_id));
    finish(&session, r, |i| format!("Mapping confirmed: “{}” is being imported.", i.file_name), &back, &back).await
}

pub async fn delete(
    State(state): State<AppState>,
    session: Session,
    Extension(ctx): Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    let r = datasets::delete_dataset(&state.services.stores, &ctx, &slug, &id).await;
    let list = page(&slug, None);
    finish(&session, r, |d| format!("Dataset “{}” deleted, with its {} rows and files.", d.name, d.rows), &list, &list).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use services::ledger::{DateOrder, DecimalSeparator};

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn choices_change_the_proposed_mapping() {
        let headers: Vec<String> = ["Date", "Account", "Amount", "Colour"].map(String::from).to_vec();
        let proposed = ColumnMapping::propose(1, &headers, vec![]);
        let m = chosen_mapping(&proposed, &form(&[("field_2", "debit"), ("field_3", ""), ("field_1", "account_code")])).unwrap();
        assert_eq!(m.columns[2].field, Some(LedgerField::Debit));
        assert_eq!(m.columns[2].confidence, 0.0, "a changed column is the person's choice");
        assert_eq!(m.columns[1].confidence, proposed.columns[1].confidence, "an unchanged one keeps its confidence");
        assert_eq!(m.columns[0].field, Some(LedgerField::Date), "a column left out keeps its proposal");
        assert_eq!(m.columns[3].field, None);
        let bad = chosen_mapping(&proposed, &form(&[("field_0", "colour")])).unwrap_err().to_string();
        assert!(bad.contains("not a ledger field"), "{bad}");
    }

    #[test]
    fn settings_come_from_the_form() {
        let s = chosen_settings(
            DatasetSettings { company_code: Some("OLD".into()), ..Default::default() },
            &form(&[("date_order", "month_day_year"), ("decimal_separator", "comma"), ("company_code", "  "), ("currency", " EUR ")]),
        )
        .unwrap();
        assert_eq!((s.date_order, s.decimal_separator), (DateOrder::MonthDayYear, DecimalSeparator::Comma));
        assert_eq!((s.company_code, s.currency), (None, Some("EUR".into())));
        assert!(chosen_settings(DatasetSettings::default(), &form(&[("decimal_separator", "semicolon")])).is_err());
    }

    #[test]
    fn redirects_stay_in_the_project() {
        assert_eq!(page("acme", Some("0199-ab")), "/projects/acme/datasets/0199-ab");
        assert_eq!(page("acme", Some("../x")), "/projects/acme/datasets");
        assert_eq!(page("no such/slug", None), "/projects");
    }
}
