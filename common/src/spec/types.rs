//! The typed spec. Field names here are the names users write; keep them stable.

use super::{Bandwidth, HumanDuration};
use crate::kinds::TaskBody;
use serde::{Deserialize, Serialize};

/// A whole pipeline: a named DAG of tasks with shared defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    /// Unique per tenant; how people and alerts refer to the pipeline.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub defaults: Defaults,
    /// Bytes per second all of a run's copies may move together, across every worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    pub tasks: Vec<TaskSpec>,
}

/// Settings every task inherits unless it sets its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Defaults {
    #[serde(default)]
    pub retries: RetryPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
}

/// How often and how patiently a failed attempt is retried. The default is no retry, as
/// in Airflow and Data Factory: retrying is a choice, not a surprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = run once).
    #[serde(default)]
    pub max: u32,
    #[serde(default)]
    pub backoff: Backoff,
    #[serde(default = "RetryPolicy::default_initial")]
    pub initial: HumanDuration,
    #[serde(default = "RetryPolicy::default_max_delay")]
    pub max_delay: HumanDuration,
}

impl RetryPolicy {
    fn default_initial() -> HumanDuration {
        HumanDuration::from_secs(2)
    }
    fn default_max_delay() -> HumanDuration {
        HumanDuration::from_secs(300)
    }

    /// Delay before retry number `retry` (1-based), capped at `max_delay`.
    pub fn delay(&self, retry: u32) -> std::time::Duration {
        let initial = self.initial.0;
        let delay = match self.backoff {
            Backoff::Fixed => initial,
            Backoff::Exponential => {
                let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
                initial.saturating_mul(factor)
            }
        };
        delay.min(self.max_delay.0)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max: 0,
            backoff: Backoff::default(),
            initial: Self::default_initial(),
            max_delay: Self::default_max_delay(),
        }
    }
}

/// Growth of the delay between retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Fixed,
    #[default]
    Exponential,
}

/// One node of the DAG: identity, ordering and policy, plus the kind-specific body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Unique within the pipeline; `depends_on` refers to it.
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<RetryPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
    #[serde(flatten)]
    pub body: TaskBody,
}

impl TaskSpec {
    /// The retry policy in force: the task's own, else the pipeline's default.
    pub fn retry_policy<'a>(&'a self, defaults: &'a Defaults) -> &'a RetryPolicy {
        self.retries.as_ref().unwrap_or(&defaults.retries)
    }

    /// The timeout in force, if any.
    pub fn effective_timeout(&self, defaults: &Defaults) -> Option<HumanDuration> {
        self.timeout.or(defaults.timeout)
    }
}
