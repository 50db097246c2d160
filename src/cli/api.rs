//! `ferry api`: the REST API role. Stateless; run as many as the load needs.

use super::server_args::ServerArgs;
use ferry::distributed::Servers;
use anyhow::Context;
use clap::Args as ClapArgs;
use ferry_common::secret::Secret;
use ferry_common::connections::Connections;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `ferry api`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    /// Address to serve on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "FERRY_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Bearer key for /api/v1 (required: the distributed API never generates one).
    #[arg(long, env = "FERRY_ADMIN_KEY", hide_env_values = true)]
    admin_key: String,
    #[command(flatten)]
    servers: ServerArgs,
    /// The SMTP server and timeout channel tests use (the notifier's settings).
    #[command(flatten)]
    notifier: super::notifier_args::NotifierArgs,
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
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}  (docs: http://{addr}/docs)");
    let _ = std::io::stdout().flush();
    let state = ferry_api::AppState {
        store,
        coordinator: Arc::new(coordinator),
        broker: Arc::new(broker),
        admin_key: Secret::new(args.admin_key),
        validation: ferry_common::spec::ValidationContext {
            file_roots: ferry_common::file_roots::FileRoots::from_env(),
            ..Connections::from_env()?.validation_context()
        },
        // The orchestrator (another process) polls for new runs and cancel requests.
        on_run_change: Arc::new(|| {}),
        master_key: ferry_common::sealed::MasterKey::from_env().map_err(anyhow::Error::msg)?,
        notify_sender: args.notifier.sender()?,
        rate_limit: ferry_api::rate_limit::RateLimit::from_env().map_err(anyhow::Error::msg)?,
    };
    ferry_api::serve(listener, state, async move { shutdown.cancelled().await }).await?;
    Ok(ExitCode::SUCCESS)
}
