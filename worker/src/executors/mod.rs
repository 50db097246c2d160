//! The executors this worker runs, and the registry that maps a task's `kind` to one.
//!
//! There is no list of kinds here: the one list is `ferry_common::with_task_kinds!`,
//! expanded below into a `mod <kind>;` per kind and a call of each module's
//! `executor(&StoreResolver)`. A kind registered there without an executor folder here
//! does not compile; the consumer loop never changes.

use crate::conditions::ConditionEvaluator;
use crate::stores::StoreResolver;
use ferry_common::executor::Executor;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Declares one executor module per registered kind and the function that builds them.
macro_rules! declare_executors {
    ($($variant:ident($ty:ident) = $module:ident,)*) => {
        $(pub mod $module;)*

        /// The executor of every registered kind, sharing one store resolver.
        fn built_in(resolver: &StoreResolver) -> Vec<Arc<dyn Executor>> {
            vec![$($module::executor(resolver),)*]
        }
    };
}

ferry_common::with_task_kinds!(declare_executors);
pub(crate) mod support;

/// Executors by kind, and the evaluator of post-conditions. Built once at start-up and
/// shared by every attempt.
#[derive(Clone, Default)]
pub struct Registry {
    executors: BTreeMap<&'static str, Arc<dyn Executor>>,
    conditions: ConditionEvaluator,
    master_key: Option<ferry_common::sealed::MasterKey>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl Registry {
    /// An empty registry (for tests or a worker specialised in a few kinds).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every registered kind, sharing one store resolver, so a bucket's client is built
    /// once for all of them.
    pub fn with_defaults(resolver: StoreResolver) -> Self {
        let mut r = Self { conditions: ConditionEvaluator::new(resolver.clone()), ..Self::new() };
        for executor in built_in(&resolver) {
            r.register(executor);
        }
        r
    }

    /// Adds (or replaces) the executor for its kind.
    pub fn register(&mut self, executor: Arc<dyn Executor>) {
        self.executors.insert(executor.kind(), executor);
    }

    /// The executor for `kind`, if this worker has one.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn Executor>> {
        self.executors.get(kind).cloned()
    }

    /// Lets attempts open the tenants' stored connections their messages carry.
    pub fn with_master_key(mut self, key: Option<ferry_common::sealed::MasterKey>) -> Self {
        self.master_key = key;
        self
    }

    /// The key that opens stored connections, if this worker has one.
    pub fn master_key(&self) -> Option<&ferry_common::sealed::MasterKey> {
        self.master_key.as_ref()
    }

    /// What checks the post-conditions of attempts (with the executors' stores).
    pub fn conditions(&self) -> &ConditionEvaluator {
        &self.conditions
    }

    /// The kinds this worker can run, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.executors.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests;
