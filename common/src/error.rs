//! The one error type of this crate, so callers can branch on what went wrong.

use thiserror::Error;

/// Errors raised by the shared model and the in-process seams.
#[derive(Debug, Error)]
pub enum CommonError {
    /// The connections file cannot be read or parsed.
    #[error("connections file {file}: {reason}")]
    Connections {
        /// The file `FERRY_CONNECTIONS` names.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A state change that the state machine forbids, e.g. `succeeded → running`.
    #[error("illegal {entity} transition from {from} to {to}")]
    IllegalTransition {
        entity: &'static str,
        from: String,
        to: String,
    },
    /// A location string that is not a URL Ferry can serve.
    #[error("invalid location `{location}`: {reason}")]
    InvalidLocation { location: String, reason: String },
    /// The broker is closed (shutting down) and accepts no more work.
    #[error("broker closed")]
    BrokerClosed,
    /// A message could not be encoded or decoded.
    #[error("message codec: {0}")]
    Codec(#[from] serde_json::Error),
    /// A server behind a seam (RabbitMQ, Redis) cannot be reached or refused the call;
    /// callers retry or report it, it is not the caller's mistake.
    #[error("{backend} unavailable: {message}")]
    Unavailable { backend: &'static str, message: String },
    /// A settings value is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
}
