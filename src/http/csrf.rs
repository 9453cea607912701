//! CSRF defence for the cookie-session routes (pages, forms, server functions, the upload API):
//! a state-changing request must come from this site, whether or not it carries a cookie — a
//! sign-in posted from another site would sign the victim's browser into the attacker's account
//! (login CSRF). SameSite=Lax cookies are the second layer.
//!
//! - `Origin` present: it decides. It must be this site: the host the request was sent to, or
//!   `server.public_url` (behind a proxy that rewrites `Host`).
//! - No `Origin`, `Sec-Fetch-Site` present: `same-origin` (or `none`: typed or bookmarked).
//! - Neither: a browser always sends one of them on a POST, so this is a script. It passes only
//!   without cookies (it then has no ambient authority to abuse).
//!
//! API-key routes (OTLP, CI) are served by routers without this layer.

use crate::startup::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn same_origin_only(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) || from_this_site(req.headers(), &state.settings.server.public_url) {
        return next.run(req).await;
    }
    tracing::warn!(method = %req.method(), path = %req.uri().path(), "cross-origin request refused");
    (StatusCode::FORBIDDEN, "This request came from another site and was refused. Reload the page and try again.").into_response()
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn from_this_site(h: &HeaderMap, public_url: &str) -> bool {
    let text = |name| h.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN) {
        return is_this_site(origin, text(header::HOST), public_url);
    }
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin" || site == "none";
    }
    !h.contains_key(header::COOKIE)
}

/// `origin` (`scheme://host[:port]`, or `null`) names the host the request went to, or the
/// configured public origin.
fn is_this_site(origin: &str, host: Option<&str>, public_url: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let matches_host = host.is_some_and(|h| h.eq_ignore_ascii_case(authority)) && (scheme == "http" || scheme == "https");
    let public = public_url.trim_end_matches('/');
    matches_host || (!public.is_empty() && origin.eq_ignore_ascii_case(public))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://ed.example.com";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origin_decides_when_present() {
        let host = ("host", "127.0.0.1:3000");
        assert!(from_this_site(&headers(&[host, ("origin", "http://127.0.0.1:3000")]), PUBLIC));
        assert!(from_this_site(&headers(&[("host", "internal:3000"), ("origin", PUBLIC)]), PUBLIC), "public URL behind a proxy");
        // Sign-in from elsewhere, with or without a cookie: refused (login CSRF).
        assert!(!from_this_site(&headers(&[host, ("origin", "http://evil.example")]), PUBLIC));
        assert!(!from_this_site(&headers(&[host, ("origin", "http://evil.example"), ("cookie", "ed_session=x")]), PUBLIC));
        // Origin wins over a Sec-Fetch-Site that claims same-origin.
        assert!(!from_this_site(&headers(&[host, ("origin", "http://evil.example"), ("sec-fetch-site", "same-origin")]), PUBLIC));
        assert!(!from_this_site(&headers(&[host, ("origin", "null")]), PUBLIC));
        assert!(!from_this_site(&headers(&[host, ("origin", "http://127.0.0.1:3000.evil.example")]), PUBLIC));
        assert!(!from_this_site(&headers(&[host, ("origin", "ftp://127.0.0.1:3000")]), PUBLIC));
    }

    #[test]
    fn fetch_metadata_without_origin() {
        assert!(from_this_site(&headers(&[("sec-fetch-site", "same-origin")]), PUBLIC));
        assert!(from_this_site(&headers(&[("sec-fetch-site", "none")]), PUBLIC));
        for site in ["cross-site", "same-site"] {
            assert!(!from_this_site(&headers(&[("sec-fetch-site", site)]), PUBLIC), "{site}");
        }
    }

    #[test]
    fn neither_header_passes_only_without_cookies() {
        assert!(from_this_site(&headers(&[("host", "127.0.0.1:3000")]), PUBLIC), "a script with no cookie");
        assert!(!from_this_site(&headers(&[("host", "127.0.0.1:3000"), ("cookie", "ed_session=x")]), PUBLIC));
    }
}
