//! What a portal page answers when something goes wrong: a page for a person (with the
//! same status code and sentence the API would give), or a trip to the sign-in form.

use super::shell;
use crate::error::ApiError;
use crate::problem::OwnBody;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

/// Why a portal request did not get its page.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PortalError {
    /// No live session: sign in, then come back to `next`.
    #[error("sign in first")]
    SignIn { next: String },
    /// A form without this session's token, or sent from another site.
    #[error("this form is not from this portal's page (or the page is too old); reload it and try again")]
    Forgery,
    /// What the API said (not found, forbidden, invalid, unavailable…).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            PortalError::SignIn { next } => {
                let target = if next.starts_with('/') && !next.starts_with("//") { next } else { "/".to_owned() };
                return Redirect::to(&format!("/login?next={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>())).into_response();
            }
            PortalError::Forgery => (StatusCode::FORBIDDEN, PortalError::Forgery.to_string()),
            PortalError::Api(e) => {
                let problem = e.to_problem();
                (problem.status_code(), problem.detail)
            }
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            h1 { (title) }
            p.problem role="alert" { (detail) }
            p { a href="/pipelines" { "Back to pipelines" } }
        };
        let mut res = shell::bare(title, body, status);
        res.extensions_mut().insert(OwnBody);
        res
    }
}
