//! The [`Broker`] suite: one case per promise of the seam (see `ferry_common::broker`).
//!
//! What the cases hold every broker to:
//!
//! - publish → consume → ack, and an acked message never comes back (tasks and events);
//! - a delivery nacked with `requeue`, dropped unsettled, or held by a consumer that went
//!   away comes back marked `redelivered`;
//! - a delivery nacked without `requeue` never comes back and shows up in the broker's
//!   dead-letter store ([`BrokerHarness::take_dead_letters`]);
//! - a message whose bytes do not decode is dead-lettered and the stream goes on — for
//!   brokers that receive bytes at all ([`BrokerHarness::publish_raw_task`]); the
//!   in-process broker passes typed values, so for it the case states that and passes;
//! - at most `prefetch` unacked deliveries per consumer;
//! - order: one publisher publishing one message after another to one queue, one
//!   consumer, no redeliveries: publish order (for tasks and for events). Nothing more
//!   is checked because nothing more is promised;
//! - a task reaches only the queue its message names;
//! - `close` ends streams, and publishes and `ready` fail with `BrokerClosed` after it.
//!
//! Timing: a case waits up to [`WAIT`] for something that must arrive and [`QUIET`] to
//! conclude that something must not; neither bounds how fast a broker is.

use crate::support::{default_task, event, task};
use async_trait::async_trait;
use ferry_common::CommonError;
use ferry_common::broker::{Broker, Delivery, DeliveryStream};
use ferry_common::messages::{DEFAULT_QUEUE, TaskEvent, TaskMessage};
use futures::StreamExt;
use std::time::Duration;

/// How long a case waits for a delivery that must come.
pub const WAIT: Duration = Duration::from_secs(20);
/// How long a case watches for a delivery that must not come.
pub const QUIET: Duration = Duration::from_millis(1500);

/// What the suite needs from one broker implementation, besides the broker itself.
///
/// A harness is made fresh for every case and must be isolated from every other (a
/// RabbitMQ vhost of its own; a new in-process broker), and must fail loudly when its
/// server is missing.
#[async_trait]
pub trait BrokerHarness: Send + Sync + 'static {
    /// The broker under test.
    fn broker(&self) -> &dyn Broker;

    /// The bodies of dead-lettered messages, as the broker stores them (JSON for what
    /// Ferry published; the raw bytes for what did not decode). May remove what it
    /// returns (RabbitMQ reads its dead-letter queue with `basic.get`): the suite
    /// gathers everything it is given, polling until what it expects is among it.
    async fn take_dead_letters(&self) -> Vec<Vec<u8>>;
}

/// A broker whose queues carry bytes (a network broker), so a foreign or older publisher
/// can put something there that is no task message. The in-process broker's queues
/// hold typed values: nothing undecodable can reach it, so it has no such harness and
/// runs the suite without that case (`broker_tests!(name, make)` rather than
/// `broker_tests!(name, make, carries_bytes)`).
#[async_trait]
pub trait ByteBrokerHarness: BrokerHarness {
    /// Puts `body` as it is on the task queue of resource class `class`, bypassing the
    /// broker's encoding; returns once the broker has it.
    async fn publish_raw_task(&self, class: &str, body: &[u8]);
}

/// The next delivery within [`WAIT`]; panics when none comes or the stream ends.
async fn next<T>(stream: &mut DeliveryStream<T>) -> Delivery<T> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .unwrap_or_else(|_| panic!("no delivery within {WAIT:?}"))
        .expect("the stream must not end")
        .expect("a good delivery")
}

/// `None` when nothing arrives within [`QUIET`].
async fn maybe_next<T>(stream: &mut DeliveryStream<T>) -> Option<Delivery<T>> {
    match tokio::time::timeout(QUIET, stream.next()).await {
        Ok(Some(d)) => Some(d.expect("a good delivery")),
        Ok(None) => panic!("the stream ended"),
        Err(_) => None,
    }
}

