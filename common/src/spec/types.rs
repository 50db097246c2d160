//! The typed spec. Field names here are the names users write; keep them stable.

use super::{Bandwidth, HumanDuration};
use crate::conditions::{Condition, TriggerRule, WaitPolicy};
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
    /// When the pipeline recurs (one schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<crate::schedule::ScheduleSpec>,
    /// When the pipeline recurs (several schedules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::schedule::ScheduleSpec>,
    /// What else starts a run: arriving files, an upstream run, a webhook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<crate::triggers::TriggerSpec>,
    /// Who hears about which events of this pipeline's runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<crate::notify::NotifyRule>,
    /// When a run counts as stuck or late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<crate::notify::AlertSpec>,
    pub tasks: Vec<TaskSpec>,
}

impl PipelineSpec {
    /// Every schedule, `schedule` first, each with its path in the spec.
    pub fn all_schedules(&self) -> Vec<(String, &crate::schedule::ScheduleSpec)> {
        let one = self.schedule.iter().map(|s| ("schedule".to_string(), s));
        let many = self.schedules.iter().enumerate().map(|(i, s)| (format!("schedules[{i}]"), s));
        one.chain(many).collect()
    }
}

/// Settings every task inherits unless it sets its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Defaults {
    #[serde(default)]
    pub retries: RetryPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<HumanDuration>,
    /// Attempts a task may lose to a dead worker (or a restart) before it fails; lost
    /// attempts do not spend retries (default [`Defaults::DEFAULT_MAX_LOST`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lost: Option<u32>,
}

impl Defaults {
    /// Lost attempts allowed per task unless the spec says otherwise.
    pub const DEFAULT_MAX_LOST: u32 = 3;
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
    /// Conditions that must all hold before the task is dispatched; until they do the
    /// task is `waiting`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre: Vec<Condition>,
    /// Conditions that must all hold after an attempt succeeds, before its dependants
    /// start; a failed one fails the attempt (retryable) with the evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post: Vec<Condition>,
    /// How `pre` (or a `wait` task's `until`) is waited for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitPolicy>,
    /// When the task runs, judged from its dependencies' final states.
    #[serde(default, skip_serializing_if = "is_default_rule")]
    pub trigger_rule: TriggerRule,
    /// A failure of this task does not fail the run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_failure: bool,
    /// Whether dependencies are inferred from the locations the task reads (default true).
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub infer: bool,
    /// Lost attempts allowed before the task fails (default: the pipeline's `defaults`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lost: Option<u32>,
    #[serde(flatten)]
    pub body: TaskBody,
}

fn is_default_rule(rule: &TriggerRule) -> bool {
    *rule == TriggerRule::default()
}

fn yes() -> bool {
    true
}

impl TaskSpec {
    /// A task with every policy at its default, for programs that build specs in code.
    pub fn new(id: impl Into<String>, body: TaskBody) -> Self {
        Self {
            id: id.into(),
            depends_on: Vec::new(),
            retries: None,
            timeout: None,
            pre: Vec::new(),
            post: Vec::new(),
            wait: None,
            trigger_rule: TriggerRule::default(),
            allow_failure: false,
            infer: true,
            max_lost: None,
            body,
        }
    }

    /// The retry policy in force: the task's own, else the pipeline's default.
    pub fn retry_policy<'a>(&'a self, defaults: &'a Defaults) -> &'a RetryPolicy {
        self.retries.as_ref().unwrap_or(&defaults.retries)
    }

    /// The timeout in force, if any.
    pub fn effective_timeout(&self, defaults: &Defaults) -> Option<HumanDuration> {
        self.timeout.or(defaults.timeout)
    }

    /// Lost attempts allowed in force.
    pub fn effective_max_lost(&self, defaults: &Defaults) -> u32 {
        self.max_lost.or(defaults.max_lost).unwrap_or(Defaults::DEFAULT_MAX_LOST)
    }

    /// What must hold before the task may start: its `pre`, or a `wait` task's `until`.
    pub fn gate(&self) -> &[Condition] {
        match &self.body {
            TaskBody::Wait(w) if self.pre.is_empty() => &w.until,
            _ => &self.pre,
        }
    }

    /// The wait policy in force (the default when the spec sets none).
    pub fn wait_policy(&self) -> WaitPolicy {
        self.wait.unwrap_or_default()
    }

    /// Every location URL the task names, conditions included, so `ferry run` can
    /// resolve paths written relative to the spec file.
    pub fn urls_mut(&mut self) -> Vec<&mut String> {
        let mut urls: Vec<&mut String> = Vec::new();
        for c in self.pre.iter_mut().chain(self.post.iter_mut()) {
            urls.extend(c.url_mut());
        }
        match &mut self.body {
            TaskBody::Wait(w) => urls.extend(w.until.iter_mut().filter_map(Condition::url_mut)),
            body => urls.extend(body.as_kind_mut().body_locations_mut().into_iter().map(|loc| &mut loc.url)),
        }
        urls
    }
}
