//! The reaper: an attempt that ran past its timeout is failed as retryable (it goes back
//! to the queue as a new attempt, or fails for good once its retries are spent); an
//! attempt that no worker is running any more is lost, and runs again without spending
//! a retry (up to `max_lost`).
//!
//! "No worker is running it" is judged from the heartbeats: every live worker lists
//! the tasks it runs. A task is reaped only after it has been missing from every list
//! for a whole grace period, so a task that just started (not yet in a heartbeat) or a
//! coordinator that was briefly empty (Redis restarted, workers not yet re-announced)
//! does not cost an attempt.

use super::{ActiveRun, Effects};
use chrono::{DateTime, Utc};
use ferry_common::failure::FailureClass;
use ferry_common::state::TaskState;
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

impl ActiveRun {
    /// Fails the attempts of `running` tasks that `live` (task ids listed by live
    /// workers) has not shown for `grace`, or that ran `grace` past their timeout.
    /// Returns how many attempts it failed.
    pub fn reap(&mut self, live: &HashSet<Uuid>, grace: Duration, now: DateTime<Utc>, fx: &mut Effects) -> usize {
        let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        let mut lost = Vec::new();
        let mut overdue = Vec::new();
        for i in 0..self.tasks.len() {
            if self.tasks[i].state != TaskState::Running {
                continue;
            }
            let timeout = self.spec.tasks[self.spec_index[i]].effective_timeout(&self.spec.defaults);
            let since = *self.running_since.entry(i).or_insert(now);
            if let Some(limit) = timeout.and_then(|t| chrono::Duration::from_std(t.0).ok())
                && now - since > limit + grace
            {
                overdue.push((i, format!("timed out: still running {} after its {}s timeout", fmt(now - since), limit.num_seconds())));
                continue;
            }
            if live.contains(&self.tasks[i].id) {
                self.unseen_since.remove(&i);
                continue;
            }
            let unseen = *self.unseen_since.entry(i).or_insert(now);
            if now - unseen > grace {
                lost.push((i, format!("worker lost: no live worker has reported this attempt for {}", fmt(now - unseen))));
            }
        }
        let n = lost.len() + overdue.len();
        for (i, why) in overdue {
            self.fail_attempt(i, &why, FailureClass::Retryable, false, now, fx);
        }
        for (i, why) in lost {
            self.lose_attempt(i, &why, now, fx);
        }
        if n > 0 {
            self.check_finished(now, fx);
        }
        n
    }
}

fn fmt(d: chrono::Duration) -> String {
    format!("{}s", d.num_seconds())
}
