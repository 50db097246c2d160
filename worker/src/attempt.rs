//! One delivery's life in the worker: announce, run, watch, report, settle.
//!
//! The order matters for at-least-once delivery: the `finished` event is published
//! first and the delivery acked only once the broker has it; when publishing fails the
//! delivery is handed back (`nack` with requeue) so the attempt runs again rather than
//! being lost. Executors are idempotent, so running twice is safe; losing a result is not.

use crate::shard_hub::{AttemptShardHub, Slot};
use crate::shared::Shared;
use ferry_common::broker::Delivery;
use ferry_common::executor::{ExecError, ProgressCounters, TaskOutput};
use ferry_common::messages::{EventKind, Outcome, Progress, TaskEvent, TaskMessage};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{AbortHandle, JoinError};
use tokio::time::{Instant, sleep, sleep_until};
use tracing::{Instrument, debug, info, warn};

/// How long an executor may take to wind down after its token fired (timeout or cancel
/// request) before its task is aborted outright.
const KILL_AFTER: Duration = Duration::from_secs(10);
/// How long a redelivered message whose attempt another worker has claimed waits before
/// it goes back to the queue; claims lapse a few heartbeats after their holder died.
const CLAIMED_REDELIVERY_PAUSE: Duration = Duration::from_secs(1);
/// Pauses between tries of publishing a `finished` event.
const PUBLISH_BACKOFF: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// Aborts the executor's task when the attempt is dropped (aborted at hard shutdown).
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How an attempt ends, as far as the broker is concerned.
enum End {
    /// Report this outcome, then ack.
    Report(Outcome),
    /// Stopped by shutdown: hand the message back without reporting.
    Requeue,
}

/// Runs one delivery to its end. `permit` (a concurrency slot) is held until then.
pub(crate) async fn run_attempt<P: Send + 'static>(
    shared: Arc<Shared>,
    delivery: Delivery<TaskMessage>,
    permit: P,
) {
    if delivery.message.shard.is_some() {
        return crate::shard_attempt::run(shared, delivery, permit).await;
    }
    let msg = delivery.message.clone();
    let span = tracing::info_span!(
        "attempt",
        task_id = %msg.task_id,
        attempt = msg.attempt,
        kind = msg.body.kind(),
        key = %msg.key
    );
    async move {
        let slot = Slot::new(permit);
        if delivery.redelivered {
            debug!("redelivered message");
        }
        match shared
            .coordinator
            .claim_attempt(msg.task_id, msg.attempt, &shared.worker_id, shared.claim_ttl)
            .await
        {
            Ok(true) => {}
            Ok(false) if delivery.redelivered => {
                // The worker that claimed this attempt lost its delivery: it died (maybe
                // before it announced the attempt, so the reaper cannot see it), or its
                // connection dropped. Hand the message back after a pause until the
                // claim is renewed no more and lapses; then whoever gets it runs it. If
                // the holder lives and finishes, the late run repeats idempotent work and
                // the orchestrator ignores its events (that attempt is over).
                debug!("attempt claimed by another worker; handing the redelivery back until the claim lapses");
                slot.release();
                sleep(CLAIMED_REDELIVERY_PAUSE).await;
                settle(delivery, false).await;
                return;
            }
            Ok(false) => {
                // A second copy of a message whose first copy another worker holds (a new
                // leader re-published what it could not prove was published). If that
                // worker dies, the first copy comes back redelivered (the arm above).
                info!("attempt already claimed by another worker; dropping the duplicate");
                settle(delivery, true).await;
                return;
            }
            Err(e) => {
                warn!(error = %e, "cannot claim the attempt; handing the task back");
                sleep(Duration::from_secs(1)).await;
                settle(delivery, false).await;
                return;
            }
        }
        let _running = shared.register(msg.task_id, msg.attempt);
        let progress = ProgressCounters::default();
        let run = execute(&shared, &msg, &progress, &slot);
        tokio::pin!(run);
        let end = if shared.announce_after.is_zero() {
            None
        } else {
            tokio::select! {
                end = &mut run => Some(end),
                _ = sleep(shared.announce_after) => None,
            }
        };
        let end = match end {
            Some(end) => end,
            None => {
                if let Err(e) = shared
                    .broker
                    .publish_event(&shared.event(&msg, EventKind::Started))
                    .await
                {
                    // Dropping `run` aborts the executor: the attempt goes back whole.
                    warn!(error = %e, "cannot publish the started event; handing the task back");
                    settle(delivery, false).await;
                    return;
                }
                run.await
            }
        };
        match end {
            End::Requeue => {
                info!("stopped by shutdown; handing the task back");
                settle(delivery, false).await;
            }
            End::Report(outcome) => {
                match &outcome {
                    Outcome::Succeeded { .. } => info!("succeeded"),
                    Outcome::Failed { error, retryable } => info!(%error, retryable, "failed"),
                    Outcome::PostConditionFailed { error } => info!(%error, "post-condition failed"),
                }
                let event = shared.event(
                    &msg,
                    EventKind::Finished {
                        outcome,
                        progress: progress.snapshot(),
                    },
                );
                let published = publish_finished(&shared, &event).await;
                settle(delivery, published).await;
            }
        }
    }
    .instrument(span)
    .await
}

