//! Alerts about what did not happen, judged from stored states and the workers'
//! heartbeats — never from the orchestrator, so they fire while it is down.
//!
//! - `run.stuck`: a queued or running run none of whose tasks changed state, and none
//!   of whose attempts moved a byte, for the pipeline's `alerts.stuck_after`;
//! - `run.late`: a run going for longer than `alerts.max_duration`, or a scheduled run
//!   not done by `alerts.finish_by`;
//! - `task.lost`: a `running` attempt that no live worker has listed for `lost_after`
//!   (the key is the one the orchestrator's reaper uses, so the loss is one event);
//! - `system.orchestrator_down`: no orchestrator has recorded leading for
//!   `orchestrator_down_after`.
//!
//! An ongoing condition is one event per `repeat_after` window, keyed by when the
//! condition began and the window's number: a restarted or second notifier computes
//! the same key and the outbox keeps one.

use crate::config::NotifierConfig;
use crate::error::NotifierError;
use chrono::{DateTime, Utc};
use ferry_common::coordination::Coordinator;
use ferry_common::notify::{AlertSpec, EventKind, lost_attempt_key};
use ferry_common::state::TaskState;
use ferry_common::triggers::TriggerKind;
use ferry_store::{NewEvent, RunRow, SYSTEM_TENANT, Store, TaskRow};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The detectors' memory between rounds: byte counters seen, attempts missing from the
/// heartbeats.
pub struct Detector {
    store: Store,
    coordinator: Arc<dyn Coordinator>,
    lost_after: Duration,
    down_after: Duration,
    /// Per task: the last `bytes_done` seen and when it last changed.
    bytes: HashMap<Uuid, (u64, DateTime<Utc>)>,
    /// Per running attempt (task, attempt): since when no live worker lists it.
    unseen: HashMap<(Uuid, u32), DateTime<Utc>>,
}

impl Detector {
    /// Detectors over `store`, with heartbeats and progress from `coordinator`.
    pub fn new(store: Store, coordinator: Arc<dyn Coordinator>, cfg: &NotifierConfig) -> Self {
        Detector { store, coordinator, lost_after: cfg.lost_after, down_after: cfg.orchestrator_down_after, bytes: HashMap::new(), unseen: HashMap::new() }
    }

    /// One round of every detector; the events it wrote (before de-duplication).
    pub async fn detect_once(&mut self, now: DateTime<Utc>) -> Result<usize, NotifierError> {
        let (runs, tasks) = self.store.load_active().await?;
        let mut by_run: HashMap<Uuid, Vec<&TaskRow>> = HashMap::new();
        for t in &tasks {
            by_run.entry(t.run_id).or_default().push(t);
        }
        let running: Vec<Uuid> = tasks.iter().filter(|t| t.state == TaskState::Running).map(|t| t.id).collect();
        self.observe_bytes(&running, now).await;
        let alerts = self.alert_specs(&runs).await?;
        let mut events = Vec::new();
        for run in &runs {
            let own = by_run.get(&run.id).map(Vec::as_slice).unwrap_or_default();
            if let Some(spec) = alerts.get(&run.id) {
                events.extend(self.stuck(run, own, spec, now));
                events.extend(late(run, spec, now));
            }
        }
        events.extend(self.lost(&runs, &tasks, now).await);
        events.extend(self.orchestrator_down(now).await?);
        let n = events.len();
        if n > 0 {
            self.store.emit_events(&events).await?;
        }
        let live: HashSet<Uuid> = running.iter().copied().collect();
        self.bytes.retain(|id, _| live.contains(id));
        let attempts: HashSet<(Uuid, u32)> = tasks.iter().filter(|t| t.state == TaskState::Running).map(|t| (t.id, t.attempt)).collect();
        self.unseen.retain(|k, _| attempts.contains(k));
        Ok(n)
    }

