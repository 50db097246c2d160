//! The portal's stylesheet and script, compiled into the binary (no bundler, no CDN):
//! the content-security policy allows scripts and styles from this origin only.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

/// Where the stylesheet is served; versioned by the binary's version so a new release
/// is not served a stale cached copy.
pub(crate) const CSS_PATH: &str = concat!("/static/portal-", env!("CARGO_PKG_VERSION"), ".css");
/// Where the script is served.
pub(crate) const JS_PATH: &str = concat!("/static/portal-", env!("CARGO_PKG_VERSION"), ".js");

const CSS: &str = include_str!("../../portal-assets/portal.css");
const JS: &str = include_str!("../../portal-assets/portal.js");

/// `GET` the stylesheet.
pub(crate) async fn css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=86400")], CSS)
}

/// `GET` the script.
pub(crate) async fn js() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=86400")], JS)
}
