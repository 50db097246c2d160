//! Flags shared by the distributed roles: where the servers are.

use clap::Args;
use ferry::distributed::ServerUrls;

/// Addresses of Postgres, RabbitMQ and Redis.
#[derive(Args, Debug, Clone)]
pub(crate) struct ServerArgs {
    /// Database URL (`postgres://…`); needed by migrate, api and orchestrator.
    #[arg(long, env = "FERRY_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// RabbitMQ URL; the vhost is the path (`%2f` for `/`).
    #[arg(long, env = "FERRY_AMQP_URL", hide_env_values = true, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp_url: String,
    /// Redis URL.
    #[arg(long, env = "FERRY_REDIS_URL", hide_env_values = true, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Prefix of every Redis key (several installations can share one Redis).
    #[arg(long, env = "FERRY_REDIS_PREFIX", default_value = "ferry:")]
    redis_prefix: String,
    /// Task queues (resource classes) to declare, comma-separated.
    #[arg(long, env = "FERRY_QUEUES", value_delimiter = ',', default_value = "default,large")]
    queues: Vec<String>,
    /// Where to serve `/healthz` and `/readyz` (orchestrator and worker roles); off when
    /// not given.
    #[arg(long, env = "FERRY_HEALTH_BIND")]
    pub(crate) health_bind: Option<String>,
}

impl ServerArgs {
    pub(crate) fn urls(&self) -> ServerUrls {
        ServerUrls {
            database: self.database_url.clone(),
            amqp: self.amqp_url.clone(),
            redis: self.redis_url.clone(),
            redis_prefix: self.redis_prefix.clone(),
            queues: self.queues.clone(),
        }
    }
}
