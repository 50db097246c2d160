//! `ferry standalone`: the API with every role in this process; state in the data dir,
//! so it survives a restart.

use super::common_args::EmbeddedArgs;
use anyhow::Context;
use clap::Args as ClapArgs;
use ferry::embedded::Embedded;
use ferry_common::secret::Secret;
use std::io::Write;
use std::process::ExitCode;

/// Arguments of `ferry standalone`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    /// Address to serve the API on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "FERRY_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    #[command(flatten)]
    embedded: EmbeddedArgs,
    #[command(flatten)]
    notifier: super::notifier_args::NotifierArgs,
    /// Bearer key for /api/v1; generated into the data dir when not given.
    #[arg(long, env = "FERRY_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    // A server shared by tenants: local paths only under FERRY_FILE_ROOTS (when set).
    let opts = ferry::embedded::EmbeddedOptions {
        file_roots: ferry_common::file_roots::FileRoots::from_env(),
        notifier: Some(args.notifier.config()?),
        ..args.embedded.options()
    };
    let (key, generated) = ferry::admin_key::load_or_create(args.admin_key.map(Secret::new), &opts.data_dir)?;
    let stack = Embedded::start(&opts).await?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    if generated {
        println!(
            "admin key (saved to {}, shown only now): {}",
            opts.data_dir.join("admin.key").display(),
            key.expose()
        );
    }
    println!("listening on http://{addr}  (docs: http://{addr}/docs)");
    let _ = std::io::stdout().flush();
    let mut state = stack.api_state(key);
    state.rate_limit = ferry_api::rate_limit::RateLimit::from_env().map_err(anyhow::Error::msg)?;
    ferry_api::serve(listener, state, shutdown_signal()).await?;
    stack.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
