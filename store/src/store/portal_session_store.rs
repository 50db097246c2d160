//! Portal sessions: created at sign-in, read on every page, deleted at sign-out;
//! expired ones are swept at each sign-in (a table of sign-ins stays small).

use super::Store;
use crate::entities::portal_sessions::{self, Column};
use crate::{PortalSessionRow, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

impl Store {
    /// Stores a new session, after deleting every expired one.
    pub async fn create_portal_session(&self, row: &PortalSessionRow) -> Result<(), StoreError> {
        portal_sessions::Entity::delete_many().filter(Column::ExpiresAt.lte(row.created_at)).exec(&self.db).await?;
        portal_sessions::Entity::insert(model(row).into_active_model()).exec_without_returning(&self.db).await?;
        Ok(())
    }

    /// The session whose id hashes to `id_hash`, unless it expired before `now`.
    pub async fn get_portal_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<PortalSessionRow>, StoreError> {
        let found = portal_sessions::Entity::find_by_id(id_hash.to_owned()).filter(Column::ExpiresAt.gt(now)).one(&self.db).await?;
        Ok(found.map(row))
    }

    /// Ends a session (sign-out); ending one that is gone is not an error.
    pub async fn delete_portal_session(&self, id_hash: &str) -> Result<(), StoreError> {
        portal_sessions::Entity::delete_by_id(id_hash.to_owned()).exec(&self.db).await?;
        Ok(())
    }
}

fn model(r: &PortalSessionRow) -> portal_sessions::Model {
    portal_sessions::Model {
        id_hash: r.id_hash.clone(),
        tenant_id: r.tenant_id,
        key_id: r.key_id,
        role: r.role.clone(),
        operator: r.operator,
        csrf: r.csrf.clone(),
        created_at: r.created_at,
        expires_at: r.expires_at,
    }
}

fn row(m: portal_sessions::Model) -> PortalSessionRow {
    PortalSessionRow {
        id_hash: m.id_hash,
        tenant_id: m.tenant_id,
        key_id: m.key_id,
        role: m.role,
        operator: m.operator,
        csrf: m.csrf,
        created_at: m.created_at,
        expires_at: m.expires_at,
    }
}
