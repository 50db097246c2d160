//! Who a portal request acts for: the session cookie names a server-side row, and the
//! key behind it is checked again on every page, so a revoked or expired key ends its
//! sessions on the next click, on every API instance.
//!
//! The cookie holds 256 random bits and nothing else; the database holds only their
//! hash. The anti-forgery token lives in the row and is echoed by every form.

use super::error::PortalError;
use crate::auth::{Caller, Role};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use chrono::Utc;
use cookie::{Cookie, SameSite};
use ferry_store::PortalSessionRow;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "ferry_session";

/// How long a sign-in lasts (a working day), whatever the activity.
pub(crate) const LIFETIME: chrono::Duration = chrono::Duration::hours(12);

/// A signed-in request.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Scopes and authorizes every call the page makes, exactly as a bearer key would.
    pub(crate) caller: Caller,
    /// The token forms must carry.
    pub(crate) csrf: String,
    /// To end the session at sign-out.
    pub(crate) id_hash: String,
}

impl Session {
    /// Whether the key may do what needs `role` (pages offer only what it may).
    pub(crate) fn can(&self, role: Role) -> bool {
        self.caller.role >= role
    }

    /// Refuses a form that does not carry this session's token, or that a page of
    /// another site sent (`Origin` is checked where the browser sends it).
    pub(crate) fn check_form(&self, token: &str, headers: &HeaderMap) -> Result<(), PortalError> {
        same_origin(headers)?;
        if token.as_bytes().ct_eq(self.csrf.as_bytes()).into() {
            Ok(())
        } else {
            Err(PortalError::Forgery)
        }
    }
}

/// `403` for a request whose `Origin` is another site than the one it was sent to: the
/// `Host` it reached, or the host a reverse proxy says it forwarded (`X-Forwarded-Host`),
/// since a proxy may rewrite `Host`. The form token stays the main defence.
pub(crate) fn same_origin(headers: &HeaderMap) -> Result<(), PortalError> {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    let named = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|h| h.split(',').next().unwrap_or_default().trim().to_owned());
    let hosts = [named(HOST.as_str()), named("x-forwarded-host")];
    if hosts.iter().flatten().any(|h| !h.is_empty() && origin_host.eq_ignore_ascii_case(h)) {
        Ok(())
    } else {
        Err(PortalError::Forgery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn an_origin_must_be_the_host_or_the_forwarded_host() {
        assert!(same_origin(&headers(&[("host", "ferry.local:8080")])).is_ok(), "no Origin: the token decides");
        assert!(same_origin(&headers(&[("origin", "http://ferry.local:8080"), ("host", "ferry.local:8080")])).is_ok());
        assert!(same_origin(&headers(&[("origin", "https://ferry.example.com"), ("host", "127.0.0.1:8080"), ("x-forwarded-host", "ferry.example.com")])).is_ok());
        assert!(same_origin(&headers(&[("origin", "http://evil.example"), ("host", "ferry.local")])).is_err());
        assert!(same_origin(&headers(&[("origin", "null"), ("host", "ferry.local")])).is_err());
    }
}

/// 256 random bits as hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a session id.
pub(crate) fn hash_id(id: &str) -> String {
    blake3::derive_key("ferry 2026-12-03 portal session", id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a session for `caller`; returns the cookie to set.
pub(crate) async fn start(state: &AppState, caller: &Caller, secure: bool) -> Result<Cookie<'static>, PortalError> {
    let id = random_token();
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let row = PortalSessionRow {
        id_hash: hash_id(&id),
        tenant_id: caller.tenant,
        key_id: caller.key_id,
        role: caller.role.as_str().to_owned(),
        operator: caller.operator,
        csrf: random_token(),
        created_at: now,
        expires_at: now + LIFETIME,
    };
    state.store.create_portal_session(&row).await.map_err(crate::error::ApiError::from)?;
    Ok(cookie(id, secure, LIFETIME.num_seconds()))
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
/// page sends it), `Secure` when the request came over HTTPS.
pub(crate) fn cookie(value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((COOKIE_NAME, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

/// Whether the browser reached us over HTTPS (directly or through a proxy that says so).
pub(crate) fn over_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The value of the request's cookie `name`.
pub(crate) fn cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The session of a request, if it has a live one whose key is still valid.
pub(crate) async fn lookup(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, PortalError> {
    let Some(id) = cookie_named(headers, COOKIE_NAME) else { return Ok(None) };
    let now = Utc::now();
    let id_hash = hash_id(&id);
    let Some(row) = state.store.get_portal_session(&id_hash, now).await.map_err(crate::error::ApiError::from)? else { return Ok(None) };
    let caller = if row.operator {
        Caller::operator()
    } else {
        let Some(key_id) = row.key_id else { return Ok(None) };
        let key = state.store.get_key_by_id(key_id).await.map_err(crate::error::ApiError::from)?;
        // The key's current role counts: a key changed since sign-in changes the session.
        let Some(key) = key.filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|at| at > now)) else {
            let _ = state.store.delete_portal_session(&id_hash).await;
            return Ok(None);
        };
        let Some(role) = Role::parse(&key.role) else { return Ok(None) };
        Caller::tenant_key(key.tenant_id, key.id, role)
    };
    Ok(Some(Session { caller, csrf: row.csrf, id_hash }))
}

/// Middleware: puts the request's session (and the [`Caller`] it stands for, which the
/// rate limit and the audit trail read, as for a bearer key) into the request.
pub(crate) async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, PortalError> {
    if let Some(session) = lookup(&state, req.headers()).await? {
        req.extensions_mut().insert(session.caller);
        req.extensions_mut().insert(session);
    }
    Ok(next.run(req).await)
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Session>() {
            Some(session) => Ok(session.clone()),
            None => Err(PortalError::SignIn { next: parts.uri.path().to_owned() }),
        }
    }
}
