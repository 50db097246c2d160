//! Mapping between the private sea-orm models and the public row types.
//!
//! Database columns are signed (neither backend has a portable unsigned 64-bit type) and
//! states are stored by name, so reading a row can fail: a negative counter or an unknown
//! state name means the row was not written by this build, reported as
//! [`StoreError::Corrupt`] rather than guessed at.

use crate::entities::{pipelines, runs, tasks, transitions};
use crate::{PipelineRow, RunRow, StoreError, TaskRow, TransitionRow};
use ferry_common::state::{RunState, TaskState};
use ferry_common::triggers::{RunTrigger, TriggerKind};
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value;
use std::str::FromStr;
use uuid::Uuid;

impl From<pipelines::Model> for PipelineRow {
    fn from(m: pipelines::Model) -> Self {
        PipelineRow {
            id: m.id,
            tenant_id: m.tenant_id,
            name: m.name,
            spec: m.spec,
            created_at: m.created_at,
            updated_at: m.updated_at,
            paused_at: m.paused_at,
        }
    }
}

impl TryFrom<runs::Model> for RunRow {
    type Error = StoreError;
    fn try_from(m: runs::Model) -> Result<Self, StoreError> {
        Ok(RunRow {
            state: parse_state::<RunState>("run", m.id, &m.state)?,
            id: m.id,
            tenant_id: m.tenant_id,
            pipeline_id: m.pipeline_id,
            spec: m.spec,
            cancel_requested: m.cancel_requested,
            error: m.error,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            trigger: RunTrigger {
                kind: TriggerKind::parse(&m.trigger_kind).ok_or_else(|| {
                    StoreError::Corrupt(format!("run {} has unknown trigger kind `{}`", m.id, m.trigger_kind))
                })?,
                logical_time: m.logical_time.unwrap_or(m.created_at),
                detail: m.trigger_detail,
            },
        })
    }
}

impl From<&RunRow> for runs::Model {
    fn from(r: &RunRow) -> Self {
        runs::Model {
            id: r.id,
            tenant_id: r.tenant_id,
            pipeline_id: r.pipeline_id,
            state: r.state.as_str().to_owned(),
            spec: r.spec.clone(),
            cancel_requested: r.cancel_requested,
            error: r.error.clone(),
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            trigger_kind: r.trigger.kind.as_str().to_owned(),
            logical_time: Some(r.trigger.logical_time),
            trigger_detail: r.trigger.detail.clone(),
        }
    }
}

impl TryFrom<tasks::Model> for TaskRow {
    type Error = StoreError;
    fn try_from(m: tasks::Model) -> Result<Self, StoreError> {
        let id = m.id;
        let depends_on: Vec<String> = serde_json::from_value(m.depends_on)
            .map_err(|e| StoreError::Corrupt(format!("task {id}: depends_on is not a list of keys: {e}")))?;
        Ok(TaskRow {
            state: parse_state::<TaskState>("task", id, &m.state)?,
            attempt: unsigned(id, "attempt", m.attempt)?,
            files_total: unsigned(id, "files_total", m.files_total)?,
            files_done: unsigned(id, "files_done", m.files_done)?,
            bytes_total: unsigned(id, "bytes_total", m.bytes_total)?,
            bytes_done: unsigned(id, "bytes_done", m.bytes_done)?,
            depends_on,
            id,
            tenant_id: m.tenant_id,
            run_id: m.run_id,
            key: m.key,
            kind: m.kind,
            spec: m.spec,
            queue: m.queue,
            error: m.error,
            result: m.result,
            report: m.report,
            retry_at: m.retry_at,
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            updated_at: m.updated_at,
            waiting_for: m.waiting_for,
            wait_deadline: m.wait_deadline,
            lost: unsigned(id, "lost", m.lost)?,
            failure: match m.failure {
                None | Some(Value::Null) => None,
                Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                    StoreError::Corrupt(format!("task {id}: failure is not {{class, message, attempt}}: {e}"))
                })?),
            },
        })
    }
}

impl From<&TaskRow> for tasks::Model {
    fn from(t: &TaskRow) -> Self {
        tasks::Model {
            id: t.id,
            tenant_id: t.tenant_id,
            run_id: t.run_id,
            key: t.key.clone(),
            kind: t.kind.clone(),
            state: t.state.as_str().to_owned(),
            attempt: signed(t.attempt),
            depends_on: Value::from(t.depends_on.clone()),
            spec: t.spec.clone(),
            queue: t.queue.clone(),
            error: t.error.clone(),
            result: t.result.clone(),
            report: t.report.clone(),
            files_total: signed(t.files_total),
            files_done: signed(t.files_done),
            bytes_total: signed(t.bytes_total),
            bytes_done: signed(t.bytes_done),
            retry_at: t.retry_at,
            created_at: t.created_at,
            started_at: t.started_at,
            finished_at: t.finished_at,
            updated_at: t.updated_at,
            waiting_for: t.waiting_for.clone(),
            wait_deadline: t.wait_deadline,
            lost: signed(t.lost),
            failure: t.failure.as_ref().and_then(|f| serde_json::to_value(f).ok()),
        }
    }
}

impl From<transitions::Model> for TransitionRow {
    fn from(m: transitions::Model) -> Self {
        TransitionRow {
            tenant_id: m.tenant_id,
            run_id: m.run_id,
            task_id: m.task_id,
            from_state: m.from_state,
            to_state: m.to_state,
            cause: m.cause,
            at: m.at,
        }
    }
}

impl From<&TransitionRow> for transitions::ActiveModel {
    /// Leaves `id` unset: the database numbers transitions, which is what orders them.
    fn from(t: &TransitionRow) -> Self {
        transitions::ActiveModel {
            id: NotSet,
            tenant_id: Set(t.tenant_id),
            run_id: Set(t.run_id),
            task_id: Set(t.task_id),
            from_state: Set(t.from_state.clone()),
            to_state: Set(t.to_state.clone()),
            cause: Set(t.cause.clone()),
            at: Set(t.at),
        }
    }
}

/// Decodes a stored state name.
pub(crate) fn parse_state<S: FromStr>(entity: &str, id: Uuid, name: &str) -> Result<S, StoreError> {
    name.parse()
        .map_err(|_| StoreError::Corrupt(format!("{entity} {id}: unknown state `{name}`")))
}

/// Reads a signed column back into the unsigned field it came from.
fn unsigned<I, U>(id: Uuid, column: &str, value: I) -> Result<U, StoreError>
where
    I: Copy + std::fmt::Display,
    U: TryFrom<I>,
{
    U::try_from(value).map_err(|_| StoreError::Corrupt(format!("task {id}: negative {column} ({value})")))
}

/// Stores an unsigned counter in a signed column, saturating: a counter past `i64::MAX`
/// (9.2 EB, or 2^31 attempts) cannot happen in practice and is not worth a failed write.
fn signed<U, I>(value: U) -> I
where
    I: TryFrom<U> + Bounded,
{
    I::try_from(value).unwrap_or(I::MAX)
}

/// The largest value of a column's integer type, for [`signed`].
trait Bounded {
    const MAX: Self;
}

impl Bounded for i32 {
    const MAX: Self = i32::MAX;
}

impl Bounded for i64 {
    const MAX: Self = i64::MAX;
}
