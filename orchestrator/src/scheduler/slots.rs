//! A pipeline's schedules on one tick: the due slots, each decided by pause, catch-up,
//! overlap and window, and recorded.

use super::SlotCache;
use super::policy::{self, OverlapAction, SlotPlan};
use super::start::{Batch, slot_key};
use chrono::{DateTime, Duration, Utc};
use ferry_common::schedule::CompiledSchedule;
use ferry_common::spec::PipelineSpec;
use ferry_common::triggers::{RunTrigger, TriggerKind};
use ferry_store::{FiringRow, PipelineRow, Store, StoreError};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Adds the due slots of every schedule of `pipeline` to `batch`; when its next slot
/// is due. `waiting` counts the pipeline's firings buffered ahead,
/// and grows with new ones.
pub(super) async fn fire_schedules(
    store: &Store,
    cache: &Arc<Mutex<SlotCache>>,
    pipeline: &PipelineRow,
    spec: &PipelineSpec,
    now: DateTime<Utc>,
    waiting: &mut usize,
    batch: &mut Batch,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut next_due: Option<DateTime<Utc>> = None;
    let mut active = None;
    let mut looked = false;
    for (index, (_, schedule)) in spec.all_schedules().into_iter().enumerate() {
        let Ok(compiled) = schedule.compile() else { continue };
        let index = index as u32;
        let cached = cache.lock().await.last.get(&(pipeline.id, index)).copied();
        let last = match cached {
            Some(at) => Some(at),
            None => store.last_slot(pipeline.id, "schedule", index).await?,
        };
        // A new, newly scheduled or replaced pipeline counts from when it was stored.
        let from = last.map_or(pipeline.updated_at, |l| l.max(pipeline.updated_at));
        record_outside_window(store, cache, pipeline, index, &compiled, from, now).await?;
        let jitter = schedule.jitter.map(|j| j.0).unwrap_or_default();
        let due: Vec<DateTime<Utc>> = compiled
            .slots_between(from, now)
            .into_iter()
            .take_while(|slot| *slot + policy::delay(pipeline.id, *slot, jitter) <= now)
            .collect();
        let after = due.last().copied().unwrap_or(from);
        if let Some(next) = compiled.next_after(after) {
            let at = next + policy::delay(pipeline.id, next, jitter);
            next_due = Some(next_due.map_or(at, |n| n.min(at)));
        }
        if due.is_empty() {
            continue;
        }
        if pipeline.paused_at.is_some() {
            for slot in due {
                let mut row = FiringRow::new(pipeline, "schedule", index, slot, slot_key(index, slot), "missed_paused");
                row.detail = Some("the pipeline is paused; its catch-up policy decides on resume".into());
                batch.record(row);
            }
            batch.last_slots.push(((pipeline.id, index), after));
            continue;
        }
        // A slot waiting out its jitter is not late.
        let seen = now - Duration::from_std(jitter).unwrap_or_default();
        // `allow` never looks at what is running.
        if !looked && schedule.overlap != ferry_common::schedule::Overlap::Allow {
            active = store.active_run_of(pipeline.id).await?;
            looked = true;
        }
        for (slot, decision) in policy::plan(&due, seen, schedule.catchup) {
            let mut row = FiringRow::new(pipeline, "schedule", index, slot, slot_key(index, slot), "missed_down");
            let SlotPlan::Fire(outcome) = decision else {
                row.detail = Some("Ferry was not running at the slot; `catchup` did not pick it".into());
                batch.record(row);
                continue;
            };
            row.outcome = outcome.into();
            match policy::decide(schedule.overlap, active, *waiting) {
                OverlapAction::Start => {
                    let trigger = RunTrigger { kind: TriggerKind::Schedule, logical_time: slot, detail: Some(json!({"schedule": index})) };
                    if let Some(run) = batch.record_with_run(row, &pipeline.spec, &trigger) {
                        active = Some(run);
                    }
                }
                OverlapAction::Skip => {
                    row.outcome = "skipped_overlap".into();
                    row.detail = Some(match active {
                        Some(run) => format!("run {run} was still going"),
                        None => format!("{} earlier firing(s) were still waiting", *waiting),
                    });
                    batch.record(row);
                }
                action @ (OverlapAction::Buffer | OverlapAction::CancelThenStart(_)) => {
                    if let OverlapAction::CancelThenStart(run) = action {
                        store.request_cancel(pipeline.tenant_id, run).await?;
                        row.detail = Some(format!("cancelled run {run}; starts when it has stopped"));
                    } else {
                        row.outcome = "buffered".into();
                        row.detail = Some(match active {
                            Some(run) => format!("waits for run {run}"),
                            None => "waits for the firings buffered before it".into(),
                        });
                    }
                    row.pending = true;
                    row.overlap = Some(schedule.overlap.as_str().into());
                    batch.record(row);
                    *waiting += 1;
                }
            }
        }
        // Every due slot is recorded (or already was): the next round starts after them.
        batch.last_slots.push(((pipeline.id, index), after));
    }
    Ok(next_due)
}

/// Records, once per window edge, the first slot the window keeps out: the ledger then
/// says why a schedule is silent before `start_at` or after `end_at`.
async fn record_outside_window(store: &Store, cache: &Arc<Mutex<SlotCache>>, pipeline: &PipelineRow, index: u32, compiled: &CompiledSchedule, from: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), StoreError> {
    let raw = compiled.without_window();
    let edges = [
        compiled.start_at().filter(|s| *s > now).map(|s| ("before", s, from)),
        compiled.end_at().filter(|e| *e <= now).map(|e| ("after", e, from.max(e - Duration::seconds(1)))),
    ];
    for (side, edge, after) in edges.into_iter().flatten() {
        let Some(slot) = raw.next_after(after).filter(|s| *s <= now) else { continue };
        let key = format!("s{index}@{side}:{}", edge.timestamp());
        // Recorded once per edge; the cache spares the refused insert every round.
        if cache.lock().await.edges.contains(&(pipeline.id, key.clone())) {
            continue;
        }
        let mut row = FiringRow::new(pipeline, "schedule_window", index, slot, key, "outside_window");
        row.detail = Some(match side {
            "before" => format!("the schedule's window opens at {edge}"),
            _ => format!("the schedule's window closed at {edge}"),
        });
        store.record_firing(&row, None).await?;
        cache.lock().await.edges.insert((pipeline.id, row.dedup_key));
    }
    Ok(())
}
