//! Why a run exists: the answer every run carries, from the API to the portal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    Manual,
    Schedule,
    Backfill,
    FileArrival,
    Upstream,
    Fresh,
    Webhook,
}

impl TriggerKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [TriggerKind; 7] = [
        TriggerKind::Manual,
        TriggerKind::Schedule,
        TriggerKind::Backfill,
        TriggerKind::FileArrival,
        TriggerKind::Upstream,
        TriggerKind::Fresh,
        TriggerKind::Webhook,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Manual => "manual",
            TriggerKind::Schedule => "schedule",
            TriggerKind::Backfill => "backfill",
            TriggerKind::FileArrival => "file_arrival",
            TriggerKind::Upstream => "upstream",
            TriggerKind::Fresh => "fresh",
            TriggerKind::Webhook => "webhook",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<TriggerKind> {
        TriggerKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Why a run exists: its trigger, its logical time (a schedule's slot; otherwise when
/// it was created) and what the trigger saw (the objects, the upstream run, the payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunTrigger {
    pub kind: TriggerKind,
    pub logical_time: DateTime<Utc>,
    /// Trigger-specific facts: `{"path": …}`, `{"run_id": …}`, `{"schedule": 0}`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

impl RunTrigger {
    /// A run started by hand at `at`.
    pub fn manual(at: DateTime<Utc>) -> Self {
        RunTrigger { kind: TriggerKind::Manual, logical_time: at, detail: None }
    }
}
