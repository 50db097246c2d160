//! What travels on the broker: task messages to workers, events back to the orchestrator.
//! Both are JSON so any broker (in-process or RabbitMQ) carries them unchanged.

use crate::spec::TaskBody;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The queue (resource class) tasks go to unless they ask for another.
pub const DEFAULT_QUEUE: &str = "default";

/// One attempt of one task, as a worker receives it. Self-contained: a worker needs no
/// database to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMessage {
    pub task_id: Uuid,
    pub run_id: Uuid,
    pub tenant_id: Uuid,
    /// Fences off zombies: events carrying an older attempt are ignored.
    pub attempt: u32,
    /// The spec's task id, for logs.
    pub key: String,
    pub body: TaskBody,
    /// Wall-clock budget of this attempt, enforced by the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    pub queue: String,
    /// Bandwidth budgets the attempt draws from (its task's, its pipeline's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bandwidth: Vec<crate::budget::BandwidthBudget>,
    /// Set on the child messages of a sharded copy: the part of the task this one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shards::ShardOrder>,
    /// The task's post-conditions, checked by the worker after the executor succeeds
    /// (part of the attempt: `consistent` reads the data the attempt wrote).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<crate::conditions::Condition>,
    /// Where the task's `file://` locations may point (its tenant's roots); checked by the
    /// worker before the attempt starts. Anywhere when absent (`ferry run`).
    #[serde(default, skip_serializing_if = "crate::file_roots::FileRoots::is_anywhere")]
    pub file_roots: crate::file_roots::FileRoots,
    /// The tenant's stored connections the task names, secrets still sealed: only a
    /// worker with the master key opens them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<crate::connections::SealedConnection>,
}

/// Files and bytes a task has found and finished; totals may grow while a copy still
/// lists. The API shows this type as it is (schema `TaskProgress`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = TaskProgress)]
pub struct Progress {
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Where a `migrate` or `sync` stands: its pass, what is left, how far behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<PassProgress>,
}

/// The live figures of a task that works in passes (`migrate`, `sync`): what a
/// LiveData Migrator user watches to know when to cut over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PassProgress {
    /// The pass under way (1 for the first).
    pub pass: u64,
    /// Changed files found and not copied yet.
    pub backlog: u64,
    /// Age in seconds of the oldest change not copied yet (0 when caught up).
    pub lag_secs: u64,
    /// Conflicts met so far (a sync's files changed on both sides).
    pub conflicts: u64,
    /// Whether a pass has found at most `converge.max_changed` changes.
    pub converged: bool,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Succeeded {
        /// Kind-specific summary (files copied, skipped, …).
        result: serde_json::Value,
        /// A detailed report (the `check` kind's missing/extra/differ lists).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<serde_json::Value>,
    },
    Failed {
        error: String,
        /// Whether another attempt may succeed (a network error) or not (a bad spec).
        retryable: bool,
    },
    /// The executor succeeded but a post-condition does not hold: retryable, and the next
    /// attempt repairs what the condition found.
    PostConditionFailed {
        /// The condition and its evidence (counts, first differing paths).
        error: String,
    },
}

/// What happened to an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Started,
    Progress { progress: Progress },
    Finished { outcome: Outcome, progress: Progress },
}

/// An event from a worker about one attempt of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEvent {
    pub task_id: Uuid,
    pub run_id: Uuid,
    pub attempt: u32,
    pub worker_id: String,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EventKind,
}
