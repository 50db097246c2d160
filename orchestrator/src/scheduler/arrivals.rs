//! `file_arrival:` triggers. Each trigger's prefix is listed every `poll` (streamed, in
//! batches checked against the stored seen-set, so a prefix of any size is never held in
//! memory). An object new or changed (size or tag) is recorded with the time it changed;
//! once it has stayed so for `settle`, it fires — one run per object (`each`), one per
//! poll with every settled object (`batch`), or one for the newest (`latest`). Firings
//! are keyed by the objects' paths and tags, and the seen-set is stored: a restarted or
//! new leader neither misses an arrival nor fires one twice.

use super::start::fire_unless_paused;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use ferry_common::conditions::{ConditionProbe, ProbeError};
use ferry_common::connections::SealedConnection;
use ferry_common::triggers::{ArrivalMode, ArrivalStart, FileArrival, RunTrigger, TriggerKind, TriggerSpec};
use ferry_store::{ArrivalRow, ArrivalWatch, FiringRow, PipelineRow, Store, StoreError};
use futures::StreamExt;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::warn;

/// Objects compared with the seen-set per query.
const BATCH: usize = 1000;
/// Settled objects fired per trigger per poll.
const FIRE_PER_POLL: u64 = 1000;

/// Polls every file-arrival trigger while this orchestrator leads.
pub(crate) async fn run_while_leading(store: Store, probe: Arc<dyn ConditionProbe>, engine: Arc<Notify>, stop: CancellationToken) {
    loop {
        match poll_due(&store, probe.as_ref(), Utc::now()).await {
            Ok(started) if started > 0 => engine.notify_one(),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "cannot poll file-arrival triggers now; trying again shortly"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// Polls the triggers whose `poll` has passed; how many runs they started.
pub(crate) async fn poll_due(store: &Store, probe: &dyn ConditionProbe, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut started = 0;
    for pipeline in store.all_pipelines().await? {
        if pipeline.spec.get("triggers").is_none() {
            continue;
        }
        let Ok(spec) = ferry_common::spec::parse_value(pipeline.spec.clone()) else { continue };
        for (index, trigger) in spec.triggers.iter().enumerate() {
            let TriggerSpec::FileArrival(watch) = trigger else { continue };
            started += poll_one(store, probe, &pipeline, index as u32, watch, now).await?;
        }
    }
    Ok(started)
}

async fn poll_one(store: &Store, probe: &dyn ConditionProbe, pipeline: &PipelineRow, index: u32, spec: &FileArrival, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let config = serde_json::to_string(spec).unwrap_or_default();
    let state = store.arrival_watch(pipeline.id, index).await?;
    if let Some(s) = &state
        && s.config == config
        && s.polled_at + Duration::from_std(spec.poll.0).unwrap_or_default() > now
    {
        return Ok(0);
    }
    // A new or changed trigger starts a new seen-set; with `start: now` what is already
    // there is recorded as fired.
    let fresh = state.as_ref().is_none_or(|s| s.config != config);
    if fresh {
        store.forget_arrivals(pipeline.id, index).await?;
    }
    let baseline = fresh && spec.start == ArrivalStart::Now;
    let stored = stored_connection(store, pipeline, spec).await?;
    let glob = globset::Glob::new(&spec.pattern).map(|g| g.compile_matcher()).ok();
    let listing = match probe.list_objects(&spec.location(), &stored).await {
        Ok(l) => l,
        Err(e) => return listing_failed(&e, pipeline, index),
    };
    let at = now.trunc_subsecs(6);
    let mut pages = listing.chunks(BATCH);
    while let Some(page) = pages.next().await {
        let mut batch = Vec::with_capacity(page.len());
        for item in page {
            match item {
                Ok(object) if glob.as_ref().is_none_or(|g| g.is_match(&object.path)) => batch.push(object),
                Ok(_) => {}
                Err(e) => return listing_failed(&e, pipeline, index),
            }
        }
        let paths: Vec<String> = batch.iter().map(|o| o.path.clone()).collect();
        let seen = store.arrivals_of(pipeline.id, index, &paths).await?;
        let changed: Vec<ArrivalRow> = batch
            .into_iter()
            .filter(|o| seen.get(&o.path).is_none_or(|s| s.size != o.size || s.tag != o.tag))
            .map(|o| ArrivalRow { pipeline_id: pipeline.id, trigger_index: index, path: o.path, size: o.size, tag: o.tag, changed_at: at, fired: baseline })
            .collect();
        store.upsert_arrivals(&changed).await?;
    }
    store
        .save_arrival_watch(&ArrivalWatch { pipeline_id: pipeline.id, trigger_index: index, config, polled_at: at })
        .await?;
    let settled_before = now - Duration::from_std(spec.settle.0).unwrap_or_default();
    let settled = store.settled_arrivals(pipeline.id, index, settled_before, FIRE_PER_POLL).await?;
    fire_settled(store, pipeline, index, spec.mode, settled, at).await
}

/// Fires the settled objects as the mode says and marks them fired.
async fn fire_settled(store: &Store, pipeline: &PipelineRow, index: u32, mode: ArrivalMode, settled: Vec<ArrivalRow>, at: DateTime<Utc>) -> Result<usize, StoreError> {
    if settled.is_empty() {
        return Ok(0);
    }
    let groups: Vec<Vec<&ArrivalRow>> = match mode {
        ArrivalMode::Each => settled.iter().map(|o| vec![o]).collect(),
        ArrivalMode::Batch => vec![settled.iter().collect()],
        ArrivalMode::Latest => settled.iter().max_by(|a, b| (a.changed_at, &a.path).cmp(&(b.changed_at, &b.path))).map(|o| vec![o]).into_iter().collect(),
    };
    let mut started = 0;
    for group in groups {
        let keys: Vec<String> = group.iter().map(|o| format!("{}#{}", o.path, o.tag)).collect();
        let dedup = format!("file:{index}:{}", blake3::hash(keys.join("\n").as_bytes()).to_hex());
        let paths: Vec<String> = group.iter().map(|o| o.path.clone()).collect();
        let mut row = FiringRow::new(pipeline, "file_arrival", index, at, dedup, "started");
        row.detail = Some(match paths.as_slice() {
            [one] => format!("{one} settled"),
            many => format!("{} objects settled", many.len()),
        });
        let newest = paths.last().cloned().unwrap_or_default();
        let trigger = RunTrigger { kind: TriggerKind::FileArrival, logical_time: at, detail: Some(json!({"path": newest, "paths": paths})) };
        started += usize::from(fire_unless_paused(store, pipeline, row, &trigger).await?);
    }
    // Everything settled is now accounted for, fired or (`latest`) passed over.
    let all: Vec<String> = settled.into_iter().map(|o| o.path).collect();
    store.mark_arrivals_fired(pipeline.id, index, &all).await?;
    Ok(started)
}

/// The stored connection a trigger names, sealed.
async fn stored_connection(store: &Store, pipeline: &PipelineRow, spec: &FileArrival) -> Result<Vec<SealedConnection>, StoreError> {
    let Some(name) = &spec.connection else { return Ok(Vec::new()) };
    Ok(store
        .tenant_connections(pipeline.tenant_id)
        .await?
        .into_iter()
        .filter(|c| &c.name == name)
        .map(|c| SealedConnection { name: c.name, options: c.options, secrets: c.secrets })
        .collect())
}

fn listing_failed(e: &ProbeError, pipeline: &PipelineRow, index: u32) -> Result<usize, StoreError> {
    warn!(pipeline = %pipeline.id, trigger = index, error = %e, "cannot list a file-arrival trigger's prefix; polling again later");
    Ok(0)
}
