//! What the conformance suite cannot see: the sorted-set index of workers is pruned of
//! expired entries, so it does not grow with every worker that ever lived.

use crate::common::{TestRedis, eventually};
use chrono::Utc;
use ferry_common::coordination::{Membership, WorkerInfo};
use std::time::Duration;

fn worker(id: &str) -> WorkerInfo {
    WorkerInfo {
        id: id.to_string(),
        hostname: format!("{id}.local"),
        queues: vec!["default".to_string()],
        concurrency: 1,
        running: vec![],
        started_at: Utc::now(),
        last_seen: Utc::now(),
    }
}

#[tokio::test]
async fn expired_workers_are_pruned_from_the_index() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    c.heartbeat(&worker("w2"), Duration::from_secs(30)).await.unwrap();
    c.heartbeat(&worker("w1"), Duration::from_millis(300)).await.unwrap();
    let gone = eventually(Duration::from_secs(5), || async {
        c.live_workers().await.unwrap().iter().map(|w| w.id.as_str()).eq(["w2"])
    })
    .await;
    assert!(gone, "w1 should drop out after its ttl");

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
