//! The [`Coordinator`] suite: every method of its three parts (`Membership`,
//! `AttemptControl`, `BandwidthBuckets`) and `name`/`ready`, as documented in
//! `ferry_common::coordination`. The cases call them through `Arc<dyn Coordinator>`, as
//! Ferry's roles do.
//!
//! Fencing is checked across two handles on the same state ([`CoordinatorHarness::peer`]:
//! a second Redis connection, a clone of the in-process coordinator), since the
//! processes a lease fences off each hold their own.
//!
//! Timing: records with a ttl are checked to lapse *eventually* (polled for up to
//! [`LAPSE_WITHIN`]) and to hold while their ttl is long ([`LONG`]); no case asserts
//! when, to the millisecond, something lapsed. Bandwidth waits are checked on the
//! returned durations against what GCRA says, with a wide margin for the time the
//! calls themselves take.

use crate::eventually;
use async_trait::async_trait;
use chrono::{Duration as ChronoDuration, Utc};
use ferry_common::coordination::{Coordinator, WorkerInfo};
use ferry_common::messages::Progress;
use ferry_common::shards::ShardState;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A ttl no case outlives: what holds with it must hold for the whole case.
pub const LONG: Duration = Duration::from_secs(30);
/// A ttl that lapses soon; cases wait for it with [`eventually`].
pub const SHORT: Duration = Duration::from_millis(300);
/// How long a case waits for a [`SHORT`] record to lapse.
pub const LAPSE_WITHIN: Duration = Duration::from_secs(5);

/// What the suite needs from one coordinator implementation.
///
/// A harness is made fresh for every case and must be isolated from every other (a Redis
/// key prefix of its own; a new in-process coordinator), and must fail loudly when its
/// server is missing.
#[async_trait]
pub trait CoordinatorHarness: Send + Sync + 'static {
    /// The coordinator under test.
    fn coordinator(&self) -> Arc<dyn Coordinator>;
    /// Another handle on the same shared state, as a second process holds it: a new
    /// connection for Redis, a clone for the in-process coordinator.
    async fn peer(&self) -> Arc<dyn Coordinator>;
}

fn worker(id: &str, concurrency: u32, running: Vec<Uuid>) -> WorkerInfo {
    let long_ago = Utc::now() - ChronoDuration::hours(1);
    WorkerInfo {
        id: id.to_string(),
        hostname: format!("{id}.local"),
        queues: vec!["default".to_string()],
        concurrency,
        running,
        started_at: long_ago,
        last_seen: long_ago,
    }
}

async fn live_ids(c: &dyn Coordinator) -> Vec<String> {
    c.live_workers().await.unwrap().into_iter().map(|w| w.id).collect()
}

/// The coordinator names itself and answers.
pub async fn name_and_ready(h: impl CoordinatorHarness) {
    let c = h.coordinator();
    assert!(!c.name().is_empty(), "a coordinator names itself for logs and /readyz");
    c.ready().await.expect("a fresh coordinator is ready");
}

/// A live lease is refused to every other holder, on any handle; other leases are
/// independent; the holder renews it.
pub async fn lease_is_exclusive_per_name(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    assert!(a.acquire_lease("leader", "a", LONG).await.unwrap(), "a free lease is taken");
    assert!(!b.acquire_lease("leader", "b", LONG).await.unwrap(), "another holder is fenced off");
    assert!(!a.acquire_lease("leader", "b", LONG).await.unwrap(), "on any handle");
    assert!(b.acquire_lease("other", "b", LONG).await.unwrap(), "leases are independent");
    assert!(b.acquire_lease("leader", "a", LONG).await.unwrap(), "the holder renews, from any handle");
}

/// Renewing with a longer ttl keeps the lease past the first ttl.
pub async fn renewing_extends_a_lease(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    assert!(a.acquire_lease("leader", "a", SHORT).await.unwrap());
    assert!(a.acquire_lease("leader", "a", LONG).await.unwrap(), "renewed");
    tokio::time::sleep(SHORT * 2).await;
    assert!(!b.acquire_lease("leader", "b", LONG).await.unwrap(), "the renewed lease still holds");
}

