//! What every server function needs: the stores, the request's context, and
//! errors mapped to a status and a message a person understands.

use crate::session_view::PageContext;
use leptos::prelude::*;
use services::{RequestContext, ServiceError, Stores};

pub fn stores() -> Stores {
    expect_context::<Stores>()
}

/// People's sessions (the server's session store).
pub fn session_directory() -> std::sync::Arc<dyn services::ports::SessionDirectory> {
    expect_context::<std::sync::Arc<dyn services::ports::SessionDirectory>>()
}

pub fn request() -> RequestContext {
    use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<RequestContext>().cloned()).unwrap_or_default()
}

pub fn page() -> PageContext {
    crate::session_view::page_context()
}

/// Set the HTTP status from the error and give its message to the caller.
pub fn fail(e: ServiceError) -> ServerFnError {
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(code) = http::StatusCode::from_u16(e.status()) {
            resp.set_status(code);
        }
    }
    if e.status() >= 500 {
        tracing::error!(error = %e, "server function failed");
    }
    ServerFnError::ServerError(e.to_string())
}
