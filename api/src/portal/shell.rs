//! The HTML document every portal answer is: head (stylesheet, script, no favicon
//! request), skip link, an optional header, and the main content.

use crate::problem::OwnBody;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(title: &str, body: Markup, status: StatusCode) -> Response {
    render(title, None, body, status)
}

/// The document around `body`, with `header` (the navigation) when signed in.
pub(crate) fn render(title: &str, header: Option<Markup>, body: Markup, status: StatusCode) -> Response {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ferry" }
                // No favicon request (and no 404 in the console): an empty data URL.
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(super::assets::CSS_PATH);
                script src=(super::assets::JS_PATH) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                @if let Some(h) = header { (h) }
                main #main { (body) }
            }
        }
    };
    let mut res = (status, doc.into_string()).into_response();
    res.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.extensions_mut().insert(OwnBody);
    res
}

/// `res` answered with `status` (a page shown again with what was wrong in it).
pub(crate) fn with_status(mut res: Response, status: StatusCode) -> Response {
    *res.status_mut() = status;
    res
}

