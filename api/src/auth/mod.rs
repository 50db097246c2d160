//! Who is calling: the operator (`FERRY_ADMIN_KEY`, acting on the `default` tenant and
//! managing tenants), or a tenant key with a role. Every `/api/v1` request passes
//! [`authenticate`], which puts a [`Caller`] in the request; handlers take the `Caller`
//! and ask it for the role they need, and scope every query to its tenant.
//!
//! Keys are looked up in the database on every request (by prefix, then checked against
//! the stored hash in constant time), so a key revoked through one API instance is
//! refused by every other on its next request.

mod caller;
pub(crate) mod role;
pub(crate) mod secret_key;

pub(crate) use caller::Caller;
pub use role::Role;
pub use secret_key::issue_key;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use subtle::ConstantTimeEq;

/// How stale `last_used_at` may get before a request writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// Middleware: identifies the caller or answers `401`.
pub(crate) async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let token = bearer(req.headers()).ok_or_else(ApiError::missing_key)?.to_string();
    let caller = identify(&state, &token).await?;
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

/// The caller a key stands for (the operator, or a tenant key that is valid now).
pub(crate) async fn identify(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    if is_admin(token, state.admin_key.expose()) {
        return Ok(Caller::operator());
    }
    let unknown = || ApiError::Unauthorized("this key is not valid".into());
    let prefix = secret_key::prefix_of(token).ok_or_else(ApiError::missing_key)?;
    let key = state.store.get_key_by_prefix(prefix).await?.ok_or_else(unknown)?;
    if !secret_key::matches(token, &key.hash) {
        return Err(unknown());
    }
    let now = Utc::now();
    if let Some(at) = key.revoked_at {
        return Err(ApiError::Unauthorized(format!("this key ({}…) was revoked at {at}", key.prefix)));
    }
    if let Some(at) = key.expires_at
        && at <= now
    {
        return Err(ApiError::Unauthorized(format!("this key ({}…) expired at {at}", key.prefix)));
    }
    let role = Role::parse(&key.role).ok_or_else(|| ApiError::Internal(format!("key {} has an unknown role `{}`", key.id, key.role)))?;
    if key.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
        let store = state.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_key(key.id, now).await {
                tracing::debug!(error = %e, "cannot record a key's last use");
            }
        });
    }
    Ok(Caller::tenant_key(key.tenant_id, key.id, role))
}

/// The bearer token of a request. The scheme name is matched case-insensitively
/// (RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `token` is the operator's key. An empty configured key matches nothing, so a
/// misconfiguration locks the operator out rather than opening the API.
fn is_admin(token: &str, expected: &str) -> bool {
    // Only the length can leak (slices of different length compare unequal at once).
    !expected.is_empty() && token.as_bytes().ct_eq(expected.as_bytes()).into()
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
    fn only_the_exact_operator_key_is_the_operator() {
        let ok = |v: &str| bearer(&headers(v)).is_some_and(|t| is_admin(t, "k3y"));
        assert!(ok("Bearer k3y"));
        assert!(ok("bearer  k3y "));
        assert!(!ok("Bearer k3"));
        assert!(!ok("Bearer k3yy"));
        assert!(!ok("Basic k3y"));
        assert!(!ok("k3y"));
        assert!(bearer(&HeaderMap::new()).is_none());
    }

    #[test]
    fn an_empty_operator_key_opens_nothing() {
        assert!(!is_admin("", ""));
        assert!(!is_admin("x", ""));
    }
}
