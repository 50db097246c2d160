//! Deliveries: one row per destination of a copy that names a dataset, is incremental or
//! has async destinations, created in the step that commits the copy's success.
//!
//! A sync destination's row is `delivered` at once (the task wrote it), and moves its
//! dataset's freshness marker in the same transaction ([`outcome::marker_of`]). An async one's is
//! `pending`, with the `copy` its attempts run: from the task's first sync destination
//! (the source is read once), exactly the files the run wrote or confirmed there. The
//! leader claims due deliveries and publishes their attempts like tasks ([`dispatch`]);
//! their workers' events come back on the same queue and are applied here ([`outcome`]).

pub(crate) mod dispatch;
pub(crate) mod leader;
pub(crate) mod outcome;

use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use ferry_common::spec::{CopyTask, Destination, ListedFile, Overwrite};
use ferry_store::{DeliveryRow, WriteBatch};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The copies of `batch` that succeeded in it, each with its transition (when). A step
/// without a successful task costs one pass over its transitions.
fn succeeded_copies(batch: &WriteBatch) -> Vec<(&ferry_store::TransitionRow, &ferry_store::TaskRow)> {
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

/// The deliveries of `batch`'s successful copies; `run_of` gives a run's pipeline and
/// logical time.
pub(crate) fn created_by(batch: &WriteBatch, run_of: impl Fn(Uuid) -> Option<(Uuid, DateTime<Utc>)>) -> Vec<DeliveryRow> {
    let mut out = Vec::new();
    for (tr, task) in succeeded_copies(batch) {
        let Ok(copy) = serde_json::from_value::<CopyTask>(task.spec.clone()) else { continue };
        if copy.dataset.is_none() && !copy.incremental && !copy.has_async() {
            continue;
        }
        let Some((pipeline_id, logical_time)) = run_of(task.run_id) else { continue };
        out.extend(rows_for(task, &copy, pipeline_id, logical_time, tr.at));
    }
    out
}

/// One row per destination of one successful copy.
fn rows_for(task: &ferry_store::TaskRow, copy: &CopyTask, pipeline_id: Uuid, logical_time: DateTime<Utc>, at: DateTime<Utc>) -> Vec<DeliveryRow> {
    let files = run_files(task.report.as_ref());
    let listed = files.iter().flatten();
    let (n_files, n_bytes) = (listed.clone().count() as u64, listed.filter_map(|f| f.size).sum::<u64>());
    let mut held = CopyTask::held_per_destination(task.result.as_ref()).into_iter();
    let mut out = Vec::new();
    for dest in &copy.destinations {
        let mut row = DeliveryRow {
            id: Uuid::now_v7(),
            tenant_id: task.tenant_id,
            pipeline_id,
            run_id: task.run_id,
            task_id: task.id,
            task_key: task.key.clone(),
            dataset: copy.dataset.clone(),
            destination: dest.location.url.clone(),
            mode: if dest.is_sync() { "sync" } else { "async" }.to_owned(),
            state: DeliveryState::Delivered,
            body: None,
            queue: task.queue.clone(),
            files: n_files,
            bytes: n_bytes,
            result: None,
            attempts: 0,
            last_error: None,
            blocked_by: None,
            incremental: copy.incremental,
            logical_time,
            deliver_by: None,
            next_attempt_at: None,
            created_at: at,
            started_at: None,
            finished_at: Some(at),
        };
        if dest.is_sync() {
            if let Some((files, bytes)) = held.next() {
                (row.files, row.bytes) = (files, bytes);
            }
        } else {
            let window = chrono::Duration::from_std(dest.retry_window().0).unwrap_or(chrono::Duration::MAX);
            row.state = DeliveryState::Pending;
            row.body = serde_json::to_value(attempt_body(copy, dest, files.clone())).ok();
            row.deliver_by = at.checked_add_signed(window);
            row.next_attempt_at = Some(at);
            row.finished_at = None;
        }
        out.push(row);
    }
    out
}

/// What an async delivery's attempts run: a copy from the first sync destination to this
/// one, of exactly the run's files, keeping a file already there unless the one at the
/// sync destination is newer or of another size (a resumed delivery skips what it wrote).
/// Without a recorded list (a worker that kept none) it copies the whole folder.
fn attempt_body(copy: &CopyTask, dest: &Destination, files: Option<Vec<ListedFile>>) -> CopyTask {
    let from = copy.first_sync().cloned().expect("validation refuses a copy without a sync destination");
    let mut body = CopyTask::between(from, vec![Destination::sync(dest.location.clone())]);
    body.files = files;
    body.overwrite = Overwrite::Newer;
    body.verify = copy.verify;
    body.bandwidth = copy.bandwidth;
    body.shard_files = copy.shard_files;
    body.shard_bytes = copy.shard_bytes;
    body.incremental = copy.incremental;
    body.ordering = copy.ordering;
    body
}

/// The files a copy's report lists (what it wrote or confirmed at its sync
/// destinations); an empty list is kept: that run delivers nothing new.
fn run_files(report: Option<&Value>) -> Option<Vec<ListedFile>> {
    report.and_then(|r| r.get("files")).and_then(|f| serde_json::from_value(f.clone()).ok())
}

#[cfg(test)]
mod tests;
