//! What can go wrong talking to RabbitMQ, and how it maps onto the shared error type.

use ferry_common::CommonError;
use lapin::protocol::{AMQPErrorKind, AMQPHardError};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Errors of the RabbitMQ broker. Each names RabbitMQ and the (password-free) URL where it
/// helps an operator find which server is meant.
#[derive(Debug, Error)]
pub enum AmqpError {
    /// The server could not be reached or dropped the connection (refused, reset, missed
    /// heartbeats, shutting down). Transient: retried with backoff.
    #[error("RabbitMQ at {url} unreachable: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: Box<lapin::Error>,
    },
    /// The server answered but refused an operation (bad credentials, unknown vhost, a
    /// queue declared elsewhere with other arguments, …). Not transient.
    #[error("RabbitMQ at {url} refused {operation}: {source}")]
    Refused {
        url: String,
        operation: String,
        #[source]
        source: Box<lapin::Error>,
    },
    /// A mandatory publish that no queue is bound for, typically a task for a resource
    /// class nobody declared. Returned rather than dropped silently.
    #[error("RabbitMQ returned the message as unroutable: no queue is bound to exchange `{exchange}` with routing key `{routing_key}` ({reply_text})")]
    Unroutable {
        exchange: String,
        routing_key: String,
        reply_text: String,
    },
    /// The server nacked a confirmed publish: it did not take responsibility for it.
    #[error("RabbitMQ refused to store the message for exchange `{exchange}` with routing key `{routing_key}` (publisher confirm was a nack)")]
    Nacked { exchange: String, routing_key: String },
    /// An operation did not complete in time (connecting, or waiting for a confirm).
    #[error("RabbitMQ at {url} did not complete {operation} within {after:?}")]
    Timeout {
        url: String,
        operation: String,
        after: Duration,
    },
    /// A queue, class or routing key that AMQP cannot carry (empty or too long).
    #[error("invalid AMQP name `{name}`: {reason}")]
    InvalidName { name: String, reason: String },
    /// The configured URL is not an AMQP URI.
    #[error("invalid RabbitMQ URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// A message could not be encoded as JSON.
    #[error("message codec: {0}")]
    Codec(#[from] serde_json::Error),
    /// [`crate::raw_round_trip`] could not finish its measurement.
    #[error("raw RabbitMQ benchmark: {0}")]
    Benchmark(String),
    /// The batch that carried an event could not be published; the cause is shared by
    /// every event in that batch.
    #[error("{0}")]
    Batch(Arc<AmqpError>),
    /// [`crate::AmqpBroker::close`] was called; no more work is accepted.
    #[error("RabbitMQ broker closed")]
    Closed,
}

impl AmqpError {
    /// Whether trying again (after a reconnect) may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            AmqpError::Unreachable { .. } | AmqpError::Timeout { .. } => true,
            AmqpError::Refused { source, .. } => lapin_transient(source),
            AmqpError::Batch(inner) => inner.is_transient(),
            _ => false,
        }
    }

    /// The cause without the "RabbitMQ at <url> unreachable" prefix, for log lines that
    /// already name the server.
    pub(crate) fn detail(&self) -> String {
        match self {
            AmqpError::Unreachable { source, .. } => source.to_string(),
            AmqpError::Refused { operation, source, .. } => format!("refused {operation}: {source}"),
            AmqpError::Timeout { operation, after, .. } => format!("{operation} took longer than {after:?}"),
            AmqpError::Batch(inner) => inner.detail(),
            other => other.to_string(),
        }
    }

    /// Classifies a lapin error into `Unreachable` (transient) or `Refused`.
    pub(crate) fn from_lapin(url: &str, operation: &str, source: lapin::Error) -> Self {
        if lapin_transient(&source) {
            AmqpError::Unreachable {
                url: url.to_string(),
                source: Box::new(source),
            }
        } else {
            AmqpError::Refused {
                url: url.to_string(),
                operation: operation.to_string(),
                source: Box::new(source),
            }
        }
    }
}

/// Errors that a new connection may not see again: the socket or the connection went
/// away, or the server closed it on purpose (shutdown, an operator's force-close).
pub(crate) fn lapin_transient(e: &lapin::Error) -> bool {
    use lapin::ErrorKind as K;
    match e.kind() {
        K::IOError(_)
        | K::MissingHeartbeatError
        | K::InvalidConnectionState(_)
        | K::InvalidChannelState(..)
        | K::InvalidChannel(_) => true,
        K::ProtocolError(p) => matches!(
            p.kind(),
            AMQPErrorKind::Hard(AMQPHardError::CONNECTIONFORCED | AMQPHardError::INTERNALERROR | AMQPHardError::RESOURCEERROR)
        ),
        _ => false,
    }
}

impl From<AmqpError> for CommonError {
    /// Transient failures (unreachable, timeouts) become [`CommonError::Unavailable`] so
    /// callers retry them like any other server outage; settings mistakes (bad URL, bad
    /// names) become [`CommonError::Config`]; everything else names RabbitMQ as
    /// unavailable with the full message, which carries the password-free URL.
    fn from(e: AmqpError) -> Self {
        match e {
            AmqpError::Codec(c) => CommonError::Codec(c),
            AmqpError::Closed => CommonError::BrokerClosed,
            AmqpError::Batch(inner) if matches!(*inner, AmqpError::Closed) => CommonError::BrokerClosed,
            e @ (AmqpError::InvalidUrl { .. } | AmqpError::InvalidName { .. }) => CommonError::Config(e.to_string()),
            other => CommonError::Unavailable {
                backend: "RabbitMQ",
                message: other.to_string(),
            },
        }
    }
}
