//! Recording firings: their ledger rows, and their runs with the spec expanded for each.

use chrono::{DateTime, Utc};
use ferry_common::triggers::RunTrigger;
use ferry_store::{FiringRow, PipelineRow, Store, StoreError};
use uuid::Uuid;

/// The dedup key of a schedule's slot.
pub(crate) fn slot_key(index: u32, slot: DateTime<Utc>) -> String {
    format!("s{index}@{}", slot.timestamp_micros())
}

/// `spec` expanded for `trigger`; when it cannot be, `row` becomes `invalid` with the
/// reason and there is no run.
pub(crate) fn expand(row: &mut FiringRow, spec: &serde_json::Value, trigger: &RunTrigger) -> Option<serde_json::Value> {
    match ferry_common::template::render_for_run(spec, trigger) {
        Ok(expanded) => Some(expanded),
        Err(e) => {
            row.outcome = "invalid".into();
            row.detail = Some(e.to_string());
            None
        }
    }
}

/// Records `row` with a run of `spec` for `trigger` at once; the run id, `None` when the
/// firing was already recorded or the spec could not be expanded.
async fn record_with_run(store: &Store, row: FiringRow, spec: &serde_json::Value, trigger: &RunTrigger) -> Result<Option<Uuid>, StoreError> {
    let mut one = Batch::default();
    let run = one.record_with_run(row, spec, trigger);
    let written = store.record_firings(&one.items).await?;
    Ok(run.filter(|_| !written.is_empty()))
}

/// Fires `row` for a trigger event: with a run for `trigger`, or, while the pipeline is
/// paused, as `missed_paused` (its resume does not replay trigger events). Whether a run
/// started (not when the firing was already recorded, or the spec could not expand).
pub(crate) async fn fire_unless_paused(store: &Store, pipeline: &PipelineRow, mut row: FiringRow, trigger: &RunTrigger) -> Result<bool, StoreError> {
    if pipeline.paused_at.is_some() {
        row.outcome = "missed_paused".into();
        store.record_firing(&row, None).await?;
        return Ok(false);
    }
    Ok(record_with_run(store, row, &pipeline.spec, trigger).await?.is_some())
}

/// A round's firings, written together in one transaction (one commit for every
/// pipeline's slot of a second, instead of one each).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) items: Vec<(FiringRow, Option<(serde_json::Value, RunTrigger)>)>,
    /// The last slot of each schedule once the batch is written (kept in the cache only
    /// then, so a failed write is retried next round).
    pub(crate) last_slots: Vec<((Uuid, u32), DateTime<Utc>)>,
}

impl Batch {
    /// Adds a firing without a run.
    pub(crate) fn record(&mut self, row: FiringRow) {
        self.items.push((row, None));
    }

    /// Adds a firing with a run of `spec` expanded for `trigger`; the run's id (`None`
    /// when the spec cannot be expanded: the firing is then `invalid`).
    pub(crate) fn record_with_run(&mut self, mut row: FiringRow, spec: &serde_json::Value, trigger: &RunTrigger) -> Option<Uuid> {
        let run = expand(&mut row, spec, trigger).map(|expanded| (expanded, trigger.clone()));
        row.run_id = run.as_ref().map(|_| Uuid::now_v7());
        let id = row.run_id;
        self.items.push((row, run));
        id
    }

}
