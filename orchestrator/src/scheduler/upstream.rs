//! `upstream:` triggers: a run of the named pipeline (same tenant) ending as asked fires
//! one run, keyed by the upstream run so it fires once whoever leads.

use super::start::fire_unless_paused;
use ferry_common::spec::PipelineSpec;
use ferry_common::triggers::{RunTrigger, TriggerKind, TriggerSpec};
use ferry_store::{FiringRow, PipelineRow, Store, StoreError};
use serde_json::json;

/// Upstream runs read per trigger per tick.
const RUNS_PER_TICK: u64 = 100;

/// Fires the upstream triggers of `pipeline`; how many runs it started.
pub(super) async fn fire_upstream(store: &Store, pipeline: &PipelineRow, spec: &PipelineSpec) -> Result<usize, StoreError> {
    let mut started = 0;
    for (index, trigger) in spec.triggers.iter().enumerate() {
        let TriggerSpec::Upstream(upstream) = trigger else { continue };
        let index = index as u32;
        let Some(up) = store.pipeline_named(pipeline.tenant_id, &upstream.pipeline).await? else { continue };
        // Runs that ended before this trigger existed do not count.
        let since = store
            .last_slot(pipeline.id, "upstream", index)
            .await?
            .map_or(pipeline.updated_at, |l| l.max(pipeline.updated_at));
        for run in store.finished_runs_of(up.id, since, RUNS_PER_TICK).await? {
            let Some(ended) = run.finished_at.filter(|_| upstream.on.fires_on(run.state)) else { continue };
            let key = format!("upstream:{index}:{}", run.id);
            let mut row = FiringRow::new(pipeline, "upstream", index, ended, key, "started");
            row.detail = Some(format!("run {} of `{}` {}", run.id, upstream.pipeline, run.state.as_str()));
            let trigger = RunTrigger {
                kind: TriggerKind::Upstream,
                logical_time: ended,
                detail: Some(json!({"run_id": run.id, "pipeline": upstream.pipeline, "state": run.state.as_str()})),
            };
            started += usize::from(fire_unless_paused(store, pipeline, row, &trigger).await?);
        }
    }
    Ok(started)
}
