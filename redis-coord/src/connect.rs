//! The connection: one [`ConnectionManager`] shared by every call, tuned so a Redis
//! restart heals within seconds and a dead Redis fails calls within
//! [`CALL_DEADLINE`] instead of hanging the orchestrator's or a worker's loop.

use crate::error::RedisCoordError;
use async_trait::async_trait;
use ferry_common::CommonError;
use ferry_common::coordination::{AttemptControl, BandwidthBuckets, Coordinator, Membership, WorkerInfo};
use ferry_common::messages::Progress;
use ferry_common::shards::ShardState;
use std::collections::HashMap;
use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use uuid::Uuid;

/// Longest time one coordinator call may take, reconnect included. Leases are renewed
/// every few seconds; a call that blocks longer than that would cost the leader its
/// lease anyway, so failing fast and retrying on the next tick is the better trade.
pub const CALL_DEADLINE: Duration = Duration::from_secs(2);

/// One TCP connect attempt; loopback and LAN connects take milliseconds.
const CONNECTION_TIMEOUT: Duration = Duration::from_millis(500);
/// One command's answer; every command here is O(1) or O(live workers).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Connect attempts after the first, per reconnect. Each failed call starts a new
/// reconnect, so a server that is down longer is picked up by a later call.
const RECONNECT_RETRIES: usize = 2;
/// Backoff between connect attempts: 100 ms, then doubling, capped.
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(100);
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(400);

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_number_of_retries(RECONNECT_RETRIES)
        .set_min_delay(RECONNECT_MIN_DELAY)
        .set_max_delay(RECONNECT_MAX_DELAY)
        .set_exponent_base(2.0)
}

/// The URL as it may appear in logs and errors: the password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if scheme_end + 3 <= at => {
                format!("{}***{}", &url[..scheme_end + 3], &url[at..])
            }
            (_, Some(_)) => "<unparseable Redis URL>".to_string(),
            _ => url.to_string(),
        },
    }
}

struct Inner {
    client: redis::Client,
    /// The manager in use and a generation number, so concurrent callers that all saw
    /// the same timeout replace it only once.
    current: RwLock<(u64, ConnectionManager)>,
    url: String,
    prefix: String,
}

/// Ferry's [`Coordinator`] on Redis, for deployments with several orchestrators and
/// workers on different hosts. Cheap to clone: clones share one connection.
///
/// Every key starts with the prefix given to [`RedisCoordinator::connect`], so several
/// Ferry installations (or test runs) can share one Redis without seeing each other.
#[derive(Clone)]
pub struct RedisCoordinator {
    inner: Arc<Inner>,
}

impl fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("url", &self.inner.url)
            .field("prefix", &self.inner.prefix)
            .finish()
    }
}

