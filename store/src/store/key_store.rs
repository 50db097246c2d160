//! API keys: stored by hash, found by prefix, revoked at once (every API instance reads
//! the row on each request, so a revocation holds everywhere on the next request).

use super::page::Window;
use super::Store;
use crate::entities::api_keys::{self, Column};
use crate::{KeyRow, Page, PageRequest, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

impl Store {
    /// Stores a new key (its hash; the caller shows the secret once).
    pub async fn create_key(&self, row: &KeyRow) -> Result<(), StoreError> {
        api_keys::Entity::insert(model(row).into_active_model()).exec_without_returning(&self.db).await?;
        Ok(())
    }

    /// The key whose secret starts with `prefix`, revoked or not.
    pub async fn get_key_by_prefix(&self, prefix: &str) -> Result<Option<KeyRow>, StoreError> {
        let found = api_keys::Entity::find().filter(Column::Prefix.eq(prefix)).one(&self.db).await?;
        Ok(found.map(row))
    }

    /// One key, whatever its tenant (for the operator).
    pub async fn get_key_by_id(&self, id: Uuid) -> Result<Option<KeyRow>, StoreError> {
        Ok(api_keys::Entity::find_by_id(id).one(&self.db).await?.map(row))
    }

    /// A tenant's keys (revoked ones included, for the record), ordered by id.
    pub async fn list_keys(&self, tenant: Uuid, page: &PageRequest) -> Result<Page<KeyRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = api_keys::Entity::find().filter(Column::TenantId.eq(tenant));
        if let Some(after) = window.after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query.order_by_asc(Column::Id).limit(window.fetch()).all(&self.db).await?;
        Ok(window.finish(rows.into_iter().map(row).collect(), |k: &KeyRow| k.id))
    }

    /// Revokes a tenant's key; false when there is no such (unrevoked) key.
    pub async fn revoke_key(&self, tenant: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = api_keys::Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(Some(at)))
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Records that a key was used.
    pub async fn touch_key(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        api_keys::Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(Some(at)))
            .filter(Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

fn model(k: &KeyRow) -> api_keys::Model {
    api_keys::Model {
        id: k.id,
        tenant_id: k.tenant_id,
        name: k.name.clone(),
        role: k.role.clone(),
        prefix: k.prefix.clone(),
        hash: k.hash.clone(),
        created_at: k.created_at,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
}

fn row(m: api_keys::Model) -> KeyRow {
    KeyRow {
        id: m.id,
        tenant_id: m.tenant_id,
        name: m.name,
        role: m.role,
        prefix: m.prefix,
        hash: m.hash,
        created_at: m.created_at,
        expires_at: m.expires_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
    }
}
