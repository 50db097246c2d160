//! Spec → task DAG. Pure: no I/O, so planning is tested without a database.

use chrono::{DateTime, Utc};
use ferry_common::messages::DEFAULT_QUEUE;
use ferry_common::spec::{self, PipelineSpec, SpecProblem, ValidationContext};
use ferry_common::state::TaskState;
use ferry_store::{RunRow, TaskRow};
use uuid::Uuid;

/// Reads the spec snapshot stored on a run and checks it again: the code that runs it
/// may be newer than the code that accepted it.
pub fn spec_of(run: &RunRow, ctx: &ValidationContext) -> Result<PipelineSpec, Vec<SpecProblem>> {
    let spec = spec::parse_value(run.spec.clone())?;
    spec::validate(&spec, ctx)?;
    Ok(spec)
}

/// One `pending` task row per spec task, in spec order, ids in creation order. Each row's
/// `depends_on` holds the explicit and the inferred dependencies.
pub fn plan(run: &RunRow, spec: &PipelineSpec, now: DateTime<Utc>) -> Vec<TaskRow> {
    spec.tasks
        .iter()
        .zip(spec.dependencies())
        .map(|(t, depends_on)| TaskRow {
            id: Uuid::now_v7(),
            tenant_id: run.tenant_id,
            run_id: run.id,
            key: t.id.clone(),
            kind: t.body.kind().to_string(),
            state: TaskState::Pending,
            attempt: 0,
            depends_on,
            spec: serde_json::to_value(t).unwrap_or(serde_json::Value::Null),
            queue: DEFAULT_QUEUE.to_string(),
            error: None,
            result: None,
            report: None,
            files_total: 0,
            files_done: 0,
            bytes_total: 0,
            bytes_done: 0,
            retry_at: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            updated_at: now,
            waiting_for: None,
            wait_deadline: None,
            lost: 0,
            failure: None,
        })
        .collect()
}

/// A queued manual run of `spec`, for the crate's tests.
#[cfg(test)]
pub(crate) fn test_run_row(spec: &ferry_common::spec::PipelineSpec) -> RunRow {
    RunRow {
        id: Uuid::now_v7(),
        tenant_id: ferry_store::DEFAULT_TENANT,
        pipeline_id: Uuid::now_v7(),
        state: ferry_common::state::RunState::Queued,
        spec: serde_json::to_value(spec).unwrap(),
        cancel_requested: false,
        error: None,
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
        trigger: ferry_common::triggers::RunTrigger::manual(chrono::Utc::now()),
    }
}
