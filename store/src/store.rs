//! The `Store`: every query Ferry makes.
//!
//! The methods live in one submodule per concern (pipelines, runs, tasks, the
//! orchestrator's batch writes); this file holds the handle itself and its lifecycle.

use crate::StoreError;
use crate::entities::tenants;
use chrono::{DateTime, SubsecRound, Utc};
use ferry_migrations::Migrator;
use sea_orm::{DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel};
use sea_orm_migration::MigratorTrait;

mod apply;
mod connect;
mod page;
mod pipelines;
mod runs;
mod tasks;
mod tenancy;
mod key_store;
mod audit_log;
mod connection_store;
mod firing_store;
mod pipeline_control;
mod arrival_store;
mod channel_store;
mod outbox;
mod portal_session_store;
mod dataset_store;
mod delivery_store;

pub use firing_store::NewRun;

/// A handle on the database; cheap to clone (a connection pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// Statements sent since the pool opened, for benchmarks of what idle work costs.
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;

/// Bound parameters per multi-row statement: under SQLite's 32,766 and Postgres' 65,535.
const MAX_PARAMS: usize = 32_000;

/// Rows per multi-row insert of an entity with `columns` columns: as many as the
/// parameter bound allows. Few large statements beat many small ones, above all on
/// Postgres over TCP: sqlx 0.9 does not set `TCP_NODELAY`, so every statement larger than
/// one segment can wait for a delayed ACK (~40 ms on Linux). With 500-row statements the
/// orchestrator spent most of its time in those waits (`ferry bench noop --distributed`).
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns.max(1)).max(1)
}

/// Name of the tenant row [`Store::ensure_default_tenant`] creates.
const DEFAULT_TENANT_NAME: &str = "default";

impl Store {
    /// Connects to `sqlite://path?mode=rwc` or `postgres://…`. SQLite gets WAL mode,
    /// `synchronous=NORMAL` and a busy timeout, and its parent folder is created.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let mut db = connect::open(url).await?;
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        Ok(Store { db, statements })
    }

    /// Statements this handle (and its clones) sent to the database so far.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            _ => "mysql",
        }
    }

    /// Inserts the default tenant row if absent.
    pub async fn ensure_default_tenant(&self) -> Result<(), StoreError> {
        let tenant = tenants::Model {
            id: crate::DEFAULT_TENANT,
            name: DEFAULT_TENANT_NAME.to_owned(),
            created_at: now(),
            file_roots: None,
            quotas: None,
        };
        tenants::Entity::insert(tenant.into_active_model())
            .on_conflict_do_nothing()
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }
}

/// The current time at the precision both backends store (microseconds), so a row handed
/// back right after a write equals the same row read later.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
