//! The page shell every portal page shares: head, skip link, navigation offering only
//! what the session's role can do, and the sign-out form.

use super::session::Session;
use crate::auth::Role;
use crate::problem::OwnBody;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// The navigation entries, to mark the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Pipelines,
    Runs,
    Connections,
    Channels,
    Notifications,
    Keys,
    Audit,
}

/// A full page for a signed-in session.
pub(crate) fn page(session: &Session, section: Section, title: &str, body: Markup) -> Response {
    let entries: [(Section, &str, &str, Role); 7] = [
        (Section::Pipelines, "/pipelines", "Pipelines", Role::Viewer),
        (Section::Runs, "/runs", "Runs", Role::Viewer),
        (Section::Connections, "/connections", "Connections", Role::Viewer),
        (Section::Channels, "/channels", "Channels", Role::Viewer),
        (Section::Notifications, "/notifications", "Notifications", Role::Viewer),
        (Section::Keys, "/keys", "Keys", Role::Admin),
        (Section::Audit, "/audit", "Audit", Role::Admin),
    ];
    let header = html! {
        header.top {
            a.brand href="/pipelines" { "Ferry" }
            nav aria-label="Main" {
                ul {
                    @for (s, href, label, role) in entries {
                        @if session.can(role) {
                            li {
                                @if s == section {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                    }
                }
            }
            form.signout method="post" action="/logout" {
                input type="hidden" name="csrf" value=(session.csrf);
                span.who { (session.caller.role.as_str()) @if session.caller.operator { " (operator)" } }
                button type="submit" { "Sign out" }
            }
        }
    };
    render(title, Some(header), body, StatusCode::OK)
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare(title: &str, body: Markup, status: StatusCode) -> Response {
    render(title, None, body, status)
}

fn render(title: &str, header: Option<Markup>, body: Markup, status: StatusCode) -> Response {
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

/// The hidden field carrying the session's anti-forgery token.
pub(crate) fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-button form posting to `action` (start, cancel, revoke…).
pub(crate) fn action_button(session: &Session, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(session))
            button type="submit" class=(class) { (label) }
        }
    }
}