/// A lease nobody renews lapses and passes on; the old holder has lost it.
pub async fn a_lapsed_lease_passes_on(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    assert!(a.acquire_lease("leader", "a", SHORT).await.unwrap());
    let b2 = b.clone();
    let passed = eventually(LAPSE_WITHIN, move || {
        let b = b2.clone();
        async move { b.acquire_lease("leader", "b", LONG).await.unwrap() }
    })
    .await;
    assert!(passed, "a lapsed lease passes on");
    assert!(!a.acquire_lease("leader", "a", LONG).await.unwrap(), "the old holder lost it");
}

/// Only the holder's release frees a lease; releasing what nobody holds is fine.
pub async fn only_the_holder_releases_a_lease(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    assert!(a.acquire_lease("leader", "a", LONG).await.unwrap());
    b.release_lease("leader", "b").await.unwrap();
    assert!(!b.acquire_lease("leader", "b", LONG).await.unwrap(), "a non-holder's release does nothing");
    a.release_lease("leader", "a").await.unwrap();
    assert!(b.acquire_lease("leader", "b", LONG).await.unwrap(), "the holder's release frees it");
    a.release_lease("nobody-holds-this", "a").await.unwrap();
}

/// Heartbeats make workers live, sorted by id, with what they announced and
/// `last_seen` set to the beat; a later beat replaces the earlier.
pub async fn heartbeats_list_live_workers(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    assert!(c.live_workers().await.unwrap().is_empty(), "a fresh coordinator knows no workers");
    let task = Uuid::new_v4();
    let w2 = worker("w2", 2, vec![task]);
    let mut w1 = worker("w1", 4, vec![]);
    let before = Utc::now();
    c.heartbeat(&w2, LONG).await.unwrap();
    peer.heartbeat(&w1, LONG).await.unwrap();
    let live = c.live_workers().await.unwrap();
    assert_eq!(live.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["w1", "w2"], "sorted by id");
    assert_eq!(live[1].concurrency, 2);
    assert_eq!(live[1].running, vec![task]);
    assert_eq!(live[1].hostname, "w2.local");
    assert_eq!(live[1].queues, ["default"]);
    assert_eq!(live[1].started_at, w2.started_at);
    assert!(live[1].last_seen >= before, "last_seen is the time of the beat");

    w1.running = vec![task];
    c.heartbeat(&w1, LONG).await.unwrap();
    let live = peer.live_workers().await.unwrap();
    assert_eq!(live.len(), 2, "a beat replaces the worker's entry");
    assert_eq!(live[0].running, vec![task]);
}

/// A worker that stops beating drops out after its ttl; one that beats stays.
pub async fn silent_workers_drop_out(h: impl CoordinatorHarness) {
    let c = h.coordinator();
    c.heartbeat(&worker("stays", 1, vec![]), LONG).await.unwrap();
    c.heartbeat(&worker("goes", 1, vec![]), SHORT).await.unwrap();
    assert_eq!(live_ids(c.as_ref()).await, ["goes", "stays"]);
    let c2 = c.clone();
    let gone = eventually(LAPSE_WITHIN, move || {
        let c = c2.clone();
        async move { live_ids(c.as_ref()).await == ["stays"] }
    })
    .await;
    assert!(gone, "the silent worker drops out after its ttl");
}

/// A cancel (or cutover) flag is per task, idempotent, and seen from every handle.
pub async fn cancel_flags_are_per_task(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    assert!(!c.is_cancel_requested(a).await.unwrap());
    c.request_cancel(a).await.unwrap();
    c.request_cancel(a).await.unwrap();
    assert!(c.is_cancel_requested(a).await.unwrap());
    assert!(peer.is_cancel_requested(a).await.unwrap(), "seen from another process");
    assert!(!c.is_cancel_requested(b).await.unwrap(), "flags are per task");
    assert!(!c.is_cutover_requested(a).await.unwrap(), "a cancel is not a cutover");
    c.request_cutover(b).await.unwrap();
    assert!(peer.is_cutover_requested(b).await.unwrap(), "a cutover is seen from another process");
    assert!(!peer.is_cancel_requested(b).await.unwrap(), "a cutover is not a cancel");
}