    async fn observe_bytes(&mut self, running: &[Uuid], now: DateTime<Utc>) {
        let Ok(progress) = self.coordinator.live_progress(running).await else { return };
        for (id, p) in progress {
            match self.bytes.get(&id) {
                Some((seen, _)) if *seen == p.bytes_done => {}
                // First sight counts as movement: a notifier that just started cannot know
                // how long the counter stood still before.
                _ => {
                    self.bytes.insert(id, (p.bytes_done, now));
                }
            }
        }
    }

    /// Each run's `alerts:` — its pipeline's current spec, or the run's own spec when the
    /// pipeline is gone.
    async fn alert_specs(&self, runs: &[RunRow]) -> Result<HashMap<Uuid, AlertSpec>, NotifierError> {
        let mut out = HashMap::new();
        let mut pipelines: HashMap<Uuid, Option<AlertSpec>> = HashMap::new();
        for run in runs {
            if !pipelines.contains_key(&run.pipeline_id) {
                let found = self.store.pipeline_by_id(run.pipeline_id).await?.map(|(p, _)| alerts_in(&p.spec));
                pipelines.insert(run.pipeline_id, found.flatten().or_else(|| alerts_in(&run.spec)));
            }
            if let Some(Some(spec)) = pipelines.get(&run.pipeline_id) {
                out.insert(run.id, spec.clone());
            }
        }
        Ok(out)
    }

    fn stuck(&self, run: &RunRow, tasks: &[&TaskRow], spec: &AlertSpec, now: DateTime<Utc>) -> Option<NewEvent> {
        let limit = spec.stuck_after?.0;
        // The stored last change names the episode (and so the event's key): another
        // notifier, or this one restarted, computes the same. Bytes seen moving only
        // hold the alert back.
        let since = tasks.iter().map(|t| t.updated_at).fold(run.started_at.unwrap_or(run.created_at), DateTime::max);
        let moved = tasks.iter().filter_map(|t| self.bytes.get(&t.id).map(|(_, at)| *at)).max();
        if moved.is_some_and(|m| repeat_window(now, m, limit, spec.repeat()).is_none()) {
            return None;
        }
        let window = repeat_window(now, since, limit, spec.repeat())?;
        let idle = (now - moved.map_or(since, |m| m.max(since))).num_seconds();
        let detail = json!({"since": since, "idle_seconds": idle, "stuck_after": humanize(limit), "state": run.state.as_str()});
        Some(keyed(EventKind::RunStuck, run, now, detail, format!("run.stuck:{}:{}:{window}", run.id, since.timestamp_millis())))
    }

    async fn lost(&mut self, runs: &[RunRow], tasks: &[TaskRow], now: DateTime<Utc>) -> Vec<NewEvent> {
        let Ok(workers) = self.coordinator.live_workers().await else {
            // Not seeing the workers is not evidence that they are gone.
            return Vec::new();
        };
        let listed: HashSet<Uuid> = workers.iter().flat_map(|w| w.running.iter().copied()).collect();
        let runs: HashMap<Uuid, &RunRow> = runs.iter().map(|r| (r.id, r)).collect();
        let lost_after = chrono::Duration::from_std(self.lost_after).unwrap_or(chrono::Duration::MAX);
        let mut out = Vec::new();
        for t in tasks.iter().filter(|t| t.state == TaskState::Running) {
            if listed.contains(&t.id) {
                self.unseen.remove(&(t.id, t.attempt));
                continue;
            }
            let since = *self.unseen.entry((t.id, t.attempt)).or_insert(now);
            let Some(run) = runs.get(&t.run_id) else { continue };
            if now - since < lost_after {
                continue;
            }
            let detail = json!({
                "task": t.key, "attempt": t.attempt, "state": "running",
                "cause": format!("no live worker has reported attempt {} for {}s", t.attempt, (now - since).num_seconds()),
            });
            let mut e = keyed(EventKind::TaskLost, run, now, detail, lost_attempt_key(t.id, t.attempt));
            e.task_id = Some(t.id);
            out.push(e);
        }
        out
    }

