//! The notifier's side of the store suite: the outbox keeps an event once per
//! `dedup_key` (whether it came with the orchestrator's batch or from a detector), an
//! event is routed once and its (event, channel) pairs stored once however often routing
//! runs, due notifications come back until their attempt is recorded, and the role
//! heartbeat reads back.

use crate::store_harness::StoreHarness;
use chrono::{Duration, SubsecRound, Utc};
use ferry_common::notify::EventKind;
use ferry_store::{
    AttemptRecord, ChannelRow, DEFAULT_TENANT, NewEvent, NotificationFilter, NotificationRow, NotificationState, PageRequest, WriteBatch,
};
use serde_json::json;
use uuid::Uuid;

/// Events are kept once per key, routed once, and their notifications follow their
/// recorded attempts.
pub async fn the_outbox_keeps_routes_and_delivers_each_pair_once(h: impl StoreHarness) {
    let store = h.store();
    let now = Utc::now().trunc_subsecs(6);
    let (pipeline, run) = (Uuid::now_v7(), Uuid::now_v7());
    let keyed = |kind| {
        let mut e = NewEvent::about_run(kind, DEFAULT_TENANT, pipeline, run, now, json!({"n": 1}));
        e.dedup_key = Some(format!("task.lost:{run}:1"));
        e
    };
    let plain = NewEvent::about_run(EventKind::RunFailed, DEFAULT_TENANT, pipeline, run, now, json!({}));
    store.apply(&WriteBatch { events: vec![keyed(EventKind::TaskLost), plain.clone()], ..WriteBatch::default() }).await.unwrap();
    // The detector saw the same loss: same key, dropped.
    store.emit_events(&[keyed(EventKind::TaskLost)]).await.unwrap();
    let events = store.unrouted_events(100).await.unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].seq < events[1].seq, "outbox order");

    let channel = ChannelRow {
        id: Uuid::now_v7(),
        tenant_id: DEFAULT_TENANT,
        name: "ops".into(),
        kind: "webhook".into(),
        config: json!({"url": "http://127.0.0.1:9/"}),
        secret: None,
        created_at: now,
        updated_at: now,
    };
    store.create_channel(&channel).await.unwrap();
    assert!(matches!(store.create_channel(&ChannelRow { id: Uuid::now_v7(), ..channel.clone() }).await, Err(ferry_store::StoreError::Conflict(_))));
    let note = |e: &ferry_store::EventRow| NotificationRow::pending(DEFAULT_TENANT, e, &channel, now);
    let routed: Vec<(i64, serde_json::Value)> = events.iter().map(|e| (e.seq, json!({"summary": e.kind}))).collect();
    // A routing that died after its commit and runs again stores no second pair.
    let first: Vec<NotificationRow> = events.iter().map(note).collect();
    store.route_events(&routed, &first, now).await.unwrap();
    let again: Vec<NotificationRow> = events.iter().map(note).collect();
    store.route_events(&routed, &again, now).await.unwrap();
    assert!(store.unrouted_events(100).await.unwrap().is_empty());
    let stored = store.events_by_ids(&[events[0].id]).await.unwrap();
    assert_eq!(stored[0].body, Some(json!({"summary": events[0].kind})));

    let due = store.due_notifications(now, &[], &[], 100).await.unwrap();
    assert_eq!(due.len(), 2, "one pair per event: {due:?}");
    let busy = [due[0].id];
    assert_eq!(store.due_notifications(now, &busy, &[], 100).await.unwrap().len(), 1, "attempts under way are left out");
    assert!(store.due_notifications(now, &[], &[channel.id], 100).await.unwrap().is_empty(), "so are channels without room");
    let later = now + Duration::seconds(60);
    // One claimer per attempt: a second notifier's claim of the same pair fails.
    assert!(store.claim_notification(due[0].id, 0, now, now + Duration::seconds(15)).await.unwrap());
    assert!(!store.claim_notification(due[0].id, 0, now, now + Duration::seconds(15)).await.unwrap());
    assert!(store.claim_notification(due[1].id, 0, now, now + Duration::seconds(15)).await.unwrap());
    store
        .record_attempt(&AttemptRecord { id: due[0].id, state: NotificationState::Retrying, attempts: 1, next_attempt_at: later, answer: "503 busy".into(), at: now })
        .await
        .unwrap();
    store
        .record_attempt(&AttemptRecord { id: due[1].id, state: NotificationState::Delivered, attempts: 1, next_attempt_at: now, answer: "200 ok".into(), at: now })
        .await
        .unwrap();
    assert!(store.due_notifications(now, &[], &[], 100).await.unwrap().is_empty());
    assert_eq!(store.due_notifications(later, &[], &[], 100).await.unwrap().len(), 1, "a retry is due at its time");
    // A stale record (of an attempt already recorded) changes nothing.
    store
        .record_attempt(&AttemptRecord { id: due[1].id, state: NotificationState::Failed, attempts: 1, next_attempt_at: now, answer: "stale".into(), at: now })
        .await
        .unwrap();
    let filter = NotificationFilter { state: Some(NotificationState::Delivered), channel: Some("ops".into()), run_id: Some(run) };
    let page = store.list_notifications(DEFAULT_TENANT, &filter, &PageRequest { cursor: None, limit: 10 }).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!((page.items[0].attempts, page.items[0].last_answer.as_deref()), (1, Some("200 ok")));
    assert!(page.items[0].delivered_at.is_some());
    let other = store.list_notifications(Uuid::now_v7(), &NotificationFilter::default(), &PageRequest { cursor: None, limit: 10 }).await.unwrap();
    assert!(other.items.is_empty(), "another tenant sees none");

    // Retention: what is over goes, what is still being tried stays.
    let (notes, events) = store.prune_notifications(now + Duration::seconds(1)).await.unwrap();
    assert_eq!((notes, events), (1, 1), "the delivered pair and its event");
    assert_eq!(store.due_notifications(later, &[], &[], 100).await.unwrap().len(), 1, "the retrying one is kept");

    assert_eq!(store.last_beat("orchestrator-leader").await.unwrap(), None);
    store.beat_role("orchestrator-leader", "o-1", now).await.unwrap();
    store.beat_role("orchestrator-leader", "o-2", later).await.unwrap();
    assert_eq!(store.last_beat("orchestrator-leader").await.unwrap(), Some(("o-2".to_string(), later)));
}
