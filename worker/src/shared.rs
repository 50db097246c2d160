//! What every attempt of one worker shares ([`Shared`]): its identity and timings, the
//! broker, coordinator and executors, the hard-stop token, and the set of attempts running
//! now. Both attempt paths — `attempt` for tasks and `shard_attempt` for shards — use
//! it; it uses neither.

use crate::executors::Registry;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::executor::{ExecContext, ProgressCounters};
use ferry_common::messages::{EventKind, TaskEvent, TaskMessage};
use ferry_common::throttle::Throttle;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

/// What every attempt of one worker shares.
pub(crate) struct Shared {
    pub(crate) worker_id: String,
    pub(crate) progress_every: Duration,
    pub(crate) cancel_poll_every: Duration,
    pub(crate) broker: Arc<dyn Broker>,
    pub(crate) coordinator: Arc<dyn Coordinator>,
    pub(crate) registry: Arc<Registry>,
    /// Fired when the shutdown grace has elapsed: cancels every running attempt, whose
    /// messages then go back to the queue. Not linked to the shutdown token on purpose:
    /// a shutdown first lets attempts finish.
    pub(crate) hard_stop: CancellationToken,
    running: Mutex<HashMap<u64, (Uuid, u32)>>,
    /// How long a claim on an attempt lasts unless the heartbeat renews it.
    pub(crate) claim_ttl: Duration,
    /// See [`crate::config::WorkerConfig::announce_after`].
    pub(crate) announce_after: Duration,
    next_slot: AtomicU64,
    /// Opens the stored connections tasks carry (`FERRY_MASTER_KEY`).
    pub(crate) master_key: Option<ferry_common::sealed::MasterKey>,
}

impl Shared {
    pub(crate) fn new(
        worker_id: String,
        progress_every: Duration,
        cancel_poll_every: Duration,
        broker: Arc<dyn Broker>,
        coordinator: Arc<dyn Coordinator>,
        registry: Arc<Registry>,
    ) -> Self {
        Self {
            worker_id,
            progress_every,
            cancel_poll_every,
            broker,
            coordinator,
            registry,
            hard_stop: CancellationToken::new(),
            running: Mutex::new(HashMap::new()),
            claim_ttl: Duration::from_secs(15),
            announce_after: Duration::ZERO,
            next_slot: AtomicU64::new(0),
            master_key: None,
        }
    }

    /// Task ids of the attempts running now, for heartbeats.
    pub(crate) fn running(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .running
            .lock()
            .expect("running lock")
            .values()
            .map(|(task, _)| *task)
            .collect();
        ids.sort();
        ids
    }

    /// Renews the claims on every running attempt (called with each heartbeat), so a
    /// claim lapses within `claim_ttl` of this worker dying and no sooner.
    pub(crate) async fn renew_claims(&self) {
        let held: Vec<(Uuid, u32)> = self.running.lock().expect("running lock").values().copied().collect();
        for (task, attempt) in held {
            if let Err(e) = self.coordinator.claim_attempt(task, attempt, &self.worker_id, self.claim_ttl).await {
                warn!(error = %e, %task, attempt, "cannot renew the claim on an attempt");
            }
        }
    }

    pub(crate) fn register(self: &Arc<Self>, task_id: Uuid, attempt: u32) -> RunningGuard {
        let slot = self.next_slot.fetch_add(1, Ordering::Relaxed);
        self.running
            .lock()
            .expect("running lock")
            .insert(slot, (task_id, attempt));
        RunningGuard {
            shared: self.clone(),
            slot,
        }
    }

    /// What an executor gets for running `msg` (an attempt, or a shard when `shards` is
    /// `None`): its ids, counters, cancel token and bandwidth budgets.
    pub(crate) fn exec_context(
        &self,
        msg: &TaskMessage,
        progress: &ProgressCounters,
        cancel: &CancellationToken,
        shards: Option<Arc<dyn ferry_common::shards::ShardHub>>,
    ) -> ExecContext {
        ExecContext {
            task_id: msg.task_id,
            run_id: msg.run_id,
            tenant_id: msg.tenant_id,
            attempt: msg.attempt,
            progress: progress.clone(),
            cancel: cancel.clone(),
            throttle: Throttle::new(msg.bandwidth.clone(), self.coordinator.clone()),
            shards,
            connections: None,
            coordinator: Some(self.coordinator.clone()),
        }
    }

    /// Opens the stored connections a message carries (sealed under the master key), for
    /// the attempt's stores; `Err` says why they cannot be used (no key, another key).
    pub(crate) fn open_connections(&self, msg: &TaskMessage) -> Result<Option<Arc<ferry_common::connections::Connections>>, String> {
        if msg.connections.is_empty() {
            return Ok(None);
        }
        let Some(key) = &self.master_key else {
            return Err(format!(
                "the task uses stored connections ({}), and this worker has no {} to open them",
                msg.connections.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
                ferry_common::sealed::MASTER_KEY_ENV
            ));
        };
        let mut all = ferry_common::connections::Connections::none();
        for c in &msg.connections {
            all.insert(c.name.clone(), c.open(key)?);
        }
        Ok(Some(Arc::new(all)))
    }

    pub(crate) fn event(&self, msg: &TaskMessage, kind: EventKind) -> TaskEvent {
        TaskEvent {
            task_id: msg.task_id,
            run_id: msg.run_id,
            attempt: msg.attempt,
            worker_id: self.worker_id.clone(),
            at: chrono::Utc::now(),
            kind,
        }
    }
}

/// Removes an attempt from the running set however the attempt ends.
pub(crate) struct RunningGuard {
    shared: Arc<Shared>,
    slot: u64,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if let Ok(mut m) = self.shared.running.lock() {
            m.remove(&self.slot);
        }
    }
}
