//! The error type of this crate, and how it folds into [`ferry_common::CommonError`].

use ferry_common::CommonError;
use std::time::Duration;
use thiserror::Error;

/// What can go wrong talking to Redis. Every variant that involves the server names it
/// by its URL with any password removed, so a log line says which Redis was meant
/// without leaking credentials.
#[derive(Debug, Error)]
pub enum RedisCoordError {
    /// The URL is not one the redis client accepts (scheme, port, database number).
    #[error("invalid Redis URL `{url}`: {source}")]
    InvalidUrl {
        /// The URL, password removed.
        url: String,
        /// Why the client refused it.
        #[source]
        source: redis::RedisError,
    },
    /// The first connection could not be made: the server is down, unreachable, or
    /// refused the credentials.
    #[error("cannot reach Redis at {url}: {source}")]
    Unreachable {
        /// The URL, password removed.
        url: String,
        /// The client's error (connection refused, timed out, auth failed, …).
        #[source]
        source: redis::RedisError,
    },
    /// A command failed after connecting: the connection dropped and the reconnect did
    /// not succeed in time, or the server answered with an error.
    #[error("Redis at {url}: {op} failed: {source}")]
    Command {
        /// The URL, password removed.
        url: String,
        /// Which coordinator operation was running, e.g. `acquire_lease`.
        op: &'static str,
        /// The client's error.
        #[source]
        source: redis::RedisError,
    },
    /// A command got no answer within the call deadline (server hung or unreachable
    /// while reconnecting); the connection is replaced before the next call.
    #[error("Redis at {url}: {op} got no answer within {after:?}")]
    Timeout {
        /// The URL, password removed.
        url: String,
        /// Which coordinator operation was running.
        op: &'static str,
        /// The deadline that passed.
        after: Duration,
    },
    /// A value could not be encoded to JSON before storing it.
    #[error("encoding {what} for Redis: {source}")]
    Encode {
        /// What was being encoded, e.g. `worker info`.
        what: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
}

impl From<RedisCoordError> for CommonError {
    /// Encoding errors keep their serde cause as [`CommonError::Codec`]; a malformed URL
    /// is a configuration mistake; every other failure means Redis is unavailable this
    /// time (the message names it and its URL), which callers retry on their next tick.
    fn from(err: RedisCoordError) -> Self {
        match err {
            RedisCoordError::Encode { source, .. } => CommonError::Codec(source),
            invalid @ RedisCoordError::InvalidUrl { .. } => CommonError::Config(invalid.to_string()),
            other => CommonError::Unavailable {
                backend: "Redis",
                message: other.to_string(),
            },
        }
    }
}
