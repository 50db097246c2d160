//! Firings that wait: buffered slots, cancel-previous slots, backfill slots, slots caught
//! up on resume. Each tick starts, per pipeline, the oldest one nothing is in the way of,
//! under the overlap policy it was recorded with.

use super::Waiting;
use super::policy::{self, OverlapAction};
use super::start::expand;
use ferry_common::triggers::{RunTrigger, TriggerKind};
use ferry_store::{FiringRow, NewRun, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// Settles what can be settled; the runs started, and the firings still waiting per
/// pipeline (new slots queue behind them).
pub(super) async fn settle_pending(store: &Store) -> Result<(usize, Waiting), StoreError> {
    let mut by_pipeline: Vec<(Uuid, Vec<FiringRow>)> = Vec::new();
    for row in store.pending_firings().await? {
        match by_pipeline.iter_mut().find(|(p, _)| *p == row.pipeline_id) {
            Some((_, rows)) => rows.push(row),
            None => by_pipeline.push((row.pipeline_id, vec![row])),
        }
    }
    let mut started = 0;
    let mut waiting = Waiting::new();
    for (pipeline_id, rows) in by_pipeline {
        let Some((pipeline, _)) = store.pipeline_by_id(pipeline_id).await? else {
            for row in rows {
                let done = FiringRow { pending: false, detail: Some("the pipeline was deleted".into()), ..row.clone() };
                store.settle_firing(&done, &row.outcome, None).await?;
            }
            continue;
        };
        let mut active = store.active_run_of(pipeline_id).await?;
        let mut ahead = 0;
        for row in rows {
            let overlap = policy::overlap_named(row.overlap.as_deref());
            match policy::decide(overlap, active, ahead) {
                OverlapAction::Start => {
                    let kind = if row.source == "backfill" { TriggerKind::Backfill } else { TriggerKind::Schedule };
                    let trigger = RunTrigger { kind, logical_time: row.slot, detail: Some(json!({"schedule": row.schedule_index})) };
                    let mut done = FiringRow { pending: false, ..row.clone() };
                    let spec = expand(&mut done, &pipeline.spec, &trigger);
                    let run = spec.as_ref().map(|spec| NewRun { spec, trigger: &trigger });
                    if let Some(settled) = store.settle_firing(&done, &row.outcome, run).await?
                        && settled.run_id.is_some()
                    {
                        active = settled.run_id;
                        started += 1;
                    }
                }
                OverlapAction::Skip => {
                    let detail = match active {
                        Some(run) => format!("run {run} was still going"),
                        None => format!("{ahead} earlier firing(s) were still waiting"),
                    };
                    let done = FiringRow { pending: false, outcome: "skipped_overlap".into(), detail: Some(detail), ..row.clone() };
                    store.settle_firing(&done, &row.outcome, None).await?;
                }
                OverlapAction::Buffer => {
                    // A backfill slot that meets a run is now buffered behind it.
                    if row.outcome == "started" {
                        let detail = active.map_or("waits for the firings before it".to_string(), |r| format!("waits for run {r}"));
                        let waits = FiringRow { outcome: "buffered".into(), detail: Some(detail), ..row.clone() };
                        store.settle_firing(&waits, &row.outcome, None).await?;
                    }
                    ahead += 1;
                }
                OverlapAction::CancelThenStart(run) => {
                    store.request_cancel(pipeline.tenant_id, run).await?;
                    ahead += 1;
                }
            }
        }
        waiting.insert(pipeline_id, ahead);
    }
    Ok((started, waiting))
}
