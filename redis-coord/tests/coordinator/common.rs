//! Shared setup: a coordinator under a fresh prefix, and cleanup of that prefix.

use ferry_redis::RedisCoordinator;
use std::time::Duration;

pub(crate) fn redis_url() -> String {
    std::env::var("FERRY_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A coordinator under `ferry-test-<uuid>:`; its keys are deleted when this is dropped,
/// also when the test panicked.
pub(crate) struct TestRedis {
    pub(crate) coord: RedisCoordinator,
    pub(crate) prefix: String,
}

impl TestRedis {
    pub(crate) async fn new() -> Self {
        let prefix = format!("ferry-test-{}:", uuid::Uuid::new_v4());
        let url = redis_url();
        let coord = RedisCoordinator::connect(&url, &prefix).await.unwrap_or_else(|err| {
            panic!(
                "these tests need a Redis server at {url}, and it is not reachable: {err}\n\
                 Start one with `scripts/services.sh` (or `source scripts/services.sh && ensure_redis`), \
                 or point FERRY_TEST_REDIS_URL at another server."
            )
        });
        Self { coord, prefix }
    }

    /// A plain connection of its own, for inspecting keys and killing clients.
    pub(crate) async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection to Redis")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        // Synchronous on purpose: Drop cannot await, and it must also run after a panic.
        let Ok(client) = redis::Client::open(redis_url()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
            return;
        };
        let pattern = format!("{}*", self.prefix);
        let mut cursor: u64 = 0;
        loop {
            let Ok((next, keys)) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query::<(u64, Vec<String>)>(&mut conn)
            else {
                return;
            };
            if !keys.is_empty() {
                let _ = redis::cmd("DEL").arg(&keys).query::<i64>(&mut conn);
            }
            if next == 0 {
                return;
            }
            cursor = next;
        }
    }
}

/// Polls `check` until it returns true or `within` passes.
pub(crate) async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
