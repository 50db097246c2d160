//! The worker's one error type, and how its failures map onto the executor contract
//! (`Retryable` vs `Fatal`), so every executor classifies errors the same way.

use ferry_common::CommonError;
use ferry_common::executor::ExecError;
use thiserror::Error;

/// Everything that can go wrong in the worker outside an executor's own logic.
///
/// Kept as an enum (not `anyhow`) so callers can tell a bad location (the spec's fault,
/// never worth retrying) from a store that is unreachable right now (worth retrying).
#[derive(Debug, Error)]
pub enum WorkerError {
    /// The location string is not a URL any backend of this build can serve.
    #[error("invalid location `{location}`: {reason}")]
    InvalidLocation {
        /// The location as written in the spec.
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// The location names a connection this worker's connections file does not define.
    #[error("location `{location}` uses connection `{connection}`, which is not defined here ({known})")]
    UnknownConnection {
        /// The location as written in the spec.
        location: String,
        /// The connection name.
        connection: String,
        /// What is defined, or how to define connections (names only, never values).
        known: String,
    },
    /// A connection's options do not fit the store the location needs.
    #[error("connection `{connection}` for `{location}`: {reason}")]
    BadConnection {
        /// The location as written in the spec.
        location: String,
        /// The connection name.
        connection: String,
        /// Which option is wrong, or why a connection cannot apply.
        reason: String,
    },
    /// The connections file cannot be read or parsed.
    #[error("connections file {file}: {reason}")]
    Connections {
        /// The file `FERRY_CONNECTIONS` names.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An include/exclude pattern does not compile.
    #[error("bad glob `{pattern}`: {source}")]
    Glob {
        /// The pattern as written.
        pattern: String,
        /// What globset objected to.
        #[source]
        source: globset::Error,
    },
    /// A storage backend refused or failed an operation.
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// The broker failed (consume, publish, ack).
    #[error("broker: {0}")]
    Broker(#[source] CommonError),
    /// The coordinator failed (heartbeat, cancel flags).
    #[error("coordinator: {0}")]
    Coordinator(#[source] CommonError),
    /// Every task stream ended although no shutdown was asked for (the broker closed).
    #[error("the broker closed every task stream")]
    StreamsClosed,
}

impl WorkerError {
    /// Whether another attempt might succeed: only transient store and broker trouble.
    pub fn is_retryable(&self) -> bool {
        match self {
            WorkerError::InvalidLocation { .. }
            | WorkerError::UnknownConnection { .. }
            | WorkerError::BadConnection { .. }
            | WorkerError::Connections { .. }
            | WorkerError::Glob { .. } => false,
            WorkerError::Store(e) => store_error_is_retryable(e),
            WorkerError::Broker(_) | WorkerError::Coordinator(_) | WorkerError::StreamsClosed => {
                true
            }
        }
    }
}

/// Classifies an `object_store` error: configuration, permission and path problems fail
/// the same way next time; everything else (I/O, network, a file that vanished between
/// listing and reading) may not.
pub fn store_error_is_retryable(e: &object_store::Error) -> bool {
    match e {
        object_store::Error::InvalidPath { .. }
        | object_store::Error::NotSupported { .. }
        | object_store::Error::NotImplemented { .. }
        | object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. }
        | object_store::Error::UnknownConfigurationKey { .. } => false,
        // Some calls (S3 listings among them) report a refusal as a generic error that
        // carries the HTTP status: a refused credential is as permanent there.
        object_store::Error::Generic { .. } => !refused(&e.to_string()),
        _ => true,
    }
}

/// Whether an error's text says the server refused the credentials or the access.
fn refused(text: &str) -> bool {
    const SIGNS: &[&str] = &[
        "401 Unauthorized",
        "403 Forbidden",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "AuthenticationFailed",
        "AuthorizationFailure",
        "NoSuchBucket",
    ];
    SIGNS.iter().any(|s| text.contains(s))
}

impl From<WorkerError> for ExecError {
    fn from(e: WorkerError) -> Self {
        if e.is_retryable() {
            ExecError::Retryable(e.to_string())
        } else {
            ExecError::Fatal(e.to_string())
        }
    }
}

/// Maps a store error met while working on `what` (a path or URL) to an executor error.
pub(crate) fn store_exec_error(what: &str, e: object_store::Error) -> ExecError {
    let msg = format!("{what}: {e}");
    if store_error_is_retryable(&e) {
        ExecError::Retryable(msg)
    } else {
        ExecError::Fatal(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic { store: "S3", source: text.to_string().into() }
    }

    #[test]
    fn refusals_are_permanent_and_outages_retryable() {
        assert!(!store_error_is_retryable(&generic("Server returned non-2xx status code: 403 Forbidden: <Code>SignatureDoesNotMatch</Code>")));
        assert!(!store_error_is_retryable(&generic("401 Unauthorized")));
        assert!(store_error_is_retryable(&generic("Server returned non-2xx status code: 503 Service Unavailable")));
        assert!(store_error_is_retryable(&generic("error sending request: connection refused")));
        assert!(!store_error_is_retryable(&object_store::Error::PermissionDenied { path: "x".into(), source: "no".into() }));
    }
}