    async fn orchestrator_down(&self, now: DateTime<Utc>) -> Result<Option<NewEvent>, NotifierError> {
        let Some((holder, beat)) = self.store.last_beat(ferry_store::ORCHESTRATOR_ROLE).await? else {
            return Ok(None);
        };
        let Some(window) = repeat_window(now, beat, self.down_after, AlertSpec::DEFAULT_REPEAT) else { return Ok(None) };
        Ok(Some(NewEvent {
            id: Uuid::now_v7(),
            tenant_id: SYSTEM_TENANT,
            kind: EventKind::OrchestratorDown,
            pipeline_id: None,
            run_id: None,
            task_id: None,
            dedup_key: Some(format!("system.orchestrator_down:{}:{window}", beat.timestamp_millis())),
            detail: json!({"last_leader": holder, "last_seen": beat, "down_seconds": (now - beat).num_seconds()}),
            at: now,
        }))
    }
}

fn late(run: &RunRow, spec: &AlertSpec, now: DateTime<Utc>) -> Vec<NewEvent> {
    let mut out = Vec::new();
    if let Some(max) = spec.max_duration {
        let start = run.started_at.unwrap_or(run.created_at);
        if let Some(window) = repeat_window(now, start, max.0, spec.repeat()) {
            let detail = json!({"reason": "max_duration", "max_duration": humanize(max.0), "running_seconds": (now - start).num_seconds(), "state": run.state.as_str()});
            out.push(keyed(EventKind::RunLate, run, now, detail, format!("run.late:{}:max_duration:{window}", run.id)));
        }
    }
    if let Some(finish_by) = &spec.finish_by
        && run.trigger.kind == TriggerKind::Schedule
        && let Some(deadline) = finish_by.deadline_after(run.trigger.logical_time)
        && let Some(window) = repeat_window(now, deadline, Duration::ZERO, spec.repeat())
    {
        let detail = json!({"reason": "finish_by", "deadline": deadline, "finish_by": finish_by, "state": run.state.as_str()});
        out.push(keyed(EventKind::RunLate, run, now, detail, format!("run.late:{}:finish_by:{window}", run.id)));
    }
    out
}

/// Which `repeat`-long window past `since + after` `now` falls in; `None` before it
/// (and for an `after` too large to reach).
fn repeat_window(now: DateTime<Utc>, since: DateTime<Utc>, after: Duration, repeat: Duration) -> Option<i64> {
    let over = now.signed_duration_since(since).checked_sub(&chrono::Duration::from_std(after).ok()?)?;
    if over < chrono::Duration::zero() {
        return None;
    }
    let repeat_ms = i64::try_from(repeat.as_millis()).unwrap_or(i64::MAX).max(1);
    Some(over.num_milliseconds() / repeat_ms)
}

fn keyed(kind: EventKind, run: &RunRow, now: DateTime<Utc>, detail: Value, key: String) -> NewEvent {
    let mut e = NewEvent::about_run(kind, run.tenant_id, run.pipeline_id, run.id, now, detail);
    e.dedup_key = Some(key);
    e
}

fn alerts_in(spec: &Value) -> Option<AlertSpec> {
    spec.get("alerts").cloned().and_then(|v| serde_json::from_value(v).ok())
}

fn humanize(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_ongoing_condition_is_one_window_per_repeat() {
        let since = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        let after = Duration::from_secs(1800);
        let hour = Duration::from_secs(3600);
        let at = |m: i64| since + chrono::Duration::minutes(m);
        assert_eq!(repeat_window(at(29), since, after, hour), None);
        assert_eq!(repeat_window(at(30), since, after, hour), Some(0));
        assert_eq!(repeat_window(at(89), since, after, hour), Some(0));
        assert_eq!(repeat_window(at(90), since, after, hour), Some(1));
        assert_eq!(repeat_window(at(90), since, Duration::from_secs(u64::MAX / 4), hour), None, "no overflow");
    }
}
