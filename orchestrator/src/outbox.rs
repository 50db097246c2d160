//! The outbox side of a step: which of its transitions people may want to hear about,
//! as events committed in the same transaction as the transitions (so a crash cannot
//! lose an alert for a change that was stored, nor send one for a change that was not).
//!
//! A lost attempt's event carries the key `task.lost:<task>:<attempt>`, the same key the
//! notifier's own detector uses when it sees the loss first (no orchestrator leading):
//! whichever writes first, the event exists once.

use crate::active_run::lost_attempt_of;
use ferry_common::notify::{EventKind, lost_attempt_key as lost_key};
use ferry_store::{NewEvent, WriteBatch};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Whether a transition raises an event (most do not: a task queued, running, done).
fn notable(tr: &ferry_store::TransitionRow) -> bool {
    match tr.task_id {
        None => matches!(tr.to_state.as_str(), "running" | "succeeded" | "failed" | "cancelled"),
        Some(_) => matches!(tr.to_state.as_str(), "failed" | "retrying"),
    }
}

/// Events for the notable transitions of `batch`; `pipeline_of` names a run's pipeline.
/// A step with none (most of them) costs one pass over its transitions.
pub(crate) fn events_of(batch: &WriteBatch, pipeline_of: impl Fn(Uuid) -> Option<Uuid>) -> Vec<NewEvent> {
    if !batch.transitions.iter().any(notable) {
        return Vec::new();
    }
    let tasks: HashMap<Uuid, &ferry_store::TaskRow> = batch.tasks.iter().map(|t| (t.id, t)).collect();
    let runs: HashMap<Uuid, &ferry_store::RunRow> = batch.runs.iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::new();
    for tr in batch.transitions.iter().filter(|t| notable(t)) {
        let Some(pipeline) = pipeline_of(tr.run_id) else { continue };
        let event = |kind: EventKind, detail: serde_json::Value| NewEvent::about_run(kind, tr.tenant_id, pipeline, tr.run_id, tr.at, detail);
        match tr.task_id {
            None => {
                let kind = match tr.to_state.as_str() {
                    "running" => EventKind::RunStarted,
                    "succeeded" => EventKind::RunSucceeded,
                    "failed" => EventKind::RunFailed,
                    "cancelled" => EventKind::RunCancelled,
                    _ => continue,
                };
                let error = runs.get(&tr.run_id).and_then(|r| r.error.clone());
                out.push(event(kind, json!({"state": tr.to_state, "cause": tr.cause, "error": error})));
            }
            Some(task_id) => {
                let row = tasks.get(&task_id);
                let detail = |attempt: Option<u32>| {
                    json!({
                        "task": row.map(|t| t.key.clone()),
                        "state": tr.to_state,
                        "attempt": attempt.or(row.map(|t| t.attempt)),
                        "cause": tr.cause,
                        "error": row.and_then(|t| t.error.clone()),
                    })
                };
                let lost = lost_attempt_of(&tr.cause);
                if let Some(attempt) = lost {
                    let mut e = event(EventKind::TaskLost, detail(Some(attempt)));
                    e.task_id = Some(task_id);
                    e.dedup_key = Some(lost_key(task_id, attempt));
                    out.push(e);
                }
                let kind = match tr.to_state.as_str() {
                    "failed" => EventKind::TaskFailed,
                    "retrying" if lost.is_none() => EventKind::TaskRetrying,
                    _ => continue,
                };
                let mut e = event(kind, detail(None));
                e.task_id = Some(task_id);
                out.push(e);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use ferry_store::TransitionRow;

    fn tr(task: Option<Uuid>, to: &str, cause: &str) -> TransitionRow {
        TransitionRow { tenant_id: Uuid::nil(), run_id: Uuid::from_u128(1), task_id: task, from_state: None, to_state: to.into(), cause: cause.into(), at: Utc::now() }
    }

    #[test]
    fn notable_transitions_become_events_and_a_lost_attempt_is_keyed() {
        let task = Uuid::from_u128(2);
        let batch = WriteBatch {
            transitions: vec![
                tr(None, "running", "planned"),
                tr(Some(task), "queued", "ready"),
                tr(Some(task), "retrying", "attempt 3 lost (1 of 3 allowed): worker lost"),
                tr(Some(task), "retrying", "attempt 4 failed: boom; retry in 2s"),
                tr(Some(task), "failed", "attempt 5 lost 3 times: worker lost"),
                tr(None, "failed", "a task failed"),
                tr(Some(Uuid::from_u128(9)), "failed", "of a run not in this map"),
            ],
            ..WriteBatch::default()
        };
        let mut pipelines = HashMap::new();
        pipelines.insert(Uuid::from_u128(1), Uuid::from_u128(7));
        let events = events_of(&batch, |run| pipelines.get(&run).copied());
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["run.started", "task.lost", "task.retrying", "task.lost", "task.failed", "run.failed", "task.failed"]);
        assert_eq!(events[1].dedup_key.as_deref(), Some(lost_key(task, 3).as_str()));
        assert_eq!(events[3].dedup_key.as_deref(), Some(lost_key(task, 5).as_str()));
        assert!(events.iter().all(|e| e.pipeline_id == Some(Uuid::from_u128(7))));
    }
}
