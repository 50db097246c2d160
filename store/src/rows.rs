//! Plain row types exchanged with callers.

use chrono::{DateTime, Utc};
use ferry_common::state::{RunState, TaskState};
use serde_json::Value;
use uuid::Uuid;

/// The tenant every row belongs to until multi-tenancy lands; fixed so that rows written
/// today need no migration then.
pub const DEFAULT_TENANT: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

/// A stored pipeline definition.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The validated spec, as JSON.
    pub spec: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the pipeline is paused: its slots are ledgered `missed_paused`.
    pub paused_at: Option<DateTime<Utc>>,
}

/// One run of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub pipeline_id: Uuid,
    pub state: RunState,
    /// The spec as it was when the run was created (later edits do not change a run).
    pub spec: Value,
    /// Set by the API; the orchestrator acts on it.
    pub cancel_requested: bool,
    /// Why the run failed, when it did for a reason of its own (e.g. planning).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the run exists: manual, a schedule's slot, a trigger.
    pub trigger: ferry_common::triggers::RunTrigger,
}

/// The little the orchestrator polls for about each active run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunFlags {
    pub id: Uuid,
    pub state: RunState,
    pub cancel_requested: bool,
}

/// One task of a run (a node of its DAG).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub run_id: Uuid,
    /// The spec's task id.
    pub key: String,
    pub kind: String,
    pub state: TaskState,
    /// Dispatches so far (0 before the first).
    pub attempt: u32,
    /// Keys of the tasks this one waits for.
    pub depends_on: Vec<String>,
    /// The task's spec (`TaskSpec` as JSON).
    pub spec: Value,
    pub queue: String,
    pub error: Option<String>,
    pub result: Option<Value>,
    pub report: Option<Value>,
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// When a `retrying` task is due to be queued again.
    pub retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// While `waiting`: the first condition that does not hold yet, and what was seen.
    pub waiting_for: Option<String>,
    /// When a `waiting` task gives up: its first check plus the wait's timeout. Stored,
    /// so a restart or a new leader keeps the deadline.
    pub wait_deadline: Option<DateTime<Utc>>,
    /// Attempts lost to a dead worker; they do not spend retries, up to `max_lost`.
    pub lost: u32,
    /// The last failure, with its class and attempt.
    pub failure: Option<ferry_common::failure::Failure>,
}

/// One recorded state change, with its time and cause.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRow {
    pub tenant_id: Uuid,
    pub run_id: Uuid,
    /// `None` for a change of the run itself.
    pub task_id: Option<Uuid>,
    /// `None` when the row was created in `to`.
    pub from_state: Option<String>,
    pub to_state: String,
    pub cause: String,
    pub at: DateTime<Utc>,
}

/// Aggregated progress of a run, computed from its tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunProgress {
    pub tasks_total: u64,
    pub tasks_succeeded: u64,
    pub tasks_failed: u64,
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
}

/// A page request: items after `cursor` (an id handed out as `next_cursor`), at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: u64,
}

/// A page of results; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Filters for listing runs.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub pipeline_id: Option<Uuid>,
    pub state: Option<RunState>,
    /// Only runs started by this kind of trigger.
    pub trigger: Option<ferry_common::triggers::TriggerKind>,
}

/// Everything the orchestrator changed in one step, committed atomically.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    /// Runs to write whole (insert or update every column but `spec` and `created_at`).
    pub runs: Vec<RunRow>,
    /// Tasks to write whole (insert, or update every mutable column).
    pub tasks: Vec<TaskRow>,
    pub transitions: Vec<TransitionRow>,
    /// Outbox events the changes raise, committed with them.
    pub events: Vec<crate::NewEvent>,
    /// Freshness markers the batch's successful copies move, committed with them.
    pub markers: Vec<DatasetMarkerRow>,
    /// Deliveries the step's successful copies created.
    pub deliveries: Vec<crate::DeliveryRow>,
    /// Deliveries the step moved (an attempt's start or outcome, a wait given up).
    pub delivery_changes: Vec<crate::DeliveryChange>,
}

/// The last delivery of a dataset to one destination (a copy naming the dataset that
/// succeeded): when, from which run, and that run's logical time.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetMarkerRow {
    pub tenant_id: Uuid,
    pub dataset: String,
    /// The destination URL as the copy's spec wrote it.
    pub destination: String,
    pub delivered_at: DateTime<Utc>,
    pub pipeline_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// The run's logical time (its schedule slot, or when it was created).
    pub logical_time: DateTime<Utc>,
    /// Where in the source the copy had read to, when it knows (a watermark).
    pub position: Option<Value>,
}

impl WriteBatch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.tasks.is_empty() && self.transitions.is_empty() && self.events.is_empty() && self.markers.is_empty() && self.deliveries.is_empty() && self.delivery_changes.is_empty()
    }
}
