//! Trigger rules: when every dependency a rule needs has settled, a pending task runs
//! (or starts waiting for its conditions) or is skipped, and a skip settles its own
//! dependants in turn. Settled tasks are drained from a work list rather than by
//! recursion, so a chain of ten thousand skips does not grow the stack.

use super::{ActiveRun, Effects};
use chrono::{DateTime, Utc};
use ferry_common::conditions::TriggerRule;
use ferry_common::state::TaskState;

/// What a pending task's dependencies say about it now.
#[derive(Debug, PartialEq)]
enum Decision {
    /// Some dependency it needs has not finished.
    Wait,
    /// Its rule is satisfied.
    Run,
    /// Its rule can no longer be satisfied; the text says why.
    Skip(String),
}

impl ActiveRun {
    /// Records that task `i` reached a final state, and decides every pending dependant
    /// whose rule that settles.
    pub(super) fn settle(&mut self, i: usize, now: DateTime<Utc>, fx: &mut Effects) {
        self.settled.push(i);
        if self.propagating {
            return;
        }
        self.propagating = true;
        while let Some(j) = self.settled.pop() {
            for k in 0..self.dependants[j].len() {
                let d = self.dependants[j][k];
                self.undone[d] = self.undone[d].saturating_sub(1);
                self.reconsider(d, now, fx);
            }
        }
        self.propagating = false;
    }

    /// Runs or skips pending task `d` if its dependencies decide it.
    pub(super) fn reconsider(&mut self, d: usize, now: DateTime<Utc>, fx: &mut Effects) {
        if self.tasks[d].state != TaskState::Pending || self.row.cancel_requested {
            return;
        }
        match self.decide(d) {
            Decision::Wait => {}
            Decision::Run => self.ready(d, "dependencies met", now, fx),
            Decision::Skip(why) => {
                self.set(d, TaskState::Skipped, &why, now, fx);
            }
        }
    }

    fn decide(&self, d: usize) -> Decision {
        let rule = self.spec.tasks[self.spec_index[d]].trigger_rule;
        let all_done = self.undone[d] == 0;
        let settled = || self.deps[d].iter().map(|&k| (&self.tasks[k].key, self.tasks[k].state)).filter(|(_, s)| s.is_terminal());
        match rule {
            TriggerRule::AllSucceeded => match settled().find(|(_, s)| *s != TaskState::Succeeded) {
                Some((key, TaskState::Failed)) => Decision::Skip(format!("upstream task `{key}` failed")),
                Some((key, state)) => Decision::Skip(format!("upstream task `{key}` was {state}")),
                None if all_done => Decision::Run,
                None => Decision::Wait,
            },
            TriggerRule::AllDone if all_done => Decision::Run,
            TriggerRule::AllDone => Decision::Wait,
            TriggerRule::OneFailed => {
                if settled().any(|(_, s)| s == TaskState::Failed) {
                    Decision::Run
                } else if all_done {
                    Decision::Skip("trigger rule one_failed: no upstream task failed".into())
                } else {
                    Decision::Wait
                }
            }
            TriggerRule::AllFailed => match settled().find(|(_, s)| *s != TaskState::Failed) {
                Some((key, state)) => {
                    Decision::Skip(format!("trigger rule all_failed: upstream task `{key}` {state}"))
                }
                None if all_done => Decision::Run,
                None => Decision::Wait,
            },
        }
    }

    /// A task whose dependencies allow it to run: it waits for its conditions if it has
    /// any, else it is queued.
    pub(super) fn ready(&mut self, i: usize, cause: &str, now: DateTime<Utc>, fx: &mut Effects) {
        if self.spec.tasks[self.spec_index[i]].gate().is_empty() && !self.is_ordered(i) {
            self.dispatch(i, cause, now, fx);
        } else {
            self.start_waiting(i, now, fx);
        }
    }
}
