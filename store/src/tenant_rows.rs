//! Row types of tenants, their keys and the audit log.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// A tenant: who owns pipelines, runs and keys.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRow {
    pub id: Uuid,
    /// Unique across the installation.
    pub name: String,
    /// Local folders this tenant's `file://` locations must stay under (within the
    /// server's own roots); empty means the server's roots.
    pub file_roots: Vec<String>,
    /// Limits the dispatcher enforces (free-form until the dispatch issue gives it shape).
    pub quotas: Value,
    pub created_at: DateTime<Utc>,
}

/// An API key. The secret itself is never stored: `hash` is a keyed BLAKE3 of it, and
/// `prefix` (its first characters) is how a presented key is found.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `viewer`, `runner`, `editor` or `admin`.
    pub role: String,
    pub prefix: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One change made through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub tenant_id: Uuid,
    /// The key that made it; `None` for the operator's key.
    pub key_id: Option<Uuid>,
    /// What was done (`pipeline.create`, `run.cancel`, `key.revoke`, …).
    pub action: String,
    pub method: String,
    /// The route template (`/api/v1/pipelines/{id}`).
    pub route: String,
    pub object_id: Option<Uuid>,
    /// The HTTP status answered.
    pub status: u16,
}

/// What deleting a tenant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantDeletion {
    Deleted,
    NotFound,
    /// Refused: this many of its runs are queued or running.
    RunsInFlight(u64),
}

/// A stored connection. `secrets` is the sealed blob of the secret fields (never their
/// values in clear); `secret_names` says which are set.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `s3`, `azure`, `gcs`, `http`, `postgres` or `mysql`.
    pub kind: String,
    /// Non-secret options (object_store keys, or `url` for a database).
    pub options: std::collections::BTreeMap<String, String>,
    pub secrets: Option<String>,
    pub secret_names: Vec<String>,
    /// The master key that sealed `secrets`.
    pub key_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One slot of a schedule and what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct FiringRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub pipeline_id: Uuid,
    /// Which of the pipeline's schedules (0 for `schedule:`).
    pub schedule_index: u32,
    /// The slot's time (the run's logical time).
    pub slot: DateTime<Utc>,
    /// `started`, `caught_up`, `skipped_overlap`, `missed_down`, …
    pub outcome: String,
    pub run_id: Option<Uuid>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What fired: `schedule`, `backfill`, or a trigger kind.
    pub source: String,
    /// Unique per pipeline: a slot, a webhook's idempotency key, an upstream run, an
    /// arrived object. A second record under the same key is refused.
    pub dedup_key: String,
    /// Recorded, its run not decided yet (buffered behind a running run, a backfill's
    /// later slots, slots caught up after a pause).
    pub pending: bool,
    /// The overlap policy a pending firing is decided under (`buffer_all`, …).
    pub overlap: Option<String>,
}

impl FiringRow {
    /// A ledger row for `pipeline`, not recorded yet: no run, not pending.
    pub fn new(pipeline: &crate::PipelineRow, source: &str, index: u32, slot: DateTime<Utc>, dedup_key: String, outcome: &str) -> Self {
        FiringRow {
            id: Uuid::now_v7(),
            tenant_id: pipeline.tenant_id,
            pipeline_id: pipeline.id,
            schedule_index: index,
            slot,
            outcome: outcome.into(),
            run_id: None,
            detail: None,
            created_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
            source: source.into(),
            dedup_key,
            pending: false,
            overlap: None,
        }
    }
}

/// One object a file-arrival trigger has seen.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalRow {
    pub pipeline_id: Uuid,
    pub trigger_index: u32,
    /// The object's path below the watched prefix.
    pub path: String,
    pub size: u64,
    /// The etag, or the modification time where a store has no etag.
    pub tag: String,
    /// When it was first seen with this size and tag: it settles `settle` after.
    pub changed_at: DateTime<Utc>,
    pub fired: bool,
}

/// A file-arrival trigger's polling state.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalWatch {
    pub pipeline_id: Uuid,
    pub trigger_index: u32,
    /// The trigger as it was configured when its seen-set began; a change starts anew.
    pub config: String,
    /// When the prefix was last listed (the next poll is `poll` after).
    pub polled_at: DateTime<Utc>,
}

/// A signed-in portal browser. The cookie holds a random id; only its hash is stored
/// (`id_hash`), with whom the browser acts for and the token its forms must echo.
#[derive(Debug, Clone, PartialEq)]
pub struct PortalSessionRow {
    pub id_hash: String,
    pub tenant_id: Uuid,
    /// The key signed in with; `None` for the operator's key (which is not stored).
    pub key_id: Option<Uuid>,
    /// The key's role when it signed in (`viewer` … `admin`).
    pub role: String,
    /// Signed in with `FERRY_ADMIN_KEY`.
    pub operator: bool,
    /// The anti-forgery token every form of this session carries.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
