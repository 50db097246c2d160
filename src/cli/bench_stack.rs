//! What a benchmark runs against: the embedded stack, or the distributed one (Postgres,
//! RabbitMQ and Redis, the orchestrator in this process, workers as child processes, as
//! in production).

use super::server_args::ServerArgs;
use anyhow::Context;
use ferry::embedded::{Embedded, EmbeddedOptions};
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_orchestrator::{EngineConfig, Orchestrator};
use ferry_store::Store;
use ferry_common::spec::PipelineSpec;
use ferry_store::{DEFAULT_TENANT, PipelineRow};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Flags that choose the stack.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct StackArgs {
    /// Run against Postgres + RabbitMQ + Redis (FERRY_DATABASE_URL, FERRY_AMQP_URL,
    /// FERRY_REDIS_URL) with worker processes, instead of the embedded default.
    #[arg(long)]
    distributed: bool,
    /// Worker processes (distributed only).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Concurrency of each worker.
    #[arg(long, default_value_t = 64)]
    concurrency: u32,
    #[command(flatten)]
    servers: ServerArgs,
}

impl StackArgs {
    /// Whether the distributed stack is asked for.
    pub(crate) fn distributed(&self) -> bool {
        self.distributed
    }

    /// The server URLs given.
    pub(crate) fn urls(&self) -> ferry::distributed::ServerUrls {
        self.servers.urls()
    }

    /// The RabbitMQ URL the distributed stack uses.
    pub(crate) fn amqp_url(&self) -> String {
        self.servers.urls().amqp
    }
}

/// A running stack: the store and orchestrator the benchmark talks to.
pub(crate) struct BenchStack {
    pub(crate) store: Store,
    pub(crate) orchestrator: Orchestrator,
    /// Where workers announce themselves and the attempts they run.
    pub(crate) coordinator: Arc<dyn Coordinator>,
    pub(crate) label: String,
    /// The Redis key prefix of the distributed stack (its own, per run).
    pub(crate) redis_prefix: Option<String>,
    embedded: Option<Embedded>,
    shutdown: CancellationToken,
    orchestrator_task: Option<JoinHandle<()>>,
    workers: Vec<Child>,
    _dir: tempfile::TempDir,
}

impl BenchStack {
    /// Starts the stack `args` asks for.
    pub(crate) async fn start(args: &StackArgs) -> anyhow::Result<BenchStack> {
        let dir = tempfile::tempdir()?;
        if !args.distributed {
            let database_url = args.servers.urls().database;
            let stack = Embedded::start(&EmbeddedOptions {
                data_dir: dir.path().to_path_buf(),
                database_url,
                worker_concurrency: args.concurrency,
                file_roots: ferry_common::file_roots::FileRoots::anywhere(),
                notifier: None,
            })
            .await?;
            let label = format!(
                "embedded ({} database, in-process broker), worker concurrency {}",
                stack.store.backend_name(),
                args.concurrency
            );
            let coordinator: Arc<dyn Coordinator> = stack.coordinator.clone();
            return Ok(BenchStack {
                store: stack.store.clone(),
                orchestrator: stack.orchestrator.clone(),
                coordinator,
                label,
                redis_prefix: None,
                embedded: Some(stack),
                shutdown: CancellationToken::new(),
                orchestrator_task: None,
                workers: Vec::new(),
                _dir: dir,
            });
        }
        let mut urls = args.servers.urls();
        // A key space of its own, so leftovers of other runs (leases, workers) do not count.
        urls.redis_prefix = format!("{}bench-{}:", urls.redis_prefix, &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let shutdown = CancellationToken::new();
        let store = urls.store(&shutdown).await?.context("no database")?;
        store.migrate().await?;
        store.ensure_default_tenant().await?;
        let broker: Arc<dyn Broker> = Arc::new(urls.broker(&shutdown).await.context("no RabbitMQ")?);
        let coordinator: Arc<dyn Coordinator> = Arc::new(urls.coordinator(&shutdown).await.context("no Redis")?);
        let exe = std::env::current_exe()?;
        let mut workers = Vec::new();
        for _ in 0..args.workers.max(1) {
            let child = Command::new(&exe)
                .arg("worker")
                .env("FERRY_AMQP_URL", &urls.amqp)
                .env("FERRY_REDIS_URL", &urls.redis)
                .env("FERRY_REDIS_PREFIX", &urls.redis_prefix)
                .env("FERRY_WORKER_CONCURRENCY", args.concurrency.to_string())
                .env_remove("FERRY_DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("starting a worker process")?;
            workers.push(child);
        }
        let orchestrator = Orchestrator::new(
            store.clone(),
            broker,
            coordinator.clone(),
            EngineConfig {
                recover_running: false,
                poll_every: Duration::from_millis(250),
                ..EngineConfig::default()
            },
        )
        .with_probe(Arc::new(ferry_worker::ConditionEvaluator::new(ferry_worker::StoreResolver::new())));
        let orch = orchestrator.clone();
        let token = shutdown.clone();
        let orchestrator_task = Some(tokio::spawn(async move {
            if let Err(e) = orch.run(token).await {
                tracing::error!(error = %e, "orchestrator stopped");
            }
        }));
        // Wait for the workers to announce themselves, so the first run is not slowed
        // down by their start-up.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while coordinator.live_workers().await.map(|w| w.len()).unwrap_or(0) < workers.len() {
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "the worker processes did not start within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let label = format!(
            "distributed (postgres database, RabbitMQ, Redis), {} worker processes × concurrency {}",
            workers.len(),
            args.concurrency
        );
        Ok(BenchStack {
            store,
            orchestrator,
            coordinator,
            label,
            redis_prefix: Some(urls.redis_prefix.clone()),
            embedded: None,
            shutdown,
            orchestrator_task,
            workers,
            _dir: dir,
        })
    }

    /// Stores `spec` as a pipeline under a name of its own (so repeated benchmarks do not
    /// collide) and returns it.
    pub(crate) async fn create_pipeline(&self, spec: &PipelineSpec) -> anyhow::Result<PipelineRow> {
        let name = format!("{}-{}", spec.name, &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let mut spec = spec.clone();
        spec.name = name.clone();
        Ok(self.store.create_pipeline(DEFAULT_TENANT, &name, &serde_json::to_value(&spec)?).await?)
    }

    /// Stops everything the stack started.
    pub(crate) async fn shutdown(mut self) {
        if let Some(e) = self.embedded.take() {
            e.shutdown().await;
        }
        self.shutdown.cancel();
        if let Some(t) = self.orchestrator_task.take() {
            let _ = t.await;
        }
        for w in &mut self.workers {
            let _ = Command::new("kill").arg("-TERM").arg(w.id().to_string()).status();
        }
        for w in &mut self.workers {
            let _ = w.wait();
        }
    }
}
