//! Worker heartbeats. Each worker stores its [`WorkerInfo`] as JSON at
//! `<prefix>worker:<id>` with a ttl, and its expiry (server clock, milliseconds) as its
//! score in the sorted set `<prefix>workers`. The set is the index that lets the live
//! view list workers without `SCAN`; the per-worker key's ttl is what makes a dead
//! worker's data disappear even if nobody lists workers for a while.

use crate::connect::{RedisCoordinator, ttl_ms};
use crate::error::RedisCoordError;
use crate::scripts::{HEARTBEAT, LIVE_WORKER_IDS};
use chrono::Utc;
use ferry_common::coordination::WorkerInfo;
use std::time::Duration;

impl RedisCoordinator {
    /// The key of one worker's info.
    pub(crate) fn worker_key(&self, id: &str) -> String {
        self.key(format_args!("worker:{id}"))
    }

    /// The sorted set of worker ids scored by expiry.
    pub(crate) fn workers_key(&self) -> String {
        self.key(format_args!("workers"))
    }

    /// Stores `worker` with `last_seen` set to now, alive for `ttl`.
    pub(crate) async fn record_heartbeat(
        &self,
        worker: &WorkerInfo,
        ttl: Duration,
    ) -> Result<(), RedisCoordError> {
        let mut info = worker.clone();
        info.last_seen = Utc::now();
        let json = serde_json::to_string(&info).map_err(|source| RedisCoordError::Encode {
            what: "worker info",
            source,
        })?;
        let (key, index, ms) = (self.worker_key(&worker.id), self.workers_key(), ttl_ms(ttl));
        let (key, index, json, id) = (&key, &index, &json, &worker.id);
        let _: i64 = self
            .run("heartbeat", |mut conn| async move {
                HEARTBEAT
                    .key(key)
                    .key(index)
                    .arg(json)
                    .arg(ms)
                    .arg(id)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Workers whose ttl has not lapsed, sorted by id. Expired index entries are pruned
    /// on the way. An entry whose info cannot be decoded (a worker of a newer release
    /// during a rolling upgrade) is logged and left out rather than failing the list.
    pub(crate) async fn list_live_workers(&self) -> Result<Vec<WorkerInfo>, RedisCoordError> {
        let index = self.workers_key();
        let index = &index;
        let ids: Vec<String> = self
            .run("live_workers", |mut conn| async move {
                LIVE_WORKER_IDS.key(index).invoke_async(&mut conn).await
            })
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| self.worker_key(id)).collect();
        let keys = &keys;
        let values: Vec<Option<String>> = self
            .run("live_workers", |mut conn| async move {
                redis::cmd("MGET").arg(keys).query_async(&mut conn).await
            })
            .await?;
        let mut workers: Vec<WorkerInfo> = ids
            .iter()
            .zip(values)
            .filter_map(|(id, value)| {
                let json = value?;
                serde_json::from_str(&json)
                    .inspect_err(|err| tracing::warn!(worker = %id, error = %err, "skipping undecodable worker info"))
                    .ok()
            })
            .collect();
        workers.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(workers)
    }
}
