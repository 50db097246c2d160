//! Bodies and answers of `/api/v1/channels`, `/api/v1/notification-rules` and
//! `/api/v1/notifications`. A channel's secret is write-only: a body may set it, an
//! answer only says whether one is set.

use chrono::{DateTime, Utc};
use ferry_store::{ChannelRow, NotificationRow, RuleRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a channel sends through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A JSON POST, signed when the channel has a secret.
    Webhook,
    /// Mail through the notifier's SMTP server (`FERRY_SMTP_URL`).
    Email,
}

/// The body a webhook channel posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelFormat {
    /// The event document.
    #[default]
    Json,
    /// Slack-compatible `{text, blocks}`.
    Slack,
}

/// A channel as written: `{"name", "kind": "webhook", "url", "secret", "format"}` or
/// `{"name", "kind": "email", "to": [...]}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ops-webhook", "kind": "webhook", "url": "https://hooks.example.com/ferry", "secret": "whsec_change_me"}))]
pub struct ChannelBody {
    /// Unique per tenant: 1 to 128 letters, digits, `-`, `_` or `.`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub name: String,
    pub kind: ChannelKind,
    /// Webhook: where to POST (http or https).
    pub url: Option<String>,
    /// Webhook: signs every call (`X-Ferry-Signature`); write-only. Left out of a `PUT`,
    /// the stored secret stays.
    pub secret: Option<String>,
    /// Webhook: `json` (default) or `slack`.
    pub format: Option<ChannelFormat>,
    /// Email: the recipients.
    pub to: Option<Vec<String>>,
}

/// A stored channel (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: Uuid,
    pub name: String,
    pub kind: ChannelKind,
    pub url: Option<String>,
    pub format: Option<ChannelFormat>,
    pub to: Option<Vec<String>>,
    /// Whether a secret is stored (webhook calls are signed).
    pub signed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Channel {
    /// The shown form of a stored channel.
    pub fn from_row(row: &ChannelRow) -> Channel {
        let text = |k: &str| row.config.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let kind = if row.kind == "email" { ChannelKind::Email } else { ChannelKind::Webhook };
        Channel {
            id: row.id,
            name: row.name.clone(),
            kind,
            url: text("url"),
            format: row.config.get("format").cloned().and_then(|v| serde_json::from_value(v).ok()),
            to: row.config.get("to").cloned().and_then(|v| serde_json::from_value(v).ok()),
            signed: row.secret.is_some(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A tenant's channels.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<Channel>,
}

/// What the receiver of a test call answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelTestResult {
    /// The test event's id (`X-Ferry-Event-Id`).
    pub event_id: Uuid,
    /// A 2xx answer (webhook) or a positive SMTP reply (email).
    pub delivered: bool,
    /// The HTTP status or SMTP reply code, when one came.
    pub status: Option<u16>,
    /// The start of the answer, or why none came (refused, timed out, no SMTP server).
    pub detail: String,
    pub elapsed_ms: u64,
}

/// A tenant-wide rule: events of these kinds, of every pipeline of the tenant, go to
/// these channels.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"on": ["run.failed", "run.stuck"], "channels": ["ops-webhook"]}))]
pub struct NotificationRuleBody {
    /// Event kinds: `run.started`, `run.succeeded`, `run.failed`, `run.cancelled`,
    /// `task.failed`, `task.retrying`, `task.lost`, `run.stuck`, `run.late`,
    /// `schedule.missed`, `delivery.failed`, `system.orchestrator_down`.
    pub on: Vec<String>,
    /// Names of the tenant's channels.
    pub channels: Vec<String>,
}

/// A stored tenant-wide rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationRule {
    pub id: Uuid,
    pub on: Vec<String>,
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<RuleRow> for NotificationRule {
    fn from(r: RuleRow) -> Self {
        NotificationRule { id: r.id, on: r.on, channels: r.channels, created_at: r.created_at }
    }
}

/// A tenant's tenant-wide rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationRuleList {
    pub items: Vec<NotificationRule>,
}

/// Where a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationState {
    Pending,
    Delivered,
    Retrying,
    Failed,
}

impl From<ferry_store::NotificationState> for NotificationState {
    fn from(s: ferry_store::NotificationState) -> Self {
        match s {
            ferry_store::NotificationState::Pending => NotificationState::Pending,
            ferry_store::NotificationState::Delivered => NotificationState::Delivered,
            ferry_store::NotificationState::Retrying => NotificationState::Retrying,
            ferry_store::NotificationState::Failed => NotificationState::Failed,
        }
    }
}

/// The event a notification carries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationEvent {
    /// The one id of the event (`X-Ferry-Event-Id`), the same for every channel.
    pub id: Uuid,
    /// `run.failed`, `run.stuck`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub at: DateTime<Utc>,
    pub pipeline_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    /// One line: what happened to what.
    pub summary: Option<String>,
}

/// One (event, channel) delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub event: NotificationEvent,
    /// The channel's name.
    pub channel: String,
    pub state: NotificationState,
    pub attempts: u32,
    /// What the receiver last answered, or why no answer came.
    pub last_answer: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (while `pending` or `retrying`).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Notification {
    /// A notification with its event (`None` when the event row is gone).
    pub fn new(n: NotificationRow, event: Option<&ferry_store::EventRow>) -> Notification {
        let waiting = matches!(n.state, ferry_store::NotificationState::Pending | ferry_store::NotificationState::Retrying);
        let event = NotificationEvent {
            id: n.event_id,
            kind: n.kind.clone(),
            at: event.map(|e| e.created_at).unwrap_or(n.created_at),
            pipeline_id: event.and_then(|e| e.pipeline_id),
            run_id: n.run_id,
            task_id: event.and_then(|e| e.task_id),
            summary: event.and_then(|e| e.body.as_ref()).and_then(|b| b.get("summary")).and_then(|s| s.as_str()).map(str::to_string),
        };
        Notification {
            id: n.id,
            event,
            channel: n.channel_name,
            state: n.state.into(),
            attempts: n.attempts,
            last_answer: n.last_answer,
            last_attempt_at: n.last_attempt_at,
            next_attempt_at: waiting.then_some(n.next_attempt_at),
            delivered_at: n.delivered_at,
            created_at: n.created_at,
        }
    }
}

/// A page of notifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
}
