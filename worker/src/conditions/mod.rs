//! The condition evaluator: answers `exists`, `min_files`, `min_size` against object
//! stores (through the same resolver and connections the executors use) and
//! `table_exists`, `query` against Postgres and MySQL/MariaDB (sqlx).
//!
//! Two callers: the orchestrator owns one to check `pre` conditions and `wait` sensors
//! without taking a worker slot (as a [`ConditionProbe`]); the worker checks a task's
//! `post` conditions at the end of the attempt (see [`post`]), since `consistent` reads
//! the data the attempt wrote.

mod files;
pub mod post;
mod sql;

use crate::stores::StoreResolver;
use ferry_common::conditions::{Condition, ConditionProbe, ObjectListing, ProbeError, Verdict};
use ferry_common::location::Location;
use ferry_common::connections::SealedConnection;
use std::sync::Arc;

/// Checks conditions. Cheap to clone: clones share store clients and database pools.
#[derive(Debug, Clone, Default)]
pub struct ConditionEvaluator {
    resolver: StoreResolver,
    databases: Arc<sql::Databases>,
    /// Opens the tenants' stored connections sealed in requests.
    master_key: Option<ferry_common::sealed::MasterKey>,
}

impl ConditionEvaluator {
    /// An evaluator reading stores through `resolver`, and databases through the
    /// connections `resolver` holds (entries with a `postgres://` or `mysql://` `url`).
    pub fn new(resolver: StoreResolver) -> Self {
        let databases = Arc::new(sql::Databases::new(resolver.connections().clone()));
        Self { resolver, databases, master_key: None }
    }

    /// Lets the evaluator open stored connections (`FERRY_MASTER_KEY`).
    pub fn with_master_key(mut self, key: Option<ferry_common::sealed::MasterKey>) -> Self {
        self.master_key = key;
        self
    }

    /// Checks one condition once. `consistent` is not answered here: it needs the task
    /// it follows, and [`post`] checks it.
    pub async fn check(&self, condition: &Condition) -> Result<Verdict, ProbeError> {
        match condition {
            Condition::Exists(loc) => files::exists(&self.resolver, loc).await,
            Condition::MinFiles(m) => files::min_files(&self.resolver, m).await,
            Condition::MinSize(m) => files::min_size(&self.resolver, m).await,
            Condition::TableExists(t) => self.databases.table_exists(t).await,
            Condition::Query(q) => self.databases.query(q).await,
            Condition::Consistent(_) => Err(ProbeError::Permanent(
                "`consistent` is checked after a copy's attempt, not before a task".into(),
            )),
            // Freshness markers are in the database, which the orchestrator answers from.
            Condition::Fresh(_) => Err(ProbeError::Permanent("`fresh` is checked by the orchestrator against the datasets' markers".into())),
        }
    }
}

#[async_trait::async_trait]
impl ConditionProbe for ConditionEvaluator {
    async fn probe(&self, condition: &Condition) -> Result<Verdict, ProbeError> {
        self.check(condition).await
    }

    async fn probe_with(&self, condition: &Condition, stored: &[SealedConnection]) -> Result<Verdict, ProbeError> {
        if stored.is_empty() {
            return self.check(condition).await;
        }
        let Some(key) = &self.master_key else {
            return Err(ProbeError::Permanent(format!(
                "the condition uses stored connections, and this orchestrator has no {}",
                ferry_common::sealed::MASTER_KEY_ENV
            )));
        };
        // The tenant's connections over this evaluator's own, for this check only (its
        // store clients and pools are not kept: another tenant may name the same).
        let mut all = (**self.resolver.connections()).clone();
        for c in stored {
            all.insert(c.name.clone(), c.open(key).map_err(ProbeError::Permanent)?);
        }
        ConditionEvaluator::new(StoreResolver::with_connections(all)).check(condition).await
    }

    async fn list_objects(&self, location: &Location, stored: &[SealedConnection]) -> Result<ObjectListing, ProbeError> {
        if stored.is_empty() {
            return files::listing(&self.resolver, location);
        }
        let Some(key) = &self.master_key else {
            return Err(ProbeError::Permanent(format!("the trigger uses stored connections, and this orchestrator has no {}", ferry_common::sealed::MASTER_KEY_ENV)));
        };
        let mut all = (**self.resolver.connections()).clone();
        for c in stored {
            all.insert(c.name.clone(), c.open(key).map_err(ProbeError::Permanent)?);
        }
        files::listing(&StoreResolver::with_connections(all), location)
    }
}
