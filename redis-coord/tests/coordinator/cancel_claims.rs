use crate::common::{TestRedis, eventually};
use ferry_common::coordination::Coordinator;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn cancel_flags() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    assert!(!c.is_cancel_requested(a).await.unwrap());
    c.request_cancel(a).await.unwrap();
    c.request_cancel(a).await.unwrap();
    assert!(c.is_cancel_requested(a).await.unwrap());
    assert!(
        !c.is_cancel_requested(b).await.unwrap(),
        "flags are per task"
    );

    let mut raw = t.raw().await;
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{}cancel:{a}", t.prefix))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(
        ttl > 86_000 && ttl <= 86_400,
        "cancel flags expire after a day, ttl was {ttl}"
    );
}

#[tokio::test]
async fn claim_attempt_is_exclusive_per_attempt() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let task = Uuid::new_v4();
    let ttl = Duration::from_millis(500);

    assert!(
        c.claim_attempt(task, 1, "w1", ttl).await.unwrap(),
        "first holder wins"
    );
    assert!(
        c.claim_attempt(task, 1, "w1", ttl).await.unwrap(),
        "same holder re-claims"
    );
    assert!(
        !c.claim_attempt(task, 1, "w2", ttl).await.unwrap(),
        "other holder refused"
    );
    assert!(
        c.claim_attempt(task, 2, "w2", ttl).await.unwrap(),
        "another attempt is independent"
    );
    assert!(
        c.claim_attempt(Uuid::new_v4(), 1, "w2", ttl).await.unwrap(),
        "another task is independent"
    );

    // Renewal keeps the claim past the first ttl.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(c.claim_attempt(task, 1, "w1", ttl).await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !c.claim_attempt(task, 1, "w2", ttl).await.unwrap(),
        "renewed claim still held"
    );

    // Without renewal it expires.
    let taken = eventually(Duration::from_secs(3), || async {
        c.claim_attempt(task, 1, "w2", ttl).await.unwrap()
    })
    .await;
    assert!(taken, "expired claim can be taken");
    assert!(!c.claim_attempt(task, 1, "w1", ttl).await.unwrap());
}
