//! How to reach RabbitMQ and which task queues to declare.

use ferry_common::messages::DEFAULT_QUEUE;
use std::fmt;

/// Where the broker connects and which resource classes get a task queue up front.
///
/// The URL carries the credentials, so [`fmt::Debug`] and every log line show it with the
/// password replaced (see [`AmqpConfig::redacted_url`]).
#[derive(Clone, PartialEq, Eq)]
pub struct AmqpConfig {
    /// An AMQP URI, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f` (the vhost is URL-encoded:
    /// `%2f` is the default vhost `/`).
    pub url: String,
    /// Resource classes whose queues `ferry.tasks.<class>` are declared at connect and
    /// after every reconnect, so a task published before any worker of that class starts
    /// is kept rather than returned as unroutable. `consume_tasks` declares its own queue
    /// too, so a worker's classes need not be listed here.
    pub queues: Vec<String>,
}

impl AmqpConfig {
    /// A configuration for `url` with the single `default` resource class.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            queues: vec![DEFAULT_QUEUE.to_string()],
        }
    }

    /// The URL with its password masked, for logs and error messages: secrets must not
    /// end up in either.
    pub fn redacted_url(&self) -> String {
        redact(&self.url)
    }
}

impl Default for AmqpConfig {
    /// The local RabbitMQ with the default vhost and the `default` resource class.
    fn default() -> Self {
        Self::new("amqp://guest:guest@127.0.0.1:5672/%2f")
    }
}

impl fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &self.redacted_url())
            .field("queues", &self.queues)
            .finish()
    }
}

/// Masks the password of an AMQP URL (`amqp://user:***@host/vhost`); a string that does
/// not parse is cut to its scheme and host part so a mistyped URL leaks nothing either.
pub(crate) fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                // Cannot fail for URLs with a host, which every amqp URL has.
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => match raw.rsplit_once('@') {
            Some((_, host)) => format!("<invalid URL>@{host}"),
            None => raw.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_masked() {
        assert_eq!(
            redact("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact("amqp://127.0.0.1:5672"), "amqp://127.0.0.1:5672");
        let cfg = AmqpConfig::new("amqp://u:p4ss@h/v");
        assert!(!format!("{cfg:?}").contains("p4ss"));
        assert_eq!(cfg.queues, vec!["default".to_string()]);
    }
}
