//! The audit log: appended by the API after every change, paged newest first.

use super::Store;
use crate::entities::audit::{self, Column};
use crate::{AuditRow, Page, PageRequest, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

impl Store {
    /// Appends one entry.
    pub async fn append_audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        let model = audit::Model {
            id: row.id,
            at: row.at,
            tenant_id: row.tenant_id,
            key_id: row.key_id,
            action: row.action.clone(),
            method: row.method.clone(),
            route: row.route.clone(),
            object_id: row.object_id,
            status: i32::from(row.status),
        };
        audit::Entity::insert(model.into_active_model()).exec_without_returning(&self.db).await?;
        Ok(())
    }

    /// Entries newest first; of one tenant, or of all when `tenant` is `None`.
    pub async fn list_audit(&self, tenant: Option<Uuid>, page: &PageRequest) -> Result<Page<AuditRow>, StoreError> {
        let window = super::page::Window::parse(page)?;
        let mut query = audit::Entity::find();
        if let Some(t) = tenant {
            query = query.filter(Column::TenantId.eq(t));
        }
        if let Some(before) = window.after {
            query = query.filter(Column::Id.lt(before));
        }
        let rows = query.order_by_desc(Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows
            .into_iter()
            .map(|m| AuditRow {
                id: m.id,
                at: m.at,
                tenant_id: m.tenant_id,
                key_id: m.key_id,
                action: m.action,
                method: m.method,
                route: m.route,
                object_id: m.object_id,
                status: u16::try_from(m.status).unwrap_or(0),
            })
            .collect();
        Ok(window.finish(rows, |a: &AuditRow| a.id))
    }
}
