//! A tenant's stored connections: CRUD with a unique name per tenant, and the re-sealing
//! a master-key rotation does row by row.

use super::page::Window;
use super::{Store, now};
use crate::entities::connections::{self, Column};
use crate::{ConnectionRow, Page, PageRequest, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr};
use serde_json::Value;
use uuid::Uuid;

impl Store {
    /// Stores a new connection; `Conflict` when the tenant has one of that name.
    pub async fn create_connection(&self, row: &ConnectionRow) -> Result<(), StoreError> {
        connections::Entity::insert(model(row).into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| conflict(e, &row.name))?;
        Ok(())
    }

    /// One connection of a tenant, by id.
    pub async fn get_connection(&self, tenant: Uuid, id: Uuid) -> Result<Option<ConnectionRow>, StoreError> {
        let found = connections::Entity::find_by_id(id).filter(Column::TenantId.eq(tenant)).one(&self.db).await?;
        found.map(row).transpose()
    }

    /// One connection of a tenant, by name.
    pub async fn get_connection_by_name(&self, tenant: Uuid, name: &str) -> Result<Option<ConnectionRow>, StoreError> {
        let found = connections::Entity::find()
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::Name.eq(name))
            .one(&self.db)
            .await?;
        found.map(row).transpose()
    }

    /// A tenant's connections by id; `None` for the tenant means every tenant's (for a
    /// master-key rotation).
    pub async fn list_connections(&self, tenant: Option<Uuid>, page: &PageRequest) -> Result<Page<ConnectionRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = connections::Entity::find();
        if let Some(t) = tenant {
            query = query.filter(Column::TenantId.eq(t));
        }
        if let Some(after) = window.after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query.order_by_asc(Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows.into_iter().map(row).collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |c: &ConnectionRow| c.id))
    }

    /// Every connection of a tenant (all pages): what its specs may name, and what its
    /// runs' messages carry.
    pub async fn tenant_connections(&self, tenant: Uuid) -> Result<Vec<ConnectionRow>, StoreError> {
        let mut all = Vec::new();
        let mut page = PageRequest { cursor: None, limit: 500 };
        loop {
            let p = self.list_connections(Some(tenant), &page).await?;
            all.extend(p.items);
            match p.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => return Ok(all),
            }
        }
    }

    /// Replaces a connection's fields; `None` when absent.
    pub async fn update_connection(&self, row: &ConnectionRow) -> Result<Option<ConnectionRow>, StoreError> {
        let m = model(row);
        let done = connections::Entity::update_many()
            .col_expr(Column::Name, Expr::value(m.name))
            .col_expr(Column::Kind, Expr::value(m.kind))
            .col_expr(Column::Options, Expr::value(m.options))
            .col_expr(Column::Secrets, Expr::value(m.secrets))
            .col_expr(Column::SecretNames, Expr::value(m.secret_names))
            .col_expr(Column::KeyId, Expr::value(m.key_id))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(row.id))
            .filter(Column::TenantId.eq(row.tenant_id))
            .exec(&self.db)
            .await
            .map_err(|e| conflict(e, &row.name))?;
        if done.rows_affected == 0 {
            return Ok(None);
        }
        self.get_connection(row.tenant_id, row.id).await
    }

    /// Deletes a connection; false when absent.
    pub async fn delete_connection(&self, tenant: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let done = connections::Entity::delete_many()
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }
}

fn model(c: &ConnectionRow) -> connections::Model {
    connections::Model {
        id: c.id,
        tenant_id: c.tenant_id,
        name: c.name.clone(),
        kind: c.kind.clone(),
        options: serde_json::to_value(&c.options).unwrap_or(Value::Null),
        secrets: c.secrets.clone(),
        secret_names: Value::from(c.secret_names.clone()),
        key_id: c.key_id.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

fn row(m: connections::Model) -> Result<ConnectionRow, StoreError> {
    let corrupt = |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("connection {}: {what}: {e}", m.id));
    Ok(ConnectionRow {
        options: serde_json::from_value(m.options.clone()).map_err(|e| corrupt("options", e))?,
        secret_names: serde_json::from_value(m.secret_names.clone()).map_err(|e| corrupt("secret_names", e))?,
        id: m.id,
        tenant_id: m.tenant_id,
        name: m.name,
        kind: m.kind,
        secrets: m.secrets,
        key_id: m.key_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn conflict(err: DbErr, name: &str) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(format!("a connection named `{name}` already exists")),
        _ => StoreError::Db(err),
    }
}
