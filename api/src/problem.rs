//! RFC 9457 problem documents: the one shape every error response of the API takes.
//!
//! Clients get the same machine-readable body whatever went wrong (a bad key, a spec with
//! ten mistakes, an unknown route, a database that is down), so they need one error path
//! instead of one per status code.

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Media type of a problem document (RFC 9457 §3).
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An error response body as RFC 9457 defines it, plus Ferry's `errors` member for specs.
///
/// `type` is `about:blank` when the status code says it all (then `title` is the status'
/// reason phrase), or a `urn:ferry:problem:…` URI naming a problem a client may want to
/// handle specially (an invalid spec, a name already taken, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:ferry:problem:not-found",
    "title": "Not Found",
    "status": 404,
    "detail": "no run with id 0193a000-0000-7000-8000-000000000000",
    "instance": "/api/v1/runs/0193a000-0000-7000-8000-000000000000"
}))]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` for a plain HTTP status.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code, repeated for clients that lose the status line.
    pub status: u16,
    /// What went wrong this time, in a sentence meant for a person.
    pub detail: String,
    /// The request path this problem answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every problem found in a pipeline spec (only on `422`), so a user can fix them all
    /// in one go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<SpecError>,
}

/// One problem in a submitted pipeline spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SpecError {
    /// Where in the document, e.g. `tasks[2].depends_on[0]`; `$` for the whole document.
    #[schema(example = "tasks[1].depends_on[0]")]
    pub path: String,
    /// What is wrong and, where possible, what is expected.
    #[schema(example = "depends on unknown task `ghost`")]
    pub message: String,
    /// The 1-based line of the submitted text (YAML or JSON) where the node at `path`
    /// starts (or its nearest parent that is there), so an editor can show the problem
    /// beside it; absent where the spec came from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 9, minimum = 1)]
    pub line: Option<u32>,
}

impl From<ferry_common::spec::SpecProblem> for SpecError {
    fn from(p: ferry_common::spec::SpecProblem) -> Self {
        SpecError {
            path: p.path,
            message: p.message,
            line: None,
        }
    }
}

impl Problem {
    /// A problem whose status code says it all (`type: about:blank`).
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            type_uri: "about:blank".to_owned(),
            title: reason(status),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
        }
    }

    /// A problem of a Ferry-specific kind: `slug` becomes `urn:ferry:problem:<slug>`.
    pub fn typed(
        status: StatusCode,
        slug: &str,
        title: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            type_uri: format!("urn:ferry:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
        }
    }

    /// The status code, falling back to 500 for a number that is not one.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The reason phrase of a status, e.g. `Not Found`.
fn reason(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("Error").to_owned()
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| {
            // Serializing strings and numbers cannot fail; keep a body anyway.
            br#"{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"error"}"#.to_vec()
        });
        let mut res = (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE))],
            body,
        )
            .into_response();
        // Kept so the outer middleware can fill in `instance` without parsing the body.
        res.extensions_mut().insert(self);
        res
    }
}

/// Marks a response whose error body is meant for a person (a portal page) and must
/// reach the browser as it is, not be replaced by a problem document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OwnBody;

/// Middleware, outermost: makes every error response a problem document and sets its
/// `instance` to the request path.
///
/// Handlers and extractors already answer with problems; this catches what they cannot
/// reach: axum's own `405 Method Not Allowed`, the timeout layer's `503`, the `500` of
/// a caught panic, Swagger UI's misses. Headers such as `Allow` and `WWW-Authenticate` are kept.
pub(crate) async fn problem_responses(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || res.extensions().get::<OwnBody>().is_some() {
        return res;
    }
    let (mut parts, _body) = res.into_parts();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => problem,
        None => Problem::from_status(status, generic_detail(status)),
    };
    if problem.instance.is_none() {
        problem.instance = Some(path);
    }
    parts.headers.remove(CONTENT_TYPE);
    parts.headers.remove(CONTENT_LENGTH);
    let rendered = problem.into_response();
    let (new_parts, body) = rendered.into_parts();
    parts.headers.extend(new_parts.headers);
    parts.extensions.extend(new_parts.extensions);
    Response::from_parts(parts, body)
}

/// A sentence for an error status that reached the client without a problem of its own.
fn generic_detail(status: StatusCode) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this route does not accept that method; the Allow header lists those it does"
                .to_owned()
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "the server could not answer in time; try again".to_owned()
        }
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::INTERNAL_SERVER_ERROR => {
            "the server failed to answer; the error is in its log".to_owned()
        }
        other => format!("the request failed with status {}", other.as_u16()),
    }
}
