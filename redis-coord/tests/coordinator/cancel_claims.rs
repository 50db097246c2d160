//! What the conformance suite cannot see: how long Redis keeps a cancel flag.

use crate::common::TestRedis;
use ferry_common::coordination::AttemptControl;
use uuid::Uuid;

#[tokio::test]
async fn cancel_flags_expire_after_a_day() {
    let t = TestRedis::new().await;
    let a = Uuid::new_v4();
    t.coord.request_cancel(a).await.unwrap();
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
