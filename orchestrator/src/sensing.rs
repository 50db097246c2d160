//! Checks conditions for the engine, off its step loop: the due checks of every run are
//! made together (a condition shared by many waiting tasks is checked once per round),
//! a few at a time, and their verdicts come back as one batch, applied in one step.

use crate::active_run::{GateVerdict, OrderingProbe, ProbeRequest};
use chrono::{DateTime, Utc};
use ferry_common::conditions::{Condition, ConditionProbe, ProbeError, Verdict};
use ferry_common::connections::SealedConnection;
use ferry_store::Store;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

/// Checks made at once against stores and databases.
const CHECKS_IN_FLIGHT: usize = 32;

/// The verdicts of one round of checks.
#[derive(Debug)]
pub(crate) struct ProbeBatch {
    /// When the round started (a first check's deadline counts from here).
    pub checked_at: DateTime<Utc>,
    /// (run, task, verdict).
    pub verdicts: Vec<(Uuid, Uuid, GateVerdict)>,
}

/// Checks `requests` in the background and sends the verdicts to `done`.
pub(crate) fn spawn_round(probe: Arc<dyn ConditionProbe>, store: Store, requests: Vec<ProbeRequest>, done: UnboundedSender<ProbeBatch>) {
    tokio::spawn(async move {
        let checked_at = Utc::now();
        let verdicts = round(probe.as_ref(), &store, requests).await;
        // A closed receiver means this orchestrator stopped leading; the next leader
        // checks again.
        let _ = done.send(ProbeBatch { checked_at, verdicts });
    });
}

async fn round(probe: &dyn ConditionProbe, store: &Store, requests: Vec<ProbeRequest>) -> Vec<(Uuid, Uuid, GateVerdict)> {
    let mut unique: HashMap<String, (Condition, Vec<SealedConnection>, Uuid)> = HashMap::new();
    for r in &requests {
        for c in &r.conditions {
            unique.entry(key(c, &r.stored, r.tenant)).or_insert_with(|| (c.clone(), r.stored.clone(), r.tenant));
        }
    }
    let answers: HashMap<String, Result<Verdict, ProbeError>> = futures::stream::iter(unique)
        .map(|(k, (c, stored, tenant))| async move {
            let answer = match &c {
                Condition::Fresh(f) => fresh(store, tenant, f, Utc::now()).await,
                _ => probe.probe_with(&c, &stored).await,
            };
            (k, answer)
        })
        .buffer_unordered(CHECKS_IN_FLIGHT)
        .collect()
        .await;
    let mut out = Vec::with_capacity(requests.len());
    for r in requests {
        let in_line = match &r.ordering {
            Some(o) => place_in_line(store, r.tenant, r.run_id, o).await,
            None => None,
        };
        let verdict = in_line.unwrap_or_else(|| gate(&r.conditions, &r.stored, r.tenant, &answers));
        out.push((r.run_id, r.task_id, verdict));
    }
    out
}

/// An incremental copy's verdict while an earlier run's same task is unfinished: it
/// waits (or, with `ordering: fail`, fails) naming that run; `None` when it is first.
async fn place_in_line(store: &Store, tenant: Uuid, run_id: Uuid, o: &OrderingProbe) -> Option<GateVerdict> {
    match store.earlier_unfinished_task(tenant, o.pipeline_id, &o.task_key, run_id).await {
        Ok(None) => None,
        Ok(Some((run, state))) => {
            let state = state.map_or("not started".to_owned(), |s| s.to_string());
            let what = format!("the earlier delivery of `{}` by run {run} (its task is {state})", o.task_key);
            Some(if o.fail { GateVerdict::Broken(format!("ordering: fail, and {what}")) } else { GateVerdict::Unmet(what) })
        }
        Err(e) => Some(GateVerdict::Unmet(format!("the earlier runs of `{}` (cannot check yet: {e})", o.task_key))),
    }
}

/// The verdict on a task: the first condition (in spec order) that does not hold.
fn gate(conditions: &[Condition], stored: &[SealedConnection], tenant: Uuid, answers: &HashMap<String, Result<Verdict, ProbeError>>) -> GateVerdict {
    for c in conditions {
        match answers.get(&key(c, stored, tenant)) {
            Some(Ok(Verdict::Holds)) => {}
            Some(Ok(Verdict::Unmet(seen))) => return GateVerdict::Unmet(format!("{} ({seen})", c.describe())),
            Some(Err(ProbeError::Retryable(e))) => {
                return GateVerdict::Unmet(format!("{} (cannot check yet: {e})", c.describe()));
            }
            Some(Err(ProbeError::Permanent(e))) => return GateVerdict::Broken(format!("condition {}: {e}", c.describe())),
            None => return GateVerdict::Unmet(format!("{} (not checked)", c.describe())),
        }
    }
    GateVerdict::Holds
}

/// What makes two checks the same: the condition, the stored connections it may use
/// (two tenants may both have a connection named `lake`) and the tenant (whose datasets
/// a `fresh` condition reads).
fn key(c: &Condition, stored: &[SealedConnection], tenant: Uuid) -> String {
    let condition = serde_json::to_string(c).unwrap_or_else(|_| c.describe());
    let names: Vec<&str> = stored.iter().map(|s| s.secrets.as_deref().unwrap_or(&s.name)).collect();
    format!("{tenant}|{condition}|{}", names.join(","))
}

/// `fresh`: whether the tenant's marker of the dataset at the destination is newer than
/// `within` at `now`. The markers are in the database, so the orchestrator answers itself.
async fn fresh(store: &Store, tenant: Uuid, f: &ferry_common::conditions::Fresh, now: DateTime<Utc>) -> Result<Verdict, ProbeError> {
    let marker = store
        .dataset_marker(tenant, &f.dataset, &f.destination)
        .await
        .map_err(|e| ProbeError::Retryable(format!("cannot read the dataset's marker: {e}")))?;
    let Some(marker) = marker else { return Ok(Verdict::Unmet("never delivered there".into())) };
    let age = (now - marker.delivered_at).to_std().unwrap_or_default();
    if age <= f.within.0 {
        Ok(Verdict::Holds)
    } else {
        Ok(Verdict::Unmet(format!("last delivered {} ago, by run {}", humantime::format_duration(std::time::Duration::from_secs(age.as_secs())), marker.run_id)))
    }
}

/// The evaluator of an orchestrator built without one: every condition is refused with
/// that explanation, so a waiting task fails with a clear error instead of waiting.
pub(crate) struct NoProbe;

#[async_trait::async_trait]
impl ConditionProbe for NoProbe {
    async fn probe(&self, condition: &Condition) -> Result<Verdict, ProbeError> {
        Err(ProbeError::Permanent(format!(
            "this orchestrator was started without a condition evaluator, so `{}` cannot be checked",
            condition.name()
        )))
    }
}
