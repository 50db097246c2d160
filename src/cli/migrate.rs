//! `ferry migrate`: applies the database migrations (run once per upgrade, before the
//! other roles).

use super::server_args::ServerArgs;
use anyhow::Context;
use clap::Args as ClapArgs;
use std::process::ExitCode;

/// Arguments of `ferry migrate`.
#[derive(ClapArgs, Debug)]
pub(crate) struct Args {
    #[command(flatten)]
    servers: ServerArgs,
}

pub(crate) async fn execute(args: Args) -> anyhow::Result<ExitCode> {
    let shutdown = super::shutdown::on_signal();
    let Some(store) = args.servers.urls().store(&shutdown).await? else {
        return Ok(ExitCode::FAILURE);
    };
    store.migrate().await.context("migrating the database")?;
    store.ensure_default_tenant().await.context("creating the default tenant")?;
    println!("database migrated ({})", store.backend_name());
    Ok(ExitCode::SUCCESS)
}
