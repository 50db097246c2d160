//! The executor seam: one implementation per task kind, registered in one place (the
//! worker's registry), all called the same way.

use crate::messages::{PassProgress, Progress};
use crate::spec::TaskBody;
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What an executor knows about the attempt it runs, and its two channels back: progress
/// counters (sampled and published by the worker, so executors never throttle) and a
/// cancellation token (set on cancel, timeout or shutdown).
#[derive(Clone)]
pub struct ExecContext {
    pub task_id: Uuid,
    pub run_id: Uuid,
    pub tenant_id: Uuid,
    pub attempt: u32,
    pub progress: ProgressCounters,
    pub cancel: CancellationToken,
    /// The bandwidth budgets this attempt moves bytes under.
    pub throttle: crate::throttle::Throttle,
    /// Where a large copy farms out its shards; `None` runs every shard inline.
    pub shards: Option<std::sync::Arc<dyn crate::shards::ShardHub>>,
    /// The tenant's stored connections this attempt may use (opened from the message),
    /// over the worker's own connections file; `None` when the task names none.
    pub connections: Option<std::sync::Arc<crate::connections::Connections>>,
    /// The coordinator the worker runs with, for a task that is steered while it runs (a
    /// migration's cutover request); `None` in tests that need none.
    pub coordinator: Option<Arc<dyn crate::coordination::Coordinator>>,
}

impl std::fmt::Debug for ExecContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecContext")
            .field("task_id", &self.task_id)
            .field("run_id", &self.run_id)
            .field("attempt", &self.attempt)
            .field("sharded", &self.shards.is_some())
            .finish_non_exhaustive()
    }
}

impl ExecContext {
    /// Whether someone asked this task to cut over (`POST /api/v1/tasks/{id}/cutover`).
    /// An unreachable coordinator reads as "not yet": the next look may see it.
    pub async fn cutover_requested(&self) -> bool {
        match &self.coordinator {
            Some(c) => c.is_cutover_requested(self.task_id).await.unwrap_or(false),
            None => false,
        }
    }
}

/// Lock-free progress counters shared between an executor and its publisher: files and
/// bytes (total, done), then the pass figures of a `migrate` or `sync` (pass, backlog,
/// lag, conflicts, converged).
#[derive(Debug, Clone, Default)]
pub struct ProgressCounters(Arc<[AtomicU64; 9]>);

impl ProgressCounters {
    /// More files/bytes discovered to be done.
    pub fn add_total(&self, files: u64, bytes: u64) {
        self.0[0].fetch_add(files, Ordering::Relaxed);
        self.0[2].fetch_add(bytes, Ordering::Relaxed);
    }
    /// Files/bytes finished (copied, verified or deliberately skipped).
    pub fn add_done(&self, files: u64, bytes: u64) {
        self.0[1].fetch_add(files, Ordering::Relaxed);
        self.0[3].fetch_add(bytes, Ordering::Relaxed);
    }
    /// Bytes moved within a file still in flight.
    pub fn add_bytes_done(&self, bytes: u64) {
        self.0[3].fetch_add(bytes, Ordering::Relaxed);
    }
    /// The pass figures now (see [`PassProgress`]): the lag is kept as the time of the
    /// oldest change not copied yet, so it keeps growing while a pass is stuck (a
    /// destination that is down) and every snapshot shows it as it is. Conflicts are
    /// counted with [`Self::add_conflicts`].
    pub fn set_pass(&self, pass: u64, backlog: u64, oldest_change: Option<chrono::DateTime<chrono::Utc>>, converged: bool) {
        self.0[4].store(pass, Ordering::Relaxed);
        self.0[5].store(backlog, Ordering::Relaxed);
        let oldest_ms = oldest_change.map_or(0, |t| t.timestamp_millis().max(1) as u64);
        self.0[6].store(oldest_ms, Ordering::Relaxed);
        self.0[8].store(u64::from(converged), Ordering::Relaxed);
    }
    /// More conflicts met.
    pub fn add_conflicts(&self, n: u64) {
        self.0[7].fetch_add(n, Ordering::Relaxed);
    }
    /// A consistent-enough copy for publishing.
    pub fn snapshot(&self) -> Progress {
        let pass = self.0[4].load(Ordering::Relaxed);
        Progress {
            files_total: self.0[0].load(Ordering::Relaxed),
            files_done: self.0[1].load(Ordering::Relaxed),
            bytes_total: self.0[2].load(Ordering::Relaxed),
            bytes_done: self.0[3].load(Ordering::Relaxed),
            passes: (pass > 0).then(|| PassProgress {
                pass,
                backlog: self.0[5].load(Ordering::Relaxed),
                lag_secs: match self.0[6].load(Ordering::Relaxed) {
                    0 => 0,
                    oldest_ms => (chrono::Utc::now().timestamp_millis().max(0) as u64).saturating_sub(oldest_ms) / 1000,
                },
                conflicts: self.0[7].load(Ordering::Relaxed),
                converged: self.0[8].load(Ordering::Relaxed) == 1,
            }),
        }
    }
}

/// What a successful attempt leaves behind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskOutput {
    /// Kind-specific summary, stored on the task.
    pub result: serde_json::Value,
    /// Optional detailed report (served at `/tasks/{id}/report`).
    pub report: Option<serde_json::Value>,
}

/// Why an attempt failed; the orchestrator retries only `Retryable`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// Might succeed next time (I/O error, timeout, unreachable store).
    #[error("{0}")]
    Retryable(String),
    /// Will fail again the same way (bad input, missing source).
    #[error("{0}")]
    Fatal(String),
    /// Stopped on request.
    #[error("cancelled")]
    Cancelled,
}

/// Runs one kind of task.
#[async_trait]
pub trait Executor: Send + Sync + 'static {
    /// The `kind` this executor serves.
    fn kind(&self) -> &'static str;
    /// Runs one attempt. Must be idempotent: a redelivered attempt skips finished work.
    async fn execute(&self, ctx: &ExecContext, body: &TaskBody) -> Result<TaskOutput, ExecError>;
    /// Runs one shard of a sharded attempt (see [`crate::shards`]). The planner's view of
    /// the destinations may be stale by now (a redelivery, or a shard of an attempt that
    /// was replaced while it waited), so an implementation looks them up again. Only
    /// kinds that shard implement it.
    async fn execute_shard(
        &self,
        _ctx: &ExecContext,
        body: &TaskBody,
        _order: &crate::shards::ShardOrder,
    ) -> Result<crate::shards::ShardState, ExecError> {
        Err(ExecError::Fatal(format!("`{}` tasks are not sharded", body.kind())))
    }
}
