//! Bodies and answers of the tenancy routes: tenants, keys, the audit log.

use crate::auth::Role;
use chrono::{DateTime, Utc};
use ferry_store::{AuditRow, KeyRow, TenantRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A tenant: who owns pipelines, runs and keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    /// Folders this tenant's `file://` locations must stay under (within the server's
    /// `FERRY_FILE_ROOTS`); empty means the server's roots.
    pub file_roots: Vec<String>,
    /// Limits for this tenant's work.
    #[schema(value_type = Object)]
    pub quotas: Value,
    pub created_at: DateTime<Utc>,
}

impl From<TenantRow> for Tenant {
    fn from(t: TenantRow) -> Self {
        Tenant { id: t.id, name: t.name, file_roots: t.file_roots, quotas: t.quotas, created_at: t.created_at }
    }
}

/// `POST /api/v1/tenants`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantCreate {
    /// 1 to 64 letters, digits, `-`, `_` or `.`; unique.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    pub name: String,
    #[serde(default)]
    pub file_roots: Vec<String>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub quotas: Value,
}

/// `PATCH /api/v1/tenants/{id}`: the fields to change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub file_roots: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub quotas: Option<Value>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A page of tenants, ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TenantPage {
    pub items: Vec<Tenant>,
    pub next_cursor: Option<String>,
}

/// An API key as shown: never its secret, only the first characters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub role: Role,
    /// The key starts with `fk_<prefix>_`.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// The shown form of a stored key (`None` when its stored role is unknown).
    pub fn from_row(k: KeyRow) -> Option<Self> {
        Some(ApiKey {
            id: k.id,
            tenant_id: k.tenant_id,
            name: k.name,
            role: Role::parse(&k.role)?,
            prefix: k.prefix,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        })
    }
}

/// `POST /api/v1/keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    /// What the key is for (shown in lists).
    #[schema(min_length = 1, max_length = 128)]
    pub name: String,
    pub role: Role,
    /// When the key stops working; never when absent.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The tenant's name: the operator's key must say which tenant; a tenant admin's key
    /// may only name its own.
    #[serde(default)]
    pub tenant: Option<String>,
}

/// The answer to `POST /api/v1/keys`: the key, and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyCreated {
    pub key: ApiKey,
    /// `Authorization: Bearer <secret>`. Not stored; it cannot be shown again.
    pub secret: String,
}

/// A page of keys, ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKey>,
    pub next_cursor: Option<String>,
}

/// One change made through the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub tenant_id: Uuid,
    /// The key used; null for the operator's key.
    pub key_id: Option<Uuid>,
    /// What was done, e.g. `POST /api/v1/pipelines`.
    pub action: String,
    /// The route template.
    pub route: String,
    /// The object changed, when the route names one (or created one).
    pub object_id: Option<Uuid>,
    /// The status answered.
    pub status: u16,
}

impl From<AuditRow> for AuditEntry {
    fn from(a: AuditRow) -> Self {
        AuditEntry {
            id: a.id,
            at: a.at,
            tenant_id: a.tenant_id,
            key_id: a.key_id,
            action: a.action,
            route: a.route,
            object_id: a.object_id,
            status: a.status,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}
