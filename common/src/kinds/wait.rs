//! The `wait` kind: a sensor. It does nothing but wait until its conditions hold, and it
//! never takes a worker slot: the orchestrator checks its conditions and finishes it.

use super::{KindCheck, TaskKind};
use crate::conditions::{Condition, ConditionSlot, check_conditions};
use crate::location::Location;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Wait until every condition of `until` holds (checked every `wait.poke`, for at most
/// `wait.timeout`), then succeed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WaitTask {
    /// The conditions waited for, as in `pre`.
    pub until: Vec<Condition>,
}

impl TaskKind for WaitTask {
    const NAME: &'static str = "wait";
    const FIELDS: &'static [&'static str] = &["until"];
    const RUNS_ON_WORKER: bool = false;

    fn validate(&self, check: &mut KindCheck<'_>) {
        if self.until.is_empty() {
            check.problem("until", "a `wait` task needs at least one condition to wait for");
        }
        check_conditions(&self.until, "until", ConditionSlot::Before, check);
    }

    fn reads(&self) -> Vec<Location> {
        self.until.iter().filter_map(Condition::location).collect()
    }
}