/// Gathers dead letters until one satisfies `wanted` (true) or [`WAIT`] passes.
async fn dead_lettered(h: &impl BrokerHarness, wanted: impl Fn(&[u8]) -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        seen.extend(h.take_dead_letters().await);
        if seen.iter().any(|b| wanted(b)) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `body` is the JSON of `message`.
fn is_task(body: &[u8], message: &TaskMessage) -> bool {
    serde_json::from_slice::<TaskMessage>(body).is_ok_and(|m| &m == message)
}

/// The broker names itself and answers while open.
pub async fn name_and_ready(h: impl BrokerHarness) {
    let b = h.broker();
    assert!(!b.name().is_empty(), "a broker names itself for logs and /readyz");
    b.ready().await.expect("a fresh broker is ready");
}

/// A published task is delivered once, not marked redelivered, and after its ack it
/// never comes back, not even to a new consumer.
pub async fn publish_consume_ack(h: impl BrokerHarness) {
    let b = h.broker();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 10).await.unwrap();
    let msg = default_task("a");
    b.publish_task(&msg).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg);
    assert!(!d.redelivered, "a first delivery is not marked redelivered");
    d.ack().await.unwrap();
    assert!(maybe_next(&mut tasks).await.is_none(), "an acked message must not come back");
    drop(tasks);
    let mut again = b.consume_tasks(DEFAULT_QUEUE, 10).await.unwrap();
    assert!(maybe_next(&mut again).await.is_none(), "nor to a new consumer");
}

/// Events travel like tasks: published, consumed, acked, gone.
pub async fn events_round_trip(h: impl BrokerHarness) {
    let b = h.broker();
    let mut events = b.consume_events(100).await.unwrap();
    let ev = event("w1");
    b.publish_event(&ev).await.unwrap();
    let d = next(&mut events).await;
    assert_eq!(d.message, ev);
    assert!(!d.redelivered);
    d.ack().await.unwrap();
    assert!(maybe_next(&mut events).await.is_none(), "an acked event must not come back");
}

/// A nack with requeue hands the message back, marked redelivered.
pub async fn nack_with_requeue_redelivers(h: impl BrokerHarness) {
    let b = h.broker();
    let msg = default_task("n");
    b.publish_task(&msg).await.unwrap();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    let d = next(&mut tasks).await;
    assert!(!d.redelivered);
    d.nack(true).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg);
    assert!(d.redelivered, "a requeued message is marked redelivered");
    d.ack().await.unwrap();
    assert!(maybe_next(&mut tasks).await.is_none());
}

/// A delivery dropped without ack or nack (its worker task panicked) comes back.
pub async fn dropped_delivery_is_redelivered(h: impl BrokerHarness) {
    let b = h.broker();
    let msg = default_task("d");
    b.publish_task(&msg).await.unwrap();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    drop(next(&mut tasks).await);
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg);
    assert!(d.redelivered, "a dropped delivery comes back marked redelivered");
    d.ack().await.unwrap();
    assert!(maybe_next(&mut tasks).await.is_none());
}

/// A consumer that goes away holding a delivery (a worker that died) loses it to the
/// next consumer, marked redelivered.
pub async fn lost_consumer_redelivers(h: impl BrokerHarness) {
    let b = h.broker();
    let msg = default_task("lost");
    b.publish_task(&msg).await.unwrap();
    let mut first = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    let (held, acker) = next(&mut first).await.into_parts();
    assert_eq!(held, msg);
    drop(first);
    drop(acker);
    let mut second = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    let d = next(&mut second).await;
    assert_eq!(d.message, msg);
    assert!(d.redelivered, "the lost consumer's message comes back marked redelivered");
    d.ack().await.unwrap();
    assert!(maybe_next(&mut second).await.is_none());
}

/// A nack without requeue dead-letters: the message never comes back to its queue,
/// and it waits in the dead-letter store.
pub async fn nack_without_requeue_dead_letters(h: impl BrokerHarness) {
    let b = h.broker();
    let msg = default_task("dead");
    b.publish_task(&msg).await.unwrap();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    next(&mut tasks).await.nack(false).await.unwrap();
    assert!(maybe_next(&mut tasks).await.is_none(), "a dead-lettered message must not come back");
    assert!(
        dead_lettered(&h, |body| is_task(body, &msg)).await,
        "the message nacked without requeue is in the dead-letter store"
    );
}

/// Bytes that are no task message are dead-lettered, and the consumer's stream goes on
/// with the next message.
pub async fn undecodable_message_is_dead_lettered(h: impl ByteBrokerHarness) {
    let b = h.broker();
    let poison = b"this is not json";
    h.publish_raw_task(DEFAULT_QUEUE, poison).await;
    let msg = default_task("after-poison");
    b.publish_task(&msg).await.unwrap();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 10).await.unwrap();
    let d = next(&mut tasks).await;
    assert_eq!(d.message, msg, "the stream skips the undecodable message and goes on");
    d.ack().await.unwrap();
    assert!(
        dead_lettered(&h, |body| body == poison).await,
        "the undecodable bytes are in the dead-letter store"
    );
}

