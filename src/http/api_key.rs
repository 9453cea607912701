//! The one reading of a project API key for every public route (OTLP, the JSON ingest API, the
//! CI API): `Authorization: Basic base64(public_id:secret)` or `Bearer public_id:secret`. Each
//! route answers a refusal in its own wire format (OTLP status, JSON error), with these messages.

use crate::startup::AppState;
use axum::http::{header, HeaderMap, StatusCode};
use base64::Engine;
use services::{api_keys::KeyPrincipal, ServiceError};

const HOW: &str = "use `Authorization: Basic base64(public key:secret key)` or `Bearer public key:secret key`";

/// Why a request's key was not accepted.
#[derive(Debug)]
pub enum KeyRefusal {
    Missing,
    Malformed,
    UnknownOrRevoked,
    /// The key is valid but has none of these scopes.
    LacksScope(String),
    /// The store could not be asked.
    Failed(ServiceError),
}

impl KeyRefusal {
    pub fn status(&self) -> StatusCode {
        match self {
            KeyRefusal::Missing | KeyRefusal::Malformed | KeyRefusal::UnknownOrRevoked => StatusCode::UNAUTHORIZED,
            KeyRefusal::LacksScope(_) => StatusCode::FORBIDDEN,
            KeyRefusal::Failed(e) => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// A machine-readable code, as the service errors have.
    pub fn code(&self) -> &'static str {
        match self {
            KeyRefusal::LacksScope(_) => "forbidden",
            KeyRefusal::Failed(e) => e.code(),
            _ => "unauthenticated",
        }
    }

    pub fn message(&self) -> String {
        match self {
            KeyRefusal::Missing => format!("missing Authorization header: {HOW}"),
            KeyRefusal::Malformed => format!("malformed Authorization header: {HOW}"),
            KeyRefusal::UnknownOrRevoked => "unknown or revoked API key".into(),
            KeyRefusal::LacksScope(scopes) => format!("this API key lacks the scope: {scopes}"),
            KeyRefusal::Failed(e) => e.to_string(),
        }
    }
}

/// `(public id, secret)` from the Authorization header.
fn credentials(headers: &HeaderMap) -> Result<(String, String), KeyRefusal> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim).ok_or(KeyRefusal::Missing)?;
    let pair = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
            base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok().and_then(|b| String::from_utf8(b).ok())
        }
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => Some(rest.trim().to_owned()),
        _ => None,
    };
    let (public_id, secret) = pair.as_deref().and_then(|p| p.split_once(':')).ok_or(KeyRefusal::Malformed)?;
    Ok((public_id.to_owned(), secret.to_owned()))
}

/// The key's principal when it is valid and has one of `scopes`.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, scopes: &[&str]) -> Result<KeyPrincipal, KeyRefusal> {
    let (public_id, secret) = credentials(headers)?;
    for scope in scopes {
        match services::api_keys::verify(state.services.stores.primary.as_ref(), &state.services.api_keys, &public_id, &secret, scope).await
        {
            Ok(p) => return Ok(p),
            Err(ServiceError::Forbidden) => continue,
            Err(ServiceError::Unauthenticated) => return Err(KeyRefusal::UnknownOrRevoked),
            Err(e) => return Err(KeyRefusal::Failed(e)),
        }
    }
    Err(KeyRefusal::LacksScope(scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" or ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn basic_and_bearer_carry_the_same_pair() {
        let basic = base64::engine::general_purpose::STANDARD.encode("pk-ed-1:sk-ed-2");
        for h in [with(&format!("Basic {basic}")), with("bearer pk-ed-1:sk-ed-2"), with("  Bearer   pk-ed-1:sk-ed-2 ")] {
            assert_eq!(credentials(&h).unwrap(), ("pk-ed-1".into(), "sk-ed-2".into()));
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        assert!(matches!(credentials(&HeaderMap::new()), Err(KeyRefusal::Missing)));
        for bad in ["Basic !!!", "Bearer no-colon", "Token a:b", "Bearer"] {
            assert!(matches!(credentials(&with(bad)), Err(KeyRefusal::Malformed)), "{bad}");
        }
        assert_eq!(KeyRefusal::Malformed.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(KeyRefusal::LacksScope("`read`".into()).status(), StatusCode::FORBIDDEN);
    }
}
