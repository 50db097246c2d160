//! Attempt claims: the guard against running one attempt twice. A broker may deliver a
//! task message twice (a new leader re-publishes what it cannot prove was published; a
//! redelivery after a lost ack); the worker that first claims
//! `<prefix>claim:<task_id>:<attempt>` runs it, any other skips it.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use std::time::Duration;
use uuid::Uuid;

impl RedisCoordinator {
    /// The key of one attempt's claim.
    pub(crate) fn claim_key(&self, task_id: Uuid, attempt: u32) -> String {
        self.key(format_args!("claim:{task_id}:{attempt}"))
    }

    /// Claims the attempt for `holder` (or renews `holder`'s claim); false when another
    /// holder has it. Like a lease, but keyed by task and attempt.
    pub(crate) async fn take_or_renew_claim(
        &self,
        task_id: Uuid,
        attempt: u32,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, RedisCoordError> {
        self.take_or_renew("claim_attempt", &self.claim_key(task_id, attempt), holder, ttl)
            .await
    }
}
