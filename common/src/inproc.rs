//! In-process broker and coordinator for the embedded default: the same semantics as
//! RabbitMQ and Redis (ack after the effect, redelivery of what was not acked, prefetch),
//! without a server. A delivery dropped unacked (its worker task panicked or was aborted)
//! goes back to the head of its queue, as RabbitMQ does when a channel closes.

use crate::CommonError;
use crate::broker::{Acker, Broker, Delivery, DeliveryStream};
use crate::coordination::{Coordinator, WorkerInfo};
use crate::messages::{Progress, TaskEvent, TaskMessage};
use crate::shards::ShardState;
use async_trait::async_trait;
use chrono::Utc;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

struct Queue<T> {
    items: Mutex<VecDeque<(T, bool)>>,
    notify: Notify,
}

impl<T: Send + 'static> Queue<T> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            items: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
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
struct InProcAcker<T: Send + 'static> {
    queue: Arc<Queue<T>>,
    message: Mutex<Option<T>>,
    _permit: OwnedSemaphorePermit,
}

#[async_trait]
impl<T: Send + 'static> Acker for InProcAcker<T> {
    async fn ack(self: Box<Self>) -> Result<(), CommonError> {
        self.message.lock().expect("acker lock").take();
        Ok(())
    }

    async fn nack(self: Box<Self>, requeue: bool) -> Result<(), CommonError> {
        let msg = self.message.lock().expect("acker lock").take();
        if let (true, Some(m)) = (requeue, msg) {
            self.queue.requeue(m);
        }
        // Without requeue the message is dropped: the embedded engine has no dead-letter
        // store, and a message it produced itself always decodes.
        Ok(())
    }
}

impl<T: Send + 'static> Drop for InProcAcker<T> {
    fn drop(&mut self) {
        if let Some(m) = self.message.get_mut().ok().and_then(Option::take) {
            self.queue.requeue(m);
        }
    }
}

fn consume<T: Clone + Send + Sync + 'static>(queue: Arc<Queue<T>>, prefetch: u16) -> DeliveryStream<T> {
    let permits = Arc::new(Semaphore::new(prefetch.max(1) as usize));
    Box::pin(futures::stream::unfold((queue, permits), |(queue, permits)| async move {
        let permit = permits.clone().acquire_owned().await.ok()?;
        let (message, redelivered) = queue.pop().await;
        let acker = InProcAcker {
            queue: queue.clone(),
            message: Mutex::new(Some(message.clone())),
            _permit: permit,
        };
        let delivery = Delivery::new(message, redelivered, Box::new(acker));
        Some((Ok(delivery), (queue, permits)))
    }))
}

/// The embedded broker: named task queues and one event queue, all in memory.
#[derive(Clone, Default)]
pub struct InProcBroker {
    task_queues: Arc<Mutex<HashMap<String, Arc<Queue<TaskMessage>>>>>,
    events: Arc<Mutex<Option<Arc<Queue<TaskEvent>>>>>,
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
            .or_insert_with(Queue::new)
            .clone()
    }

    fn event_queue(&self) -> Arc<Queue<TaskEvent>> {
        self.events.lock().expect("broker lock").get_or_insert_with(Queue::new).clone()
    }

    /// Messages waiting (not delivered) in a task queue; for tests and metrics.
    pub fn queued_tasks(&self, queue: &str) -> usize {
        self.task_queue(queue).len()
    }
}

#[async_trait]
impl Broker for InProcBroker {
    async fn publish_task(&self, message: &TaskMessage) -> Result<(), CommonError> {
        self.task_queue(&message.queue).push(message.clone());
        Ok(())
    }

    async fn consume_tasks(&self, queue: &str, prefetch: u16) -> Result<DeliveryStream<TaskMessage>, CommonError> {
        Ok(consume(self.task_queue(queue), prefetch))
    }

    async fn publish_event(&self, event: &TaskEvent) -> Result<(), CommonError> {
        self.event_queue().push(event.clone());
        Ok(())
    }

    async fn consume_events(&self, prefetch: u16) -> Result<DeliveryStream<TaskEvent>, CommonError> {
        Ok(consume(self.event_queue(), prefetch))
    }

    fn name(&self) -> &'static str {
        "in-process"
    }

    async fn ready(&self) -> Result<(), CommonError> {
        Ok(())
    }
}

#[derive(Default)]
struct CoordState {
    leases: HashMap<String, (String, Instant)>,
    workers: HashMap<String, (WorkerInfo, Instant)>,
    cancels: HashSet<Uuid>,
    claims: HashMap<(Uuid, u32), (String, Instant)>,
    progress: HashMap<Uuid, (Progress, Instant)>,
    /// Shard states by (task, attempt), then shard index.
    shards: HashMap<(Uuid, u32), HashMap<u32, ShardState>>,
    /// Bandwidth budgets: theoretical arrival time in ms since `epoch`.
    bandwidth: HashMap<String, f64>,
    epoch: Option<Instant>,
    /// When expired claims and progress entries are next swept. Sweeping on every call
    /// would make a 10,000-task fan-out quadratic; lookups check expiry themselves.
    next_sweep: Option<Instant>,
}

