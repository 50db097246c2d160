//! `fresh:` triggers: a dataset's marker at a destination moving (a copy naming the
//! dataset succeeded) fires one run, keyed by the delivering run so it fires once
//! whoever leads. Only the latest delivery is seen: two deliveries between two ticks fire
//! one run, for the newer.

use super::start::fire_unless_paused;
use ferry_common::spec::PipelineSpec;
use ferry_common::triggers::{RunTrigger, TriggerKind, TriggerSpec};
use ferry_store::{FiringRow, PipelineRow, Store, StoreError};
use serde_json::json;

/// Fires the fresh triggers of `pipeline`; how many runs it started.
pub(super) async fn fire_fresh(store: &Store, pipeline: &PipelineRow, spec: &PipelineSpec) -> Result<usize, StoreError> {
    let mut started = 0;
    for (index, trigger) in spec.triggers.iter().enumerate() {
        let TriggerSpec::Fresh(fresh) = trigger else { continue };
        let index = index as u32;
        let Some(marker) = store.dataset_marker(pipeline.tenant_id, &fresh.dataset, &fresh.destination).await? else { continue };
        // Deliveries before this trigger existed (or before the last one it fired on) do
        // not count.
        let since = store.last_slot(pipeline.id, "fresh", index).await?.map_or(pipeline.updated_at, |l| l.max(pipeline.updated_at));
        if marker.delivered_at <= since {
            continue;
        }
        let key = format!("fresh:{index}:{}", marker.run_id);
        let mut row = FiringRow::new(pipeline, "fresh", index, marker.delivered_at, key, "started");
        row.detail = Some(format!("`{}` delivered to {} by run {}", fresh.dataset, fresh.destination, marker.run_id));
        let trigger = RunTrigger {
            kind: TriggerKind::Fresh,
            logical_time: marker.logical_time,
            detail: Some(json!({
                "dataset": fresh.dataset,
                "destination": fresh.destination,
                "run_id": marker.run_id,
                "delivered_at": marker.delivered_at,
            })),
        };
        started += usize::from(fire_unless_paused(store, pipeline, row, &trigger).await?);
    }
    Ok(started)
}
