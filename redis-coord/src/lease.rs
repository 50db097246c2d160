//! Leases: who leads. Exactly one orchestrator schedules at a time; it holds the lease
//! `<prefix>lease:<name>` and renews it well before the ttl lapses. If it dies the key
//! expires and another orchestrator takes over.

use crate::connect::{RedisCoordinator, ttl_ms};
use crate::error::RedisCoordError;
use crate::scripts::{RELEASE, TAKE_OR_RENEW};
use std::time::Duration;

impl RedisCoordinator {
    /// The key of lease `name`.
    pub(crate) fn lease_key(&self, name: &str) -> String {
        self.key(format_args!("lease:{name}"))
    }

    /// Takes the lease if free, renews it if `holder` has it; true while `holder` holds it.
    pub(crate) async fn take_or_renew_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, RedisCoordError> {
        self.take_or_renew("acquire_lease", &self.lease_key(name), holder, ttl).await
    }

    /// Takes `key` for `holder` if it is free, or renews it if `holder` already has it;
    /// true when `holder` holds it afterwards. Leases and attempt claims share this: they
    /// differ only in how their keys are named.
    pub(crate) async fn take_or_renew(
        &self,
        op: &'static str,
        key: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, RedisCoordError> {
        let ms = ttl_ms(ttl);
        let held: i64 = self
            .run(op, |mut conn| async move {
                TAKE_OR_RENEW
                    .key(key)
                    .arg(holder)
                    .arg(ms)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(held == 1)
    }

    /// Deletes the lease if, and only if, `holder` holds it.
    pub(crate) async fn release_held_lease(
        &self,
        name: &str,
        holder: &str,
    ) -> Result<(), RedisCoordError> {
        let key = self.lease_key(name);
        let key = &key;
        let _deleted: i64 = self
            .run("release_lease", |mut conn| async move {
                RELEASE.key(key).arg(holder).invoke_async(&mut conn).await
            })
            .await?;
        Ok(())
    }
}
