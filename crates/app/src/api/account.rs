//! The account page's data.

use super::AppError;
pub use domain::sessions::{AccountView, SessionView};
use leptos::prelude::*;

/// The caller's profile and sessions. Sessions are named by opaque handles: a session token
/// never leaves its own cookie.
#[server(prefix = "/api")]
pub async fn load_account() -> Result<AccountView, AppError> {
    use super::support::*;
    let store = stores().primary;
    let dir = session_directory();
    services::sessions::my_account(store.as_ref(), dir.as_ref(), &request(), page().session_token.as_deref()).await.map_err(fail)
}

/// Whether the first-run page should offer to create the first admin.
#[server(prefix = "/api")]
pub async fn first_run_needed() -> Result<bool, AppError> {
    use super::support::*;
    services::auth::first_run_needed(stores().primary.as_ref()).await.map_err(fail)
}
