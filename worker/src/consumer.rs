//! The consumer loop: deliveries from the task queues → attempts, at most `concurrency`
//! at a time, plus the heartbeat, and an orderly shutdown.
//!
//! Shutdown (the token fires): no new deliveries are taken; running attempts get
//! `shutdown_grace` to finish and report; then they are cancelled and their messages
//! handed back to the queue (`nack` with requeue) for another worker. Messages the broker
//! had prefetched but this worker never started go back when the consumer streams are
//! dropped.

use crate::attempt::run_attempt;
use crate::shared::Shared;
use crate::config::{WorkerConfig, hostname};
use crate::error::WorkerError;
use crate::executors::Registry;
use chrono::Utc;
use ferry_common::broker::Broker;
use ferry_common::coordination::{Coordinator, WorkerInfo};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// After the grace, how long cancelled attempts get to hand their messages back before
/// they are aborted (their deliveries then return to the queue when dropped).
const HARD_STOP_WAIT: Duration = Duration::from_secs(10);
/// Pause after a broken delivery, so a failing broker is not spun on.
const DELIVERY_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Runs a worker until `shutdown` fires: consumes `cfg.queues`, runs each task with the
/// executor `registry` has for its kind, publishes `started`/`progress`/`finished` events
/// and heartbeats. Returns `Ok` after an orderly shutdown, an error when the broker cannot
/// be consumed or closes every stream on its own.
pub async fn run_worker(
    cfg: WorkerConfig,
    broker: Arc<dyn Broker>,
    coordinator: Arc<dyn Coordinator>,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> Result<(), WorkerError> {
    let prefetch = cfg.effective_prefetch();
    let concurrency = cfg.concurrency.max(1) as usize;
    let queues = if cfg.queues.is_empty() {
        vec![ferry_common::messages::DEFAULT_QUEUE.to_string()]
    } else {
        cfg.queues.clone()
    };
    let mut streams = Vec::with_capacity(queues.len());
    for q in &queues {
        streams.push(
            broker
                .consume_tasks(q, prefetch)
                .await
                .map_err(WorkerError::Broker)?,
        );
    }
    let mut deliveries = futures::stream::select_all(streams);
    info!(worker = %cfg.id, ?queues, concurrency, prefetch, kinds = ?registry.kinds(), "worker started");

    let mut shared = Shared::new(
        cfg.id.clone(),
        cfg.progress_every,
        cfg.cancel_poll_every,
        broker,
        coordinator,
        registry,
    );
    // Claims are renewed with every heartbeat; three periods survive a slow one.
    shared.claim_ttl = cfg.heartbeat_every.max(Duration::from_millis(10)) * 3;
    shared.announce_after = cfg.announce_after;
    shared.master_key = shared.registry.master_key().cloned();
    let shared = Arc::new(shared);
    let heartbeat_stop = CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat_loop(
        shared.clone(),
        WorkerInfo {
            id: cfg.id.clone(),
            hostname: hostname(),
            queues,
            concurrency: cfg.concurrency.max(1),
            running: Vec::new(),
            started_at: Utc::now(),
            last_seen: Utc::now(),
        },
        cfg.heartbeat_every,
        heartbeat_stop.clone(),
    ));

    let slots = Arc::new(Semaphore::new(concurrency));
    let mut attempts = JoinSet::new();
    let mut streams_ended = false;
    loop {
        while let Some(r) = attempts.try_join_next() {
            log_join(r);
        }
        // A slot first, then a delivery: never hold a message no slot can run.
        let permit = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => p.expect("the slot semaphore is never closed"),
        };
        let next = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            d = deliveries.next() => d,
        };
        match next {
            Some(Ok(delivery)) => {
                attempts.spawn(run_attempt(shared.clone(), delivery, permit));
            }
            Some(Err(e)) => {
                warn!(error = %e, "broken delivery");
                drop(permit);
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(DELIVERY_ERROR_PAUSE) => {}
                }
            }
            None => {
                streams_ended = true;
                break;
            }
        }
    }
    drop(deliveries);
    info!(running = attempts.len(), "worker stopping: no new tasks");
    drain(&mut attempts, cfg.shutdown_grace, &shared.hard_stop).await;
    heartbeat_stop.cancel();
    if let Err(e) = heartbeat.await {
        warn!(error = %e, "heartbeat task failed");
    }
    info!("worker stopped");
    if streams_ended && !shutdown.is_cancelled() {
        return Err(WorkerError::StreamsClosed);
    }
    Ok(())
}

/// Waits for running attempts: up to `grace` for them to finish, then cancels them (they
/// requeue their messages) and, as a last resort, aborts them.
async fn drain(attempts: &mut JoinSet<()>, grace: Duration, hard_stop: &CancellationToken) {
    if tokio::time::timeout(grace, join_all(attempts))
        .await
        .is_ok()
    {
        return;
    }
    warn!(
        running = attempts.len(),
        "shutdown grace elapsed; cancelling running attempts"
    );
    hard_stop.cancel();
    if tokio::time::timeout(HARD_STOP_WAIT, join_all(attempts))
        .await
        .is_ok()
    {
        return;
    }
    warn!(
        running = attempts.len(),
        "attempts ignored cancellation; aborting them"
    );
    attempts.abort_all();
    join_all(attempts).await;
}

async fn join_all(attempts: &mut JoinSet<()>) {
    while let Some(r) = attempts.join_next().await {
        log_join(r);
    }
}

fn log_join(r: Result<(), tokio::task::JoinError>) {
    if let Err(e) = r
        && e.is_panic()
    {
        warn!(error = %e, "an attempt task panicked");
    }
}

/// Announces this worker (and what it runs) every `every`, alive for three periods.
async fn heartbeat_loop(
    shared: Arc<Shared>,
    mut info: WorkerInfo,
    every: Duration,
    stop: CancellationToken,
) {
    let every = every.max(Duration::from_millis(10));
    let ttl = every * 3;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {
                info.running = shared.running();
                info.last_seen = Utc::now();
                if let Err(e) = shared.coordinator.heartbeat(&info, ttl).await {
                    warn!(error = %e, "heartbeat failed");
                }
                shared.renew_claims().await;
            }
        }
    }
}
