//! Who hears about what: the events a run, a schedule or the notifier's own alert
//! detectors produce, the `notify:` rules that route them to a tenant's channels, and the
//! `alerts:` thresholds (stuck, late) a pipeline sets.
//!
//! Event names are a closed list checked at the edge, so a typo in a rule is a
//! validation error rather than an alert that never comes.

mod alerts;
mod events;

pub use alerts::{AlertSpec, FinishBy};
pub use events::EventKind;

use crate::problem::SpecProblem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// One routing rule: events of these kinds go to these channels (by name, in the
/// pipeline's tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyRule {
    /// Event kinds, e.g. `run.failed`, `run.stuck`, `schedule.missed`.
    pub on: Vec<String>,
    /// Names of the tenant's channels (`/api/v1/channels`).
    pub channels: Vec<String>,
}

impl NotifyRule {
    /// Whether this rule routes events of `kind`.
    pub fn matches(&self, kind: EventKind) -> bool {
        self.on.iter().any(|k| k == kind.as_str())
    }

    /// Reports unknown event kinds, empty lists and, when `channels` is known, channels
    /// the tenant does not have. `path` is where the rule sits (`notify[0]`; empty for a
    /// rule that is the whole document).
    pub fn check(&self, path: &str, channels: Option<&BTreeSet<String>>, problems: &mut Vec<SpecProblem>) {
        let at = |field: String| if path.is_empty() { field } else { format!("{path}.{field}") };
        if self.on.is_empty() {
            problems.push(SpecProblem::new(at("on".into()), "name at least one event"));
        }
        for (i, kind) in self.on.iter().enumerate() {
            if EventKind::parse(kind).is_none() {
                problems.push(SpecProblem::new(
                    at(format!("on[{i}]")),
                    format!("unknown event `{kind}`; one of: {}", EventKind::names().join(", ")),
                ));
            }
        }
        if self.channels.is_empty() {
            problems.push(SpecProblem::new(at("channels".into()), "name at least one channel"));
        }
        if let Some(known) = channels {
            for (i, name) in self.channels.iter().enumerate() {
                if !known.contains(name) {
                    problems.push(SpecProblem::new(
                        at(format!("channels[{i}]")),
                        format!("unknown channel `{name}`; create it first with POST /api/v1/channels"),
                    ));
                }
            }
        }
    }
}

/// The outbox key under which the loss of `attempt` of `task` is one event, whoever
/// sees it first: the orchestrator's reaper or the notifier's detector.
pub fn lost_attempt_key(task: uuid::Uuid, attempt: u32) -> String {
    format!("task.lost:{task}:{attempt}")
}

/// Checks a list of rules (`notify:` of a spec), each at `notify[i]`.
pub fn check_rules(rules: &[NotifyRule], channels: Option<&BTreeSet<String>>, problems: &mut Vec<SpecProblem>) {
    for (i, rule) in rules.iter().enumerate() {
        rule.check(&format!("notify[{i}]"), channels, problems);
    }
}

#[cfg(test)]
mod tests;
