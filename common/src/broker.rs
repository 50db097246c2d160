//! The broker seam: how tasks reach workers and events reach the orchestrator.
//!
//! Semantics every implementation keeps. The conformance suite in the
//! `ferry-conformance` crate (`broker_tests!`, one case per point below) checks them, and
//! both the in-process broker and RabbitMQ run it:
//!
//! - **At-least-once.** A delivery is handed out again until it is acked; an acked
//!   message never comes back.
//! - **Redelivery.** A delivery nacked with `requeue`, or dropped unsettled (its consumer
//!   task panicked, or the consumer went away holding it), comes back marked
//!   `redelivered`.
//! - **Dead-lettering.** A delivery nacked without `requeue` never comes back to its
//!   queue; it waits in the broker's dead-letter store (RabbitMQ: the `ferry.dead` queue;
//!   in-process: `InProcBroker::dead_letters`). A broker that receives bytes (RabbitMQ)
//!   also dead-letters a message that does not decode, and its stream goes on; the
//!   in-process broker passes typed values, so nothing undecodable can reach it.
//! - **Prefetch.** At most `prefetch` unacked deliveries per consumer.
//! - **Order.** Messages published one after another to one queue (each publish returned
//!   before the next began) reach a single consumer in publish order, as long as none is
//!   redelivered. Nothing is promised across queues, between several consumers of one
//!   queue, for concurrent publishes, or about where a redelivered message lands among
//!   the others: workers must not depend on any of that.
//! - **Routing.** A task reaches only consumers of the queue its message names.
//! - **Shutdown.** [`Broker::close`] ends every consumer stream; publishes afterwards fail
//!   with [`CommonError::BrokerClosed`].

use crate::CommonError;
use crate::messages::{TaskEvent, TaskMessage};
use async_trait::async_trait;
use futures::stream::BoxStream;

/// Settles one delivery. Implemented by each broker.
#[async_trait]
pub trait Acker: Send + Sync {
    /// The message is done with; it will not come back.
    async fn ack(self: Box<Self>) -> Result<(), CommonError>;
    /// The message was not handled; `requeue` puts it back, otherwise it is dead-lettered.
    async fn nack(self: Box<Self>, requeue: bool) -> Result<(), CommonError>;
}

/// A message handed to a consumer, to be acked or nacked exactly once.
pub struct Delivery<T> {
    pub message: T,
    /// Whether this message was delivered before and not acked.
    pub redelivered: bool,
    acker: Box<dyn Acker>,
}

impl<T> Delivery<T> {
    /// Pairs a message with the broker's way of settling it.
    pub fn new(message: T, redelivered: bool, acker: Box<dyn Acker>) -> Self {
        Self {
            message,
            redelivered,
            acker,
        }
    }

    /// Acknowledges the delivery (after its effect is durable).
    pub async fn ack(self) -> Result<(), CommonError> {
        self.acker.ack().await
    }

    /// Hands the delivery back, to the queue or the dead-letter queue.
    pub async fn nack(self, requeue: bool) -> Result<(), CommonError> {
        self.acker.nack(requeue).await
    }

    /// Splits the message from its acker, for callers that settle later.
    pub fn into_parts(self) -> (T, Box<dyn Acker>) {
        (self.message, self.acker)
    }
}

/// A stream of deliveries; ends when the consumer is cancelled or the broker closes.
pub type DeliveryStream<T> = BoxStream<'static, Result<Delivery<T>, CommonError>>;

/// Moves task messages to workers and events to the orchestrator.
#[async_trait]
pub trait Broker: Send + Sync + 'static {
    /// Publishes a task to its queue; returns once the broker has it durably.
    async fn publish_task(&self, message: &TaskMessage) -> Result<(), CommonError>;
    /// Consumes one task queue with at most `prefetch` unacked deliveries.
    async fn consume_tasks(&self, queue: &str, prefetch: u16) -> Result<DeliveryStream<TaskMessage>, CommonError>;
    /// Publishes a worker event; returns once the broker has it durably.
    async fn publish_event(&self, event: &TaskEvent) -> Result<(), CommonError>;
    /// Consumes the events every worker publishes.
    async fn consume_events(&self, prefetch: u16) -> Result<DeliveryStream<TaskEvent>, CommonError>;
    /// A short name for logs and `/readyz`.
    fn name(&self) -> &'static str;
    /// Whether the broker is reachable now.
    async fn ready(&self) -> Result<(), CommonError>;
    /// Shuts the broker down: every consumer stream ends, and publishes and
    /// [`Broker::ready`] fail with [`CommonError::BrokerClosed`] from then on. Unacked
    /// deliveries stay settleable or go back to their queues, as the implementation says.
    /// Part of the trait (not of each type) so a process can stop whichever broker it
    /// was given, and so the conformance suite can check that streams really end.
    async fn close(&self);
}
