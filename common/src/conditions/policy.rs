//! How a task waits for its conditions, and when a task runs after its dependencies
//! finish: the two task-level policies that come with conditions.

use crate::values::HumanDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `wait: {poke, timeout, on_timeout}`: how often conditions are checked again and how
/// long a task waits for them. The deadline counts from the first check and is stored
/// with the task, so it survives an orchestrator restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitPolicy {
    /// Time between two checks (default 30s).
    #[serde(default = "WaitPolicy::default_poke")]
    #[schema(value_type = String)]
    pub poke: HumanDuration,
    /// How long to wait in all, from the first check (default 24h).
    #[serde(default = "WaitPolicy::default_timeout")]
    #[schema(value_type = String)]
    pub timeout: HumanDuration,
    /// What the task becomes when the timeout runs out.
    #[serde(default)]
    pub on_timeout: OnTimeout,
}

impl WaitPolicy {
    fn default_poke() -> HumanDuration {
        HumanDuration::from_secs(30)
    }
    fn default_timeout() -> HumanDuration {
        HumanDuration::from_secs(24 * 3600)
    }
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            poke: Self::default_poke(),
            timeout: Self::default_timeout(),
            on_timeout: OnTimeout::default(),
        }
    }
}

/// What a task whose conditions never held becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// `failed`, with the unmet condition named in its error (the run fails).
    #[default]
    Fail,
    /// `skipped` (the run does not fail; dependants follow their trigger rule).
    Skip,
}

/// When a task runs, judged from the final states of its dependencies (Airflow's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerRule {
    /// Every dependency succeeded (the default).
    #[default]
    AllSucceeded,
    /// Every dependency finished, whatever its state: clean-up tasks.
    AllDone,
    /// At least one dependency failed: alert tasks. Runs as soon as one fails.
    OneFailed,
    /// Every dependency failed.
    AllFailed,
}

impl TriggerRule {
    /// The name as written in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerRule::AllSucceeded => "all_succeeded",
            TriggerRule::AllDone => "all_done",
            TriggerRule::OneFailed => "one_failed",
            TriggerRule::AllFailed => "all_failed",
        }
    }
}
