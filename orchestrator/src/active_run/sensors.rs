//! Tasks waiting for conditions (`pre`, or a `wait` task's `until`). The run decides
//! when each is checked and what a check's answer does; the engine does the checking,
//! off the step loop, through the condition evaluator. A waiting task holds no worker:
//! it is not queued until its conditions hold, and a `wait` task never is.

use super::{ActiveRun, Effects};
use chrono::{DateTime, Utc};
use ferry_common::conditions::{Condition, OnTimeout};
use ferry_common::failure::{Failure, FailureClass};
use ferry_common::state::TaskState;
use uuid::Uuid;

/// A check the engine should make now.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The run's tenant: whose datasets a `fresh` condition reads.
    pub tenant: Uuid,
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// Every condition that must hold, in spec order (checking stops at the first that
    /// does not).
    pub conditions: Vec<Condition>,
    /// The tenant's stored connections the run names, sealed (the engine fills them in).
    pub stored: Vec<ferry_common::connections::SealedConnection>,
    /// For an incremental copy: the earlier runs whose same task must finish first.
    pub ordering: Option<OrderingProbe>,
}

/// An incremental copy's place in line: run N+1's task writes its sync destinations only
/// after run N's same task has finished (succeeded, failed or given up).
#[derive(Debug, Clone)]
pub struct OrderingProbe {
    pub pipeline_id: Uuid,
    pub task_key: String,
    /// `ordering: fail`: an earlier unfinished run fails the task instead of holding it.
    pub fail: bool,
}

/// What checking a task's conditions found.
#[derive(Debug, Clone, PartialEq)]
pub enum GateVerdict {
    /// Every condition holds.
    Holds,
    /// The named condition does not hold yet (or could not be checked for a reason that
    /// may pass); the text names it and what was seen.
    Unmet(String),
    /// A condition cannot ever be checked as written (invalid SQL, refused credentials).
    Broken(String),
}

impl ActiveRun {
    /// Whether task `i` is an incremental copy, which waits for its place in line.
    pub(super) fn is_ordered(&self, i: usize) -> bool {
        self.ordering_of(i).is_some()
    }

    fn ordering_of(&self, i: usize) -> Option<OrderingProbe> {
        match &self.spec.tasks[self.spec_index[i]].body {
            ferry_common::spec::TaskBody::Copy(c) if c.incremental => Some(OrderingProbe {
                pipeline_id: self.row.pipeline_id,
                task_key: self.tasks[i].key.clone(),
                fail: c.ordering == ferry_common::spec::DeliveryOrdering::Fail,
            }),
            _ => None,
        }
    }

    /// Moves a ready task to `waiting` and checks its conditions at once.
    pub(super) fn start_waiting(&mut self, i: usize, now: DateTime<Utc>, fx: &mut Effects) {
        if self.set(i, TaskState::Waiting, "waiting for conditions", now, fx) {
            self.sensors.insert((now, i));
        }
    }

    /// The checks due by `now`, each marked under way until its verdict comes back.
    pub fn due_probes(&mut self, now: DateTime<Utc>) -> Vec<ProbeRequest> {
        let mut due = Vec::new();
        while let Some(&(at, i)) = self.sensors.first() {
            if at > now {
                break;
            }
            self.sensors.pop_first();
            if self.tasks[i].state != TaskState::Waiting || !self.probing.insert(i) {
                continue;
            }
            due.push(ProbeRequest {
                tenant: self.row.tenant_id,
                run_id: self.row.id,
                task_id: self.tasks[i].id,
                conditions: self.spec.tasks[self.spec_index[i]].gate().to_vec(),
                stored: Vec::new(),
                ordering: self.ordering_of(i),
            });
        }
        due
    }

    /// When the next check is due, so the engine can sleep until then.
    pub fn next_probe_at(&self) -> Option<DateTime<Utc>> {
        self.sensors.first().map(|(at, _)| *at)
    }

    /// Applies a check made at `checked_at`: the task is queued (a `wait` task succeeds),
    /// checked again after its poke, or ends when its deadline has passed.
    pub fn apply_probe(&mut self, task_id: Uuid, checked_at: DateTime<Utc>, verdict: GateVerdict, now: DateTime<Utc>, fx: &mut Effects) {
        let Some(&i) = self.by_id.get(&task_id) else { return };
        if !self.probing.remove(&i) || self.tasks[i].state != TaskState::Waiting {
            return;
        }
        let spec = &self.spec.tasks[self.spec_index[i]];
        let (policy, on_worker, conditions) = (spec.wait_policy(), spec.body.as_kind().runs_on_worker(), spec.gate().len());
        let deadline = match self.tasks[i].wait_deadline {
            Some(d) => d,
            None => {
                let d = checked_at + chrono::Duration::from_std(policy.timeout.0).unwrap_or(chrono::Duration::MAX);
                self.tasks[i].wait_deadline = Some(d);
                self.mark(i);
                d
            }
        };
        match verdict {
            GateVerdict::Holds if on_worker => self.dispatch(i, "conditions hold", now, fx),
            GateVerdict::Holds => {
                let t = &mut self.tasks[i];
                t.waiting_for = None;
                t.result = Some(serde_json::json!({
                    "conditions": conditions,
                    "summary": format!("{conditions} condition(s) held"),
                }));
                self.set(i, TaskState::Succeeded, "conditions hold", now, fx);
            }
            GateVerdict::Broken(why) => self.end_wait(i, FailureClass::Permanent, &why, OnTimeout::Fail, now, fx),
            GateVerdict::Unmet(what) if now >= deadline => {
                let waited = humantime::format_duration(policy.timeout.0);
                let why = format!("timed out after {waited} waiting for {what}");
                self.end_wait(i, FailureClass::Permanent, &why, policy.on_timeout, now, fx);
            }
            GateVerdict::Unmet(what) => {
                if self.tasks[i].waiting_for.as_deref() != Some(what.as_str()) {
                    self.tasks[i].waiting_for = Some(what);
                    self.mark(i);
                }
                let poke = chrono::Duration::from_std(policy.poke.0).unwrap_or(chrono::Duration::MAX);
                let next = now.checked_add_signed(poke).unwrap_or(deadline).min(deadline);
                self.sensors.insert((next, i));
            }
        }
        self.check_finished(now, fx);
    }

    fn end_wait(&mut self, i: usize, class: FailureClass, why: &str, on_timeout: OnTimeout, now: DateTime<Utc>, fx: &mut Effects) {
        let t = &mut self.tasks[i];
        t.error = Some(why.to_string());
        match on_timeout {
            OnTimeout::Fail => {
                t.failure = Some(Failure { class, message: why.to_string(), attempt: t.attempt, post_condition: false });
                self.set(i, TaskState::Failed, why, now, fx);
            }
            OnTimeout::Skip => {
                self.set(i, TaskState::Skipped, why, now, fx);
            }
        }
    }
}
