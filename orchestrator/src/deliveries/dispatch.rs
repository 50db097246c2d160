//! Claiming due async deliveries and publishing their attempts, on the leader's tick.
//!
//! A delivery is due when it is `pending` or `retrying` and its `next_attempt_at` has
//! come. An incremental one whose earlier delivery (same task, same destination) has not
//! been delivered stays queued behind it, and says so (`blocked_by`); with `ordering:
//! fail` it fails instead. Each claim is a compare-and-set, committed before the attempt
//! is published, so a crash in between only leaves a `running` delivery that the next
//! leader (or the reaper) gives a new attempt.

use crate::tenancy::TenantContext;
use chrono::{DateTime, Utc};
use ferry_common::budget::BandwidthBudget;
use ferry_common::delivery_state::DeliveryState;
use ferry_common::file_roots::FileRoots;
use ferry_common::messages::TaskMessage;
use ferry_common::spec::{CopyTask, DeliveryOrdering, PipelineSpec, TaskBody, ValidationContext};
use ferry_store::{DeliveryChange, DeliveryRow, Store, StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// Most deliveries looked at in one tick.
const CLAIM_AT_ONCE: u64 = 64;

/// What one look at the due deliveries decided.
#[derive(Debug, Default)]
pub(crate) struct Dispatched {
    /// Claimed deliveries (now `running`) and their attempts' messages.
    pub(crate) claimed: Vec<(DeliveryRow, TaskMessage)>,
    /// Deliveries that end without an attempt (window passed, ordering says fail), to be
    /// committed with their `delivery.failed` events.
    pub(crate) failed: Vec<DeliveryChange>,
}

/// Claims what is due at `now`. `server` is the orchestrator's validation context and
/// file roots, from which each tenant's share is read.
pub(crate) async fn claim_due(store: &Store, server: (&ValidationContext, &FileRoots), now: DateTime<Utc>) -> Result<Dispatched, StoreError> {
    let due = store.due_deliveries(now, CLAIM_AT_ONCE).await?;
    let mut out = Dispatched::default();
    let mut tenants: HashMap<Uuid, TenantContext> = HashMap::new();
    let mut timeouts: HashMap<(Uuid, String), Option<u64>> = HashMap::new();
    for mut d in due {
        let body: Option<CopyTask> = d.body.clone().and_then(|b| serde_json::from_value(b).ok());
        let Some(body) = body else {
            out.failed.push(give_up(&d, "the delivery's stored copy cannot be read by this version of Ferry".into(), now));
            continue;
        };
        if d.deliver_by.is_some_and(|by| now >= by) && d.attempts > 0 {
            let last = d.last_error.clone().unwrap_or_else(|| "no attempt succeeded".into());
            out.failed.push(give_up(&d, format!("not delivered within its deliver_within; last error: {last}"), now));
            continue;
        }
        if d.incremental
            && let Some(earlier) = store.earlier_open_delivery(&d).await?
        {
            if body.ordering == DeliveryOrdering::Fail {
                let why = format!("ordering: fail, and the earlier delivery {} (run {}) is {}", earlier.id, earlier.run_id, earlier.state);
                out.failed.push(give_up(&d, why, now));
            } else {
                store.set_delivery_blocked(&d, earlier.id).await?;
            }
            continue;
        }
        if !store.claim_delivery(&d, now).await? {
            continue;
        }
        d.attempts += 1;
        d.state = DeliveryState::Running;
        d.blocked_by = None;
        d.next_attempt_at = None;
        d.started_at = Some(now);
        let tenant = match tenants.entry(d.tenant_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(TenantContext::load(store, server, d.tenant_id).await?),
        };
        // The copy's own budget holds for its deliveries too, one bucket per delivery.
        let bandwidth = body
            .bandwidth
            .map(|b| vec![BandwidthBudget { key: format!("delivery:{}", d.id), bytes_per_sec: b.bytes_per_sec() }])
            .unwrap_or_default();
        let body = TaskBody::Copy(body);
        let extras = tenant.extras_for_body(&body);
        let timeout_secs = match timeouts.get(&(d.run_id, d.task_key.clone())) {
            Some(t) => *t,
            None => {
                let t = attempt_timeout(store, &d).await?;
                timeouts.insert((d.run_id, d.task_key.clone()), t);
                t
            }
        };
        let message = TaskMessage {
            task_id: d.id,
            run_id: d.id,
            tenant_id: d.tenant_id,
            attempt: d.attempts,
            key: format!("{} (delivery to {})", d.task_key, d.destination),
            body,
            timeout_secs,
            queue: d.queue.clone(),
            bandwidth,
            shard: None,
            post: Vec::new(),
            file_roots: extras.roots,
            connections: extras.connections,
        };
        out.claimed.push((d, message));
    }
    Ok(out)
}

/// The wall-clock budget of a delivery's attempt: its copy's own `timeout` (or the
/// pipeline's default), as the run's spec says — a hung attempt then fails and is
/// retried instead of holding later deliveries to the destination for ever.
async fn attempt_timeout(store: &Store, d: &DeliveryRow) -> Result<Option<u64>, StoreError> {
    let Some(run) = store.get_run(d.tenant_id, d.run_id).await? else { return Ok(None) };
    let Ok(spec) = serde_json::from_value::<PipelineSpec>(run.spec) else { return Ok(None) };
    let task = spec.tasks.iter().find(|t| t.id == d.task_key);
    Ok(task.and_then(|t| t.effective_timeout(&spec.defaults)).map(|t| t.0.as_secs().max(1)))
}

/// Ends a waiting delivery as `failed` with `why`.
fn give_up(d: &DeliveryRow, why: String, now: DateTime<Utc>) -> DeliveryChange {
    let mut row = d.clone();
    row.state = DeliveryState::Failed;
    row.last_error = Some(why);
    row.finished_at = Some(now);
    row.next_attempt_at = None;
    DeliveryChange::new(d.state, row)
}
