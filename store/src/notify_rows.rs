//! Row types of the notifier: outbox events, channels, tenant-wide rules and
//! notifications (one per event and channel).

use chrono::{DateTime, Utc};
use ferry_common::notify::EventKind;
use serde_json::Value;
use uuid::Uuid;

/// The tenant of `system.*` events, which concern every tenant.
pub const SYSTEM_TENANT: Uuid = Uuid::nil();

/// The role name the orchestrator's leader records its heartbeat under (also its lease's
/// name), which the notifier reads to tell that no orchestrator leads.
pub const ORCHESTRATOR_ROLE: &str = "orchestrator-leader";

/// An event to append to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The event's one id, sent as `X-Ferry-Event-Id` to every channel.
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: EventKind,
    pub pipeline_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    /// Two writers that see the same thing (the reaper and the notifier's detector, a
    /// notifier and its restarted self) name it by the same key: the second is dropped.
    pub dedup_key: Option<String>,
    /// What the writer knew: state, cause, error, attempt, threshold.
    pub detail: Value,
    pub at: DateTime<Utc>,
}

impl NewEvent {
    /// An event about a run (or one of its tasks, when `task_id` is set later).
    pub fn about_run(kind: EventKind, tenant_id: Uuid, pipeline_id: Uuid, run_id: Uuid, at: DateTime<Utc>, detail: Value) -> Self {
        NewEvent {
            id: Uuid::now_v7(),
            tenant_id,
            kind,
            pipeline_id: Some(pipeline_id),
            run_id: Some(run_id),
            task_id: None,
            dedup_key: None,
            detail,
            at,
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Outbox order.
    pub seq: i64,
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The wire name (`run.failed`).
    pub kind: String,
    pub pipeline_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub dedup_key: Option<String>,
    pub detail: Value,
    /// The document every channel is sent, fixed when the event is routed so a retry
    /// sends the same bytes.
    pub body: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub routed_at: Option<DateTime<Utc>>,
}

/// A notification channel of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `webhook` or `email`.
    pub kind: String,
    /// Everything but the secret: `url`, `format`, `to`.
    pub config: Value,
    /// The webhook secret, sealed under the master key.
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tenant-wide rule: for every pipeline of the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub on: Vec<String>,
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The state of one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationState {
    /// Not tried yet.
    Pending,
    Delivered,
    /// Tried, answered badly or not at all; tried again at `next_attempt_at`.
    Retrying,
    /// Given up on.
    Failed,
}

impl NotificationState {
    /// Every state, in lifecycle order.
    pub const ALL: [NotificationState; 4] = [Self::Pending, Self::Delivered, Self::Retrying, Self::Failed];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }

    /// The state named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One (event, channel) pair and its delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_seq: i64,
    pub event_id: Uuid,
    /// The event's kind, for listing without a join.
    pub kind: String,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub run_id: Option<Uuid>,
    pub state: NotificationState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// What the receiver last answered (status and the start of its body), or why no
    /// answer came.
    pub last_answer: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl NotificationRow {
    /// A new (event, channel) pair, not tried yet and due at `at`; `tenant_id` is the
    /// channel's tenant (a `system.*` event reaches several).
    pub fn pending(tenant_id: Uuid, event: &EventRow, channel: &ChannelRow, at: DateTime<Utc>) -> Self {
        NotificationRow {
            id: Uuid::now_v7(),
            tenant_id,
            event_seq: event.seq,
            event_id: event.id,
            kind: event.kind.clone(),
            channel_id: channel.id,
            channel_name: channel.name.clone(),
            run_id: event.run_id,
            state: NotificationState::Pending,
            attempts: 0,
            next_attempt_at: at,
            last_answer: None,
            last_attempt_at: None,
            delivered_at: None,
            created_at: at,
        }
    }
}

/// Filters for listing notifications.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub state: Option<NotificationState>,
    /// A channel name.
    pub channel: Option<String>,
    pub run_id: Option<Uuid>,
}

/// The outcome of one delivery attempt, recorded before the notifier moves on.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub state: NotificationState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub answer: String,
    pub at: DateTime<Utc>,
}
