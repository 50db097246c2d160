//! `ferry worker`: consumes task queues and runs tasks. Stateless and without database
//! credentials; run as many as there is work.

use super::server_args::ServerArgs;
use clap::Args as ClapArgs;
use ferry_api::readiness::Dependencies;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_worker::{Registry, StoreResolver, WorkerConfig};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `ferry worker`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    servers: ServerArgs,
    /// Attempts run at once.
    #[arg(long, env = "FERRY_WORKER_CONCURRENCY", default_value_t = 8)]
    concurrency: u32,
    /// Unacked messages RabbitMQ may hand this worker per queue (0: twice the concurrency).
    #[arg(long, env = "FERRY_WORKER_PREFETCH", default_value_t = 0)]
    prefetch: u16,
    /// Queues (resource classes) to consume, comma-separated.
    #[arg(long, env = "FERRY_WORKER_QUEUES", value_delimiter = ',', default_value = "default")]
    consume: Vec<String>,
    /// On SIGTERM, how long running attempts may finish before they are handed back.
    #[arg(long, env = "FERRY_SHUTDOWN_GRACE", value_parser = humantime::parse_duration, default_value = "30s")]
    shutdown_grace: Duration,
    /// Heartbeat period (a worker counts as gone after three missed beats).
    #[arg(long, env = "FERRY_HEARTBEAT_EVERY", value_parser = humantime::parse_duration, default_value = "5s")]
    heartbeat_every: Duration,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let shutdown = super::shutdown::on_signal();
    let urls = args.servers.urls();
    let Some(broker) = urls.broker(&shutdown).await else { return Ok(ExitCode::FAILURE) };
    let Some(coordinator) = urls.coordinator(&shutdown).await else { return Ok(ExitCode::FAILURE) };
    let broker: Arc<dyn Broker> = Arc::new(broker);
    let coordinator: Arc<dyn Coordinator> = Arc::new(coordinator);
    let deps = Dependencies {
        store: None,
        broker: Some(broker.clone()),
        coordinator: Some(coordinator.clone()),
    };
    super::probes::spawn(args.servers.health_bind.as_deref(), deps, &shutdown).await?;
    let cfg = WorkerConfig {
        queues: args.consume,
        concurrency: args.concurrency.max(1),
        prefetch: args.prefetch,
        shutdown_grace: args.shutdown_grace,
        heartbeat_every: args.heartbeat_every,
        ..WorkerConfig::default()
    };
    println!("worker {} started", cfg.id);
    let _ = std::io::stdout().flush();
    let master_key = ferry_common::sealed::MasterKey::from_env().map_err(anyhow::Error::msg)?;
    let registry = Arc::new(Registry::with_defaults(StoreResolver::from_env()?).with_master_key(master_key));
    ferry_worker::run_worker(cfg, broker, coordinator, registry, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
