//! The in-process broker: named task queues and one event queue, in memory.
//!
//! A delivery dropped unacked (its worker task panicked or was aborted) goes back to the
//! head of its queue, as RabbitMQ does when a channel closes. A delivery nacked without
//! requeue goes to a capped dead-letter store, the counterpart of RabbitMQ's
//! `ferry.dead`, where tests and operators can see it.

use crate::CommonError;
use crate::broker::{Acker, Broker, Delivery, DeliveryStream};
use crate::messages::{TaskEvent, TaskMessage};
use async_trait::async_trait;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// The most dead letters the in-process broker keeps; older ones are dropped first.
/// Nothing in Ferry nacks without requeue today, so this only bounds memory should that
/// change, while keeping enough to inspect.
pub const DEAD_LETTER_CAP: usize = 10_000;

/// Messages nacked without requeue, as JSON (tasks and events alike, as RabbitMQ's
/// dead-letter queue holds their bodies), oldest first.
#[derive(Default)]
struct DeadLetters {
    items: Mutex<VecDeque<serde_json::Value>>,
}

impl DeadLetters {
    fn push(&self, message: &impl Serialize) {
        let json = serde_json::to_value(message).unwrap_or_else(|e| serde_json::Value::String(format!("unencodable: {e}")));
        let mut items = self.items.lock().expect("dead letters lock");
        if items.len() == DEAD_LETTER_CAP {
            items.pop_front();
        }
        items.push_back(json);
    }
}

struct Queue<T> {
    items: Mutex<VecDeque<(T, bool)>>,
    notify: Notify,
    dead: Arc<DeadLetters>,
}

impl<T: Send + 'static> Queue<T> {
    fn new(dead: Arc<DeadLetters>) -> Arc<Self> {
        Arc::new(Self {
            items: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
            dead,
        })
    }

    fn push(&self, item: T) {
        self.items.lock().expect("queue lock").push_back((item, false));
        self.notify.notify_one();
    }

    fn requeue(&self, item: T) {
        self.items.lock().expect("queue lock").push_front((item, true));
        self.notify.notify_one();
    }

    async fn pop(&self) -> (T, bool) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(item) = self.items.lock().expect("queue lock").pop_front() {
                return item;
            }
            notified.await;
        }
    }

    fn len(&self) -> usize {
        self.items.lock().expect("queue lock").len()
    }
}

/// Settles an in-process delivery; requeues on drop when neither acked nor nacked.
struct InProcAcker<T: Serialize + Send + 'static> {
    queue: Arc<Queue<T>>,
    message: Mutex<Option<T>>,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl<T: Serialize + Send + 'static> Acker for InProcAcker<T> {
    async fn ack(self: Box<Self>) -> Result<(), CommonError> {
        self.message.lock().expect("acker lock").take();
        Ok(())
    }

    async fn nack(self: Box<Self>, requeue: bool) -> Result<(), CommonError> {
        if let Some(m) = self.message.lock().expect("acker lock").take() {
            if requeue {
                self.queue.requeue(m);
            } else {
                self.queue.dead.push(&m);
            }
        }
        Ok(())
    }
}

impl<T: Serialize + Send + 'static> Drop for InProcAcker<T> {
    fn drop(&mut self) {
        if let Some(m) = self.message.get_mut().ok().and_then(Option::take) {
            self.queue.requeue(m);
        }
    }
}

/// A stream over `queue` with `prefetch` permits; ends when `closed` is cancelled.
fn consume<T>(queue: Arc<Queue<T>>, prefetch: u16, closed: CancellationToken) -> DeliveryStream<T>
where
    T: Clone + Serialize + Send + Sync + 'static,
{
    let permits = Arc::new(Semaphore::new(prefetch.max(1) as usize));
    let state = (queue, permits, closed);
    Box::pin(futures::stream::unfold(state, |(queue, permits, closed)| async move {
        let next = async {
            let permit = permits.clone().acquire_owned().await.ok()?;
            let (message, redelivered) = queue.pop().await;
            Some((message, redelivered, permit))
        };
        let (message, redelivered, permit) = tokio::select! {
            biased;
            _ = closed.cancelled() => return None,
            next = next => next?,
        };
        let acker = InProcAcker {
            queue: queue.clone(),
            message: Mutex::new(Some(message.clone())),
            _permit: permit,
        };
        let delivery = Delivery::new(message, redelivered, Box::new(acker));
        Some((Ok(delivery), (queue, permits, closed)))
    }))
}

/// The embedded broker: named task queues and one event queue, all in memory. Cheap to
/// clone: clones share the queues.
#[derive(Clone, Default)]
pub struct InProcBroker {
    task_queues: Arc<Mutex<HashMap<String, Arc<Queue<TaskMessage>>>>>,
    events: Arc<Mutex<Option<Arc<Queue<TaskEvent>>>>>,
    dead: Arc<DeadLetters>,
    closed: CancellationToken,
}

impl InProcBroker {
    /// A broker with no messages.
    pub fn new() -> Self {
        Self::default()
    }

    fn task_queue(&self, name: &str) -> Arc<Queue<TaskMessage>> {
        self.task_queues
            .lock()
            .expect("broker lock")
            .entry(name.to_string())
            .or_insert_with(|| Queue::new(self.dead.clone()))
            .clone()
    }

    fn event_queue(&self) -> Arc<Queue<TaskEvent>> {
        self.events
            .lock()
            .expect("broker lock")
            .get_or_insert_with(|| Queue::new(self.dead.clone()))
            .clone()
    }

    /// Messages waiting (not delivered) in a task queue; for tests and metrics.
    pub fn queued_tasks(&self, queue: &str) -> usize {
        self.task_queue(queue).len()
    }

    /// The messages nacked without requeue (at most [`DEAD_LETTER_CAP`], oldest first),
    /// as the JSON a RabbitMQ dead-letter queue would hold; for tests and operators.
    pub fn dead_letters(&self) -> Vec<serde_json::Value> {
        self.dead.items.lock().expect("dead letters lock").iter().cloned().collect()
    }

    fn check_open(&self) -> Result<(), CommonError> {
        if self.closed.is_cancelled() {
            Err(CommonError::BrokerClosed)
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Broker for InProcBroker {
    async fn publish_task(&self, message: &TaskMessage) -> Result<(), CommonError> {
        self.check_open()?;
        self.task_queue(&message.queue).push(message.clone());
        Ok(())
    }

    async fn consume_tasks(&self, queue: &str, prefetch: u16) -> Result<DeliveryStream<TaskMessage>, CommonError> {
        self.check_open()?;
        Ok(consume(self.task_queue(queue), prefetch, self.closed.clone()))
    }

    async fn publish_event(&self, event: &TaskEvent) -> Result<(), CommonError> {
        self.check_open()?;
        self.event_queue().push(event.clone());
        Ok(())
    }

    async fn consume_events(&self, prefetch: u16) -> Result<DeliveryStream<TaskEvent>, CommonError> {
        self.check_open()?;
        Ok(consume(self.event_queue(), prefetch, self.closed.clone()))
    }

    fn name(&self) -> &'static str {
        "in-process"
    }

    async fn ready(&self) -> Result<(), CommonError> {
        self.check_open()
    }

    /// Ends every stream of this broker and its clones. Unacked deliveries stay
    /// settleable; one requeued afterwards waits in its queue with nobody to take it,
    /// which is what a closed in-memory broker amounts to.
    async fn close(&self) {
        self.closed.cancel();
    }
}
