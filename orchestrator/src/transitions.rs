//! Every state change of a run or a task goes through this module: checked against the
//! state machine, stamped, and recorded with its cause. Nothing else assigns `.state`.

use chrono::{DateTime, Utc};
use ferry_common::CommonError;
use ferry_common::state::{RunState, TaskState};
use ferry_store::{RunRow, TaskRow, TransitionRow};

/// Moves a task to `to` if the state machine allows it, recording the change.
pub fn move_task(
    task: &mut TaskRow,
    to: TaskState,
    cause: &str,
    now: DateTime<Utc>,
    log: &mut Vec<TransitionRow>,
) -> Result<TaskState, CommonError> {
    let from = task.state;
    from.transition(to)?;
    task.state = to;
    task.updated_at = now;
    match to {
        TaskState::Running => task.started_at = Some(now),
        TaskState::Queued => task.retry_at = None,
        s if s.is_terminal() => task.finished_at = Some(now),
        _ => {}
    }
    log.push(TransitionRow {
        tenant_id: task.tenant_id,
        run_id: task.run_id,
        task_id: Some(task.id),
        from_state: Some(from.as_str().to_string()),
        to_state: to.as_str().to_string(),
        cause: cause.to_string(),
        at: now,
    });
    Ok(from)
}

/// Moves a run to `to` if the state machine allows it, recording the change.
pub fn move_run(
    run: &mut RunRow,
    to: RunState,
    cause: &str,
    now: DateTime<Utc>,
    log: &mut Vec<TransitionRow>,
) -> Result<RunState, CommonError> {
    let from = run.state;
    from.transition(to)?;
    run.state = to;
    match to {
        RunState::Running => run.started_at = Some(now),
        s if s.is_terminal() => run.finished_at = Some(now),
        _ => {}
    }
    log.push(TransitionRow {
        tenant_id: run.tenant_id,
        run_id: run.id,
        task_id: None,
        from_state: Some(from.as_str().to_string()),
        to_state: to.as_str().to_string(),
        cause: cause.to_string(),
        at: now,
    });
    Ok(from)
}

/// Records that a task row was created in its first state.
pub fn created(task: &TaskRow, cause: &str, log: &mut Vec<TransitionRow>) {
    log.push(TransitionRow {
        tenant_id: task.tenant_id,
        run_id: task.run_id,
        task_id: Some(task.id),
        from_state: None,
        to_state: task.state.as_str().to_string(),
        cause: cause.to_string(),
        at: task.created_at,
    });
}
