//! How an attempt's failure is answered: a retryable one is retried with exponential
//! backoff and jitter while retries last; a permanent one fails the task at once; an
//! attempt lost to a dead worker is run again without spending a retry, up to
//! `max_lost` times.

use super::{ActiveRun, Effects};
use chrono::{DateTime, Utc};
use ferry_common::failure::{Failure, FailureClass};
use ferry_common::state::TaskState;
use rand::Rng;

impl ActiveRun {
    /// Ends the current attempt of task `i` with `error`.
    pub(super) fn fail_attempt(
        &mut self,
        i: usize,
        error: &str,
        class: FailureClass,
        post_condition: bool,
        now: DateTime<Utc>,
        fx: &mut Effects,
    ) {
        let attempt = self.tasks[i].attempt;
        let spec = &self.spec.tasks[self.spec_index[i]];
        let policy = spec.retry_policy(&self.spec.defaults).clone();
        let t = &mut self.tasks[i];
        t.error = Some(error.to_string());
        t.failure = Some(Failure { class, message: error.to_string(), attempt, post_condition });
        let short = truncate(error, 300);
        // Lost attempts were never the task's fault and do not count against its retries.
        let spent = attempt.saturating_sub(t.lost);
        if class == FailureClass::Retryable && spent <= policy.max {
            let delay = jitter(policy.delay(spent));
            let at = now + chrono::Duration::from_std(delay).unwrap_or_default();
            self.tasks[i].retry_at = Some(at);
            let cause = format!("attempt {attempt} failed: {short}; retry in {}", humanize(delay));
            if self.set(i, TaskState::Retrying, &cause, now, fx) {
                self.retries.insert((at, i));
            }
        } else {
            let why = match class {
                FailureClass::Permanent => "permanent error, not retried",
                FailureClass::Retryable => "retries spent",
            };
            let cause = format!("attempt {attempt} failed ({why}): {short}");
            self.set(i, TaskState::Failed, &cause, now, fx);
        }
    }

    /// The worker running task `i` is gone (its lease lapsed, or the process that ran it
    /// restarted): run the attempt again at once, without spending a retry, unless the
    /// task has already lost `max_lost` attempts.
    pub(super) fn lose_attempt(&mut self, i: usize, why: &str, now: DateTime<Utc>, fx: &mut Effects) {
        let max_lost = self.spec.tasks[self.spec_index[i]].effective_max_lost(&self.spec.defaults);
        let t = &mut self.tasks[i];
        t.lost += 1;
        let (lost, attempt) = (t.lost, t.attempt);
        if lost > max_lost {
            let message = format!("lost {max_lost} times: {why}");
            t.error = Some(message.clone());
            t.failure = Some(Failure { class: FailureClass::Permanent, message: message.clone(), attempt, post_condition: false });
            self.set(i, TaskState::Failed, &format!("{} {message}", lost_prefix(attempt)), now, fx);
            return;
        }
        t.error = Some(why.to_string());
        let cause = format!("{} ({lost} of {max_lost} allowed): {why}", lost_prefix(attempt));
        if self.set(i, TaskState::Retrying, &cause, now, fx) {
            self.dispatch(i, "run again after a lost attempt", now, fx);
        }
    }

    /// Queues again every retrying task whose delay has passed.
    pub fn due_retries(&mut self, now: DateTime<Utc>, fx: &mut Effects) {
        while let Some(&(at, i)) = self.retries.first() {
            if at > now {
                break;
            }
            self.retries.pop_first();
            if self.tasks[i].state == TaskState::Retrying {
                self.dispatch(i, "retry delay passed", now, fx);
            }
        }
    }

    /// When the next retry is due, so the engine can sleep until then.
    pub fn next_retry_at(&self) -> Option<DateTime<Utc>> {
        self.retries.first().map(|(at, _)| *at)
    }
}

/// How the cause of a lost attempt's transition begins; [`lost_attempt_of`] reads it
/// back, so the outbox can tell a loss from a failure without a second record.
fn lost_prefix(attempt: u32) -> String {
    format!("attempt {attempt} lost")
}

/// The attempt a transition's cause says was lost to a dead worker, if it says so.
pub fn lost_attempt_of(cause: &str) -> Option<u32> {
    let rest = cause.strip_prefix("attempt ")?;
    let (number, rest) = rest.split_once(' ')?;
    let attempt = number.parse().ok()?;
    (rest.starts_with("lost ") || rest == "lost").then_some(attempt)
}

/// Spreads a retry delay over ±20%, so tasks that failed together (a store went away)
/// do not all come back in the same instant.
fn jitter(delay: std::time::Duration) -> std::time::Duration {
    delay.mul_f64(rand::rng().random_range(0.8..=1.2))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn humanize(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 { format!("{ms}ms") } else { format!("{}s", ms / 1000) }
}
