//! Shared token buckets: one GCRA key per bandwidth budget (`<prefix>bw:<key>`) and per
//! API rate limit (`<prefix>rl:<key>`), updated by scripts so every worker and every API
//! instance of the stack draws from the same bucket.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use crate::scripts::{ADMIT_REQUEST, RESERVE_BANDWIDTH};
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

    /// Admits one request against the rate limit `key`; `Some(retry_after)` refuses.
    pub(crate) async fn admit_in_bucket(&self, key: &str, per_sec: u32, burst: u32) -> Result<Option<Duration>, RedisCoordError> {
        let key = self.key(format_args!("rl:{key}"));
        let key = &key;
        let wait_us: u64 = self
            .run("admit_request", |mut conn| async move {
                ADMIT_REQUEST.key(key).arg(per_sec.max(1)).arg(burst.max(1)).invoke_async(&mut conn).await
            })
            .await?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us)))
    }
}
