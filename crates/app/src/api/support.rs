//! What every server function needs: the services, the request's context, and
//! errors mapped to a status and a message a person understands.

use crate::session_view::PageContext;
use leptos::prelude::*;
use services::{AppServices, RequestContext, ServiceError, Stores};

/// Everything use cases need (provided by the server to every server function and page).
pub fn services() -> AppServices {
    expect_context::<AppServices>()
}

pub fn stores() -> Stores {
    services().stores
}

/// People's sessions (the server's session store).
pub fn session_directory() -> std::sync::Arc<dyn services::ports::SessionDirectory> {
    services().sessions
}

pub fn request() -> RequestContext {
    use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<RequestContext>().cloned()).unwrap_or_default()
}

pub fn page() -> PageContext {
    crate::session_view::page_context()
}

/// Set the HTTP status from the error and give its code and message to the caller.
pub fn fail(e: ServiceError) -> super::AppError {
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(e.status()) {
            resp.set_status(code);
        }
    }
    if e.status() >= 500 {
        tracing::error!(error = %e, "server function failed");
    }
    super::AppError::new(e.code(), &e.to_string())
}
