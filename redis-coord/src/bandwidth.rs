//! Shared bandwidth budgets: one GCRA key per budget (`<prefix>bw:<key>`), updated by a
//! script so every worker of the stack draws from the same bucket.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use crate::scripts::RESERVE_BANDWIDTH;
use ferry_common::budget::BANDWIDTH_BURST;
use std::time::Duration;

impl RedisCoordinator {
    /// Reserves `bytes` in the budget `key`; how long to wait before going on.
    pub(crate) async fn reserve_in_bucket(
        &self,
        key: &str,
        bytes: u64,
        bytes_per_sec: u64,
    ) -> Result<Duration, RedisCoordError> {
        let key = self.key(format_args!("bw:{key}"));
        let key = &key;
        let burst_ms = BANDWIDTH_BURST.as_millis() as u64;
        let wait_us: u64 = self
            .run("reserve_bandwidth", |mut conn| async move {
                RESERVE_BANDWIDTH
                    .key(key)
                    .arg(bytes)
                    .arg(bytes_per_sec.max(1))
                    .arg(burst_ms)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(Duration::from_micros(wait_us))
    }
}
