//! RabbitMQ behind Ferry's [`Broker`] seam, for the distributed deployment: tasks and
//! events survive restarts of any process, including RabbitMQ itself.
//!
//! Semantics match the in-process broker ([`ferry_common::inproc::InProcBroker`]):
//! at-least-once delivery, a delivery dropped or nacked with `requeue` comes back marked
//! `redelivered`, one nacked without `requeue` goes to `ferry.dead`, at most `prefetch`
//! unacked deliveries per consumer, publish order for one publisher and one consumer.
//! Both run the same conformance suite (`ferry-conformance`; here from
//! `tests/conformance.rs`). On top of that:
//!
//! - **Durability.** Durable exchanges and queues ([`topology`]), persistent messages,
//!   and publisher confirms: `publish_*` returns once RabbitMQ has the message on disk.
//!   Publishes are `mandatory`, so a task for a resource class without a queue is an
//!   error instead of a silent drop.
//! - **Poison messages.** A delivery whose body does not decode is nacked without
//!   requeue, which dead-letters it to `ferry.dead`, counted in
//!   [`AmqpBroker::dead_lettered`]; the stream carries on.
//! - **Reconnection.** The connection is re-established with exponential backoff (100 ms
//!   to 5 s) and the topology redeclared. A publish retries through an outage for up to
//!   [`PUBLISH_DEADLINE`]; consumer streams never end on connection loss, they
//!   resubscribe and keep yielding. Settling a delivery from a dead channel returns `Ok`
//!   and does nothing: RabbitMQ redelivers that message.
//!
//! [`raw_round_trip`] measures plain lapin on the same server, the ceiling Ferry's
//! benchmark compares itself with.

mod config;
mod connection;
mod consume;
mod error;
mod event_batch;
mod publish;
mod raw;
pub mod topology;

pub use config::AmqpConfig;
pub use error::AmqpError;
pub use publish::PUBLISH_DEADLINE;
pub use raw::raw_round_trip;

use async_trait::async_trait;
use connection::{Retry, Shared};
use event_batch::EventBatcher;
use consume::Source;
use ferry_common::CommonError;
use ferry_common::broker::{Broker, DeliveryStream};
use ferry_common::messages::{EventKind, TaskEvent, TaskMessage};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::time::Instant;

/// The RabbitMQ broker. Cheap to clone: clones share one connection, its publishing
/// channel and the dead-letter counter.
#[derive(Clone)]
pub struct AmqpBroker {
    shared: Arc<Shared>,
    events: Arc<EventBatcher>,
}

impl std::fmt::Debug for AmqpBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpBroker").field("url", &self.shared.url).finish()
    }
}

impl AmqpBroker {
    /// Connects and declares the topology (exchanges, the dead-letter queue, the event
    /// queue and one task queue per class in `cfg.queues`). A server that is down is
    /// retried with backoff for up to [`PUBLISH_DEADLINE`], so processes may start in any
    /// order; a refusal that retrying cannot fix (bad credentials, unknown vhost, a queue
    /// already declared with other arguments) fails at once.
    pub async fn connect(cfg: AmqpConfig) -> Result<AmqpBroker, AmqpError> {
        let shared = Arc::new(Shared::new(cfg)?);
        shared.link(Retry::Until(Instant::now() + PUBLISH_DEADLINE)).await?;
        let events = Arc::new(EventBatcher::start(shared.clone()));
        Ok(AmqpBroker { shared, events })
    }

    /// How many undecodable deliveries this broker's consumers sent to `ferry.dead`; for
    /// metrics and tests (each is also logged with its message id).
    pub fn dead_lettered(&self) -> u64 {
        self.shared.dead_lettered.load(Ordering::Relaxed)
    }

    /// The configuration this broker was built from.
    pub fn config(&self) -> &AmqpConfig {
        &self.shared.cfg
    }

    /// Shuts the broker down: consumer streams end, publishes fail with
    /// [`AmqpError::Closed`] (`CommonError::BrokerClosed`), the connection is closed.
    /// Unacked deliveries go back to their queues.
    pub async fn close(&self) {
        self.shared.close().await;
    }

    /// Publishes a task to `ferry.tasks` with routing key `message.queue`; see
    /// [`Broker::publish_task`]. Returns the crate's own error for callers that want it.
    pub async fn publish_task_message(&self, message: &TaskMessage) -> Result<(), AmqpError> {
        topology::check_class(&message.queue)?;
        let body = serde_json::to_vec(message)?;
        let id = format!("{}:{}", message.task_id, message.attempt);
        publish::publish(&self.shared, topology::TASK_EXCHANGE, &message.queue, &body, &id).await
    }

    /// Publishes a worker event to `ferry.events`; see [`Broker::publish_event`]. Events
    /// published while another batch awaits its confirm share one message (see
    /// `event_batch`); a lone event's message id is `<task_id>:<attempt>:<event type>`.
    pub async fn publish_event_message(&self, event: &TaskEvent) -> Result<(), AmqpError> {
        let body = serde_json::to_vec(event)?;
        let kind = match event.kind {
            EventKind::Started => "started",
            EventKind::Progress { .. } => "progress",
            EventKind::Finished { .. } => "finished",
        };
        let id = format!("{}:{}:{kind}", event.task_id, event.attempt);
        self.events.publish(body, id).await
    }
}

#[async_trait]
impl Broker for AmqpBroker {
    async fn publish_task(&self, message: &TaskMessage) -> Result<(), CommonError> {
        Ok(self.publish_task_message(message).await?)
    }

    /// Declares the class's queue (so a worker may serve classes the broker was not
    /// configured with) and consumes it; the stream survives reconnects.
    async fn consume_tasks(&self, queue: &str, prefetch: u16) -> Result<DeliveryStream<TaskMessage>, CommonError> {
        topology::check_class(queue).map_err(CommonError::from)?;
        self.shared.add_class(queue);
        Ok(consume::consume(self.shared.clone(), Source::Tasks(queue.to_string()), prefetch).await?)
    }

    async fn publish_event(&self, event: &TaskEvent) -> Result<(), CommonError> {
        Ok(self.publish_event_message(event).await?)
    }

    async fn consume_events(&self, prefetch: u16) -> Result<DeliveryStream<TaskEvent>, CommonError> {
        Ok(consume::consume(self.shared.clone(), Source::Events, prefetch).await?)
    }

    fn name(&self) -> &'static str {
        "rabbitmq"
    }

    /// `Ok` while connected. When not, makes one reconnect attempt (no waiting) so a
    /// recovered server turns ready without other traffic; the error names RabbitMQ and
    /// its password-free URL.
    async fn ready(&self) -> Result<(), CommonError> {
        if self.shared.current_if_healthy().await.is_some() {
            return Ok(());
        }
        match self.shared.link(Retry::Until(Instant::now())).await {
            Ok(_) => Ok(()),
            Err(AmqpError::Closed) => Err(CommonError::BrokerClosed),
            Err(e) => Err(CommonError::Unavailable {
                backend: "RabbitMQ",
                message: format!("not connected to {}: {}", self.shared.url, e.detail()),
            }),
        }
    }

    /// See [`AmqpBroker::close`].
    async fn close(&self) {
        AmqpBroker::close(self).await;
    }
}
