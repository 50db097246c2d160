//! The tenant self-service portal, served by the API role at `/`: server-rendered HTML
//! (maud templates compiled into the binary), one small hand-written script for live
//! updates, no Node or bundler anywhere.
//!
//! # Decisions
//!
//! - **One path to the data.** Every page calls the API's own handlers with the session's
//!   [`Caller`](crate::auth::Caller), so tenant scoping, roles, validation and errors are
//!   the API's, not a copy of them; a tenant-B session sees a tenant-A object as the API
//!   would: `404`.
//! - **Sessions are server-side** (module `session`): the cookie (HttpOnly,
//!   SameSite=Strict) holds a random id, never the key; the key is re-checked on every
//!   page, so revoking it signs its sessions out.
//! - **Forgery**: every form carries the session's token, and a request whose `Origin`
//!   is another site is refused; sign-in uses a double-submit token.
//! - **Content-Security-Policy** allows scripts, styles and connections from this origin
//!   only, no inline script or style; maud escapes everything interpolated.
//! - **Live progress** is server-sent events (module `run_live`), the simplest transport
//!   a browser reconnects by itself.

mod assets;
mod channels_pages;
mod connections_pages;
mod datasets_page;
mod deliveries_page;
mod error;
mod format;
mod keys_pages;
mod layout;
mod pipelines_pages;
mod run_live;
mod run_view;
mod runs_pages;
mod session;
mod shell;
mod sign_in;
mod spec_editor;
mod spec_yaml;
mod tasks_pages;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use error::PortalError;
use uuid::Uuid;

/// The policy every portal answer carries.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Every portal page and form action, by path.
fn pages() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/", get(home)),
        ("/login", get(sign_in::form).post(sign_in::submit)),
        ("/logout", post(sign_in::sign_out)),
        ("/pipelines", get(pipelines_pages::list)),
        ("/pipelines/new", get(pipelines_pages::new_form).post(pipelines_pages::create)),
        ("/pipelines/{id}", get(pipelines_pages::detail).post(pipelines_pages::save)),
        ("/pipelines/{id}/runs", post(pipelines_pages::start_run)),
        ("/pipelines/{id}/pause", post(pipelines_pages::pause)),
        ("/pipelines/{id}/resume", post(pipelines_pages::resume)),
        ("/pipelines/{id}/delete", post(pipelines_pages::delete)),
        ("/runs", get(runs_pages::list)),
        ("/runs/{id}", get(runs_pages::detail)),
        ("/runs/{id}/live", get(run_live::live)),
        ("/runs/{id}/cancel", post(runs_pages::cancel)),
        ("/runs/{id}/retry", post(runs_pages::retry)),
        ("/runs/{id}/manifest.csv", get(runs_pages::manifest)),
        ("/tasks/{id}", get(tasks_pages::detail)),
        ("/connections", get(connections_pages::list).post(connections_pages::create)),
        ("/connections/{id}", get(connections_pages::detail).post(connections_pages::save)),
        ("/connections/{id}/delete", post(connections_pages::delete)),
        ("/channels", get(channels_pages::list).post(channels_pages::create)),
        ("/channels/{name}/test", post(channels_pages::test)),
        ("/channels/{name}/delete", post(channels_pages::delete)),
        ("/notification-rules", post(channels_pages::create_rule)),
        ("/notification-rules/{id}/delete", post(channels_pages::delete_rule)),
        ("/notifications", get(channels_pages::list_notifications)),
        ("/datasets", get(datasets_page::list)),
        ("/deliveries", get(deliveries_page::list)),
        ("/deliveries/{id}/retry", post(deliveries_page::retry)),
        ("/deliveries/{id}/cancel", post(deliveries_page::cancel)),
        ("/keys", get(keys_pages::list).post(keys_pages::create)),
        ("/keys/{id}/revoke", post(keys_pages::revoke)),
        ("/audit", get(keys_pages::audit_log)),
    ]
}

/// The path of every portal route, so tests can walk them all (a new page is walked
/// the day it is added).
pub fn paths() -> Vec<&'static str> {
    pages().into_iter().map(|(path, _)| path).collect()
}

/// The portal's routes, with sessions, rate limits and the audit trail applied.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    let pages = pages().into_iter().fold(Router::new(), |r, (path, route)| r.route(path, route));
    let pages = pages
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::audit_trail::record))
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limited))
        .route_layer(middleware::from_fn_with_state(state, session::attach));
    Router::new()
        .merge(pages)
        .route(assets::CSS_PATH, get(assets::css))
        .route(assets::JS_PATH, get(assets::js))
        .layer(middleware::from_fn(security_headers))
}

/// Middleware: the API's per-key rate limit, answered as a page (with `Retry-After`) when
/// it refuses.
async fn rate_limited(state: axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    match crate::rate_limit::limit(state, req, next).await {
        Ok(res) => res,
        Err(e) => {
            let retry = match &e {
                ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            };
            let mut res = PortalError::Api(e).into_response();
            if let Some(secs) = retry
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            res
        }
    }
}

/// `GET /`: the pipelines, or the sign-in form.
async fn home(req: Request) -> Response {
    let signed_in = req.extensions().get::<session::Session>().is_some();
    Redirect::to(if signed_in { "/pipelines" } else { "/login" }).into_response()
}

/// Middleware: the headers that keep a page from being framed, sniffed or scripted from
/// elsewhere.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

/// A path id; anything that is not one is a page that does not exist.
pub(crate) fn page_id(text: &str, what: &str) -> Result<Uuid, PortalError> {
    Uuid::parse_str(text).map_err(|_| PortalError::Api(ApiError::NotFound(format!("no {what} with id `{text}`"))))
}
