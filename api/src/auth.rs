//! Bearer-key authentication for `/api/v1`.
//!
//! One admin key for now (multi-tenant keys come with tenants). The key is compared in
//! constant time so response timing does not reveal how much of a guess was right.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;

/// Middleware: lets the request through only with `Authorization: Bearer <admin key>`.
///
/// The scheme name is matched case-insensitively (RFC 9110 §11.1). An empty configured
/// key matches nothing, so a misconfiguration locks the API rather than opening it.
pub(crate) async fn require_admin_key(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if is_authorized(req.headers(), state.admin_key.expose()) {
        Ok(next.run(req).await)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Whether the headers carry the expected bearer token.
fn is_authorized(headers: &HeaderMap, expected: &str) -> bool {
    if expected.is_empty() {
        return false;
    }
    let Some(value) = headers.get(AUTHORIZATION) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    // Only the length can leak (slices of different length compare unequal at once);
    // generated keys all have the same length, so it tells an attacker nothing.
    token.trim().as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn accepts_only_the_exact_key() {
        assert!(is_authorized(&headers("Bearer k3y"), "k3y"));
        assert!(is_authorized(&headers("bearer  k3y "), "k3y"));
        assert!(!is_authorized(&headers("Bearer k3"), "k3y"));
        assert!(!is_authorized(&headers("Bearer k3yy"), "k3y"));
        assert!(!is_authorized(&headers("Basic k3y"), "k3y"));
        assert!(!is_authorized(&headers("k3y"), "k3y"));
        assert!(!is_authorized(&HeaderMap::new(), "k3y"));
    }

    #[test]
    fn an_empty_key_opens_nothing() {
        assert!(!is_authorized(&headers("Bearer "), ""));
        assert!(!is_authorized(&headers("Bearer x"), ""));
    }
}
