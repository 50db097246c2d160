//! The embedded default: database (SQLite unless told otherwise), in-process broker and
//! coordinator, the orchestrator and a pool of workers, all in this process.

use anyhow::Context;
use ferry_common::broker::Broker;
use ferry_common::coordination::Coordinator;
use ferry_common::inproc::{InProcBroker, InProcCoordinator};
use ferry_common::messages::DEFAULT_QUEUE;
use ferry_common::secret::Secret;
use ferry_common::connections::Connections;
use ferry_common::file_roots::FileRoots;
use ferry_common::spec::ValidationContext;
use ferry_orchestrator::{EngineConfig, Orchestrator};
use ferry_store::Store;
use ferry_worker::{ConditionEvaluator, Registry, StoreResolver, WorkerConfig};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What the embedded stack needs to start.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    pub data_dir: PathBuf,
    /// Overrides the SQLite file in `data_dir` (a `postgres://` URL works too).
    pub database_url: Option<String>,
    /// Concurrent task attempts of the in-process worker.
    pub worker_concurrency: u32,
    /// Where `file://` locations may point: anywhere for `ferry run` (the user's own
    /// machine), `FERRY_FILE_ROOTS` for `ferry standalone`.
    pub file_roots: FileRoots,
    /// The in-process notifier's settings; `None` runs none (`ferry run`).
    pub notifier: Option<ferry_notifier::NotifierConfig>,
}

/// A running embedded stack. Drop it after [`Embedded::shutdown`].
pub struct Embedded {
    pub store: Store,
    pub broker: Arc<InProcBroker>,
    pub coordinator: Arc<InProcCoordinator>,
    pub orchestrator: Orchestrator,
    /// The connection names specs may use (from `FERRY_CONNECTIONS`).
    validation: ValidationContext,
    /// `FERRY_MASTER_KEY`, which seals and opens stored connections' secrets.
    master_key: Option<ferry_common::sealed::MasterKey>,
    /// Sends the API's channel tests.
    notify_sender: ferry_notifier::Sender,
    shutdown: CancellationToken,
    roles: Vec<JoinHandle<()>>,
}

impl Embedded {
    /// Opens (and migrates) the database, then starts the orchestrator and the workers.
    pub async fn start(opts: &EmbeddedOptions) -> anyhow::Result<Embedded> {
        std::fs::create_dir_all(&opts.data_dir)
            .with_context(|| format!("creating the data dir {}", opts.data_dir.display()))?;
        let url = opts.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", opts.data_dir.join("ferry.db").display())
        });
        let store = Store::connect(&url).await.with_context(|| format!("opening the database {}", redact(&url)))?;
        store.migrate().await.context("migrating the database")?;
        store.ensure_default_tenant().await.context("creating the default tenant")?;

        let broker = Arc::new(InProcBroker::new());
        let coordinator = Arc::new(InProcCoordinator::new());
        let dyn_broker: Arc<dyn Broker> = broker.clone();
        let dyn_coord: Arc<dyn Coordinator> = coordinator.clone();
        let connections = Connections::from_env()?;
        let mut validation = connections.validation_context();
        validation.file_roots = opts.file_roots.clone();
        let engine = EngineConfig {
            validation: validation.clone(),
            file_roots: opts.file_roots.clone(),
            ..EngineConfig::default()
        };
        let master_key = ferry_common::sealed::MasterKey::from_env().map_err(anyhow::Error::msg)?;
        let resolver = StoreResolver::with_connections(connections);
        let orchestrator = Orchestrator::new(store.clone(), dyn_broker.clone(), dyn_coord.clone(), engine)
            .with_probe(Arc::new(ConditionEvaluator::new(resolver.clone()).with_master_key(master_key.clone())));
        let shutdown = CancellationToken::new();

        let mut roles = Vec::new();
        let orch = orchestrator.clone();
        let token = shutdown.clone();
        roles.push(tokio::spawn(async move {
            if let Err(e) = orch.run(token).await {
                tracing::error!(error = %e, "orchestrator stopped");
            }
        }));
        let registry = Arc::new(Registry::with_defaults(resolver).with_master_key(master_key.clone()));
        let cfg = WorkerConfig {
            queues: vec![DEFAULT_QUEUE.to_string()],
            concurrency: opts.worker_concurrency.max(1),
            ..WorkerConfig::default()
        };
        let notify_cfg = opts.notifier.clone().unwrap_or_default();
        let notify_sender = ferry_notifier::Sender::new(notify_cfg.smtp.as_ref(), notify_cfg.request_timeout)?;
        if let Some(cfg) = opts.notifier.clone() {
            let notifier = ferry_notifier::Notifier::new(store.clone(), dyn_coord.clone(), cfg, master_key.clone())?;
            let token = shutdown.clone();
            roles.push(tokio::spawn(async move {
                if let Err(e) = notifier.run(token).await {
                    tracing::error!(error = %e, "notifier stopped");
                }
            }));
        }
        let token = shutdown.clone();
        roles.push(tokio::spawn(async move {
            if let Err(e) = ferry_worker::run_worker(cfg, dyn_broker, dyn_coord, registry, token).await {
                tracing::error!(error = %e, "worker stopped");
            }
        }));
        Ok(Embedded {
            store,
            broker,
            coordinator,
            orchestrator,
            validation,
            master_key,
            notify_sender,
            shutdown,
            roles,
        })
    }

    /// The API's view of this stack.
    pub fn api_state(&self, admin_key: Secret) -> ferry_api::AppState {
        let orch = self.orchestrator.clone();
        ferry_api::AppState {
            store: self.store.clone(),
            coordinator: self.coordinator.clone(),
            broker: self.broker.clone(),
            admin_key,
            validation: self.validation.clone(),
            on_run_change: Arc::new(move || orch.wake()),
            master_key: self.master_key.clone(),
            notify_sender: self.notify_sender.clone(),
            rate_limit: None,
        }
    }

    /// Stops taking work, lets running attempts finish within the worker's grace time.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for role in self.roles {
            let _ = role.await;
        }
    }
}

/// A URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