impl RedisCoordinator {
    /// Connects to the Redis at `url` (`redis://[:password@]host:port[/db]`, or
    /// `rediss://` where the redis crate was built with TLS) and checks it answers.
    /// Fails within about [`CALL_DEADLINE`] when it does not, with an error naming
    /// the URL (password removed), so a misconfigured deployment stops at startup
    /// instead of at its first lease.
    ///
    /// `prefix` starts every key this coordinator writes, e.g. `ferry:`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, RedisCoordError> {
        let shown = redact(url);
        let client = redis::Client::open(url).map_err(|source| RedisCoordError::InvalidUrl {
            url: shown.clone(),
            source,
        })?;
        let connecting = ConnectionManager::new_with_config(client.clone(), manager_config());
        let manager = match tokio::time::timeout(CALL_DEADLINE, connecting).await {
            Ok(Ok(manager)) => manager,
            Ok(Err(source)) => return Err(RedisCoordError::Unreachable { url: shown, source }),
            Err(_) => {
                let source = std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no connection within {CALL_DEADLINE:?}"),
                );
                return Err(RedisCoordError::Unreachable {
                    url: shown,
                    source: source.into(),
                });
            }
        };
        let coordinator = Self {
            inner: Arc::new(Inner {
                client,
                current: RwLock::new((0, manager)),
                url: shown,
                prefix: prefix.to_string(),
            }),
        };
        coordinator.ping().await.map_err(|err| match err {
            RedisCoordError::Command { url, source, .. } => {
                RedisCoordError::Unreachable { url, source }
            }
            other => other,
        })?;
        tracing::debug!(url = %coordinator.inner.url, prefix, "connected to Redis");
        Ok(coordinator)
    }

    /// The key prefix given to [`connect`](Self::connect); every key written starts with it.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The server URL with the password removed, for logs and `/readyz`.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Checks the server answers (`PING`); for readiness probes.
    pub async fn ping(&self) -> Result<(), RedisCoordError> {
        let _: String = self
            .run("ping", |mut conn| async move {
                redis::cmd("PING").query_async(&mut conn).await
            })
            .await?;
        Ok(())
    }

    /// The server-side id (`CLIENT ID`) of the connection in use. It changes when the
    /// connection is replaced, which makes reconnects visible in diagnostics and lets
    /// tests kill exactly this connection (`CLIENT KILL ID`) on a shared server.
    pub async fn client_id(&self) -> Result<i64, RedisCoordError> {
        self.run("client_id", |mut conn| async move {
            redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await
        })
        .await
    }

    /// `<prefix><rest>`.
    pub(crate) fn key(&self, rest: fmt::Arguments<'_>) -> String {
        format!("{}{}", self.inner.prefix, rest)
    }

    fn current(&self) -> (u64, ConnectionManager) {
        let guard = self.inner.current.read().unwrap_or_else(|e| e.into_inner());
        (guard.0, guard.1.clone())
    }

    /// Replaces the manager when its connection stopped answering. The manager
    /// reconnects by itself when the socket closes, but not when the peer merely goes
    /// silent (a host that vanished, a dropped NAT entry): responses then time out on a
    /// socket that looks healthy. A fresh manager connects on first use.
    fn replace(&self, generation: u64) {
        let mut guard = self
            .inner
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if guard.0 != generation {
            return;
        }
        match ConnectionManager::new_lazy_with_config(self.inner.client.clone(), manager_config()) {
            Ok(fresh) => {
                tracing::warn!(url = %self.inner.url, "Redis stopped answering; replacing the connection");
                *guard = (generation + 1, fresh);
            }
            Err(err) => {
                tracing::warn!(url = %self.inner.url, error = %err, "cannot replace the Redis connection")
            }
        }
    }

    /// Runs one operation with the deadline, one retry after a connection error, and
    /// errors mapped to [`RedisCoordError`]. Every operation of this crate is
    /// idempotent for its caller (renewing a lease or claim one already holds, setting
    /// a flag, storing a heartbeat), so retrying after an answer was lost is safe; the
    /// retry is what makes a dropped connection invisible to callers, since the manager
    /// has started reconnecting by the time the first attempt fails.
    pub(crate) async fn run<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T, RedisCoordError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let (generation, conn) = self.current();
        let attempts = async {
            match f(conn).await {
                Err(err) if is_connection_error(&err) => {
                    tracing::debug!(url = %self.inner.url, op, error = %err, "Redis connection error; retrying once");
                    if err.is_timeout() {
                        self.replace(generation);
                    }
                    f(self.current().1).await
                }
                other => other,
            }
        };
        match tokio::time::timeout(CALL_DEADLINE, attempts).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(source)) => {
                if source.is_timeout() {
                    self.replace(self.current().0);
                }
                Err(RedisCoordError::Command {
                    url: self.inner.url.clone(),
                    op,
                    source,
                })
            }
            Err(_) => {
                self.replace(self.current().0);
                Err(RedisCoordError::Timeout {
                    url: self.inner.url.clone(),
                    op,
                    after: CALL_DEADLINE,
                })
            }
        }
    }
}

