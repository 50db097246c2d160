//! What a delivery attempt's events do to its row: a start is recorded, a success makes
//! it `delivered` (and moves its dataset's marker), a failure the destination may get
//! over (refused connection, 5xx, timeout) makes it `retrying` with backoff until
//! `deliver_within` has passed, and any other failure makes it `failed`.

use chrono::{DateTime, Utc};
use ferry_common::delivery_state::DeliveryState;
use ferry_common::messages::{EventKind, Outcome, TaskEvent};
use ferry_common::notify::EventKind as NotifyKind;
use ferry_store::{DatasetMarkerRow, DeliveryChange, DeliveryRow, NewEvent};
use serde_json::json;
use std::time::Duration;

/// First pause between attempts; it doubles up to [`BACKOFF_MAX`].
const BACKOFF_FIRST: Duration = Duration::from_secs(2);
/// Longest pause between attempts: a destination that comes back is served within it.
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// How long to wait after the `attempts`-th failed attempt.
pub(crate) fn backoff(attempts: u32) -> Duration {
    BACKOFF_FIRST.saturating_mul(1 << attempts.saturating_sub(1).min(16)).min(BACKOFF_MAX)
}

/// Applies one event of the running delivery `d`; the change to commit, if any. After a
/// change to a final or retrying state the delivery is no longer out with a worker.
pub(crate) fn apply_event(d: &mut DeliveryRow, event: &TaskEvent, now: DateTime<Utc>) -> Option<DeliveryChange> {
    if event.attempt != d.attempts || d.state != DeliveryState::Running {
        return None;
    }
    let before = d.clone();
    match &event.kind {
        EventKind::Progress { .. } => return None,
        // Quick attempts finish unannounced; `started_at` is then the claim's time.
        EventKind::Started => {
            d.started_at = Some(event.at);
        }
        EventKind::Finished { outcome: Outcome::Succeeded { result, .. }, .. } => {
            d.state = DeliveryState::Delivered;
            d.result = Some(result.clone());
            d.last_error = None;
            d.finished_at = Some(event.at);
        }
        EventKind::Finished { outcome: Outcome::Failed { error, retryable }, .. } => fail(d, error, *retryable, now),
        EventKind::Finished { outcome: Outcome::PostConditionFailed { error }, .. } => fail(d, error, true, now),
    }
    Some(DeliveryChange::new(before.state, d.clone()))
}

/// The attempt failed with `error`: retry after a pause while the window lasts.
fn fail(d: &mut DeliveryRow, error: &str, retryable: bool, now: DateTime<Utc>) {
    d.last_error = Some(error.to_owned());
    let next = now + chrono::Duration::from_std(backoff(d.attempts)).unwrap_or_default();
    let within = d.deliver_by.is_none_or(|by| next < by);
    if retryable && within {
        d.state = DeliveryState::Retrying;
        d.next_attempt_at = Some(next);
    } else {
        d.state = DeliveryState::Failed;
        d.finished_at = Some(now);
        if retryable {
            d.last_error = Some(format!("not delivered within its deliver_within; last error: {error}"));
        }
    }
}

/// The attempt of `d` was lost with its worker: it is retried at once (a lost attempt
/// says nothing about the destination).
pub(crate) fn lose_attempt(d: &DeliveryRow, why: &str, now: DateTime<Utc>) -> DeliveryChange {
    let mut row = d.clone();
    row.state = DeliveryState::Retrying;
    row.last_error = Some(why.to_owned());
    row.next_attempt_at = Some(now);
    DeliveryChange::new(d.state, row)
}

/// The marker a delivered delivery of a dataset moves.
pub(crate) fn marker_of(d: &DeliveryRow) -> Option<DatasetMarkerRow> {
    if d.state != DeliveryState::Delivered {
        return None;
    }
    Some(DatasetMarkerRow {
        tenant_id: d.tenant_id,
        dataset: d.dataset.clone()?,
        destination: d.destination.clone(),
        delivered_at: d.finished_at?,
        pipeline_id: d.pipeline_id,
        run_id: d.run_id,
        task_id: d.task_id,
        logical_time: d.logical_time,
        position: None,
    })
}

/// The `delivery.failed` event of a delivery that failed.
pub(crate) fn event_of(d: &DeliveryRow) -> Option<NewEvent> {
    if d.state != DeliveryState::Failed {
        return None;
    }
    let detail = json!({
        "delivery": d.id,
        "task": d.task_key,
        "dataset": d.dataset,
        "destination": d.destination,
        "attempts": d.attempts,
        "state": d.state,
        "error": d.last_error,
    });
    let mut e = NewEvent::about_run(NotifyKind::DeliveryFailed, d.tenant_id, d.pipeline_id, d.run_id, d.finished_at.unwrap_or_else(Utc::now), detail);
    e.task_id = Some(d.task_id);
    e.dedup_key = Some(format!("delivery.failed:{}:{}", d.id, d.attempts));
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }
}
