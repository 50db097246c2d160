//! The errors a handler can end with, and how each becomes a problem document.
//!
//! The mapping lives here, in one match, so the status a client sees for a given failure
//! is decided once: store conflicts are `409`, unknown cursors `400`, an unreachable
//! database `503` (the request may succeed later), and `500` only for a row the database
//! holds that this build cannot read — never for something a client sent.

use crate::problem::{Problem, SpecError};
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_common::spec::SpecProblem;
use ferry_store::StoreError;

/// Why a request failed. Every variant renders as an RFC 9457 problem.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer <key>`, an unknown, revoked or expired key; the text
    /// says which (never anything about other keys).
    #[error("{0}")]
    Unauthorized(String),
    /// A valid key whose role does not allow the request.
    #[error("{0}")]
    Forbidden(String),
    /// The key's request rate limit is spent for now.
    #[error("this key's request rate limit is spent; retry in {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until a request would be admitted (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// The request conflicts with stored state (a tenant name taken, a tenant with runs
    /// in flight).
    #[error("{0}")]
    Conflict(String),
    /// The addressed resource does not exist (for this tenant).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed: bad JSON/YAML, a bad id, a bad query parameter.
    #[error("{0}")]
    BadRequest(String),
    /// The request is well formed but asks for something that cannot be (a backfill
    /// range without slots, a schedule the pipeline does not have).
    #[error("{0}")]
    Unprocessable(String),
    /// The request body is of a media type the route does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body exceeds the size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A pipeline of that name already exists.
    #[error("{0}")]
    NameTaken(String),
    /// The run already finished, so it cannot be cancelled.
    #[error("{0}")]
    RunFinished(String),
    /// The run is still going, or has nothing left to retry.
    #[error("{0}")]
    NothingToRetry(String),
    /// The spec was read but is wrong; every problem is listed.
    #[error("the pipeline spec has {} problem(s)", .0.len())]
    InvalidSpec(Vec<SpecProblem>),
    /// As `InvalidSpec`, for a submitted text: each problem also says its line.
    #[error("the pipeline spec has {} problem(s)", .0.len())]
    InvalidSpecText(Vec<SpecError>),
    /// A notification rule names an unknown event or channel; every problem is listed.
    #[error("the notification rule has {} problem(s)", .0.len())]
    InvalidRule(Vec<SpecProblem>),
    /// A dependency (database, broker, coordinator) cannot be reached now.
    #[error("{what} unavailable")]
    Unavailable {
        /// What is down, e.g. `database`.
        what: &'static str,
        /// Said to the client; never the raw error (it may carry addresses).
        detail: String,
    },
    /// A fault of the server itself (e.g. a stored row this build cannot decode).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A `404` naming what was looked for.
    /// A store conflict as the generic `409` (a tenant or connection name taken), where
    /// the blanket conversion would call it a pipeline name.
    pub fn conflict(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(msg) => ApiError::Conflict(msg),
            other => other.into(),
        }
    }

    /// The answer to a request without a usable key.
    pub fn missing_key() -> Self {
        ApiError::Unauthorized("a valid `Authorization: Bearer <key>` header is required (the operator's FERRY_ADMIN_KEY or a tenant key)".into())
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("no {what} with id {id}"))
    }

    /// The problem document this error answers with.
    pub fn to_problem(&self) -> Problem {
        let detail = self.to_string();
        match self {
            ApiError::Unauthorized(_) => Problem::from_status(StatusCode::UNAUTHORIZED, detail),
            ApiError::Forbidden(_) => Problem::typed(StatusCode::FORBIDDEN, "forbidden", "Role too weak", detail),
            ApiError::Conflict(_) => Problem::typed(StatusCode::CONFLICT, "conflict", "Conflict", detail),
            ApiError::TooManyRequests { .. } => {
                Problem::typed(StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests", detail)
            }
            ApiError::NotFound(_) => {
                Problem::typed(StatusCode::NOT_FOUND, "not-found", "Not Found", detail)
            }
            ApiError::BadRequest(_) => Problem::from_status(StatusCode::BAD_REQUEST, detail),
            ApiError::Unprocessable(_) => Problem::from_status(StatusCode::UNPROCESSABLE_ENTITY, detail),
            ApiError::UnsupportedMediaType(_) => {
                Problem::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail)
            }
            ApiError::PayloadTooLarge(_) => {
                Problem::from_status(StatusCode::PAYLOAD_TOO_LARGE, detail)
            }
            ApiError::NameTaken(_) => Problem::typed(
                StatusCode::CONFLICT,
                "name-taken",
                "Pipeline name already in use",
                detail,
            ),
            ApiError::NothingToRetry(_) => Problem::typed(
                StatusCode::CONFLICT,
                "nothing-to-retry",
                "Nothing to retry",
                detail,
            ),
            ApiError::RunFinished(_) => Problem::typed(
                StatusCode::CONFLICT,
                "run-finished",
                "Run already finished",
                detail,
            ),
            ApiError::InvalidSpec(problems) => listed(paths(problems), "invalid-spec", "Invalid pipeline spec", "the pipeline spec", "its path"),
            ApiError::InvalidSpecText(errors) => listed(errors.clone(), "invalid-spec", "Invalid pipeline spec", "the pipeline spec", "its path and line"),
            ApiError::InvalidRule(problems) => listed(paths(problems), "invalid-rule", "Invalid notification rule", "the notification rule", "its path"),
            ApiError::Unavailable { what, detail } => Problem::typed(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("{what}-unavailable"),
                format!("{} unavailable", capitalize(what)),
                detail.clone(),
            ),
            ApiError::Internal(_) => Problem::from_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server failed to answer; the error is in its log",
            ),
        }
    }
}

/// A `422` listing every problem of a document; `where_` says what each one names.
fn listed(errors: Vec<SpecError>, kind: &str, title: &str, what: &str, where_: &str) -> Problem {
    let detail = format!("{what} has {} problem(s); see `errors` for each one with {where_}", errors.len());
    let mut p = Problem::typed(StatusCode::UNPROCESSABLE_ENTITY, kind, title, detail);
    p.errors = errors;
    p
}

/// Problems placed by path only.
fn paths(problems: &[SpecProblem]) -> Vec<SpecError> {
    problems.iter().cloned().map(SpecError::from).collect()
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(msg) => ApiError::NameTaken(msg),
            StoreError::InvalidCursor(c) => ApiError::BadRequest(format!(
                "invalid cursor `{c}`: pass a `next_cursor` value from a previous page, unchanged"
            )),
            StoreError::Db(e) => {
                tracing::error!(error = %e, "database error while answering a request");
                ApiError::Unavailable {
                    what: "database",
                    detail: "the database cannot be reached or refused the query; try again later"
                        .to_owned(),
                }
            }
            StoreError::Corrupt(msg) => {
                tracing::error!(error = %msg, "corrupt row while answering a request");
                ApiError::Internal(msg)
            }
            StoreError::Migration(msg) => {
                tracing::error!(error = %msg, "migration error while answering a request");
                ApiError::Internal(msg)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(msg) = &self {
            tracing::error!(error = %msg, "internal error");
        }
        let mut res = self.to_problem().into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            res.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            res.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        res
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
