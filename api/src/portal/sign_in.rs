//! Signing in with an API key and out again.
//!
//! The key is sent once, in a form, checked exactly as a bearer key is, and never kept:
//! the browser gets a session cookie instead. The sign-in form itself is protected by a
//! double-submit token (a cookie and a field that must match), since there is no session
//! yet to hold one.

use super::error::PortalError;
use super::shell;
use super::session::{self, Session};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use maud::html;
use serde::Deserialize;

const LOGIN_COOKIE: &str = "ferry_login";

/// Where to go after signing in.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    key: String,
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct SignOutForm {
    csrf: String,
}

/// A relative path on this site, or the pipelines page (never an open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.starts_with("/login") => n.to_owned(),
        _ => "/pipelines".to_owned(),
    }
}

/// `GET /login`.
pub(crate) async fn form(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Next>) -> Result<Response, PortalError> {
    if session::lookup(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    Ok(render(q.next.as_deref(), None, StatusCode::OK))
}

fn render(next: Option<&str>, problem: Option<&str>, status: StatusCode) -> Response {
    let token = session::random_token();
    let body = html! {
        h1 { "Sign in to Ferry" }
        @if let Some(p) = problem { p.problem role="alert" #signin-error { (p) } }
        form.signin method="post" action="/login" {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="next" value=(safe_next(next));
            label for="key" { "API key" }
            input #key type="password" name="key" autocomplete="off" required aria-describedby="key-help";
            p #key-help .hint { "A tenant key (fk_…) or the operator's key. It is checked once; the browser keeps only a session." }
            button type="submit" { "Sign in" }
        }
    };
    let mut res = shell::bare("Sign in", body, status);
    let cookie = Cookie::build((LOGIN_COOKIE, token)).path("/login").http_only(true).same_site(SameSite::Strict).build();
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// `POST /login`.
pub(crate) async fn submit(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<SignInForm>) -> Result<Response, PortalError> {
    session::same_origin(&headers)?;
    let expected = session::cookie_named(&headers, LOGIN_COOKIE);
    let matches = expected.as_deref().is_some_and(|e| subtle::ConstantTimeEq::ct_eq(e.as_bytes(), f.csrf.as_bytes()).into());
    if !matches {
        return Err(PortalError::Forgery);
    }
    let caller = match crate::auth::identify(&state, f.key.trim()).await {
        Ok(c) => c,
        Err(crate::error::ApiError::Unauthorized(why)) => return Ok(render(f.next.as_deref(), Some(&why), StatusCode::UNAUTHORIZED)),
        Err(e) => return Err(e.into()),
    };
    let cookie = session::start(&state, &caller, session::over_https(&headers)).await?;
    let mut res = Redirect::to(&safe_next(f.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

/// `POST /logout`: ends the session here and in the database.
pub(crate) async fn sign_out(State(state): State<AppState>, session: Session, headers: HeaderMap, Form(f): Form<SignOutForm>) -> Result<Response, PortalError> {
    session.check_form(&f.csrf, &headers)?;
    state.store.delete_portal_session(&session.id_hash).await.map_err(crate::error::ApiError::from)?;
    let mut res = Redirect::to("/login").into_response();
    let gone = session::cookie(String::new(), session::over_https(&headers), 0);
    if let Ok(v) = HeaderValue::from_str(&gone.to_string()) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/runs/1")), "/runs/1");
        assert_eq!(safe_next(Some("//evil.example/")), "/pipelines");
        assert_eq!(safe_next(Some("https://evil.example/")), "/pipelines");
        assert_eq!(safe_next(Some("/\\evil")), "/pipelines");
        assert_eq!(safe_next(None), "/pipelines");
    }
}
