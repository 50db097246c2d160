//! The distributed roles' connections: Postgres, RabbitMQ and Redis, each reached with
//! retries and a message naming the server, so a role started before its servers (the
//! usual case under docker-compose or systemd) waits for them instead of crash-looping.

use ferry_amqp::{AmqpBroker, AmqpConfig};
use ferry_redis::RedisCoordinator;
use ferry_store::Store;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Where the distributed stack's servers are.
#[derive(Debug, Clone)]
pub struct ServerUrls {
    /// `postgres://…` (or `sqlite://…` for a single-machine trial).
    pub database: Option<String>,
    /// `amqp://…`.
    pub amqp: String,
    /// `redis://…`.
    pub redis: String,
    /// Prefix of every Redis key, so several Ferry installations (or tests) can share a
    /// Redis.
    pub redis_prefix: String,
    /// Task queue classes to declare (each gets a durable queue).
    pub queues: Vec<String>,
}

/// First pause between connection attempts; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest pause between connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Calls `connect` until it succeeds or `shutdown` fires, logging each failure with the
/// server's name and (password-free) address and the pause before the next try.
pub async fn with_retry<T, E, F, Fut>(
    what: &str,
    url: &str,
    shutdown: &CancellationToken,
    mut connect: F,
) -> Option<T>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut pause = FIRST_BACKOFF;
    loop {
        match connect().await {
            Ok(v) => return Some(v),
            Err(e) => {
                tracing::warn!("{what} at {} unreachable: {e}; retrying in {pause:?}", crate::embedded::redact(url));
                eprintln!("ferry: {what} at {} unreachable: {e}; retrying in {pause:?}", crate::embedded::redact(url));
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(MAX_BACKOFF);
    }
}

impl ServerUrls {
    /// Opens the database (waiting for it) without migrating it.
    pub async fn store(&self, shutdown: &CancellationToken) -> anyhow::Result<Option<Store>> {
        let url = self
            .database
            .clone()
            .ok_or_else(|| anyhow::anyhow!("FERRY_DATABASE_URL (or --database-url) is required for this role"))?;
        Ok(with_retry("database", &url, shutdown, || Store::connect(&url)).await)
    }

    /// Connects to RabbitMQ (waiting for it) and declares the topology.
    pub async fn broker(&self, shutdown: &CancellationToken) -> Option<AmqpBroker> {
        let cfg = AmqpConfig {
            url: self.amqp.clone(),
            queues: self.queues.clone(),
        };
        with_retry("RabbitMQ", &self.amqp, shutdown, || AmqpBroker::connect(cfg.clone())).await
    }

    /// Connects to Redis (waiting for it).
    pub async fn coordinator(&self, shutdown: &CancellationToken) -> Option<RedisCoordinator> {
        with_retry("Redis", &self.redis, shutdown, || RedisCoordinator::connect(&self.redis, &self.redis_prefix)).await
    }

    /// Connects to all three servers in turn (database, RabbitMQ, Redis), waiting for
    /// each; `None` when shutdown was asked for first. For the roles that write state.
    pub async fn connect_all(&self, shutdown: &CancellationToken) -> anyhow::Result<Option<Servers>> {
        let Some(store) = self.store(shutdown).await? else { return Ok(None) };
        let Some(broker) = self.broker(shutdown).await else { return Ok(None) };
        let Some(coordinator) = self.coordinator(shutdown).await else { return Ok(None) };
        Ok(Some(Servers {
            store,
            broker,
            coordinator,
        }))
    }
}

/// Live connections to every server of the distributed stack.
pub struct Servers {
    /// The database.
    pub store: Store,
    /// RabbitMQ, with the topology declared.
    pub broker: AmqpBroker,
    /// Redis.
    pub coordinator: RedisCoordinator,
}
