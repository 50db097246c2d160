//! The scheduler: the leading orchestrator turns due schedule slots and trigger events
//! into ledger rows and runs, on every tick. Slots are computed from the stored ledger
//! (the last slot recorded per schedule), not from timers, and each firing is recorded
//! under a unique (pipeline, dedup key) in the same transaction as its run: a restart or
//! a change of leader neither loses nor doubles a slot.
//!
//! A slot is due at its time plus its `jitter` (a delay fixed per slot, so every
//! orchestrator agrees on it). A slot more than [`policy::MISSED_AFTER`] old when first
//! seen was missed (Ferry was down); `catchup` decides: `none` records them
//! `missed_down`, `latest` runs the newest (`caught_up`) and records the others, `all`
//! runs each. While the pipeline is paused its slots are recorded `missed_paused`; the
//! resume applies `catchup` to them. A slot while a run of the pipeline is still going
//! follows `overlap` (see [`policy::decide`]); a firing that must wait is recorded
//! `pending` and started by [`pending`] when nothing is in its way, oldest first.
//! Replacing a pipeline's spec re-plans from the later of its last slot and the change,
//! so the slot being fired is not fired again and slots of the new schedule before the
//! change are not "missed".

pub(crate) mod arrivals;
mod fresh;
mod pending;
mod policy;
mod slots;
mod start;
mod upstream;

use chrono::{DateTime, Utc};
use start::Batch;
use ferry_store::{Store, StoreError};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

/// The longest the scheduler sleeps: pending firings, upstream runs and changed specs are
/// looked at at least this often.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Pipelines fired at once (each firing is its own transaction).
const PIPELINES_IN_FLIGHT: usize = 16;

/// Firings written per transaction.
const FIRINGS_PER_COMMIT: usize = 500;

/// Firings still waiting, per pipeline.
pub(crate) type Waiting = HashMap<Uuid, usize>;

/// What the leader remembers between rounds: the last slot it recorded per schedule
/// (read from the ledger once, then kept), so a round costs no query per schedule.
#[derive(Debug, Default)]
pub(crate) struct SlotCache {
    last: HashMap<(Uuid, u32), DateTime<Utc>>,
    /// Window edges already ledgered `outside_window`.
    edges: std::collections::HashSet<(Uuid, String)>,
}

/// Fires slots while this orchestrator leads: wakes at the next slot due (jitter
/// included) or after [`LOOK_EVERY`], and nudges the engine when it started runs.
pub(crate) async fn run_while_leading(store: Store, engine: Arc<Notify>, stop: CancellationToken) {
    let cache = Arc::new(Mutex::new(SlotCache::default()));
    loop {
        let next = match fire_due(&store, &cache, Utc::now()).await {
            Ok((started, next)) => {
                if started > 0 {
                    engine.notify_one();
                }
                next
            }
            Err(e) => {
                warn!(error = %e, "cannot fire schedule slots now; trying again shortly");
                None
            }
        };
        let sleep = next
            .and_then(|at| (at - Utc::now()).to_std().ok())
            .map_or(LOOK_EVERY, |d| d.min(LOOK_EVERY));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// Records and runs every slot and trigger event due by `now`; how many runs it started,
/// and when the next slot is due.
pub(crate) async fn fire_due(store: &Store, cache: &Arc<Mutex<SlotCache>>, now: DateTime<Utc>) -> Result<(usize, Option<DateTime<Utc>>), StoreError> {
    let (mut started, waiting) = pending::settle_pending(store).await?;
    let pipelines: Vec<_> = store
        .all_pipelines()
        .await?
        .into_iter()
        // Most pipelines have neither: look before parsing the whole spec.
        .filter(|p| ["schedule", "schedules", "triggers"].iter().any(|f| p.spec.get(*f).is_some()))
        .collect();
    let waiting = &waiting;
    let mut rounds = futures::stream::iter(pipelines)
        .map(|pipeline| async move {
            let Ok(spec) = ferry_common::spec::parse_value(pipeline.spec.clone()) else { return Ok((0, None, Batch::default())) };
            let mut ahead = waiting.get(&pipeline.id).copied().unwrap_or_default();
            let mut batch = Batch::default();
            let next = slots::fire_schedules(store, cache, &pipeline, &spec, now, &mut ahead, &mut batch).await?;
            let upstream = upstream::fire_upstream(store, &pipeline, &spec).await?;
            let fresh = fresh::fire_fresh(store, &pipeline, &spec).await?;
            Ok::<_, StoreError>((upstream + fresh, next, batch))
        })
        .buffer_unordered(PIPELINES_IN_FLIGHT);
    let mut next: Option<DateTime<Utc>> = None;
    let mut all = Batch::default();
    while let Some(round) = rounds.next().await {
        let (fired, due, batch) = round?;
        started += fired;
        all.items.extend(batch.items);
        all.last_slots.extend(batch.last_slots);
        next = match (next, due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    for chunk in all.items.chunks(FIRINGS_PER_COMMIT) {
        let written = store.record_firings(chunk).await?;
        started += chunk.iter().filter(|(f, run)| run.is_some() && written.contains(&f.id)).count();
    }
    cache.lock().await.last.extend(all.last_slots);
    Ok((started, next))
}