/// How often expired claims and progress entries are dropped.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl CoordState {
    /// Drops expired claims and progress entries, at most once per [`SWEEP_EVERY`].
    fn sweep(&mut self, now: Instant) {
        if self.next_sweep.is_some_and(|at| now < at) {
            return;
        }
        self.claims.retain(|_, (_, until)| *until > now);
        self.progress.retain(|_, (_, until)| *until > now);
        self.next_sweep = Some(now + SWEEP_EVERY);
    }
}

/// The embedded coordinator: leases, heartbeats and cancel flags in one process.
#[derive(Clone, Default)]
pub struct InProcCoordinator {
    state: Arc<Mutex<CoordState>>,
}

impl InProcCoordinator {
    /// A coordinator with no leases or workers.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Coordinator for InProcCoordinator {
    async fn put_shard_state(&self, task_id: Uuid, attempt: u32, index: u32, state: &ShardState) -> Result<(), CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        st.shards.entry((task_id, attempt)).or_default().insert(index, state.clone());
        Ok(())
    }

    async fn shard_states(&self, task_id: Uuid, attempt: u32) -> Result<HashMap<u32, ShardState>, CommonError> {
        let st = self.state.lock().expect("coord lock");
        Ok(st.shards.get(&(task_id, attempt)).cloned().unwrap_or_default())
    }

    async fn reserve_bandwidth(&self, key: &str, bytes: u64, bytes_per_sec: u64) -> Result<Duration, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let epoch = *st.epoch.get_or_insert_with(Instant::now);
        let now = epoch.elapsed().as_secs_f64() * 1000.0;
        let tat = st.bandwidth.get(key).copied().unwrap_or(now);
        let (wait, new_tat) = crate::coordination::gcra_step(tat, now, bytes, bytes_per_sec);
        st.bandwidth.insert(key.to_string(), new_tat);
        Ok(wait)
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let now = Instant::now();
        let free = match st.leases.get(name) {
            None => true,
            Some((h, until)) => h == holder || *until <= now,
        };
        if free {
            st.leases.insert(name.to_string(), (holder.to_string(), now + ttl));
        }
        Ok(free)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        if st.leases.get(name).is_some_and(|(h, _)| h == holder) {
            st.leases.remove(name);
        }
        Ok(())
    }

    async fn heartbeat(&self, worker: &WorkerInfo, ttl: Duration) -> Result<(), CommonError> {
        let mut info = worker.clone();
        info.last_seen = Utc::now();
        self.state
            .lock()
            .expect("coord lock")
            .workers
            .insert(worker.id.clone(), (info, Instant::now() + ttl));
        Ok(())
    }

    async fn live_workers(&self) -> Result<Vec<WorkerInfo>, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let now = Instant::now();
        st.workers.retain(|_, (_, until)| *until > now);
        let mut out: Vec<WorkerInfo> = st.workers.values().map(|(w, _)| w.clone()).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn request_cancel(&self, task_id: Uuid) -> Result<(), CommonError> {
        self.state.lock().expect("coord lock").cancels.insert(task_id);
        Ok(())
    }

    async fn is_cancel_requested(&self, task_id: Uuid) -> Result<bool, CommonError> {
        Ok(self.state.lock().expect("coord lock").cancels.contains(&task_id))
    }

    async fn claim_attempt(&self, task_id: Uuid, attempt: u32, holder: &str, ttl: Duration) -> Result<bool, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let now = Instant::now();
        st.sweep(now);
        let key = (task_id, attempt);
        let ok = match st.claims.get(&key) {
            None => true,
            Some((h, until)) => h == holder || *until <= now,
        };
        if ok {
            st.claims.insert(key, (holder.to_string(), now + ttl));
        }
        Ok(ok)
    }

    async fn put_progress(&self, task_id: Uuid, progress: &Progress, ttl: Duration) -> Result<(), CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let now = Instant::now();
        st.sweep(now);
        st.progress.insert(task_id, (*progress, now + ttl));
        Ok(())
    }

    async fn live_progress(&self, task_ids: &[Uuid]) -> Result<HashMap<Uuid, Progress>, CommonError> {
        let st = self.state.lock().expect("coord lock");
        let now = Instant::now();
        Ok(task_ids
            .iter()
            .filter_map(|id| match st.progress.get(id) {
                Some((p, until)) if *until > now => Some((*id, *p)),
                _ => None,
            })
            .collect())
    }

    fn name(&self) -> &'static str {
        "in-process"
    }
}