/// Acks when the result is durable, else requeues.
async fn settle(delivery: Delivery<TaskMessage>, ack: bool) {
    let r = if ack {
        delivery.ack().await
    } else {
        delivery.nack(true).await
    };
    if let Err(e) = r {
        // The broker will redeliver an unsettled message; nothing more to do here.
        warn!(error = %e, ack, "cannot settle the delivery");
    }
}

async fn publish_finished(shared: &Shared, event: &TaskEvent) -> bool {
    let mut tries = PUBLISH_BACKOFF.iter();
    loop {
        match shared.broker.publish_event(event).await {
            Ok(()) => return true,
            Err(e) => match tries.next() {
                Some(pause) => {
                    warn!(error = %e, "cannot publish the finished event; retrying");
                    sleep(*pause).await;
                }
                None => {
                    warn!(error = %e, "cannot publish the finished event; handing the task back");
                    return false;
                }
            },
        }
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Runs the executor in its own task (so a panic is caught as a `JoinError`) while
/// publishing progress, polling for a cancel request and enforcing the timeout.
async fn execute(shared: &Shared, msg: &TaskMessage, progress: &ProgressCounters, slot: &Arc<Slot>) -> End {
    let kind = msg.body.kind();
    let Some(executor) = shared.registry.get(kind) else {
        return End::Report(Outcome::Failed {
            error: format!(
                "this worker has no executor for kind `{kind}` (it runs: {})",
                shared.registry.kinds().join(", ")
            ),
            retryable: false,
        });
    };
    if msg.shard.is_none()
        && let Err(error) = crate::roots::check(msg)
    {
        return End::Report(Outcome::Failed { error, retryable: false });
    }
    let token = shared.hard_stop.child_token();
    let hub = Arc::new(AttemptShardHub {
        broker: shared.broker.clone(),
        coordinator: shared.coordinator.clone(),
        template: msg.clone(),
        slot: slot.clone(),
    });
    let mut ctx = shared.exec_context(msg, progress, &token, Some(hub));
    match shared.open_connections(msg) {
        Ok(opened) => ctx.connections = opened,
        Err(error) => return End::Report(Outcome::Failed { error, retryable: false }),
    }
    let body = msg.body.clone();
    // Post-conditions belong to the whole task, so a shard does not check them.
    let post = if msg.shard.is_none() { msg.post.clone() } else { Vec::new() };
    let conditions = shared.registry.conditions().clone();
    let mut handle = tokio::spawn(
        async move {
            let out = executor.execute(&ctx, &body).await?;
            Ok(match conditions.check_post(&ctx, &body, &post).await? {
                None => Ok(out),
                Some(evidence) => Err(evidence),
            })
        }
        .instrument(tracing::Span::current()),
    );
    let _abort = AbortOnDrop(handle.abort_handle());

    let timeout = msg.timeout_secs.map(Duration::from_secs);
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut progress_tick = tokio::time::interval(shared.progress_every);
    progress_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first look is one period in: a task cancelled before it started was already
    // taken off the queue by the orchestrator, and a short task need not ask at all.
    let mut cancel_tick = tokio::time::interval_at(Instant::now() + shared.cancel_poll_every, shared.cancel_poll_every);
    cancel_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = Progress::default();
    let mut last_live = Instant::now();
    let (mut timed_out, mut cancel_requested, mut kill_at) = (false, false, None::<Instant>);

    let joined = loop {
        tokio::select! {
            r = &mut handle => break r,
            _ = progress_tick.tick() => {
                let snap = progress.snapshot();
                let ttl = shared.progress_every * 8;
                if snap != last {
                    last = snap;
                    let ev = shared.event(msg, EventKind::Progress { progress: snap });
                    let (published, live) = tokio::join!(
                        shared.broker.publish_event(&ev),
                        shared.coordinator.put_progress(msg.task_id, &snap, ttl)
                    );
                    last_live = Instant::now();
                    if let Err(e) = published.and(live) {
                        debug!(error = %e, "cannot publish progress");
                    }
                } else if last_live.elapsed() >= ttl / 2 {
                    // Unchanged (a migration between passes): keep the live figures
                    // from expiring, without an event for the orchestrator.
                    last_live = Instant::now();
                    if let Err(e) = shared.coordinator.put_progress(msg.task_id, &snap, ttl).await {
                        debug!(error = %e, "cannot refresh live progress");
                    }
                }
            }
            _ = cancel_tick.tick(), if !token.is_cancelled() => {
                match shared.coordinator.is_cancel_requested(msg.task_id).await {
                    Ok(true) => {
                        info!("cancel requested");
                        cancel_requested = true;
                        token.cancel();
                        kill_at = Some(Instant::now() + KILL_AFTER);
                    }
                    Ok(false) => {}
                    Err(e) => debug!(error = %e, "cannot poll the cancel flag"),
                }
            }
            _ = sleep_opt(deadline), if deadline.is_some() && !timed_out => {
                warn!("timed out");
                timed_out = true;
                token.cancel();
                kill_at = Some(Instant::now() + KILL_AFTER);
            }
            _ = shared.hard_stop.cancelled(), if kill_at.is_none() => {
                kill_at = Some(Instant::now() + KILL_AFTER);
            }
            _ = sleep_opt(kill_at), if kill_at.is_some() => {
                warn!("the executor did not stop when asked; aborting it");
                handle.abort();
                kill_at = None;
            }
        }
    };

    let stopped = || {
        if timed_out {
            let t = humantime::format_duration(timeout.unwrap_or_default());
            End::Report(Outcome::Failed {
                error: format!("timed out after {t}"),
                retryable: true,
            })
        } else if cancel_requested {
            End::Report(Outcome::Failed {
                error: "cancelled".into(),
                retryable: false,
            })
        } else if shared.hard_stop.is_cancelled() {
            End::Requeue
        } else {
            End::Report(Outcome::Failed {
                error: "cancelled".into(),
                retryable: false,
            })
        }
    };
    match joined {
        Ok(Ok(Ok(TaskOutput { result, report }))) => End::Report(Outcome::Succeeded { result, report }),
        Ok(Ok(Err(error))) => End::Report(Outcome::PostConditionFailed { error }),
        // An error while being stopped is most likely caused by the stop: report the stop.
        Ok(Err(_)) if token.is_cancelled() => stopped(),
        Ok(Err(ExecError::Cancelled)) => stopped(),
        Ok(Err(ExecError::Retryable(error))) => End::Report(Outcome::Failed {
            error,
            retryable: true,
        }),
        Ok(Err(ExecError::Fatal(error))) => End::Report(Outcome::Failed {
            error,
            retryable: false,
        }),
        Err(e) if e.is_panic() => End::Report(panicked(e)),
        // Aborted after ignoring its token for too long.
        Err(_) => stopped(),
    }
}

/// A panicking executor fails the attempt (retryable: the panic may be data-dependent
/// and transient) instead of taking the worker down.
fn panicked(e: JoinError) -> Outcome {
    let payload = e.into_panic();
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Outcome::Failed {
        error: format!("worker panicked: {text}"),
        retryable: true,
    }
}
