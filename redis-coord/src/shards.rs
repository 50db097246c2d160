//! Shard states of sharded copies: one hash per attempt, `<prefix>shards:<task>:<attempt>`,
//! a field per shard index holding its JSON state. The parent reads the whole hash with
//! one `HGETALL`. The hash expires a day after its last write, long after any parent
//! could still be waiting.

use crate::connect::RedisCoordinator;
use crate::error::RedisCoordError;
use ferry_common::shards::ShardState;
use std::collections::HashMap;
use uuid::Uuid;

/// How long shard states outlive their last update, in seconds.
const SHARD_STATE_TTL_SECS: u64 = 24 * 3600;

impl RedisCoordinator {
    fn shards_key(&self, task_id: Uuid, attempt: u32) -> String {
        self.key(format_args!("shards:{task_id}:{attempt}"))
    }

    /// Records one shard's state.
    pub(crate) async fn record_shard_state(
        &self,
        task_id: Uuid,
        attempt: u32,
        index: u32,
        state: &ShardState,
    ) -> Result<(), RedisCoordError> {
        let json = serde_json::to_string(state).map_err(|source| RedisCoordError::Encode {
            what: "shard state",
            source,
        })?;
        let key = self.shards_key(task_id, attempt);
        let (key, json) = (&key, &json);
        let () = self
            .run("put_shard_state", |mut conn| async move {
                redis::pipe()
                    .atomic()
                    .hset(key, index, json)
                    .ignore()
                    .expire(key, SHARD_STATE_TTL_SECS as i64)
                    .ignore()
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Every shard state of one attempt; undecodable ones are logged and left out.
    pub(crate) async fn read_shard_states(
        &self,
        task_id: Uuid,
        attempt: u32,
    ) -> Result<HashMap<u32, ShardState>, RedisCoordError> {
        let key = self.shards_key(task_id, attempt);
        let key = &key;
        let raw: HashMap<u32, String> = self
            .run("shard_states", |mut conn| async move {
                redis::cmd("HGETALL").arg(key).query_async(&mut conn).await
            })
            .await?;
        Ok(raw
            .into_iter()
            .filter_map(|(i, json)| match serde_json::from_str(&json) {
                Ok(state) => Some((i, state)),
                Err(e) => {
                    tracing::warn!(error = %e, shard = i, "undecodable shard state");
                    None
                }
            })
            .collect())
    }
}
