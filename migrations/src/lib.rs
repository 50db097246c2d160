//! Ferry's database schema, as sea-orm migrations that run unchanged on SQLite (embedded
//! mode) and Postgres (distributed mode).
//!
//! The schema is written with sea-query's builder rather than raw SQL so one definition
//! serves both backends. There are no foreign keys on purpose: runs outlive the pipelines
//! they came from, and recorded transitions are history that must never be cascaded away.

use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261203_000001_task_conditions;
mod m20261203_000002_tenants_keys_audit;
mod m20261203_000003_connections;
mod m20261203_000004_firings;
mod m20261203_000005_triggers;
mod m20261203_000006_notifier;
mod m20261203_000007_portal_sessions;
mod m20261203_000008_dataset_markers;
mod m20261203_000009_deliveries;

/// Every migration of Ferry, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261203_000001_task_conditions::Migration),
            Box::new(m20261203_000002_tenants_keys_audit::Migration),
            Box::new(m20261203_000003_connections::Migration),
            Box::new(m20261203_000004_firings::Migration),
            Box::new(m20261203_000005_triggers::Migration),
            Box::new(m20261203_000006_notifier::Migration),
            Box::new(m20261203_000007_portal_sessions::Migration),
            Box::new(m20261203_000008_dataset_markers::Migration),
            Box::new(m20261203_000009_deliveries::Migration),
        ]
    }
}
