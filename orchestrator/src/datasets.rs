//! Freshness markers a step moves: every copy naming a `dataset` that succeeds in the
//! batch marks that dataset delivered at each of its destinations, in the same
//! transaction as its success (a marker never runs ahead of the data it announces).

use chrono::{DateTime, Utc};
use ferry_store::{DatasetMarkerRow, WriteBatch};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The copies of `batch` that succeeded in it, each with its transition (when). A step
/// without a successful task costs one pass over its transitions.
pub(crate) fn succeeded_copies(batch: &WriteBatch) -> Vec<(&ferry_store::TransitionRow, &ferry_store::TaskRow)> {
    let succeeded = |tr: &ferry_store::TransitionRow| tr.task_id.is_some() && tr.to_state == "succeeded";
    if !batch.transitions.iter().any(succeeded) {
        return Vec::new();
    }
    let tasks: HashMap<Uuid, &ferry_store::TaskRow> = batch.tasks.iter().map(|t| (t.id, t)).collect();
    batch
        .transitions
        .iter()
        .filter(|tr| succeeded(tr))
        .filter_map(|tr| tasks.get(&tr.task_id?).map(|t| (tr, *t)))
        .filter(|(_, t)| t.kind == "copy")
        .collect()
}

/// The markers of `batch`'s successful copies at their sync destinations; `run_of`
/// gives a run's pipeline and logical time.
pub(crate) fn markers_of(batch: &WriteBatch, run_of: impl Fn(Uuid) -> Option<(Uuid, DateTime<Utc>)>) -> Vec<DatasetMarkerRow> {
    let mut out = Vec::new();
    for (tr, task) in succeeded_copies(batch) {
        let Some(dataset) = task.spec.get("dataset").and_then(Value::as_str) else { continue };
        let Some((pipeline_id, logical_time)) = run_of(task.run_id) else { continue };
        for destination in destinations(&task.spec) {
            out.push(DatasetMarkerRow {
                tenant_id: task.tenant_id,
                dataset: dataset.to_owned(),
                destination,
                delivered_at: tr.at,
                pipeline_id,
                run_id: task.run_id,
                task_id: task.id,
                logical_time,
                position: None,
            });
        }
    }
    out
}

/// The sync destination URLs of a stored copy spec (`"url"` or `{url, connection}` each);
/// an async one's marker moves when its delivery completes.
fn destinations(spec: &Value) -> Vec<String> {
    spec.get("destinations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d.get("delivery").and_then(Value::as_str) != Some("async"))
        .filter_map(|d| d.as_str().or_else(|| d.get("url").and_then(Value::as_str)))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_store::TransitionRow;
    use serde_json::json;

    #[test]
    fn only_succeeded_copies_naming_a_dataset_move_markers() {
        let spec = ferry_common::spec::parse_value(json!({"name": "p", "tasks": [
            {"id": "a", "kind": "copy", "dataset": "orders", "source": "/in/", "destinations": ["/lake/", "/mirror/"]},
            {"id": "b", "kind": "copy", "source": "/in/", "destination": "/other/"},
            {"id": "c", "kind": "copy", "dataset": "orders", "source": "/in/", "destination": "/failed/"},
        ]}))
        .unwrap();
        let run = crate::planner::test_run_row(&spec);
        let tasks = crate::planner::plan(&run, &spec, Utc::now());
        let tr = |i: usize, to: &str| TransitionRow { tenant_id: run.tenant_id, run_id: run.id, task_id: Some(tasks[i].id), from_state: None, to_state: to.into(), cause: String::new(), at: Utc::now() };
        let batch = WriteBatch { transitions: vec![tr(0, "succeeded"), tr(1, "succeeded"), tr(2, "failed")], tasks: tasks.clone(), ..WriteBatch::default() };
        let logical = run.trigger.logical_time;
        let markers = markers_of(&batch, |_| Some((run.pipeline_id, logical)));
        let at: Vec<(&str, &str)> = markers.iter().map(|m| (m.dataset.as_str(), m.destination.as_str())).collect();
        assert_eq!(at, vec![("orders", "/lake/"), ("orders", "/mirror/")]);
        assert!(markers.iter().all(|m| m.task_id == tasks[0].id && m.logical_time == logical && m.run_id == run.id));
        let quiet = WriteBatch { transitions: vec![tr(0, "running")], tasks, ..WriteBatch::default() };
        assert!(markers_of(&quiet, |_| None).is_empty());
    }

    #[test]
    fn both_forms_of_a_destination_give_its_url() {
        let spec = json!({"destinations": ["/lake/a/", {"url": "s3://b/a/", "connection": "b"}]});
        assert_eq!(destinations(&spec), vec!["/lake/a/", "s3://b/a/"]);
    }
}
