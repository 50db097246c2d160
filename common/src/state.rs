//! Run and task states, and the one place that says which changes are legal.
//!
//! Every writer goes through [`RunState::transition`] / [`TaskState::transition`], so an
//! event that arrives late or twice (at-least-once delivery) cannot move a finished task
//! back to running: the change is refused, not applied.

use crate::CommonError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Lifecycle of a run: `queued → running → succeeded | failed | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// Lifecycle of a task: `pending → waiting → queued → running → succeeded | failed |
/// skipped | cancelled`, with `retrying` between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Pending,
    Waiting,
    Queued,
    Running,
    Retrying,
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
}

impl RunState {
    /// All states, for listings and tests.
    pub const ALL: [RunState; 5] = [
        RunState::Queued,
        RunState::Running,
        RunState::Succeeded,
        RunState::Failed,
        RunState::Cancelled,
    ];

    /// Whether no further change can happen.
    pub fn is_terminal(self) -> bool {
        matches!(self, RunState::Succeeded | RunState::Failed | RunState::Cancelled)
    }

    /// Whether `self → to` is a legal change.
    pub fn can_become(self, to: RunState) -> bool {
        use RunState::*;
        matches!(
            (self, to),
            (Queued, Running) | (Queued, Failed) | (Queued, Cancelled)
                | (Running, Succeeded) | (Running, Failed) | (Running, Cancelled)
        )
    }

    /// Checks a change; the caller applies it only on `Ok`.
    pub fn transition(self, to: RunState) -> Result<RunState, CommonError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(illegal("run", self, to))
        }
    }

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
        }
    }
}

impl TaskState {
    /// All states, for listings and tests.
    pub const ALL: [TaskState; 9] = [
        TaskState::Pending,
        TaskState::Waiting,
        TaskState::Queued,
        TaskState::Running,
        TaskState::Retrying,
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::Skipped,
        TaskState::Cancelled,
    ];

    /// Whether no further change can happen.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskState::Succeeded | TaskState::Failed | TaskState::Skipped | TaskState::Cancelled
        )
    }

    /// Whether `self → to` is a legal change.
    ///
    /// `running → retrying` covers both a failed attempt with retries left and a lost
    /// worker; `queued → retrying` a message that was lost before any worker started it;
    /// `waiting → succeeded` a `wait` sensor whose conditions hold (no worker runs it).
    pub fn can_become(self, to: TaskState) -> bool {
        use TaskState::*;
        matches!(
            (self, to),
            (Pending, Waiting) | (Pending, Queued) | (Pending, Skipped) | (Pending, Cancelled)
                | (Waiting, Queued) | (Waiting, Succeeded) | (Waiting, Failed) | (Waiting, Skipped) | (Waiting, Cancelled)
                | (Queued, Running) | (Queued, Retrying) | (Queued, Failed) | (Queued, Cancelled)
                | (Running, Succeeded) | (Running, Failed) | (Running, Retrying) | (Running, Cancelled)
                | (Retrying, Queued) | (Retrying, Failed) | (Retrying, Cancelled)
        )
    }

    /// Checks a change; the caller applies it only on `Ok`.
    pub fn transition(self, to: TaskState) -> Result<TaskState, CommonError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(illegal("task", self, to))
        }
    }

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Waiting => "waiting",
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Retrying => "retrying",
            TaskState::Succeeded => "succeeded",
            TaskState::Failed => "failed",
            TaskState::Skipped => "skipped",
            TaskState::Cancelled => "cancelled",
        }
    }
}

fn illegal(entity: &'static str, from: impl fmt::Display, to: impl fmt::Display) -> CommonError {
    CommonError::IllegalTransition {
        entity,
        from: from.to_string(),
        to: to.to_string(),
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of the known states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state `{0}`")]
pub struct UnknownState(pub String);

impl FromStr for RunState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

impl FromStr for TaskState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_never_change() {
        for from in TaskState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in TaskState::ALL {
                assert!(from.transition(to).is_err(), "{from} → {to} must be refused");
            }
        }
        for from in RunState::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in RunState::ALL {
                assert!(from.transition(to).is_err(), "{from} → {to} must be refused");
            }
        }
    }

    #[test]
    fn the_happy_path_is_legal() {
        use TaskState::*;
        let path = [Pending, Queued, Running, Retrying, Queued, Running, Succeeded];
        for pair in path.windows(2) {
            assert!(pair[0].transition(pair[1]).is_ok(), "{} → {}", pair[0], pair[1]);
        }
        assert!(RunState::Queued.transition(RunState::Running).is_ok());
        assert!(RunState::Running.transition(RunState::Succeeded).is_ok());
    }

    #[test]
    fn illegal_changes_are_refused_with_names() {
        let err = TaskState::Pending.transition(TaskState::Succeeded).unwrap_err();
        assert_eq!(err.to_string(), "illegal task transition from pending to succeeded");
        assert!(TaskState::Running.transition(TaskState::Pending).is_err());
        assert!(TaskState::Queued.transition(TaskState::Succeeded).is_err());
        assert!(RunState::Succeeded.transition(RunState::Running).is_err());
        assert!(RunState::Queued.transition(RunState::Succeeded).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in TaskState::ALL {
            assert_eq!(s.as_str().parse::<TaskState>().unwrap(), s);
        }
        for s in RunState::ALL {
            assert_eq!(s.as_str().parse::<RunState>().unwrap(), s);
        }
        assert!("bogus".parse::<RunState>().is_err());
    }
}
