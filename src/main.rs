//! `ferry`: one binary, one subcommand per role or job.

mod cli;

/// mimalloc instead of glibc's malloc: the orchestrator allocates and frees many small
/// rows per step, and glibc spent about a third of the noop benchmark's CPU in malloc,
/// free and consolidation (perf, `ferry bench noop --tasks 10000`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Moves data for many tenants: pipelines of copy and check tasks, run embedded (no
/// servers) or distributed.
#[derive(Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `ferry_worker=debug`.
    #[arg(long, env = "FERRY_LOG", default_value = "warn", global = true)]
    log: String,
}

#[derive(Subcommand)]
enum Command {
    /// Check pipeline specs and list every problem found.
    Validate(cli::validate::Args),
    /// Run one pipeline to completion on the embedded default, with progress bars.
    Run(cli::run::Args),
    /// Rebuild a versioned folder as it was at a moment (`--at`) into another (`--to`).
    Restore(cli::restore::Args),
    /// Serve the API with every role in this process.
    Standalone(cli::standalone::Args),
    /// Apply the database migrations (distributed; run before the other roles).
    Migrate(cli::migrate::Args),
    /// Serve the REST API (distributed role).
    Api(cli::api::Args),
    /// Plan runs and dispatch tasks (distributed role; one leads, others stand by).
    Orchestrator(cli::orchestrator::Args),
    /// Run tasks from the queues (distributed role; as many as needed).
    Worker(cli::worker::Args),
    /// Send notifications and raise alerts (distributed role; one leads, others stand by).
    Notifier(cli::notifier::Args),
    /// Measure orchestration overhead.
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
    /// Create and list tenants, in the database directly.
    #[command(subcommand)]
    Tenants(cli::tenancy::TenantsCommand),
    /// Create tenant keys, in the database directly (the first key of a tenant).
    #[command(subcommand)]
    Keys(cli::tenancy::KeysCommand),
    /// Print the OpenAPI document.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Two rustls crypto providers end up in the tree (ring via sqlx, aws-lc-rs via the
    // HTTP clients); pick one before any TLS client is built.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Validate(args) => cli::validate::execute(args),
            Command::Run(args) => cli::run::execute(args).await,
            Command::Restore(args) => cli::restore::execute(args).await,
            Command::Standalone(args) => cli::standalone::execute(args).await,
            Command::Migrate(args) => cli::migrate::execute(args).await,
            Command::Api(args) => cli::api::execute(args).await,
            Command::Orchestrator(args) => cli::orchestrator::execute(args).await,
            Command::Worker(args) => cli::worker::execute(args).await,
            Command::Notifier(args) => cli::notifier::execute(args).await,
            Command::Bench(cmd) => cli::bench::execute(cmd).await,
            Command::Tenants(cmd) => cli::tenancy::tenants(cmd).await,
            Command::Keys(cmd) => cli::tenancy::keys(cmd).await,
            Command::Openapi => {
                print!("{}", ferry_api::openapi_yaml());
                Ok(ExitCode::SUCCESS)
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
