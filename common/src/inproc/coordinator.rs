//! The in-process coordinator: leases, heartbeats, claims, flags, progress, shard states
//! and bandwidth buckets in one process, behind one lock. Expiry uses the monotonic
//! clock, so a wall-clock jump cannot make a lease lapse early.

use crate::CommonError;
use crate::budget::{gcra_admit, gcra_step};
use crate::coordination::{AttemptControl, BandwidthBuckets, Coordinator, Membership, WorkerInfo};
use crate::messages::Progress;
use crate::shards::ShardState;
use async_trait::async_trait;
use chrono::Utc;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Default)]
struct CoordState {
    leases: HashMap<String, (String, Instant)>,
    workers: HashMap<String, (WorkerInfo, Instant)>,
    cancels: HashSet<Uuid>,
    cutovers: HashSet<Uuid>,
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

/// The embedded coordinator: every part of [`Coordinator`] in one process. Cheap to
/// clone: clones share the state, as two processes share one Redis.
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
impl Membership for InProcCoordinator {
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
}

#[async_trait]
impl AttemptControl for InProcCoordinator {
    async fn request_cancel(&self, task_id: Uuid) -> Result<(), CommonError> {
        self.state.lock().expect("coord lock").cancels.insert(task_id);
        Ok(())
    }

    async fn is_cancel_requested(&self, task_id: Uuid) -> Result<bool, CommonError> {
        Ok(self.state.lock().expect("coord lock").cancels.contains(&task_id))
    }

    async fn request_cutover(&self, task_id: Uuid) -> Result<(), CommonError> {
        self.state.lock().expect("coord lock").cutovers.insert(task_id);
        Ok(())
    }

    async fn is_cutover_requested(&self, task_id: Uuid) -> Result<bool, CommonError> {
        Ok(self.state.lock().expect("coord lock").cutovers.contains(&task_id))
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

    async fn put_shard_state(&self, task_id: Uuid, attempt: u32, index: u32, state: &ShardState) -> Result<(), CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        st.shards.entry((task_id, attempt)).or_default().insert(index, state.clone());
        Ok(())
    }

    async fn shard_states(&self, task_id: Uuid, attempt: u32) -> Result<HashMap<u32, ShardState>, CommonError> {
        let st = self.state.lock().expect("coord lock");
        Ok(st.shards.get(&(task_id, attempt)).cloned().unwrap_or_default())
    }
}

#[async_trait]
impl BandwidthBuckets for InProcCoordinator {
    async fn reserve_bandwidth(&self, key: &str, bytes: u64, bytes_per_sec: u64) -> Result<Duration, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let epoch = *st.epoch.get_or_insert_with(Instant::now);
        let now = epoch.elapsed().as_secs_f64() * 1000.0;
        let tat = st.bandwidth.get(key).copied().unwrap_or(now);
        let (wait, new_tat) = gcra_step(tat, now, bytes, bytes_per_sec);
        st.bandwidth.insert(key.to_string(), new_tat);
        Ok(wait)
    }

    async fn admit_request(&self, key: &str, per_sec: u32, burst: u32) -> Result<Option<Duration>, CommonError> {
        let mut st = self.state.lock().expect("coord lock");
        let epoch = *st.epoch.get_or_insert_with(Instant::now);
        let now = epoch.elapsed().as_secs_f64() * 1000.0;
        let key = format!("request:{key}");
        let tat = st.bandwidth.get(&key).copied().unwrap_or(now);
        let (refused, new_tat) = gcra_admit(tat, now, per_sec, burst);
        st.bandwidth.insert(key, new_tat);
        Ok(refused)
    }
}

#[async_trait]
impl Coordinator for InProcCoordinator {
    fn name(&self) -> &'static str {
        "in-process"
    }
}
