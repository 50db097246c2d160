//! The frame of a signed-in page: navigation offering only what the session's role can
//! do, the sign-out form, and the form pieces every page uses.

use super::session::Session;
use crate::auth::Role;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

/// The navigation entries, to mark the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Pipelines,
    Runs,
    Connections,
    Channels,
    Notifications,
    Datasets,
    Deliveries,
    Keys,
    Audit,
}

/// A full page for a signed-in session.
pub(crate) fn page(session: &Session, section: Section, title: &str, body: Markup) -> Response {
    let entries: [(Section, &str, &str, Role); 9] = [
        (Section::Pipelines, "/pipelines", "Pipelines", Role::Viewer),
        (Section::Runs, "/runs", "Runs", Role::Viewer),
        (Section::Connections, "/connections", "Connections", Role::Viewer),
        (Section::Channels, "/channels", "Channels", Role::Viewer),
        (Section::Notifications, "/notifications", "Notifications", Role::Viewer),
        (Section::Datasets, "/datasets", "Datasets", Role::Viewer),
        (Section::Deliveries, "/deliveries", "Deliveries", Role::Viewer),
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
    super::shell::render(title, Some(header), body, StatusCode::OK)
}

/// The hidden field carrying the session's anti-forgery token.
pub(crate) fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// What an [`action_button`]'s form sends: its token only.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TokenForm {
    pub(crate) csrf: String,
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
