//! What the API shows of deliveries: each one as a record, and each copy task's
//! destinations with where their delivery stands.

use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use ferry_common::spec::CopyTask;
use ferry_common::state::TaskState;
use ferry_store::{DeliveryRow, TaskRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// One destination's delivery of one successful copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// The copy's `id` in the spec.
    pub task_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// The destination URL, as the spec wrote it.
    pub destination: String,
    /// `sync` (written by the task) or `async` (written afterwards by this delivery).
    pub mode: String,
    pub state: DeliveryState,
    /// The run's files and bytes it carries.
    pub files: u64,
    pub bytes: u64,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// While it is queued behind an earlier delivery of the same task to the same
    /// destination (incremental copies): that delivery's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<Uuid>,
    /// When a `retrying` or `pending` delivery is attempted next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When an async delivery stops retrying and fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_by: Option<DateTime<Utc>>,
    /// The run's logical time (what the dataset's marker records).
    pub logical_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The last attempt's counts; `changed` names files a later run had rewritten at the
    /// sync destination by then (their current version was delivered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Self {
        Delivery {
            id: d.id,
            pipeline_id: d.pipeline_id,
            run_id: d.run_id,
            task_id: d.task_id,
            task_key: d.task_key,
            dataset: d.dataset,
            destination: d.destination,
            mode: d.mode,
            state: d.state,
            files: d.files,
            bytes: d.bytes,
            attempts: d.attempts,
            last_error: d.last_error,
            blocked_by: d.blocked_by,
            next_attempt_at: d.next_attempt_at,
            deliver_by: d.deliver_by,
            logical_time: d.logical_time,
            created_at: d.created_at,
            started_at: d.started_at,
            finished_at: d.finished_at,
            result: d.result,
        }
    }
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// One destination of a copy task and where its data stands there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskDestination {
    pub url: String,
    /// `sync` or `async`.
    pub delivery: String,
    /// `delivered`, `pending`, `running`, `retrying`, `failed` or `cancelled`.
    pub state: DeliveryState,
    pub files: u64,
    pub bytes: u64,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The delivery record, once the task succeeded (`GET /api/v1/deliveries/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<Uuid>,
}

impl TaskDestination {
    /// The destinations of a copy task: from its delivery records when it has them, else
    /// from its spec and result (delivered when the task succeeded, pending before).
    pub fn of(task: &TaskRow, deliveries: &[&DeliveryRow]) -> Vec<TaskDestination> {
        if task.kind != "copy" {
            return Vec::new();
        }
        if !deliveries.is_empty() {
            return deliveries
                .iter()
                .map(|d| TaskDestination {
                    url: d.destination.clone(),
                    delivery: d.mode.clone(),
                    state: d.state,
                    files: d.files,
                    bytes: d.bytes,
                    attempts: d.attempts,
                    last_error: d.last_error.clone(),
                    delivery_id: Some(d.id),
                })
                .collect();
        }
        let Ok(copy) = serde_json::from_value::<CopyTask>(task.spec.clone()) else { return Vec::new() };
        let mut held = CopyTask::held_per_destination(task.result.as_ref()).into_iter();
        copy.destinations
            .iter()
            .map(|dest| {
                let done = task.state == TaskState::Succeeded && dest.is_sync();
                let (files, bytes) = if dest.is_sync() { held.next().unwrap_or_default() } else { (0, 0) };
                TaskDestination {
                    url: dest.location.url.clone(),
                    delivery: if dest.is_sync() { "sync" } else { "async" }.to_owned(),
                    state: if done { DeliveryState::Delivered } else { DeliveryState::Pending },
                    files,
                    bytes,
                    attempts: if dest.is_sync() { task.attempt } else { 0 },
                    last_error: None,
                    delivery_id: None,
                }
            })
            .collect()
    }
}
