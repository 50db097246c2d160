//! The shared `Coordinator` suite on Redis: every case under a key prefix of its own,
//! deleted afterwards; the peer is a second connection under the same prefix, as a
//! second process would open.

use crate::common::{TestRedis, redis_url};
use async_trait::async_trait;
use ferry_common::coordination::Coordinator;
use ferry_conformance::coordinator::CoordinatorHarness;
use ferry_redis::RedisCoordinator;
use std::sync::Arc;

#[async_trait]
impl CoordinatorHarness for TestRedis {
    fn coordinator(&self) -> Arc<dyn Coordinator> {
        Arc::new(self.coord.clone())
    }

    async fn peer(&self) -> Arc<dyn Coordinator> {
        let peer = RedisCoordinator::connect(&redis_url(), &self.prefix)
            .await
            .expect("a second connection to the Redis the case already uses");
        Arc::new(peer)
    }
}

ferry_conformance::coordinator_tests!(redis_coordinator, TestRedis::new);
