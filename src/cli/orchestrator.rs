//! `ferry orchestrator`: plans runs, applies worker events, dispatches ready tasks and
//! reaps lost attempts. Run two or more: one leads (a lease in Redis), the others stand
//! by and take over when the leader's lease lapses.

use super::server_args::ServerArgs;
use ferry::distributed::Servers;
use clap::Args as ClapArgs;
use ferry_api::readiness::Dependencies;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::connections::Connections;
use ferry_orchestrator::{EngineConfig, Orchestrator};
use ferry_worker::{ConditionEvaluator, StoreResolver};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `ferry orchestrator`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    servers: ServerArgs,
    /// Validity of the leader lease; a standby takes over this long after the leader
    /// stops renewing it.
    #[arg(long, env = "FERRY_LEASE_TTL", value_parser = humantime::parse_duration, default_value = "10s")]
    lease_ttl: Duration,
    /// How often to look for new runs and cancel requests.
    #[arg(long, env = "FERRY_POLL_EVERY", value_parser = humantime::parse_duration, default_value = "250ms")]
    poll_every: Duration,
    /// How long a running task may be missing from every worker's heartbeat before it
    /// gets a new attempt.
    #[arg(long, env = "FERRY_REAP_GRACE", value_parser = humantime::parse_duration, default_value = "20s")]
    reap_grace: Duration,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let shutdown = super::shutdown::on_signal();
    let urls = args.servers.urls();
    let Some(Servers {
        store,
        broker,
        coordinator,
    }) = urls.connect_all(&shutdown).await?
    else {
        return Ok(ExitCode::FAILURE);
    };
    let broker: Arc<dyn Broker> = Arc::new(broker);
    let coordinator: Arc<dyn Coordinator> = Arc::new(coordinator);
    let deps = Dependencies {
        store: Some(store.clone()),
        broker: Some(broker.clone()),
        coordinator: Some(coordinator.clone()),
    };
    super::probes::spawn(args.servers.health_bind.as_deref(), deps, &shutdown).await?;
    let connections = Connections::from_env()?;
    let cfg = EngineConfig {
        poll_every: args.poll_every,
        lease_ttl: args.lease_ttl,
        reap_grace: args.reap_grace,
        // Workers are other processes: a `running` task found at take-over may still be
        // running; the reaper decides from the heartbeats.
        recover_running: false,
        validation: connections.validation_context(),
        file_roots: ferry_common::file_roots::FileRoots::from_env(),
        ..EngineConfig::default()
    };
    // Conditions are checked here, with the same connections file the workers read.
    let master_key = ferry_common::sealed::MasterKey::from_env().map_err(anyhow::Error::msg)?;
    let probe = Arc::new(ConditionEvaluator::new(StoreResolver::with_connections(connections)).with_master_key(master_key));
    println!("orchestrator {} started", cfg.id);
    let _ = std::io::stdout().flush();
    Orchestrator::new(store, broker, coordinator, cfg).with_probe(probe).run(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
