//! Recording one firing: its ledger row, and its run with the spec expanded for it.

use chrono::{DateTime, SubsecRound, Utc};
use ferry_common::triggers::RunTrigger;
use ferry_store::{FiringRow, NewRun, PipelineRow, Store, StoreError};
use uuid::Uuid;

/// A ledger row for `pipeline`, not recorded yet.
pub(crate) fn firing(pipeline: &PipelineRow, source: &str, index: u32, slot: DateTime<Utc>, dedup_key: String, outcome: &str) -> FiringRow {
    FiringRow {
        id: Uuid::now_v7(),
        tenant_id: pipeline.tenant_id,
        pipeline_id: pipeline.id,
        schedule_index: index,
        slot,
        outcome: outcome.into(),
        run_id: None,
        detail: None,
        created_at: Utc::now().trunc_subsecs(6),
        source: source.into(),
        dedup_key,
        pending: false,
        overlap: None,
    }
}

/// The dedup key of a schedule's slot.
pub(crate) fn slot_key(index: u32, slot: DateTime<Utc>) -> String {
    format!("s{index}@{}", slot.timestamp_micros())
}

/// Records `row` with a run of `spec` for `trigger`; the run id, `None` when the firing
/// was already recorded. A spec that cannot be expanded for this trigger is recorded
/// `invalid` with the reason, and no run.
pub(crate) async fn record_with_run(store: &Store, mut row: FiringRow, spec: &serde_json::Value, trigger: &RunTrigger) -> Result<Option<Uuid>, StoreError> {
    match ferry_common::template::render_for_run(spec, trigger) {
        Ok(expanded) => {
            let recorded = store.record_firing(&row, Some(NewRun { spec: &expanded, trigger })).await?;
            Ok(recorded.and_then(|f| f.run_id))
        }
        Err(e) => {
            row.outcome = "invalid".into();
            row.detail = Some(e.to_string());
            store.record_firing(&row, None).await?;
            Ok(None)
        }
    }
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

    /// Adds a firing with a run of `spec` expanded for `trigger`; the run's id. A spec
    /// that cannot be expanded is recorded `invalid` with the reason, and no run.
    pub(crate) fn record_with_run(&mut self, mut row: FiringRow, spec: &serde_json::Value, trigger: &RunTrigger) -> Option<Uuid> {
        match ferry_common::template::render_for_run(spec, trigger) {
            Ok(expanded) => {
                let run = Uuid::now_v7();
                row.run_id = Some(run);
                self.items.push((row, Some((expanded, trigger.clone()))));
                Some(run)
            }
            Err(e) => {
                row.outcome = "invalid".into();
                row.detail = Some(e.to_string());
                self.items.push((row, None));
                None
            }
        }
    }
}
