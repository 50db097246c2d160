//! Running a shard delivery: no claim and no task events (the orchestrator knows only
//! the parent), progress and outcome go to the coordinator as the shard's state, and the
//! message is acked once that state is stored. A shard stopped by shutdown goes back to
//! the queue. Every shard looks its destination files up again before deciding, so a
//! redone shard skips what its dead worker already wrote.

use crate::shared::Shared;
use ferry_common::broker::Delivery;
use ferry_common::executor::{ExecError, ProgressCounters};
use ferry_common::messages::TaskMessage;
use ferry_common::shards::ShardState;
use std::sync::Arc;
use std::time::Duration;
use tracing::{Instrument, info, warn};

/// Pauses between tries of storing a shard's final state.
const STORE_BACKOFF: [Duration; 3] = [Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(3)];

/// Runs one shard delivery to its end; `permit` (a concurrency slot) is held until then.
pub(crate) async fn run<P: Send>(shared: Arc<Shared>, delivery: Delivery<TaskMessage>, permit: P) {
    let msg = delivery.message.clone();
    let Some(order) = msg.shard.clone() else { return };
    let span = tracing::info_span!("shard", task_id = %msg.task_id, attempt = msg.attempt, shard = order.index, key = %msg.key);
    async move {
        let _permit = permit;
        let progress = ProgressCounters::default();
        let token = shared.hard_stop.child_token();
        let outcome = match shared.registry.get(msg.body.kind()) {
            None => Err(ExecError::Fatal(format!("this worker has no executor for kind `{}`", msg.body.kind()))),
            Some(executor) => {
                let mut ctx = shared.exec_context(&msg, &progress, &token, None);
                // The parent attempt opened these already; a failure here is the same one.
                ctx.connections = shared.open_connections(&msg).unwrap_or(None);
                let body = msg.body.clone();
                let index = order.index;
                let order = order.clone();
                let handle = tokio::spawn(
                    async move { executor.execute_shard(&ctx, &body, &order).await }.in_current_span(),
                );
                watch(&shared, &msg, index, &progress, &token, handle).await
            }
        };
        let snapshot = progress.snapshot();
        let state = match outcome {
            Err(ExecError::Cancelled) if shared.hard_stop.is_cancelled() => {
                info!("stopped by shutdown; handing the shard back");
                settle(delivery, false).await;
                return;
            }
            Ok(mut state) => {
                state.files_done = snapshot.files_done;
                state.bytes_done = snapshot.bytes_done;
                state
            }
            Err(e) => {
                let (error, retryable) = match e {
                    ExecError::Retryable(m) => (m, true),
                    ExecError::Fatal(m) => (m, false),
                    ExecError::Cancelled => ("cancelled".to_string(), false),
                };
                info!(%error, retryable, "shard failed");
                ShardState {
                    done: true,
                    error: Some((format!("shard {}: {error}", order.index), retryable)),
                    files_done: snapshot.files_done,
                    bytes_done: snapshot.bytes_done,
                    ..ShardState::default()
                }
            }
        };
        let stored = store(&shared, &msg, order.index, &state).await;
        settle(delivery, stored).await;
    }
    .instrument(span)
    .await
}

/// Waits for the shard while reporting its progress and watching the task's cancel flag.
async fn watch(
    shared: &Shared,
    msg: &TaskMessage,
    index: u32,
    progress: &ProgressCounters,
    token: &tokio_util::sync::CancellationToken,
    mut handle: tokio::task::JoinHandle<Result<ShardState, ExecError>>,
) -> Result<ShardState, ExecError> {
    let mut tick = tokio::time::interval(shared.progress_every);
    let mut poll = tokio::time::interval(shared.cancel_poll_every);
    let mut last = progress.snapshot();
    loop {
        tokio::select! {
            joined = &mut handle => {
                return joined.unwrap_or_else(|e| Err(ExecError::Fatal(format!("the shard's executor stopped: {e}"))));
            }
            _ = tick.tick() => {
                let now = progress.snapshot();
                if now != last {
                    last = now;
                    let state = ShardState { files_done: now.files_done, bytes_done: now.bytes_done, ..ShardState::default() };
                    if let Err(e) = shared.coordinator.put_shard_state(msg.task_id, msg.attempt, index, &state).await {
                        warn!(error = %e, "cannot report shard progress");
                    }
                }
            }
            _ = poll.tick() => {
                if shared.coordinator.is_cancel_requested(msg.task_id).await.unwrap_or(false) {
                    token.cancel();
                }
            }
        }
    }
}

async fn store(shared: &Shared, msg: &TaskMessage, index: u32, state: &ShardState) -> bool {
    let mut pauses = STORE_BACKOFF.iter();
    loop {
        match shared.coordinator.put_shard_state(msg.task_id, msg.attempt, index, state).await {
            Ok(()) => return true,
            Err(e) => match pauses.next() {
                Some(p) => {
                    warn!(error = %e, "cannot store the shard's state; retrying");
                    tokio::time::sleep(*p).await;
                }
                None => {
                    warn!(error = %e, "cannot store the shard's state; handing the shard back");
                    return false;
                }
            },
        }
    }
}

async fn settle(delivery: Delivery<TaskMessage>, ack: bool) {
    let r = if ack { delivery.ack().await } else { delivery.nack(true).await };
    if let Err(e) = r {
        warn!(error = %e, ack, "cannot settle the shard delivery");
    }
}
