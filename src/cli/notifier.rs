//! `ferry notifier`: routes the outbox to channels, delivers, and raises alerts for
//! stuck, late and lost runs and for an orchestrator that stopped leading. Run two or
//! more: one leads (a lease in Redis), the others stand by.

use super::notifier_args::NotifierArgs;
use super::server_args::ServerArgs;
use clap::Args as ClapArgs;
use ferry_api::readiness::Dependencies;
use ferry_common::coordination::Coordinator;
use ferry_notifier::Notifier;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `ferry notifier`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    servers: ServerArgs,
    #[command(flatten)]
    notifier: NotifierArgs,
    /// Validity of the notifier's lease; a standby takes over this long after the leader
    /// stops renewing it.
    #[arg(long, env = "FERRY_NOTIFIER_LEASE_TTL", value_parser = humantime::parse_duration, default_value = "10s")]
    lease_ttl: Duration,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let shutdown = super::shutdown::on_signal();
    let mut cfg = args.notifier.config()?;
    cfg.lease_ttl = args.lease_ttl;
    // The database and Redis only: the notifier must keep speaking while RabbitMQ (and
    // every orchestrator) is down.
    let urls = args.servers.urls();
    let Some(store) = urls.store(&shutdown).await? else { return Ok(ExitCode::FAILURE) };
    let Some(coordinator) = urls.coordinator(&shutdown).await else { return Ok(ExitCode::FAILURE) };
    let coordinator: Arc<dyn Coordinator> = Arc::new(coordinator);
    let deps = Dependencies { store: Some(store.clone()), broker: None, coordinator: Some(coordinator.clone()) };
    super::probes::spawn(args.servers.health_bind.as_deref(), deps, &shutdown).await?;
    let master_key = ferry_common::sealed::MasterKey::from_env().map_err(anyhow::Error::msg)?;
    println!("notifier {} started", cfg.id);
    let _ = std::io::stdout().flush();
    Notifier::new(store, coordinator, cfg, master_key)?.run(shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
