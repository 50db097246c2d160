//! Response bodies, as clients see them and as the OpenAPI document describes them.
//!
//! They are separate from the store's rows on purpose: a row carries what the
//! orchestrator needs (queues, retry times, the spec snapshot), a response carries what
//! a client may rely on, and the two evolve at different speeds.

use chrono::{DateTime, Utc};
use ferry_common::failure::Failure;
use ferry_store::{PipelineRow, RunRow, TaskRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A stored pipeline: its validated spec and when it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pipeline {
    pub id: Uuid,
    /// The spec's `name`; unique per tenant.
    pub name: String,
    /// The spec's `description`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The spec as stored after parsing: defaults filled in, `destination` shorthand
    /// written as `destinations`. Its schema is the `PipelineSpec` outline (a reference,
    /// so client generators make one model of it, not a second of the same name).
    #[schema(value_type = PipelineSpec)]
    pub spec: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Since when the pipeline is paused (its schedule slots are ledgered
    /// `missed_paused`); absent when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
}

impl From<PipelineRow> for Pipeline {
    fn from(row: PipelineRow) -> Self {
        let description = row
            .spec
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Pipeline {
            id: row.id,
            name: row.name,
            description,
            spec: row.spec,
            created_at: row.created_at,
            updated_at: row.updated_at,
            paused_at: row.paused_at,
        }
    }
}

/// The domain's states are the API's: their schema is derived on the type itself, so
/// a new state reaches clients without a mirror enum to keep in step.
pub use ferry_common::state::{RunState, TaskState};

/// What a person or client starting a run by hand may set: the run's logical time and
/// the values of the `{{ trigger.… }}` variables its spec uses (for a pipeline normally
/// started by a webhook or a file arrival, say, run once by hand).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"logical_time": "2026-12-01T00:00:00Z", "parameters": {"payload": {"day": "2026-12-01"}}}))]
pub struct RunRequest {
    /// The run's logical time (what `{{ logical_time }}` and `{{ logical_date }}` give);
    /// default: now.
    #[serde(default)]
    pub logical_time: Option<DateTime<Utc>>,
    /// Values for `{{ trigger.<name> }}` variables, as the trigger would have supplied
    /// them: `{"payload": {"day": "…"}}` gives `{{ trigger.payload.day }}`, `{"path":
    /// "…"}` gives `{{ trigger.path }}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<serde_json::Map<String, Value>>,
}

/// Progress of a run, summed over its tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RunProgress {
    /// Tasks planned so far (0 until the orchestrator has planned the run).
    pub tasks_total: u64,
    pub tasks_succeeded: u64,
    pub tasks_failed: u64,
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Bytes moved per second, averaged since the run started (to its end, once ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_sec: Option<u64>,
    /// Seconds until every byte known so far is moved at that rate; only while the run
    /// is running and has moved something. Totals grow while copies list, so early
    /// estimates are low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<u64>,
}

impl RunProgress {
    /// Adds the rate and the estimate, from when the run started until `now` (or its end).
    fn with_rate(mut self, row: &RunRow, now: DateTime<Utc>) -> Self {
        let Some(started) = row.started_at else { return self };
        let end = row.finished_at.unwrap_or(now);
        let secs = (end - started).num_milliseconds() as f64 / 1000.0;
        if secs <= 0.0 {
            return self;
        }
        let rate = self.bytes_done as f64 / secs;
        self.bytes_per_sec = Some(rate.round() as u64);
        if row.finished_at.is_none() && rate >= 1.0 {
            self.eta_seconds = Some((self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate).ceil() as u64);
        }
        self
    }
}

impl From<ferry_store::RunProgress> for RunProgress {
    fn from(p: ferry_store::RunProgress) -> Self {
        RunProgress {
            tasks_total: p.tasks_total,
            tasks_succeeded: p.tasks_succeeded,
            tasks_failed: p.tasks_failed,
            files_total: p.files_total,
            files_done: p.files_done,
            bytes_total: p.bytes_total,
            bytes_done: p.bytes_done,
            bytes_per_sec: None,
            eta_seconds: None,
        }
    }
}

/// One run of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Run {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub state: RunState,
    /// Whether a cancel was asked for; the orchestrator stops the run's tasks soon after.
    pub cancel_requested: bool,
    /// Why the run failed, when it failed for a reason of its own (e.g. planning); task
    /// failures are on the tasks.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: RunProgress,
    /// Why the run exists: manual, a schedule's slot, a backfill, a trigger.
    pub trigger: ferry_common::triggers::RunTrigger,
    /// Where the run's tasks, history and notifications are listed.
    pub links: RunLinks,
}

/// Related lists of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunLinks {
    /// `/api/v1/runs/{id}/tasks`.
    pub tasks: String,
    /// `/api/v1/runs/{id}/transitions`.
    pub transitions: String,
    /// `/api/v1/runs/{id}/dag.svg`: the DAG as a picture, tasks coloured by state.
    pub dag: String,
    /// `/api/v1/notifications?run={id}`: what was sent about this run, to whom, and how
    /// it went.
    pub notifications: String,
}

