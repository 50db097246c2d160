//! One shared connection to RabbitMQ, re-established with exponential backoff whenever it
//! is found dead (a restart, a network cut, an operator closing it).
//!
//! The connection and its publishing channel live in a [`Link`] behind a mutex. Nobody
//! holds the mutex while sleeping between attempts, so a consumer retrying forever never
//! blocks a publisher past its own deadline. Every new link redeclares the topology first:
//! a RabbitMQ that came back empty gets its exchanges and queues before any publish.

use crate::config::AmqpConfig;
use crate::error::AmqpError;
use crate::topology;
use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection, ConnectionProperties};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

/// First pause after a failed attempt.
pub(crate) const BACKOFF_START: Duration = Duration::from_millis(100);
/// Longest pause between attempts.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long one connect (TCP, handshake, topology) may take before it counts as failed.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Exponential backoff 100 ms → 5 s.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self { next: BACKOFF_START }
    }

    /// The pause to take now; doubles the next one up to [`BACKOFF_MAX`].
    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        d
    }

    pub(crate) fn reset(&mut self) {
        self.next = BACKOFF_START;
    }
}

/// A live connection and the confirm-mode channel all publishes share.
pub(crate) struct Link {
    pub(crate) connection: Arc<Connection>,
    pub(crate) publish: Channel,
}

impl Link {
    fn healthy(&self) -> bool {
        self.connection.status().connected() && self.publish.status().connected()
    }
}

/// How long [`Shared::link`] keeps trying.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Retry {
    /// Until the deadline; errors that a retry cannot fix (bad credentials, a missing
    /// vhost, inequivalent queue arguments) are returned at once.
    Until(Instant),
    /// Until the broker is closed: consumers must outlive any outage.
    Forever,
}

impl Retry {
    /// How long to pause before trying again after `err`, or `None` when the caller
    /// should give up: the error is not transient, or the deadline has passed.
    pub(crate) fn pause(self, err: &AmqpError, backoff: &mut Backoff) -> Option<Duration> {
        let delay = backoff.next_delay();
        match self {
            Retry::Until(deadline) => {
                let now = Instant::now();
                if !err.is_transient() || now >= deadline {
                    return None;
                }
                Some(delay.min(deadline - now))
            }
            Retry::Forever => Some(delay),
        }
    }
}

/// State shared by the broker handle, its publishers and its consumer streams.
pub(crate) struct Shared {
    pub(crate) cfg: AmqpConfig,
    /// The URL without its password, for every log line and error.
    pub(crate) url: String,
    link: tokio::sync::Mutex<Option<Arc<Link>>>,
    /// Resource classes whose task queues every (re)connect declares.
    classes: Mutex<BTreeSet<String>>,
    /// Undecodable deliveries sent to the dead-letter queue.
    pub(crate) dead_lettered: AtomicU64,
    closed: watch::Sender<bool>,
}

impl Shared {
    pub(crate) fn new(cfg: AmqpConfig) -> Result<Self, AmqpError> {
        for class in &cfg.queues {
            topology::check_class(class)?;
        }
        if let Err(reason) = cfg.url.parse::<lapin::uri::AMQPUri>() {
            return Err(AmqpError::InvalidUrl {
                url: cfg.redacted_url(),
                reason,
            });
        }
        Ok(Self {
            url: cfg.redacted_url(),
            classes: Mutex::new(cfg.queues.iter().cloned().collect()),
            cfg,
            link: tokio::sync::Mutex::new(None),
            dead_lettered: AtomicU64::new(0),
            closed: watch::Sender::new(false),
        })
    }

    /// Whether [`Shared::close`] was called.
    pub(crate) fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Resolves once the broker is closed; for `select!` in loops that would otherwise
    /// wait forever.
    pub(crate) async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        // Err only if the sender is gone, which it is not while `self` lives.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Stops all reconnecting, ends consumer streams, closes the connection.
    pub(crate) async fn close(&self) {
        self.closed.send_replace(true);
        if let Some(link) = self.link.lock().await.take() {
            let _ = link.connection.close(200, "ferry broker closed".into()).await;
        }
    }

    /// Remembers a resource class so reconnects redeclare its queue.
    pub(crate) fn add_class(&self, class: &str) {
        self.classes.lock().expect("classes lock").insert(class.to_string());
    }

