//! What the server tells pages about the request: who is signed in and the
//! one-time message left by the last form. Set by the server's middleware in
//! the request extensions; pages read it from context.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashKind {
    Success,
    Error,
}

/// A message shown once on the next page, after a form post redirects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
    /// A value to show once and never again (a new API key's secret).
    pub secret: Option<String>,
}

/// Both, as one request extension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageContext {
    pub viewer: Option<Viewer>,
    pub flash: Option<Flash>,
    /// The current session's token, to mark it in the list of sessions. Server-side only: it is
    /// never rendered (the list shows opaque handles).
    pub session_token: Option<String>,
}

/// The request's page context (server side; `None` in the browser).
pub fn page_context() -> PageContext {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::use_context;
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<PageContext>().cloned()).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        PageContext::default()
    }
}
