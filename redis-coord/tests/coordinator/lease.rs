use crate::common::{TestRedis, eventually};
use ferry_common::coordination::Coordinator;
use std::time::Duration;

#[tokio::test]
async fn lease_is_exclusive_renewable_and_lapses() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    assert_eq!(c.name(), "redis");
    let ttl = Duration::from_millis(400);

    assert!(
        c.acquire_lease("leader", "a", ttl).await.unwrap(),
        "first holder gets it"
    );
    assert!(
        !c.acquire_lease("leader", "b", ttl).await.unwrap(),
        "second is refused"
    );
    assert!(
        c.acquire_lease("other", "b", ttl).await.unwrap(),
        "leases are independent"
    );

    // Renewing keeps it beyond the first ttl.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            c.acquire_lease("leader", "a", ttl).await.unwrap(),
            "holder renews"
        );
        assert!(!c.acquire_lease("leader", "b", ttl).await.unwrap());
    }

    // Once the holder stops renewing, the lease lapses and passes on.
    let passed = eventually(Duration::from_secs(3), || async {
        c.acquire_lease("leader", "b", ttl).await.unwrap()
    })
    .await;
    assert!(passed, "lapsed lease passes on");
    assert!(
        !c.acquire_lease("leader", "a", ttl).await.unwrap(),
        "old holder lost it"
    );
}

#[tokio::test]
async fn release_only_by_holder() {
    let t = TestRedis::new().await;
    let c = &t.coord;
    let ttl = Duration::from_secs(30);

    assert!(c.acquire_lease("leader", "a", ttl).await.unwrap());
    c.release_lease("leader", "b").await.unwrap();
    assert!(
        !c.acquire_lease("leader", "b", ttl).await.unwrap(),
        "non-holder release does nothing"
    );

    c.release_lease("leader", "a").await.unwrap();
    assert!(
        c.acquire_lease("leader", "b", ttl).await.unwrap(),
        "holder release frees it"
    );

    // Releasing a lease nobody holds is fine.
    c.release_lease("nobody", "a").await.unwrap();
    assert!(t.keys().await.iter().all(|k| k.starts_with(&t.prefix)));
}