    fn classes(&self) -> Vec<String> {
        self.classes.lock().expect("classes lock").iter().cloned().collect()
    }

    /// The current link if it is healthy; no connect attempt. For `ready()`.
    pub(crate) async fn current_if_healthy(&self) -> Option<Arc<Link>> {
        self.link.lock().await.as_ref().filter(|l| l.healthy()).cloned()
    }

    /// A healthy link, reconnecting with backoff as `retry` allows.
    pub(crate) async fn link(&self, retry: Retry) -> Result<Arc<Link>, AmqpError> {
        let mut backoff = Backoff::new();
        loop {
            let err = match self.try_link().await {
                Ok(link) => return Ok(link),
                Err(AmqpError::Closed) => return Err(AmqpError::Closed),
                Err(e) => e,
            };
            let delay = match retry.pause(&err, &mut backoff) {
                Some(delay) => delay,
                None => return Err(err),
            };
            warn!("RabbitMQ at {} unreachable: {}; retrying in {delay:?}", self.url, err.detail());
            tokio::select! {
                _ = self.closed() => return Err(AmqpError::Closed),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// One attempt: the current link if healthy; a new publishing channel if only that
    /// channel died; otherwise a new connection.
    async fn try_link(&self) -> Result<Arc<Link>, AmqpError> {
        let mut slot = self.link.lock().await;
        if self.is_closed() {
            return Err(AmqpError::Closed);
        }
        if let Some(link) = slot.as_ref() {
            if link.healthy() {
                return Ok(link.clone());
            }
            if link.connection.status().connected() {
                match self.with_timeout("opening a channel", self.publish_channel(&link.connection)).await {
                    Ok(publish) => {
                        let link = Arc::new(Link {
                            connection: link.connection.clone(),
                            publish,
                        });
                        *slot = Some(link.clone());
                        return Ok(link);
                    }
                    Err(e) => warn!(error = %e, "RabbitMQ at {}: cannot reopen the publishing channel; reconnecting", self.url),
                }
            }
        }
        if let Some(old) = slot.take() {
            // Best effort: a half-dead connection must not linger with its channels.
            let conn = old.connection.clone();
            tokio::spawn(async move {
                let _ = conn.close(320, "ferry reconnecting".into()).await;
            });
        }
        let link = Arc::new(self.with_timeout("connecting", self.connect_new()).await?);
        info!("connected to RabbitMQ at {}", self.url);
        *slot = Some(link.clone());
        Ok(link)
    }

    async fn with_timeout<T>(
        &self,
        operation: &str,
        fut: impl Future<Output = Result<T, AmqpError>>,
    ) -> Result<T, AmqpError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => Err(AmqpError::Timeout {
                url: self.url.clone(),
                operation: operation.to_string(),
                after: CONNECT_TIMEOUT,
            }),
        }
    }

    /// Opens a plain connection to the configured URL (also used for consumer channels
    /// through [`Link::connection`]).
    async fn connect_new(&self) -> Result<Link, AmqpError> {
        let connection = open_connection(&self.cfg.url, &self.url, "ferry").await?;
        let publish = self.publish_channel(&connection).await?;
        Ok(Link {
            connection: Arc::new(connection),
            publish,
        })
    }

    /// A channel in confirm mode, after (re)declaring the whole topology on it.
    async fn publish_channel(&self, connection: &Connection) -> Result<Channel, AmqpError> {
        let url = &self.url;
        let ch = connection
            .create_channel()
            .await
            .map_err(|e| AmqpError::from_lapin(url, "opening a channel", e))?;
        topology::declare_all(&ch, &self.classes())
            .await
            .map_err(|e| AmqpError::from_lapin(url, "declaring the topology", e))?;
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| AmqpError::from_lapin(url, "enabling publisher confirms", e))?;
        Ok(ch)
    }
}

/// Opens a connection named `name` (shown in the management UI), mapping failures to
/// errors naming the password-free URL.
pub(crate) async fn open_connection(url: &str, redacted: &str, name: &str) -> Result<Connection, AmqpError> {
    let props = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(url, props)
        .await
        .map_err(|e| AmqpError::from_lapin(redacted, "the connection", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_100ms_up_to_5s() {
        let mut b = Backoff::new();
        let delays: Vec<u64> = (0..9).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay(), BACKOFF_START);
    }
}