impl Run {
    /// A run row with its progress.
    pub fn new(row: RunRow, progress: RunProgress) -> Self {
        let progress = progress.with_rate(&row, Utc::now());
        Run {
            id: row.id,
            pipeline_id: row.pipeline_id,
            state: row.state,
            cancel_requested: row.cancel_requested,
            error: row.error,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            progress,
            trigger: row.trigger,
            links: RunLinks {
                tasks: format!("/api/v1/runs/{}/tasks", row.id),
                transitions: format!("/api/v1/runs/{}/transitions", row.id),
                dag: format!("/api/v1/runs/{}/dag.svg", row.id),
                notifications: format!("/api/v1/notifications?run={}", row.id),
            },
        }
    }
}

/// A task's counters are the ones workers report (`ferry_common::messages::Progress`).
pub use ferry_common::messages::Progress as TaskProgress;

/// One task of a run: a node of its DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub run_id: Uuid,
    /// The task's `id` in the spec.
    pub key: String,
    /// The task's `kind` in the spec (`copy`, `check`, `noop`, …).
    pub kind: String,
    pub state: TaskState,
    /// Attempts dispatched so far (0 before the first).
    pub attempt: u32,
    /// Keys of the tasks this one waits for.
    pub depends_on: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The last failure with its class (`retryable` or `permanent`) and attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// While `waiting`: the first condition that does not hold yet, and what was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    /// While `waiting`: when the task stops waiting (first check plus `wait.timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_deadline: Option<DateTime<Utc>>,
    /// Attempts lost to a dead worker (they do not spend retries).
    #[serde(default)]
    pub lost: u32,
    pub progress: TaskProgress,
    /// The executor's summary of a finished task (counts of files copied, skipped, …).
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// A copy's destinations, each with where its data stands there (sync ones are
    /// delivered with the task, async ones by their delivery records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<crate::dto_deliveries::TaskDestination>,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Self {
        Task {
            id: row.id,
            run_id: row.run_id,
            key: row.key,
            kind: row.kind,
            state: row.state,
            attempt: row.attempt,
            depends_on: row.depends_on,
            started_at: row.started_at,
            finished_at: row.finished_at,
            error: row.error,
            failure: row.failure,
            waiting_for: row.waiting_for,
            wait_deadline: row.wait_deadline,
            lost: row.lost,
            progress: TaskProgress {
                files_total: row.files_total,
                files_done: row.files_done,
                bytes_total: row.bytes_total,
                bytes_done: row.bytes_done,
                passes: None,
            },
            result: row.result,
            destinations: Vec::new(),
        }
    }
}

/// A page of pipelines, ordered by id (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PipelinePage {
    pub items: Vec<Pipeline>,
    /// Pass as `cursor` to get the next page; absent (null) on the last page.
    pub next_cursor: Option<String>,
}

/// A page of runs, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunPage {
    pub items: Vec<Run>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A page of tasks of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskPage {
    pub items: Vec<Task>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A worker that sent a heartbeat within its time to live: the domain type, whose schema
/// is derived on it.
pub use ferry_common::coordination::WorkerInfo as Worker;

/// The live workers (not paginated: a deployment has tens of workers, not thousands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WorkerList {
    pub items: Vec<Worker>,
}

/// Answer of `/healthz`: the process is up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: String,
}

