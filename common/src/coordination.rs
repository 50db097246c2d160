//! The coordination seam: what several processes must agree on that is not durable state
//! (who leads, which workers live, which running tasks were asked to stop, who runs
//! which attempt, how fast a shared budget may go).
//!
//! It is three seams, because three different callers use three different parts:
//!
//! - [`Membership`]: leases and worker heartbeats, records of *processes* that lapse when
//!   their owner stops renewing them. The orchestrator's leader election and its view of
//!   the worker pool.
//! - [`AttemptControl`]: records keyed by *task and attempt*: cancel flags, attempt
//!   claims, live progress and shard states. Workers write them, the API and the
//!   orchestrator read them.
//! - [`BandwidthBuckets`]: shared token buckets. Only the throttle (`throttle::Throttle`)
//!   draws from them, so it holds nothing more than this part.
//!
//! [`Coordinator`] is their union plus a name and a readiness check: what a deployment
//! provides (in-process or Redis) and what call sites hold as `Arc<dyn Coordinator>`.
//! An `Arc<dyn Coordinator>` upcasts to any one part (`Arc<dyn BandwidthBuckets>`), so a
//! component can ask for only the part it uses.
//!
//! Every implementation runs the one conformance suite of the `ferry-conformance` crate
//! (`coordinator_tests!`), which checks each method's contract as written here.

use crate::CommonError;
use crate::messages::Progress;
use crate::shards::ShardState;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// A worker that sent a heartbeat within its time to live, as it announced itself. The
/// API shows this type as it is (schema `Worker`), so there is no copy to keep in step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Worker)]
pub struct WorkerInfo {
    pub id: String,
    pub hostname: String,
    /// Task queues it consumes.
    pub queues: Vec<String>,
    /// Task attempts it runs at once, at most.
    pub concurrency: u32,
    /// Ids of the tasks it runs now.
    pub running: Vec<Uuid>,
    pub started_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// Leases and heartbeats: who leads and which workers live. Both are records of a
/// process that the process renews and that lapse on their own when it dies.
#[async_trait]
pub trait Membership: Send + Sync + 'static {
    /// Takes or renews the lease `name` for `holder`; true while `holder` holds it. A
    /// lease another holder renewed within its `ttl` is refused (that is the fence: two
    /// orchestrators never both lead); once it lapses anyone may take it.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, CommonError>;
    /// Gives the lease up early (clean shutdown), if `holder` holds it; a no-op otherwise.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CommonError>;
    /// Records that a worker is alive, with `last_seen` set to now; it counts as gone
    /// after `ttl` without a beat. A beat replaces the worker's previous info.
    async fn heartbeat(&self, worker: &WorkerInfo, ttl: Duration) -> Result<(), CommonError>;
    /// Workers whose last heartbeat is within their ttl, sorted by id.
    async fn live_workers(&self) -> Result<Vec<WorkerInfo>, CommonError>;
}

/// What is known about running tasks and their attempts, keyed by task id: cancel
/// flags, attempt claims, live progress and shard states.
#[async_trait]
pub trait AttemptControl: Send + Sync + 'static {
    /// Asks whichever worker runs `task_id` to stop it. Idempotent.
    async fn request_cancel(&self, task_id: Uuid) -> Result<(), CommonError>;
    /// Whether a stop was asked for `task_id`.
    async fn is_cancel_requested(&self, task_id: Uuid) -> Result<bool, CommonError>;
    /// Asks the `migrate` task `task_id` to cut over (`POST /api/v1/tasks/{id}/cutover`):
    /// its worker finishes with a final pass and a check. Idempotent; kept for days, as a
    /// migration may be between passes for a long time.
    async fn request_cutover(&self, task_id: Uuid) -> Result<(), CommonError>;
    /// Whether a cutover was asked for `task_id`.
    async fn is_cutover_requested(&self, task_id: Uuid) -> Result<bool, CommonError>;
    /// Claims one attempt of a task for `holder` (or renews `holder`'s claim); false
    /// when another holder claimed it first. A broker may deliver the same message twice
    /// (a new leader re-publishes what it cannot prove was published; a redelivery after
    /// a lost ack), and this is what keeps a second worker from running the same attempt
    /// beside the first. Of concurrent claims exactly one wins. The claim outlives `ttl`
    /// only if renewed; a lost attempt is retried as a new attempt, never under the old
    /// number.
    async fn claim_attempt(&self, task_id: Uuid, attempt: u32, holder: &str, ttl: Duration) -> Result<bool, CommonError>;
    /// Publishes the live counters of a running attempt, replacing earlier ones, for
    /// `ttl`, so the API can show progress between the orchestrator's batched database
    /// writes. No default: a coordinator that kept nothing would pass for one that works,
    /// and the suite would not notice.
    async fn put_progress(&self, task_id: Uuid, progress: &Progress, ttl: Duration) -> Result<(), CommonError>;
    /// The live counters published for those of `task_ids` that have any within their
    /// ttl; the others (not running) are absent from the map.
    async fn live_progress(&self, task_ids: &[Uuid]) -> Result<HashMap<Uuid, Progress>, CommonError>;
    /// Records the state of one shard of a sharded copy (see [`crate::shards`]),
    /// replacing what that shard reported before.
    async fn put_shard_state(&self, task_id: Uuid, attempt: u32, index: u32, state: &ShardState) -> Result<(), CommonError>;
    /// Every shard state recorded for one attempt, by shard index.
    async fn shard_states(&self, task_id: Uuid, attempt: u32) -> Result<HashMap<u32, ShardState>, CommonError>;
}

/// Shared bandwidth budgets: one token bucket per key, drawn from by every worker.
#[async_trait]
pub trait BandwidthBuckets: Send + Sync + 'static {
    /// Reserves `bytes` against the shared budget `key` of `bytes_per_sec` and answers
    /// how long the caller must wait before moving more. Every worker moving bytes under
    /// one budget reserves here, so together they stay at the budget (a GCRA token
    /// bucket, [`crate::budget::gcra_step`], that allows
    /// [`crate::budget::BANDWIDTH_BURST`] of credit).
    async fn reserve_bandwidth(&self, key: &str, bytes: u64, bytes_per_sec: u64) -> Result<Duration, CommonError>;

    /// Admits one request against the rate limit `key` (`per_sec`, with `burst` of
    /// credit), shared by every API instance: `None` admits it, `Some(retry_after)`
    /// refuses it and spends nothing ([`crate::budget::gcra_admit`]).
    async fn admit_request(&self, key: &str, per_sec: u32, burst: u32) -> Result<Option<Duration>, CommonError>;
}

/// Everything a deployment coordinates through: the three parts together, plus what a
/// health check needs. Implemented by the in-process and the Redis coordinator.
///
/// Callers holding `Arc<dyn Coordinator>` call the parts' methods directly (a trait
/// object answers for its supertraits); a concrete type needs the part's trait in scope.
#[async_trait]
pub trait Coordinator: Membership + AttemptControl + BandwidthBuckets {
    /// Whether the coordinator answers, for `/readyz`. The default asks for the live
    /// workers, which every implementation can do.
    async fn ready(&self) -> Result<(), CommonError> {
        self.live_workers().await.map(|_| ())
    }
    /// A short name for logs and `/readyz`.
    fn name(&self) -> &'static str;
}