/// The first holder of an attempt wins and may renew; others are refused; other
/// attempts and tasks are independent.
pub async fn a_claim_is_exclusive_per_attempt(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let task = Uuid::new_v4();
    assert!(c.claim_attempt(task, 1, "w1", LONG).await.unwrap(), "the first holder wins");
    assert!(c.claim_attempt(task, 1, "w1", LONG).await.unwrap(), "and renews");
    assert!(!peer.claim_attempt(task, 1, "w2", LONG).await.unwrap(), "another holder is refused");
    assert!(peer.claim_attempt(task, 2, "w2", LONG).await.unwrap(), "another attempt is independent");
    assert!(peer.claim_attempt(Uuid::new_v4(), 1, "w2", LONG).await.unwrap(), "another task too");
}

/// Of many holders claiming one attempt at once, on two handles, exactly one wins.
pub async fn concurrent_claims_have_one_winner(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let task = Uuid::new_v4();
    let claims = (0..16).map(|i| {
        let on = if i % 2 == 0 { c.clone() } else { peer.clone() };
        tokio::spawn(async move { on.claim_attempt(task, 1, &format!("w{i}"), LONG).await.unwrap() })
    });
    let won: Vec<bool> = futures::future::join_all(claims).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "exactly one winner: {won:?}");
}

/// A claim its holder stops renewing lapses, and another holder may take it.
pub async fn a_lapsed_claim_can_be_taken(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let task = Uuid::new_v4();
    assert!(c.claim_attempt(task, 1, "w1", SHORT).await.unwrap());
    let p = peer.clone();
    let taken = eventually(LAPSE_WITHIN, move || {
        let p = p.clone();
        async move { p.claim_attempt(task, 1, "w2", LONG).await.unwrap() }
    })
    .await;
    assert!(taken, "a lapsed claim can be taken");
    assert!(!c.claim_attempt(task, 1, "w1", LONG).await.unwrap(), "the old holder lost it");
}

/// Live progress is the latest report of each task; tasks without one are absent.
pub async fn live_progress_is_the_latest_report(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let (a, b, missing) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert!(c.live_progress(&[]).await.unwrap().is_empty());
    assert!(c.live_progress(&[a]).await.unwrap().is_empty());
    let pa = Progress { files_total: 10, files_done: 3, bytes_total: 1 << 40, bytes_done: 12_345, passes: None };
    let pb = Progress { files_total: 1, ..Progress::default() };
    c.put_progress(a, &pa, LONG).await.unwrap();
    peer.put_progress(b, &pb, LONG).await.unwrap();
    let got = c.live_progress(&[a, missing, b]).await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[&a], got[&b]), (pa, pb));
    let pa2 = Progress { files_done: 4, ..pa };
    c.put_progress(a, &pa2, LONG).await.unwrap();
    assert_eq!(peer.live_progress(&[a]).await.unwrap()[&a], pa2, "a newer report replaces the old");
}

/// A report lapses after its ttl; a report with a long ttl stays.
pub async fn live_progress_lapses(h: impl CoordinatorHarness) {
    let c = h.coordinator();
    let (stays, goes) = (Uuid::new_v4(), Uuid::new_v4());
    let p = Progress { files_total: 2, files_done: 1, bytes_total: 10, bytes_done: 5, passes: None };
    c.put_progress(stays, &p, LONG).await.unwrap();
    c.put_progress(goes, &p, SHORT).await.unwrap();
    let c2 = c.clone();
    let lapsed = eventually(LAPSE_WITHIN, move || {
        let c = c2.clone();
        async move { c.live_progress(&[stays, goes]).await.unwrap().keys().eq([&stays]) }
    })
    .await;
    assert!(lapsed, "the short report lapses, the long one stays");
}

