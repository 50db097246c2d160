//! Live progress: workers report counters several times a second, far too often for the
//! database, so they go to `<prefix>progress:<task_id>` with a short ttl, and the API's
//! live view reads them in one `MGET`. A task that stopped reporting simply drops out;
//! its final counters are in the database with its outcome.

use crate::connect::{RedisCoordinator, ttl_ms};
use crate::error::RedisCoordError;
use ferry_common::messages::Progress;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

impl RedisCoordinator {
    /// The key of one task's progress.
    pub(crate) fn progress_key(&self, task_id: Uuid) -> String {
        self.key(format_args!("progress:{task_id}"))
    }

    /// Stores the latest counters of `task_id`, replacing earlier ones, for `ttl`
    /// (a few report intervals, so a dead worker's numbers vanish soon).
    pub async fn put_progress(
        &self,
        task_id: Uuid,
        progress: &Progress,
        ttl: Duration,
    ) -> Result<(), RedisCoordError> {
        let json = serde_json::to_string(progress).map_err(|source| RedisCoordError::Encode {
            what: "progress",
            source,
        })?;
        let (key, ms) = (self.progress_key(task_id), ttl_ms(ttl));
        let (key, json) = (&key, &json);
        let () = self
            .run("put_progress", |mut conn| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(json)
                    .arg("PX")
                    .arg(ms)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// The latest counters of those of `ids` that have any; tasks without a live
    /// report are absent from the map. Undecodable values are logged and left out.
    pub async fn get_progress(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Progress>, RedisCoordError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.progress_key(*id)).collect();
        let keys = &keys;
        let values: Vec<Option<String>> = self
            .run("get_progress", |mut conn| async move {
                redis::cmd("MGET").arg(keys).query_async(&mut conn).await
            })
            .await?;
        Ok(ids
            .iter()
            .zip(values)
            .filter_map(|(id, value)| {
                let progress = serde_json::from_str(&value?)
                    .inspect_err(|err| tracing::warn!(task = %id, error = %err, "skipping undecodable progress"))
                    .ok()?;
                Some((*id, progress))
            })
            .collect())
    }
}
