use crate::common::{TestRedis, eventually};
use chrono::{Duration as ChronoDuration, Utc};
use ferry_common::coordination::{Coordinator, WorkerInfo};
use std::time::Duration;
use uuid::Uuid;

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

#[tokio::test]
async fn live_workers_follow_heartbeats() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    assert!(c.live_workers().await.unwrap().is_empty());

    let task = Uuid::new_v4();
    let w2 = worker("w2", 2, vec![task]);
    let w1 = worker("w1", 4, vec![]);
    let before = Utc::now();
    c.heartbeat(&w2, Duration::from_secs(30)).await.unwrap();
    c.heartbeat(&w1, Duration::from_secs(1)).await.unwrap();

    let live = c.live_workers().await.unwrap();
    assert_eq!(
        live.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        ["w1", "w2"],
        "sorted by id"
    );
    assert_eq!(live[0].concurrency, 4);
    assert!(live[0].running.is_empty());
    assert_eq!(live[1].concurrency, 2);
    assert_eq!(live[1].running, vec![task]);
    assert_eq!(live[1].hostname, "w2.local");
    assert_eq!(live[1].started_at, w2.started_at);
    assert!(
        live[1].last_seen >= before,
        "last_seen is set to the heartbeat time"
    );

    // w1 stops beating: gone after its ttl; w2 keeps beating and stays.
    let gone = eventually(Duration::from_secs(5), || async {
        c.heartbeat(&w2, Duration::from_secs(30)).await.unwrap();
        let ids: Vec<String> = c
            .live_workers()
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.id)
            .collect();
        ids == ["w2"]
    })
    .await;
    assert!(gone, "w1 should drop out after its 1 s ttl");

    // The expired entry was pruned from the index too.
    let mut raw = t.raw().await;
    let members: Vec<String> = redis::cmd("ZRANGE")
        .arg(format!("{}workers", t.prefix))
        .arg(0)
        .arg(-1)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(members, ["w2"]);
}

#[tokio::test]
async fn heartbeat_updates_running() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let mut w = worker("w", 1, vec![]);
    c.heartbeat(&w, Duration::from_secs(10)).await.unwrap();
    let task = Uuid::new_v4();
    w.running = vec![task];
    c.heartbeat(&w, Duration::from_secs(10)).await.unwrap();
    let live = c.live_workers().await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].running, vec![task]);
}
