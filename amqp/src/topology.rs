//! The exchanges and queues Ferry uses, declared idempotently at connect and after every
//! reconnect (a restarted or wiped RabbitMQ gets them back before anything is published).
//!
//! ```text
//! ferry.tasks  (direct) --<class>--> ferry.tasks.<class>  --dead-letter--> ferry.dead (fanout) --> ferry.dead
//! ferry.events (direct) --events---> ferry.events         --dead-letter--> ferry.dead
//! ```
//!
//! All durable, classic queues (RabbitMQ 3.10 here; quorum queues would need a cluster
//! to pay off). Every work queue dead-letters to `ferry.dead`, where messages that could
//! not be decoded wait for an operator instead of looping forever.

use crate::error::AmqpError;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, ExchangeKind};

/// The direct exchange tasks are published to; the routing key is the resource class.
pub const TASK_EXCHANGE: &str = "ferry.tasks";
/// Prefix of the per-class task queues: `ferry.tasks.<class>`.
pub const TASK_QUEUE_PREFIX: &str = "ferry.tasks.";
/// The fanout exchange every work queue dead-letters to.
pub const DEAD_EXCHANGE: &str = "ferry.dead";
/// The queue holding dead-lettered messages for inspection.
pub const DEAD_QUEUE: &str = "ferry.dead";
/// The direct exchange worker events are published to.
pub const EVENT_EXCHANGE: &str = "ferry.events";
/// The queue the orchestrator consumes events from.
pub const EVENT_QUEUE: &str = "ferry.events";
/// The routing key binding [`EVENT_QUEUE`] to [`EVENT_EXCHANGE`].
pub const EVENT_ROUTING_KEY: &str = "events";

/// The queue holding tasks of one resource class.
pub fn task_queue_name(class: &str) -> String {
    format!("{TASK_QUEUE_PREFIX}{class}")
}

/// Checks that a resource class can be a routing key and a queue name suffix (AMQP short
/// strings are at most 255 bytes); an empty class would route nowhere useful.
pub(crate) fn check_class(class: &str) -> Result<(), AmqpError> {
    let reason = if class.is_empty() {
        "a resource class must not be empty"
    } else if TASK_QUEUE_PREFIX.len() + class.len() > 255 {
        "a resource class must be at most 243 bytes (AMQP names are at most 255)"
    } else {
        return Ok(());
    };
    Err(AmqpError::InvalidName {
        name: class.to_string(),
        reason: reason.to_string(),
    })
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

fn durable_queue() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Work queues dead-letter to [`DEAD_EXCHANGE`]. No `x-queue-type`: classic is the
/// default, and naming it would make a declaration against a queue created without the
/// argument fail as inequivalent on some RabbitMQ versions.
fn work_queue_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        ShortString::from("x-dead-letter-exchange"),
        AMQPValue::LongString(DEAD_EXCHANGE.into()),
    );
    args
}

/// Declares the exchanges, the dead-letter queue and the event queue. Idempotent.
pub(crate) async fn declare_common(ch: &Channel) -> lapin::Result<()> {
    ch.exchange_declare(DEAD_EXCHANGE.into(), ExchangeKind::Fanout, durable_exchange(), FieldTable::default())
        .await?;
    ch.queue_declare(DEAD_QUEUE.into(), durable_queue(), FieldTable::default())
        .await?;
    ch.queue_bind(
        DEAD_QUEUE.into(),
        DEAD_EXCHANGE.into(),
        "".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    ch.exchange_declare(TASK_EXCHANGE.into(), ExchangeKind::Direct, durable_exchange(), FieldTable::default())
        .await?;
    ch.exchange_declare(EVENT_EXCHANGE.into(), ExchangeKind::Direct, durable_exchange(), FieldTable::default())
        .await?;
    ch.queue_declare(EVENT_QUEUE.into(), durable_queue(), work_queue_args())
        .await?;
    ch.queue_bind(
        EVENT_QUEUE.into(),
        EVENT_EXCHANGE.into(),
        EVENT_ROUTING_KEY.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    Ok(())
}

/// Declares `ferry.tasks.<class>` and binds it to [`TASK_EXCHANGE`] with routing key
/// `<class>`. Idempotent; the class must have passed [`check_class`].
pub(crate) async fn declare_task_queue(ch: &Channel, class: &str) -> lapin::Result<()> {
    let queue = task_queue_name(class);
    ch.queue_declare(queue.as_str().into(), durable_queue(), work_queue_args())
        .await?;
    ch.queue_bind(
        queue.into(),
        TASK_EXCHANGE.into(),
        class.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
}

/// Declares everything: the common part and one queue per class.
pub(crate) async fn declare_all<'a>(ch: &Channel, classes: impl IntoIterator<Item = &'a String>) -> lapin::Result<()> {
    declare_common(ch).await?;
    for class in classes {
        declare_task_queue(ch, class).await?;
    }
    Ok(())
}
