//! Cancel flags: the API asks, the worker running the task polls. A flag is a plain key
//! `<prefix>cancel:<task_id>` so asking needs no knowledge of which worker runs the task.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use uuid::Uuid;

/// How long a cancel flag lives. Long enough for any attempt to notice it (and for a
/// queued task to be skipped when it is finally picked up), short enough that flags of
/// long-finished tasks do not pile up in Redis.
pub const CANCEL_FLAG_TTL_SECS: u64 = 86_400;

impl RedisCoordinator {
    /// The key of `task_id`'s cancel flag.
    pub(crate) fn cancel_key(&self, task_id: uuid::Uuid) -> String {
        self.key(format_args!("cancel:{task_id}"))
    }

    /// Sets the flag for [`CANCEL_FLAG_TTL_SECS`]; setting it again restarts the ttl.
    pub(crate) async fn set_cancel_flag(&self, task_id: Uuid) -> Result<(), RedisCoordError> {
        let key = self.cancel_key(task_id);
        let key = &key;
        let () = self
            .run("request_cancel", |mut conn| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("EX")
                    .arg(CANCEL_FLAG_TTL_SECS)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Whether the flag is set.
    pub(crate) async fn has_cancel_flag(&self, task_id: Uuid) -> Result<bool, RedisCoordError> {
        let key = self.cancel_key(task_id);
        let key = &key;
        let n: i64 = self
            .run("is_cancel_requested", |mut conn| async move {
                redis::cmd("EXISTS").arg(key).query_async(&mut conn).await
            })
            .await?;
        Ok(n > 0)
    }
}
