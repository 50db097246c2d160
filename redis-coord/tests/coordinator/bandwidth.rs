use crate::common::TestRedis;
use ferry_common::coordination::Coordinator;
use std::time::Duration;

/// Two workers drawing from one budget share it: the burst (100 ms of the rate) is
/// granted at once, after which every draw is told to wait its share, whoever asks.
#[tokio::test]
async fn one_budget_is_shared_by_every_caller() {
    let t = TestRedis::new().await;
    let other = ferry_redis::RedisCoordinator::connect(&crate::common::redis_url(), &t.prefix).await.unwrap();
    let (a, b) = (&t.coord, &other);
    let rate = 1_000_000; // 1 MB/s: the burst is 100 kB
    assert_eq!(a.reserve_bandwidth("run:x", 50_000, rate).await.unwrap(), Duration::ZERO);
    assert_eq!(b.reserve_bandwidth("run:x", 50_000, rate).await.unwrap(), Duration::ZERO);
    // 100 kB already reserved: the next 100 kB must wait about 0 ms, the next about 100 ms.
    let w1 = a.reserve_bandwidth("run:x", 100_000, rate).await.unwrap();
    let w2 = b.reserve_bandwidth("run:x", 100_000, rate).await.unwrap();
    assert!(w1 <= Duration::from_millis(5), "{w1:?}");
    assert!(w2 > Duration::from_millis(80) && w2 <= Duration::from_millis(100), "{w2:?}");
    // Another budget is untouched.
    assert_eq!(a.reserve_bandwidth("run:y", 100_000, rate).await.unwrap(), Duration::ZERO);
}
