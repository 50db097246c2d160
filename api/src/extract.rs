//! Extractors whose rejections are problem documents.
//!
//! axum's own `Path`, `Query` and body extractors answer a bad request with a plain-text
//! body; these wrappers keep their parsing and turn the rejection into an [`ApiError`],
//! so a client gets the same problem shape for a bad id as for a bad spec.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Largest request body accepted (a spec with thousands of tasks stays far below it).
pub(crate) const BODY_LIMIT: usize = 10 * 1024 * 1024;

/// Path parameters; a value that does not parse (e.g. an id that is not a UUID) is a
/// `400` problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    if let PathRejection::FailedToDeserializePathParams(e) = &rejection {
        match e.kind() {
            ErrorKind::ParseErrorAtKey { key, value, .. }
            | ErrorKind::DeserializeError { key, value, .. } => {
                return ApiError::BadRequest(format!(
                    "`{value}` is not a valid `{key}`: expected a UUID such as 0193a000-0000-7000-8000-000000000000"
                ));
            }
            ErrorKind::ParseError { value, .. } => {
                return ApiError::BadRequest(format!(
                    "`{value}` is not a valid id: expected a UUID such as 0193a000-0000-7000-8000-000000000000"
                ));
            }
            _ => {}
        }
    }
    if rejection.status().is_server_error() {
        // A route whose parameters do not match its extractor: a bug, not the client's.
        ApiError::Internal(rejection.body_text())
    } else {
        ApiError::BadRequest(rejection.body_text())
    }
}

/// A query string; a parameter of the wrong type is a `400` problem.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    ApiError::BadRequest(format!("bad query string: {detail}"))
}

/// The text formats a spec body may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Yaml,
}

/// Picks the format from `Content-Type`. JSON when absent (what most clients mean), YAML
/// for the three media types in use for it, `415` for anything else.
fn body_format(headers: &HeaderMap) -> Result<BodyFormat, ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyFormat::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
            Ok(BodyFormat::Yaml)
        }
        other if other.starts_with("application/") && other.ends_with("+json") => {
            Ok(BodyFormat::Json)
        }
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "cannot read a body of type `{text}`: send `application/json` or `application/yaml`"
        ))),
    }
}

/// A pipeline spec body, decoded from JSON or YAML (by `Content-Type`) to a JSON document.
///
/// Only the syntax is checked here (`400` when the text does not parse or is not a
/// mapping); the spec's structure and meaning are checked by the handler, which lists
/// every problem in a `422`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SpecBody {
    /// The document.
    pub(crate) value: Value,
    /// The text it was read from, to place each problem at its line.
    pub(crate) text: String,
}

impl SpecBody {
    /// Reads a spec written in YAML (or JSON, which is YAML too), as the portal's editor
    /// sends it.
    pub(crate) fn from_yaml(text: String) -> Result<Self, ApiError> {
        let value: Value = yaml_serde::from_str(&text)
            .map_err(|e| ApiError::BadRequest(format!("the body is not valid YAML: {e}")))?;
        Self::checked(value, text)
    }

    fn checked(value: Value, text: String) -> Result<Self, ApiError> {
        if !value.is_object() {
            return Err(ApiError::BadRequest(
                "a pipeline spec must be a mapping (a JSON object) with `name` and `tasks`"
                    .to_owned(),
            ));
        }
        Ok(SpecBody { value, text })
    }
}

impl<S> FromRequest<S> for SpecBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let format = body_format(req.headers())?;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|e| ApiError::BadRequest(format!("the body is not UTF-8 text: {e}")))?;
        match format {
            BodyFormat::Json => {
                let value = serde_json::from_str(&text)
                    .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
                Self::checked(value, text)
            }
            BodyFormat::Yaml => Self::from_yaml(text),
        }
    }
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than the limit of {} MiB",
            BODY_LIMIT / (1024 * 1024)
        ))
    } else {
        ApiError::BadRequest(format!(
            "the body could not be read: {}",
            rejection.body_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        h
    }

    #[test]
    fn picks_the_format_from_the_content_type() {
        assert_eq!(body_format(&HeaderMap::new()).unwrap(), BodyFormat::Json);
        assert_eq!(
            body_format(&with_type("application/json; charset=utf-8")).unwrap(),
            BodyFormat::Json
        );
        assert_eq!(
            body_format(&with_type("application/merge-patch+json")).unwrap(),
            BodyFormat::Json
        );
        for yaml in [
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "Text/YAML; charset=utf-8",
        ] {
            assert_eq!(
                body_format(&with_type(yaml)).unwrap(),
                BodyFormat::Yaml,
                "{yaml}"
            );
        }
        assert!(matches!(
            body_format(&with_type("text/plain")),
            Err(ApiError::UnsupportedMediaType(_))
        ));
    }
}

/// A JSON body typed as `T`; a body that does not parse, or names a field `T` does not
/// have (bodies refuse unknown fields), is a `400` problem naming the field.
#[derive(Debug, Clone)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(bytes_rejection)?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(ApiJson).map_err(|e| {
            let at = e.path().to_string();
            let what = e.into_inner();
            if at == "." {
                ApiError::BadRequest(format!("the body is not what this route takes: {what}"))
            } else {
                ApiError::BadRequest(format!("the body's `{at}` is wrong: {what}"))
            }
        })
    }
}
