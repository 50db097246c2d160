//! Delivery: due notifications go out, each answer recorded before the notification is
//! free again.
//!
//! At most `per_channel` attempts run at once per channel and `in_flight` in all, each
//! bounded by the request timeout: a receiver that answers slowly holds its own
//! channel's slots, never another's. A channel keeps at most four times its slots
//! queued in memory; once it has that many it is left out of the next read of due
//! notifications, so its backlog stays in the table and cannot crowd the others out. A failed attempt is tried again after 1 s, doubling
//! up to 5 min between tries, until `give_up_after` has passed since the notification
//! was created; then it is `failed`.

use crate::channel::ChannelConfig;
use crate::config::NotifierConfig;
use crate::error::NotifierError;
use crate::route::body_of;
use crate::send::{Answer, Sender};
use chrono::{DateTime, SubsecRound, Utc};
use ferry_common::sealed::MasterKey;
use ferry_store::{AttemptRecord, ChannelRow, EventRow, NotificationRow, NotificationState, Store};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Due notifications read at once.
const PAGE: u64 = 500;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s, … at most 5 min.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    Duration::from_secs(1u64 << exp).min(MAX_BACKOFF)
}

/// What an attempt's answer makes of a notification; `hopeless` answers (the channel
/// is gone) fail it at once.
pub fn after_attempt(n: &NotificationRow, answer: &Answer, hopeless: bool, now: DateTime<Utc>, give_up_after: Duration) -> AttemptRecord {
    let attempts = n.attempts.saturating_add(1);
    let (state, next) = if answer.delivered {
        (NotificationState::Delivered, now)
    } else {
        let next = chrono::Duration::from_std(backoff(attempts)).ok().and_then(|d| now.checked_add_signed(d)).unwrap_or(now);
        // A window too large for the calendar never ends.
        let give_up = chrono::Duration::from_std(give_up_after).ok().and_then(|d| n.created_at.checked_add_signed(d));
        if hopeless || give_up.is_some_and(|g| next > g) { (NotificationState::Failed, now) } else { (NotificationState::Retrying, next) }
    };
    AttemptRecord { id: n.id, state, attempts, next_attempt_at: next, answer: answer.line(), at: now }
}

/// Attempts a channel may have queued in memory (waiting for a slot or under way), as
/// a multiple of its slots: enough to keep its slots busy between two reads, few enough
/// that a slow channel's backlog stays in the table.
const QUEUE_PER_SLOT: usize = 4;

/// One channel's slots and the attempts queued for them.
#[derive(Clone)]
struct Lane {
    gate: Arc<Semaphore>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
}

/// One attempt: claim the pair, send, record the answer (retrying the write while the
/// database is away). Whether the outcome is recorded (or the pair was not ours).
async fn attempt(
    store: &Store,
    sender: &Sender,
    n: &NotificationRow,
    channel: Option<Result<ChannelConfig, NotifierError>>,
    event: Option<EventRow>,
    hold: Duration,
    give_up: Duration,
) -> bool {
    let now = Utc::now().trunc_subsecs(6);
    let until = chrono::Duration::from_std(hold).ok().and_then(|d| now.checked_add_signed(d)).unwrap_or(now);
    match store.claim_notification(n.id, n.attempts, now, until).await {
        Ok(true) => {}
        Ok(false) => return true,
        Err(e) => {
            tracing::warn!(notification = %n.id, error = %e, "cannot claim a notification; trying later");
            return true;
        }
    }
    let (answer, hopeless) = match (channel, event) {
        (Some(Ok(channel)), Some(event)) => (sender.send(&channel, event.id, &event.kind, &body_of(&event)).await, false),
        (Some(Err(e)), _) => (Answer { delivered: false, status: None, detail: e.to_string(), elapsed_ms: 0 }, false),
        (None, _) => (Answer { delivered: false, status: None, detail: "the channel was deleted".into(), elapsed_ms: 0 }, true),
        (_, None) => (Answer { delivered: false, status: None, detail: "the event is gone".into(), elapsed_ms: 0 }, true),
    };
    let record = after_attempt(n, &answer, hopeless, Utc::now().trunc_subsecs(6), give_up);
    if !answer.delivered {
        tracing::info!(notification = %n.id, channel = %n.channel_name, answer = %record.answer, state = record.state.as_str(), "delivery attempt failed");
    }
    let mut wait = Duration::from_millis(250);
    for _ in 0..8 {
        match store.record_attempt(&record).await {
            Ok(()) => return true,
            Err(e) => tracing::warn!(notification = %n.id, error = %e, "cannot record a delivery attempt; retrying"),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(10));
    }
    false
}

/// The delivery side of a notifier: its sender, its limits, and the attempts under way.
pub struct Deliverer {
    store: Store,
    sender: Sender,
    master_key: Option<MasterKey>,
    give_up_after: Duration,
    per_channel: usize,
    in_flight: Arc<Semaphore>,
    busy: Arc<Mutex<HashSet<Uuid>>>,
    channels: Mutex<HashMap<Uuid, Lane>>,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    /// Signalled when an attempt ends: its channel has room again.
    freed: Arc<tokio::sync::Notify>,
    /// How long a claim keeps other notifiers off a pair: longer than any call.
    claim_for: Duration,
}

impl Deliverer {
    /// A deliverer for `store`'s notifications.
    pub fn new(store: Store, sender: Sender, master_key: Option<MasterKey>, cfg: &NotifierConfig) -> Self {
        Deliverer {
            store,
            sender,
            master_key,
            give_up_after: cfg.give_up_after,
            per_channel: cfg.per_channel.max(1),
            in_flight: Arc::new(Semaphore::new(cfg.in_flight.max(1))),
            busy: Arc::default(),
            channels: Mutex::default(),
            tasks: tokio::sync::Mutex::new(JoinSet::new()),
            freed: Arc::default(),
            claim_for: cfg.request_timeout + Duration::from_secs(5),
        }
    }

