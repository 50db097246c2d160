//! Row types of deliveries, as the orchestrator writes them and the API reads them.

use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use serde_json::Value;
use uuid::Uuid;

/// One destination's delivery of one successful copy.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub pipeline_id: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// The spec's task id: deliveries of the same task to the same destination are
    /// ordered when the copy is incremental.
    pub task_key: String,
    pub dataset: Option<String>,
    /// The destination URL as the spec wrote it.
    pub destination: String,
    /// `sync` or `async`.
    pub mode: String,
    pub state: DeliveryState,
    /// For an async delivery: the `copy` body its attempts run (from the first sync
    /// destination, with the run's files).
    pub body: Option<Value>,
    /// The worker queue its attempts go to (the task's).
    pub queue: String,
    /// The run's files and bytes this delivery carries.
    pub files: u64,
    pub bytes: u64,
    /// The last attempt's result (files copied and kept, files found rewritten).
    pub result: Option<Value>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The earlier delivery this one is queued behind, while it is.
    pub blocked_by: Option<Uuid>,
    pub incremental: bool,
    /// The run's logical time, for the freshness marker it moves.
    pub logical_time: DateTime<Utc>,
    /// When an async delivery stops retrying and fails.
    pub deliver_by: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A change to a stored delivery, applied only if the row is still as the writer read
/// it: in `expected` at the same attempt (the API may have cancelled it meanwhile).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryChange {
    pub expected: DeliveryState,
    pub row: DeliveryRow,
    /// The freshness marker the change moves, written only if the change is.
    pub marker: Option<crate::DatasetMarkerRow>,
    /// The event the change raises, written only if the change is.
    pub event: Option<crate::NewEvent>,
}

impl DeliveryChange {
    /// `row` as it should become, from `expected`, with nothing that follows yet.
    pub fn new(expected: DeliveryState, row: DeliveryRow) -> Self {
        Self { expected, row, marker: None, event: None }
    }
}

/// Filters of a deliveries listing.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub dataset: Option<String>,
    pub destination: Option<String>,
    pub state: Option<DeliveryState>,
    pub task_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
}
