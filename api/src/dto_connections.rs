//! Bodies and answers of `/api/v1/connections`. Secret fields are write-only: a body may
//! set them, an answer only says which are set.

use chrono::{DateTime, Utc};
use ferry_store::ConnectionRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// What a connection reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    S3,
    Azure,
    Gcs,
    Http,
    Postgres,
    Mysql,
}

impl ConnectionKind {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::S3 => "s3",
            ConnectionKind::Azure => "azure",
            ConnectionKind::Gcs => "gcs",
            ConnectionKind::Http => "http",
            ConnectionKind::Postgres => "postgres",
            ConnectionKind::Mysql => "mysql",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        use ConnectionKind::*;
        [S3, Azure, Gcs, Http, Postgres, Mysql].into_iter().find(|k| k.as_str() == s)
    }
}

/// `POST /api/v1/connections` and `PUT /api/v1/connections/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// How specs name it (`{url, connection: <name>}`); unique per tenant.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,128}$")]
    pub name: String,
    pub kind: ConnectionKind,
    /// A database's URL (`postgres://user@host:5432/db`), without its password.
    #[serde(default)]
    pub url: Option<String>,
    /// An object store's endpoint (`http://127.0.0.1:8333`); omit for the cloud itself.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// More non-secret options, as `object_store` names them for the kind
    /// (`access_key_id`, `account_name`, `allow_http`, …).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Secret fields (`secret_access_key`, `access_key`, `password`,
    /// `service_account_key`, …): stored sealed, never shown again. On `PUT`, omitted
    /// secrets keep their stored values.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

impl ConnectionBody {
    /// The non-secret options as stored: `options` plus `url`, `endpoint`, `region`.
    pub fn stored_options(&self) -> BTreeMap<String, String> {
        let mut all = self.options.clone();
        for (k, v) in [("url", &self.url), ("endpoint", &self.endpoint), ("region", &self.region)] {
            if let Some(v) = v {
                all.insert(k.to_string(), v.clone());
            }
        }
        all
    }
}

/// A stored connection as shown: everything but its secrets' values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    pub id: Uuid,
    pub name: String,
    pub kind: ConnectionKind,
    /// The non-secret options, `url`, `endpoint` and `region` among them.
    pub options: BTreeMap<String, String>,
    /// Which secret fields are set (their values are never shown).
    pub secrets_set: Vec<String>,
    /// The master key the secrets are sealed under.
    pub key_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Connection {
    /// The shown form of a stored row (`None` when its stored kind is unknown).
    pub fn from_row(c: ConnectionRow) -> Option<Self> {
        Some(Connection {
            id: c.id,
            name: c.name,
            kind: ConnectionKind::parse(&c.kind)?,
            options: c.options,
            secrets_set: c.secret_names,
            key_id: c.key_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }
}

/// A page of connections, ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectionPage {
    pub items: Vec<Connection>,
    pub next_cursor: Option<String>,
}