/// Shard states are kept per task and attempt, by index; a later state of a shard
/// replaces the earlier.
pub async fn shard_states_are_per_attempt(h: impl CoordinatorHarness) {
    let (c, peer) = (h.coordinator(), h.peer().await);
    let task = Uuid::new_v4();
    assert!(c.shard_states(task, 1).await.unwrap().is_empty());
    let running = ShardState { files_done: 1, bytes_done: 100, ..ShardState::default() };
    let done = ShardState {
        done: true,
        files_done: 2,
        bytes_done: 200,
        tallies: vec![[2, 200, 0, 0].into()],
        ..ShardState::default()
    };
    let failed = ShardState { done: true, error: Some(("disk full".into(), true)), ..ShardState::default() };
    c.put_shard_state(task, 1, 0, &running).await.unwrap();
    peer.put_shard_state(task, 1, 1, &failed).await.unwrap();
    c.put_shard_state(task, 1, 0, &done).await.unwrap();
    c.put_shard_state(task, 2, 0, &running).await.unwrap();
    let states = peer.shard_states(task, 1).await.unwrap();
    assert_eq!(states.len(), 2);
    assert_eq!(states[&0], done, "the later state replaces the earlier");
    assert_eq!(states[&1], failed);
    assert_eq!(c.shard_states(task, 2).await.unwrap()[&0], running, "attempts are separate");
    assert!(c.shard_states(Uuid::new_v4(), 1).await.unwrap().is_empty());
}

/// A bucket grants its burst (`BANDWIDTH_BURST` worth of the rate) at once, then tells
/// every caller, on any handle, to wait its share; other buckets are untouched.
///
/// At 100 kB/s the burst is 10 kB. Drawing 10 kB and then 100 kB puts the bucket a
/// second ahead, so a third draw must wait about 1 s less the time the draws took: the
/// case accepts anything between 0.5 s and 1 s, far wider than any call takes.
pub async fn a_bucket_grants_its_burst_then_spaces_draws(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    let rate = 100_000;
    assert_eq!(a.reserve_bandwidth("run:x", 10_000, rate).await.unwrap(), Duration::ZERO, "the burst is free");
    let w = b.reserve_bandwidth("run:x", 100_000, rate).await.unwrap();
    assert!(w <= Duration::from_millis(5), "a draw at the edge of the burst need not wait: {w:?}");
    let w = a.reserve_bandwidth("run:x", 1, rate).await.unwrap();
    assert!(
        w > Duration::from_millis(500) && w <= Duration::from_millis(1000),
        "100 kB over the burst at 100 kB/s is a wait of about a second: {w:?}"
    );
    assert_eq!(b.reserve_bandwidth("run:y", 10_000, rate).await.unwrap(), Duration::ZERO, "other buckets are untouched");
}

/// A request limit admits its burst, on any handle, then refuses with a retry-after and
/// spends nothing on a refusal; other limits are untouched.
///
/// At 10 requests/s with a burst of 3 the fourth request is refused with a retry-after of
/// at most 100 ms; refusing it again does not push the limit further back.
pub async fn a_request_limit_admits_its_burst_then_refuses(h: impl CoordinatorHarness) {
    let (a, b) = (h.coordinator(), h.peer().await);
    for i in 0..3 {
        let c = if i % 2 == 0 { &a } else { &b };
        assert_eq!(c.admit_request("key:x", 10, 3).await.unwrap(), None, "request {i} is within the burst");
    }
    let first = a.admit_request("key:x", 10, 3).await.unwrap().expect("the fourth is refused");
    assert!(first <= Duration::from_millis(100), "{first:?}");
    let again = b.admit_request("key:x", 10, 3).await.unwrap().expect("still refused");
    assert!(again <= first + Duration::from_millis(5), "a refusal spends nothing: {first:?} then {again:?}");
    assert_eq!(a.admit_request("key:y", 10, 3).await.unwrap(), None, "other limits are untouched");
}
