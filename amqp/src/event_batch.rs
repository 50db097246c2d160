//! Worker events travel in batches: every event published while earlier batches wait
//! for their confirms goes out together as one JSON array in one persistent message.
//!
//! Why: RabbitMQ's cost is per message (routing, persisting, confirming, delivering,
//! acking), and a worker running many short tasks publishes a `finished` event per
//! task. On the project's 2-core machine RabbitMQ was the bottleneck of the noop
//! benchmark at one message per event. Batching adds no waiting: a lone event goes out
//! at once, as a plain JSON object; only events that would have queued behind an
//! in-flight confirm are merged.
//!
//! Each caller still gets its own result, once the batch holding its event is confirmed,
//! so "ack the task only after its result event is durable" holds per task.

use crate::connection::Shared;
use crate::error::AmqpError;
use crate::publish;
use crate::topology;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// Most events in one message; bounds the message size (events are small, a few
/// hundred bytes, larger only for `check` reports).
const MAX_BATCH: usize = 256;

/// Batches awaiting their confirm at once. RabbitMQ confirms persistent messages after
/// its periodic fsync, so one batch at a time would cap events at one batch per fsync.
const IN_FLIGHT: usize = 4;

type Waiter = oneshot::Sender<Result<(), Arc<AmqpError>>>;

/// Hands events to the publishing loop and waits for their batch's confirm.
pub(crate) struct EventBatcher {
    tx: mpsc::UnboundedSender<Pending>,
}

/// One event waiting to go out: its JSON, its own message id (used when it travels
/// alone) and who waits for the confirm.
struct Pending {
    body: Vec<u8>,
    message_id: String,
    done: Waiter,
}

impl EventBatcher {
    /// Starts the publishing loop; it ends when the last handle is dropped.
    pub(crate) fn start(shared: Arc<Shared>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(publish_loop(shared, rx));
        Self { tx }
    }

    /// Publishes one encoded event; returns once RabbitMQ confirmed the message that
    /// carries it.
    pub(crate) async fn publish(&self, body: Vec<u8>, message_id: String) -> Result<(), AmqpError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { body, message_id, done })
            .map_err(|_| AmqpError::Closed)?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AmqpError::Batch(e)),
            Err(_) => Err(AmqpError::Closed),
        }
    }
}

async fn publish_loop(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut sequence: u64 = 0;
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut pending = Vec::with_capacity(MAX_BATCH);
        if rx.recv_many(&mut pending, MAX_BATCH).await == 0 {
            return;
        }
        sequence += 1;
        let message_id = match pending.as_slice() {
            [one] => one.message_id.clone(),
            many => format!("events:{}:{sequence}:{}", std::process::id(), many.len()),
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut bodies = Vec::with_capacity(pending.len());
            let mut waiters = Vec::with_capacity(pending.len());
            for p in pending {
                bodies.push(p.body);
                waiters.push(p.done);
            }
            let body = join(bodies);
            let result = publish::publish(
                &shared,
                topology::EVENT_EXCHANGE,
                topology::EVENT_ROUTING_KEY,
                &body,
                &message_id,
            )
            .await
            .map_err(Arc::new);
            drop(slot);
            for w in waiters {
                let _ = w.send(result.clone());
            }
        });
    }
}

/// One event as itself; several as a JSON array of them.
fn join(mut bodies: Vec<Vec<u8>>) -> Vec<u8> {
    if bodies.len() == 1 {
        return bodies.pop().unwrap_or_default();
    }
    let mut out = Vec::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, b) in bodies.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b);
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn one_event_stays_an_object_and_several_become_an_array() {
        assert_eq!(join(vec![b"{\"a\":1}".to_vec()]), b"{\"a\":1}");
        let joined = join(vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        let v: serde_json::Value = serde_json::from_slice(&joined).unwrap();
        assert_eq!(v, serde_json::json!([{"a": 1}, {"b": 2}]));
    }
}
