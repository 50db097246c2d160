//! Task flags: the API (or orchestrator) asks, the worker running the task polls. A flag
//! is a plain key `<prefix><flag>:<task_id>` (`cancel`, `cutover`) so asking needs no
//! knowledge of which worker runs the task.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use uuid::Uuid;

/// How long a cancel flag lives. Long enough for any attempt to notice it (and for a
/// queued task to be skipped when it is finally picked up), short enough that flags of
/// long-finished tasks do not pile up in Redis.
pub const CANCEL_FLAG_TTL_SECS: u64 = 86_400;

/// How long a cutover flag lives: a manual migration may sit between passes for days
/// before its worker looks again after a restart.
pub const CUTOVER_FLAG_TTL_SECS: u64 = 30 * 86_400;

impl RedisCoordinator {
    /// Sets the cancel flag for [`CANCEL_FLAG_TTL_SECS`]; setting it again restarts the ttl.
    pub(crate) async fn set_cancel_flag(&self, task_id: Uuid) -> Result<(), RedisCoordError> {
        self.set_flag("cancel", task_id, CANCEL_FLAG_TTL_SECS).await
    }

    /// Whether the cancel flag is set.
    pub(crate) async fn has_cancel_flag(&self, task_id: Uuid) -> Result<bool, RedisCoordError> {
        self.has_flag("cancel", task_id).await
    }

    /// Sets the cutover flag for [`CUTOVER_FLAG_TTL_SECS`].
    pub(crate) async fn set_cutover_flag(&self, task_id: Uuid) -> Result<(), RedisCoordError> {
        self.set_flag("cutover", task_id, CUTOVER_FLAG_TTL_SECS).await
    }

    /// Whether the cutover flag is set.
    pub(crate) async fn has_cutover_flag(&self, task_id: Uuid) -> Result<bool, RedisCoordError> {
        self.has_flag("cutover", task_id).await
    }

    /// Sets `flag` for `task_id` for `ttl_secs`; setting it again restarts the ttl.
    async fn set_flag(&self, flag: &'static str, task_id: Uuid, ttl_secs: u64) -> Result<(), RedisCoordError> {
        let key = self.key(format_args!("{flag}:{task_id}"));
        let key = &key;
        let () = self
            .run(flag, |mut conn| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("EX")
                    .arg(ttl_secs)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Whether `flag` is set for `task_id`.
    async fn has_flag(&self, flag: &'static str, task_id: Uuid) -> Result<bool, RedisCoordError> {
        let key = self.key(format_args!("{flag}:{task_id}"));
        let key = &key;
        let n: i64 = self
            .run(flag, |mut conn| async move {
                redis::cmd("EXISTS").arg(key).query_async(&mut conn).await
            })
            .await?;
        Ok(n > 0)
    }
}
