//! The coordination seam: what several processes must agree on that is not durable state
//! (who leads, which workers live, which running tasks were asked to stop).

use crate::CommonError;
use crate::messages::Progress;
use crate::shards::ShardState;
use std::collections::HashMap;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// A worker as it announces itself with every heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerInfo {
    pub id: String,
    pub hostname: String,
    pub queues: Vec<String>,
    pub concurrency: u32,
    pub running: Vec<Uuid>,
    pub started_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// Leases, heartbeats and cancellation flags.
/// How far ahead of its budget a transfer may run: a tenth of a second's worth of bytes,
/// so a budget is smooth over any window longer than that.
pub const BANDWIDTH_BURST: Duration = Duration::from_millis(100);

/// The GCRA step shared by every coordinator: given the budget's theoretical arrival
/// time `tat` (ms on any clock) and `now` (same clock), the wait before the caller may
/// go on and the new `tat`.
pub fn gcra_step(tat: f64, now: f64, bytes: u64, bytes_per_sec: u64) -> (Duration, f64) {
    let start = tat.max(now);
    let wait_ms = (start - now - BANDWIDTH_BURST.as_secs_f64() * 1000.0).max(0.0);
    let new_tat = start + bytes as f64 * 1000.0 / bytes_per_sec.max(1) as f64;
    (Duration::from_secs_f64(wait_ms / 1000.0), new_tat)
}

#[async_trait]
pub trait Coordinator: Send + Sync + 'static {
    /// Takes or renews the lease `name` for `holder`; true while `holder` holds it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, CommonError>;
    /// Gives the lease up early (clean shutdown), if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CommonError>;
    /// Records that a worker is alive; it counts as gone after `ttl` without a beat.
    async fn heartbeat(&self, worker: &WorkerInfo, ttl: Duration) -> Result<(), CommonError>;
    /// Workers whose last heartbeat is within their ttl.
    async fn live_workers(&self) -> Result<Vec<WorkerInfo>, CommonError>;
    /// Asks whichever worker runs `task_id` to stop it.
    async fn request_cancel(&self, task_id: Uuid) -> Result<(), CommonError>;
    /// Whether a stop was asked for `task_id`.
    async fn is_cancel_requested(&self, task_id: Uuid) -> Result<bool, CommonError>;
    /// Whether the coordinator answers, for `/readyz`. The default asks for the live
    /// workers, which every implementation can do.
    async fn ready(&self) -> Result<(), CommonError> {
        self.live_workers().await.map(|_| ())
    }
    /// Claims one attempt of a task for `holder`; false when another holder claimed it
    /// first. A broker may deliver the same message twice (a new leader re-publishes
    /// what it cannot prove was published; a redelivery after a lost ack), and this is
    /// what keeps a second worker from running the same attempt beside the first. The
    /// claim outlives `ttl` only if renewed; a lost attempt is retried as a new attempt,
    /// never under the old number.
    async fn claim_attempt(&self, task_id: Uuid, attempt: u32, holder: &str, ttl: Duration) -> Result<bool, CommonError>;
    /// Publishes the live counters of a running attempt, so the API can show progress
    /// between the orchestrator's batched database writes. Best effort: the default
    /// keeps nothing (the database's counters are then what the API shows).
    async fn put_progress(&self, _task_id: Uuid, _progress: &Progress, _ttl: Duration) -> Result<(), CommonError> {
        Ok(())
    }
    /// Reserves `bytes` against the shared budget `key` of `bytes_per_sec` and answers
    /// how long the caller must wait before moving more. Every worker moving bytes under
    /// one budget reserves here, so together they stay at the budget (a GCRA token
    /// bucket that allows [`BANDWIDTH_BURST`] of credit).
    async fn reserve_bandwidth(&self, key: &str, bytes: u64, bytes_per_sec: u64) -> Result<Duration, CommonError>;
    /// Records the state of one shard of a sharded copy (see [`crate::shards`]).
    async fn put_shard_state(&self, task_id: Uuid, attempt: u32, index: u32, state: &ShardState) -> Result<(), CommonError>;
    /// Every shard state recorded for one attempt, by shard index.
    async fn shard_states(&self, task_id: Uuid, attempt: u32) -> Result<HashMap<u32, ShardState>, CommonError>;
    /// The live counters published for these tasks (absent ones are not running).
    async fn live_progress(&self, _task_ids: &[Uuid]) -> Result<HashMap<Uuid, Progress>, CommonError> {
        Ok(HashMap::new())
    }
    /// A short name for logs and `/readyz`.
    fn name(&self) -> &'static str;
}
