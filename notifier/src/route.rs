//! Routing: each event not routed yet becomes its notifications, one per channel its
//! rules name, with the document every channel will be sent.
//!
//! Rules come from two places: the pipeline's `notify:` (its current spec; the run's own
//! spec when the pipeline is gone) and the tenant's tenant-wide rules. `system.*` events
//! reach every tenant whose tenant-wide rules ask for them. A rule naming a channel that
//! has since been deleted routes nowhere for that channel (the API refuses such a rule
//! when it is written; a delete of a channel in use is refused too).

use crate::error::NotifierError;
use crate::message::{EventContext, document};
use chrono::{SubsecRound, Utc};
use ferry_common::notify::{EventKind, NotifyRule};
use ferry_common::state::TaskState;
use ferry_store::{ChannelRow, EventRow, NotificationRow, RuleRow, Store};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Routes up to `limit` events; how many it routed.
pub async fn route_once(store: &Store, public_url: &str, limit: u64) -> Result<usize, NotifierError> {
    let events = store.unrouted_events(limit).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut tenant_rules: HashMap<Uuid, Vec<RuleRow>> = HashMap::new();
    for rule in store.all_rules().await? {
        tenant_rules.entry(rule.tenant_id).or_default().push(rule);
    }
    let run_ids: Vec<Uuid> = events.iter().filter_map(|e| e.run_id).collect::<BTreeSet<_>>().into_iter().collect();
    let runs: HashMap<Uuid, ferry_store::RunRow> = store.get_runs(&run_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut pipelines: HashMap<Uuid, Option<(String, Vec<NotifyRule>)>> = HashMap::new();
    let mut channels: HashMap<Uuid, Vec<ChannelRow>> = HashMap::new();
    let now = Utc::now().trunc_subsecs(6);
    let mut routed = Vec::with_capacity(events.len());
    let mut notes = Vec::new();
    for event in &events {
        let kind = EventKind::parse_stored(&event.kind);
        let run = event.run_id.and_then(|id| runs.get(&id));
        let pipeline = match event.pipeline_id {
            Some(id) => match pipelines.get(&id) {
                Some(p) => p.clone(),
                None => {
                    let found = store.pipeline_by_id(id).await?.map(|(p, _)| (p.name.clone(), rules_in(&p.spec)));
                    pipelines.insert(id, found.clone());
                    found
                }
            },
            None => None,
        };
        // The pipeline's rules; a deleted pipeline's runs still follow the spec they ran.
        let spec_rules = match (&pipeline, run) {
            (Some((_, rules)), _) => rules.clone(),
            (None, Some(r)) => rules_in(&r.spec),
            (None, None) => Vec::new(),
        };
        let mut wanted: Vec<(Uuid, String)> = Vec::new();
        if let Some(kind) = kind {
            if kind.is_system() {
                for (tenant, rules) in &tenant_rules {
                    for name in rules.iter().filter(|r| r.on.iter().any(|k| k == kind.as_str())).flat_map(|r| r.channels.iter()) {
                        wanted.push((*tenant, name.clone()));
                    }
                }
            } else {
                for rule in spec_rules.iter().filter(|r| r.matches(kind)) {
                    wanted.extend(rule.channels.iter().map(|c| (event.tenant_id, c.clone())));
                }
                for rule in tenant_rules.get(&event.tenant_id).into_iter().flatten().filter(|r| r.on.iter().any(|k| k == kind.as_str())) {
                    wanted.extend(rule.channels.iter().map(|c| (event.tenant_id, c.clone())));
                }
            }
        }
        wanted.sort();
        wanted.dedup();
        for (tenant, name) in wanted {
            if !channels.contains_key(&tenant) {
                channels.insert(tenant, store.list_channels(tenant).await?);
            }
            let Some(channel) = channels[&tenant].iter().find(|c| c.name == name) else {
                tracing::warn!(event = %event.id, channel = %name, "a rule names a channel that no longer exists");
                continue;
            };
            notes.push(NotificationRow::pending(tenant, event, channel, now));
        }
        let failed_tasks = match (kind, run) {
            (Some(EventKind::RunFailed), Some(r)) => failed_tasks(store, r).await?,
            _ => Vec::new(),
        };
        let ctx = EventContext { pipeline_name: pipeline.map(|(name, _)| name), run: run.cloned(), failed_tasks };
        routed.push((event.seq, document(event, &ctx, public_url)));
    }
    store.route_events(&routed, &notes, now).await?;
    Ok(events.len())
}

/// The `notify:` rules of a stored spec (already validated when it was stored).
fn rules_in(spec: &Value) -> Vec<NotifyRule> {
    spec.get("notify").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

async fn failed_tasks(store: &Store, run: &ferry_store::RunRow) -> Result<Vec<(String, Option<String>)>, NotifierError> {
    let tasks = store.all_run_tasks(run.tenant_id, run.id).await?;
    Ok(tasks.into_iter().filter(|t| t.state == TaskState::Failed).map(|t| (t.key, t.error)).collect())
}

/// The document of an event already routed (what its notifications send).
pub fn body_of(event: &EventRow) -> Value {
    event.body.clone().unwrap_or_else(|| event.detail.clone())
}