/// Errors after which the same command may succeed on a new connection.
fn is_connection_error(err: &redis::RedisError) -> bool {
    err.is_io_error() || err.is_connection_dropped() || err.is_unrecoverable_error()
}

/// Milliseconds for `PX`/`PEXPIRE`: Redis refuses 0, so sub-millisecond ttls round up.
pub(crate) fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Membership for RedisCoordinator {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, CommonError> {
        Ok(self.take_or_renew_lease(name, holder, ttl).await?)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), CommonError> {
        Ok(self.release_held_lease(name, holder).await?)
    }

    async fn heartbeat(&self, worker: &WorkerInfo, ttl: Duration) -> Result<(), CommonError> {
        Ok(self.record_heartbeat(worker, ttl).await?)
    }

    async fn live_workers(&self) -> Result<Vec<WorkerInfo>, CommonError> {
        Ok(self.list_live_workers().await?)
    }
}

#[async_trait]
impl AttemptControl for RedisCoordinator {
    async fn request_cancel(&self, task_id: Uuid) -> Result<(), CommonError> {
        Ok(self.set_cancel_flag(task_id).await?)
    }

    async fn is_cancel_requested(&self, task_id: Uuid) -> Result<bool, CommonError> {
        Ok(self.has_cancel_flag(task_id).await?)
    }

    async fn request_cutover(&self, task_id: Uuid) -> Result<(), CommonError> {
        Ok(self.set_cutover_flag(task_id).await?)
    }

    async fn is_cutover_requested(&self, task_id: Uuid) -> Result<bool, CommonError> {
        Ok(self.has_cutover_flag(task_id).await?)
    }

    async fn claim_attempt(
        &self,
        task_id: Uuid,
        attempt: u32,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, CommonError> {
        Ok(self
            .take_or_renew_claim(task_id, attempt, holder, ttl)
            .await?)
    }

    async fn put_progress(&self, task_id: Uuid, progress: &Progress, ttl: Duration) -> Result<(), CommonError> {
        Ok(RedisCoordinator::put_progress(self, task_id, progress, ttl).await?)
    }

    async fn live_progress(&self, task_ids: &[Uuid]) -> Result<HashMap<Uuid, Progress>, CommonError> {
        Ok(self.get_progress(task_ids).await?)
    }

    async fn put_shard_state(&self, task_id: Uuid, attempt: u32, index: u32, state: &ShardState) -> Result<(), CommonError> {
        Ok(self.record_shard_state(task_id, attempt, index, state).await?)
    }

    async fn shard_states(&self, task_id: Uuid, attempt: u32) -> Result<HashMap<u32, ShardState>, CommonError> {
        Ok(self.read_shard_states(task_id, attempt).await?)
    }
}

#[async_trait]
impl BandwidthBuckets for RedisCoordinator {
    async fn reserve_bandwidth(&self, key: &str, bytes: u64, bytes_per_sec: u64) -> Result<Duration, CommonError> {
        Ok(self.reserve_in_bucket(key, bytes, bytes_per_sec).await?)
    }

    async fn admit_request(&self, key: &str, per_sec: u32, burst: u32) -> Result<Option<Duration>, CommonError> {
        Ok(self.admit_in_bucket(key, per_sec, burst).await?)
    }
}

#[async_trait]
impl Coordinator for RedisCoordinator {
    async fn ready(&self) -> Result<(), CommonError> {
        Ok(self.ping().await?)
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("redis://:s3cret@host:6379/2"),
            "redis://:***@host:6379/2"
        );
        assert_eq!(redact("redis://user:s3cret@host"), "redis://user:***@host");
        assert!(!redact("not a url://u:s3cret@x").contains("s3cret"));
    }

    #[test]
    fn ttl_rounds_up_to_one_ms() {
        assert_eq!(ttl_ms(Duration::from_micros(10)), 1);
        assert_eq!(ttl_ms(Duration::from_millis(300)), 300);
    }
}
