//! The closed list of event kinds.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What happened. The wire name (`run.failed`) is what rules, webhooks and the API use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventKind {
    #[serde(rename = "run.started")]
    RunStarted,
    #[serde(rename = "run.succeeded")]
    RunSucceeded,
    #[serde(rename = "run.failed")]
    RunFailed,
    #[serde(rename = "run.cancelled")]
    RunCancelled,
    #[serde(rename = "task.failed")]
    TaskFailed,
    #[serde(rename = "task.retrying")]
    TaskRetrying,
    #[serde(rename = "task.lost")]
    TaskLost,
    #[serde(rename = "run.stuck")]
    RunStuck,
    #[serde(rename = "run.late")]
    RunLate,
    #[serde(rename = "schedule.missed")]
    ScheduleMissed,
    #[serde(rename = "delivery.failed")]
    DeliveryFailed,
    #[serde(rename = "system.orchestrator_down")]
    OrchestratorDown,
    /// Sent by `POST /api/v1/channels/{name}/test` only; no rule can ask for it.
    #[serde(rename = "channel.test")]
    ChannelTest,
}

impl EventKind {
    /// Every kind a rule may name, in the order the docs list them.
    pub const ALL: [EventKind; 12] = [
        EventKind::RunStarted,
        EventKind::RunSucceeded,
        EventKind::RunFailed,
        EventKind::RunCancelled,
        EventKind::TaskFailed,
        EventKind::TaskRetrying,
        EventKind::TaskLost,
        EventKind::RunStuck,
        EventKind::RunLate,
        EventKind::ScheduleMissed,
        EventKind::DeliveryFailed,
        EventKind::OrchestratorDown,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RunStarted => "run.started",
            EventKind::RunSucceeded => "run.succeeded",
            EventKind::RunFailed => "run.failed",
            EventKind::RunCancelled => "run.cancelled",
            EventKind::TaskFailed => "task.failed",
            EventKind::TaskRetrying => "task.retrying",
            EventKind::TaskLost => "task.lost",
            EventKind::RunStuck => "run.stuck",
            EventKind::RunLate => "run.late",
            EventKind::ScheduleMissed => "schedule.missed",
            EventKind::DeliveryFailed => "delivery.failed",
            EventKind::OrchestratorDown => "system.orchestrator_down",
            EventKind::ChannelTest => "channel.test",
        }
    }

    /// The kind a rule may name `name`, if any (`channel.test` is not one).
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Any stored kind, the test event included.
    pub fn parse_stored(name: &str) -> Option<EventKind> {
        EventKind::parse(name).or((name == "channel.test").then_some(EventKind::ChannelTest))
    }

    /// The names a rule may use, for error messages.
    pub fn names() -> Vec<&'static str> {
        EventKind::ALL.iter().map(|k| k.as_str()).collect()
    }

    /// The event reaches the tenant's tenant-wide rules whatever pipeline it is about;
    /// `system.*` events reach every tenant that asks for them.
    pub fn is_system(self) -> bool {
        matches!(self, EventKind::OrchestratorDown)
    }
}