/// Answer of `/readyz`: the process can serve requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    /// Always `ready` (an unready server answers `503` with a problem).
    #[schema(example = "ready")]
    pub status: String,
    /// The database backend, `sqlite` or `postgres`, when the role uses one.
    #[schema(example = "sqlite")]
    pub database: Option<String>,
    /// The broker, `in-process` or `rabbitmq`, when the role uses one.
    #[schema(example = "in-process")]
    pub broker: Option<String>,
    /// The coordinator, `in-process` or `redis`, when the role uses one.
    #[schema(example = "in-process")]
    pub coordinator: Option<String>,
    /// Each dependency with its state.
    pub dependencies: Vec<DependencyState>,
}

/// One server a role depends on, and whether it answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DependencyState {
    /// `database`, `broker` or `coordinator`.
    #[schema(example = "database")]
    pub name: &'static str,
    /// Which implementation: `sqlite`, `postgres`, `rabbitmq`, `redis`, `in-process`.
    #[schema(example = "postgres")]
    pub backend: String,
    /// Whether it answered.
    pub ready: bool,
    /// Why not, when it did not (kept out of the `503` problem, logged instead).
    #[serde(skip)]
    pub error: Option<String>,
}

/// A pipeline spec, as `POST`/`PUT /api/v1/pipelines` read it (JSON or YAML).
///
/// The outline is described here; the fields each task kind adds are in the `TaskBody`
/// schema (one variant per kind, chosen by `kind`). The server checks the whole document
/// and lists every problem it finds in a `422` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "mirror-landing",
    "description": "Mirror the landing folder to the lake, then check it.",
    "defaults": {"retries": {"max": 2, "backoff": "exponential", "initial": "2s"}, "timeout": "2h"},
    "tasks": [
        {"id": "mirror", "kind": "copy", "source": "s3://landing/2026-12-01/", "destination": "s3://lake/raw/",
         "include": ["**/*.csv"], "overwrite": "skip"},
        {"id": "verify", "kind": "check", "depends_on": ["mirror"], "source": "s3://landing/2026-12-01/",
         "target": "s3://lake/raw/", "mode": "size"}
    ]
}))]
pub struct PipelineSpec {
    /// Unique per tenant: 1 to 128 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub name: String,
    pub description: Option<String>,
    /// Retry policy (`retries: {max, backoff, initial, max_delay}`) and `timeout` every
    /// task inherits.
    #[schema(value_type = Option<Object>)]
    pub defaults: Option<Value>,
    /// When the pipeline recurs (one schedule; or give `schedules`).
    pub schedule: Option<ferry_common::schedule::ScheduleSpec>,
    /// When the pipeline recurs (several schedules).
    #[serde(default)]
    pub schedules: Vec<ferry_common::schedule::ScheduleSpec>,
    /// What else starts a run: arriving files, an upstream pipeline's run, a webhook.
    #[serde(default)]
    pub triggers: Vec<ferry_common::triggers::TriggerSpec>,
    /// The DAG's nodes; at least one.
    #[schema(min_items = 1)]
    pub tasks: Vec<TaskSpec>,
}

/// One task of a pipeline spec; the fields beyond these are its kind's (see `TaskBody`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskSpec {
    /// Unique within the pipeline: 1 to 128 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub id: String,
    /// One of the registered kinds; see `TaskBody` for each kind's fields.
    #[schema(value_type = String, pattern = r"^(copy|check|noop|delete|wait|migrate|sync|restore)$")]
    pub kind: String,
    /// Ids of tasks that must succeed first.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[cfg(test)]
mod rate_tests {
    use super::*;
    use ferry_common::state::RunState as StoreRunState;

    #[test]
    fn rate_and_eta_come_from_the_time_since_the_run_started() {
        let now = Utc::now();
        let mut row = RunRow {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            pipeline_id: Uuid::nil(),
            state: StoreRunState::Running,
            spec: serde_json::json!({}),
            cancel_requested: false,
            error: None,
            created_at: now,
            started_at: Some(now - chrono::Duration::seconds(10)),
            finished_at: None,
            trigger: ferry_common::triggers::RunTrigger::manual(now),
        };
        let p = RunProgress { bytes_total: 3000, bytes_done: 1000, ..RunProgress::default() };
        let live = p.with_rate(&row, now);
        assert_eq!((live.bytes_per_sec, live.eta_seconds), (Some(100), Some(20)));
        row.finished_at = Some(now - chrono::Duration::seconds(5));
        let ended = p.with_rate(&row, now);
        assert_eq!((ended.bytes_per_sec, ended.eta_seconds), (Some(200), None));
        row.started_at = None;
        assert_eq!(p.with_rate(&row, now), p);
    }
}