    /// Resolves when an attempt has ended since the last call, so the loop starts the
    /// next one at once instead of at its next poll.
    pub async fn slot_freed(&self) {
        self.freed.notified().await;
    }

    /// Starts an attempt for each due notification there is room for; how many started.
    pub async fn deliver_once(&self) -> Result<usize, NotifierError> {
        {
            let mut tasks = self.tasks.lock().await;
            while tasks.try_join_next().is_some() {}
        }
        let cap = self.per_channel * QUEUE_PER_SLOT;
        let busy: Vec<Uuid> = self.busy.lock().map(|b| b.iter().copied().collect()).unwrap_or_default();
        let full: Vec<Uuid> = {
            let lanes = self.channels.lock().unwrap_or_else(|p| p.into_inner());
            lanes.iter().filter(|(_, l)| l.queued.load(Ordering::Relaxed) >= cap).map(|(id, _)| *id).collect()
        };
        let now = Utc::now().trunc_subsecs(6);
        let due = self.store.due_notifications(now, &busy, &full, PAGE).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let event_ids: Vec<Uuid> = due.iter().map(|n| n.event_id).collect::<HashSet<_>>().into_iter().collect();
        let events: HashMap<Uuid, EventRow> = self.store.events_by_ids(&event_ids).await?.into_iter().map(|e| (e.id, e)).collect();
        let channel_ids: Vec<Uuid> = due.iter().map(|n| n.channel_id).collect::<HashSet<_>>().into_iter().collect();
        let channels: HashMap<Uuid, ChannelRow> = self.store.channels_by_ids(&channel_ids).await?.into_iter().map(|c| (c.id, c)).collect();
        let mut started = 0;
        let mut tasks = self.tasks.lock().await;
        for n in due {
            // At most `cap` attempts of a channel wait in memory; the rest stay in the
            // table for a later read, so a slow channel's backlog crowds out nobody.
            let lane = self.lane(n.channel_id);
            if lane.queued.load(Ordering::Relaxed) >= cap {
                continue;
            }
            lane.queued.fetch_add(1, Ordering::Relaxed);
            started += 1;
            if let Ok(mut b) = self.busy.lock() {
                b.insert(n.id);
            }
            let channel = channels.get(&n.channel_id).map(|c| ChannelConfig::from_row(c, self.master_key.as_ref()));
            let event = events.get(&n.event_id).cloned();
            let (store, sender, busy, give_up, freed) = (self.store.clone(), self.sender.clone(), self.busy.clone(), self.give_up_after, self.freed.clone());
            let pool = self.in_flight.clone();
            let hold = self.claim_for;
            tasks.spawn(async move {
                // The channel's slot first, then one of the pool's: the pool counts calls
                // under way, never attempts waiting for a busy channel.
                let _slot = lane.gate.clone().acquire_owned().await;
                let _permit = pool.acquire_owned().await;
                let recorded = attempt(&store, &sender, &n, channel, event, hold, give_up).await;
                // An answer this process holds but could not record keeps the pair busy
                // here (never sent twice by this leader); another notifier sends it again
                // once its claim lapses.
                if recorded && let Ok(mut b) = busy.lock() {
                    b.remove(&n.id);
                }
                lane.queued.fetch_sub(1, Ordering::Relaxed);
                freed.notify_one();
            });
        }
        Ok(started)
    }

    fn lane(&self, channel: Uuid) -> Lane {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(channel).or_insert_with(|| Lane { gate: Arc::new(Semaphore::new(self.per_channel)), queued: Arc::default() }).clone()
    }

    /// Waits for the attempts under way (at shutdown).
    pub async fn drain(&self) {
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_doubling_to_five_minutes_and_give_up_after_the_window() {
        let waits: Vec<u64> = (1..=11).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        let now = Utc::now();
        let n = NotificationRow {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            event_seq: 1,
            event_id: Uuid::nil(),
            kind: "run.failed".into(),
            channel_id: Uuid::nil(),
            channel_name: "ops".into(),
            run_id: None,
            state: NotificationState::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_answer: None,
            last_attempt_at: None,
            delivered_at: None,
            created_at: now,
        };
        let bad = Answer { delivered: false, status: Some(503), detail: "busy".into(), elapsed_ms: 3 };
        let r = after_attempt(&n, &bad, false, now, Duration::from_secs(86_400));
        assert_eq!((r.state, r.attempts, r.answer.as_str()), (NotificationState::Retrying, 1, "503 busy"));
        assert_eq!(r.next_attempt_at, now + chrono::Duration::seconds(1));
        let old = NotificationRow { attempts: 300, created_at: now - chrono::Duration::hours(24), ..n.clone() };
        assert_eq!(after_attempt(&old, &bad, false, now, Duration::from_secs(86_400)).state, NotificationState::Failed);
        assert_eq!(after_attempt(&n, &bad, true, now, Duration::from_secs(86_400)).state, NotificationState::Failed, "a deleted channel fails at once");
        assert_eq!(after_attempt(&n, &bad, false, now, Duration::MAX).state, NotificationState::Retrying, "an endless window does not overflow");
        let ok = Answer { delivered: true, status: Some(200), detail: String::new(), elapsed_ms: 1 };
        assert_eq!(after_attempt(&n, &ok, false, now, Duration::from_secs(86_400)).state, NotificationState::Delivered);
    }
}
