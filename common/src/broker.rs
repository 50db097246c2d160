//! The broker seam: how tasks reach workers and events reach the orchestrator.
//!
//! Semantics every implementation keeps (and the conformance suite checks):
//! at-least-once delivery; a delivery that is dropped or nacked with `requeue` comes back
//! (marked `redelivered`); at most `prefetch` unacked deliveries per consumer.

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
}