/// No more than `prefetch` deliveries are out unacked; an ack frees one slot.
pub async fn prefetch_limits_unacked_deliveries(h: impl BrokerHarness) {
    let b = h.broker();
    let sent: Vec<TaskMessage> = (0..5).map(|i| default_task(&format!("p{i}"))).collect();
    for m in &sent {
        b.publish_task(m).await.unwrap();
    }
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 2).await.unwrap();
    let first = next(&mut tasks).await;
    let second = next(&mut tasks).await;
    assert!(maybe_next(&mut tasks).await.is_none(), "no third delivery while two are unacked");
    first.ack().await.unwrap();
    let third = next(&mut tasks).await;
    assert!(maybe_next(&mut tasks).await.is_none(), "one ack frees one slot");
    for d in [second, third] {
        d.ack().await.unwrap();
    }
    let mut rest = Vec::new();
    for _ in 0..2 {
        let d = next(&mut tasks).await;
        rest.push(d.message.clone());
        d.ack().await.unwrap();
    }
    assert_eq!(rest.len(), 2);
}

/// One publisher, one consumer, one queue, no redeliveries: publish order, for tasks
/// and for events. The only order the seam promises.
pub async fn one_publisher_one_consumer_keeps_order(h: impl BrokerHarness) {
    let b = h.broker();
    let sent: Vec<TaskMessage> = (0..20).map(|i| default_task(&format!("o{i}"))).collect();
    for m in &sent {
        b.publish_task(m).await.unwrap();
    }
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 5).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..sent.len() {
        let d = next(&mut tasks).await;
        got.push(d.message.key.clone());
        d.ack().await.unwrap();
    }
    let keys: Vec<String> = sent.iter().map(|m| m.key.clone()).collect();
    assert_eq!(got, keys, "tasks in publish order");

    let events: Vec<TaskEvent> = (0..10).map(|i| event(&format!("w{i}"))).collect();
    for ev in &events {
        b.publish_event(ev).await.unwrap();
    }
    let mut stream = b.consume_events(5).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..events.len() {
        let d = next(&mut stream).await;
        got.push(d.message.worker_id.clone());
        d.ack().await.unwrap();
    }
    let workers: Vec<String> = events.iter().map(|e| e.worker_id.clone()).collect();
    assert_eq!(got, workers, "events in publish order");
}

/// A task goes to the queue its message names and to no other.
pub async fn tasks_reach_only_their_queue(h: impl BrokerHarness) {
    let b = h.broker();
    let other = "conformance-other";
    // Consuming first declares the class where queues must exist before a publish.
    let mut on_default = b.consume_tasks(DEFAULT_QUEUE, 10).await.unwrap();
    let mut on_other = b.consume_tasks(other, 10).await.unwrap();
    let for_default = default_task("to-default");
    let for_other = task("to-other", other);
    b.publish_task(&for_other).await.unwrap();
    b.publish_task(&for_default).await.unwrap();
    let d = next(&mut on_other).await;
    assert_eq!(d.message, for_other);
    d.ack().await.unwrap();
    let d = next(&mut on_default).await;
    assert_eq!(d.message, for_default);
    d.ack().await.unwrap();
    assert!(maybe_next(&mut on_other).await.is_none(), "nothing else reaches the other queue");
    assert!(maybe_next(&mut on_default).await.is_none(), "nothing else reaches the default queue");
}

/// `close` ends every stream; publishing and `ready` fail with `BrokerClosed` after.
pub async fn close_ends_streams_and_refuses_publishes(h: impl BrokerHarness) {
    let b = h.broker();
    let mut tasks = b.consume_tasks(DEFAULT_QUEUE, 1).await.unwrap();
    let mut events = b.consume_events(1).await.unwrap();
    b.close().await;
    for (what, end) in [
        ("task", tokio::time::timeout(WAIT, tasks.next()).await.map(|d| d.is_none())),
        ("event", tokio::time::timeout(WAIT, events.next()).await.map(|d| d.is_none())),
    ] {
        assert_eq!(end, Ok(true), "the {what} stream ends once the broker is closed");
    }
    let err = b.publish_task(&default_task("late")).await.expect_err("closed");
    assert!(matches!(err, CommonError::BrokerClosed), "{err}");
    let err = b.publish_event(&event("late")).await.expect_err("closed");
    assert!(matches!(err, CommonError::BrokerClosed), "{err}");
    assert!(b.ready().await.is_err(), "a closed broker is not ready");
}
