//! Tenants: created, listed, renamed and deleted by the operator. A tenant with runs in
//! flight cannot be deleted; its finished history stays (no foreign keys cascade it away).

use super::page::Window;
use super::runs::active_run_states;
use super::{Store, now};
use crate::entities::{runs, tenants};
use crate::{Page, PageRequest, StoreError, TenantDeletion, TenantRow};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::Value;
use uuid::Uuid;

impl Store {
    /// Stores a new tenant; `Conflict` when the name is taken.
    pub async fn create_tenant(&self, name: &str, file_roots: &[String], quotas: &Value) -> Result<TenantRow, StoreError> {
        let model = tenants::Model {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            created_at: now(),
            file_roots: Some(Value::from(file_roots.to_vec())),
            quotas: Some(quotas.clone()),
        };
        tenants::Entity::insert(model.clone().into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| tenant_conflict(e, name))?;
        tenant_row(model)
    }

    /// One tenant by id.
    pub async fn get_tenant(&self, id: Uuid) -> Result<Option<TenantRow>, StoreError> {
        tenants::Entity::find_by_id(id).one(&self.db).await?.map(tenant_row).transpose()
    }

    /// One tenant by name.
    pub async fn get_tenant_by_name(&self, name: &str) -> Result<Option<TenantRow>, StoreError> {
        let found = tenants::Entity::find().filter(tenants::Column::Name.eq(name)).one(&self.db).await?;
        found.map(tenant_row).transpose()
    }

    /// Every tenant, ordered by id.
    pub async fn list_tenants(&self, page: &PageRequest) -> Result<Page<TenantRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = tenants::Entity::find();
        if let Some(after) = window.after {
            query = query.filter(tenants::Column::Id.gt(after));
        }
        let rows = query.order_by_asc(tenants::Column::Id).limit(window.fetch()).all(&self.db).await?;
        let rows = rows.into_iter().map(tenant_row).collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |t: &TenantRow| t.id))
    }

    /// Replaces a tenant's name, roots and quotas; `None` when absent.
    pub async fn update_tenant(&self, row: &TenantRow) -> Result<Option<TenantRow>, StoreError> {
        let updated = tenants::Entity::update_many()
            .col_expr(tenants::Column::Name, Expr::value(row.name.clone()))
            .col_expr(tenants::Column::FileRoots, Expr::value(Some(Value::from(row.file_roots.clone()))))
            .col_expr(tenants::Column::Quotas, Expr::value(Some(row.quotas.clone())))
            .filter(tenants::Column::Id.eq(row.id))
            .exec(&self.db)
            .await
            .map_err(|e| tenant_conflict(e, &row.name))?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        self.get_tenant(row.id).await
    }

    /// Deletes a tenant unless it has runs queued or running.
    pub async fn delete_tenant(&self, id: Uuid) -> Result<TenantDeletion, StoreError> {
        let in_flight = runs::Entity::find()
            .filter(runs::Column::TenantId.eq(id))
            .filter(runs::Column::State.is_in(active_run_states()))
            .count(&self.db)
            .await?;
        if in_flight > 0 {
            return Ok(TenantDeletion::RunsInFlight(in_flight));
        }
        let deleted = tenants::Entity::delete_by_id(id).exec(&self.db).await?;
        Ok(if deleted.rows_affected > 0 { TenantDeletion::Deleted } else { TenantDeletion::NotFound })
    }
}

fn tenant_row(m: tenants::Model) -> Result<TenantRow, StoreError> {
    let file_roots = match m.file_roots {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| StoreError::Corrupt(format!("tenant {}: file_roots is not a list of paths: {e}", m.id)))?,
    };
    Ok(TenantRow {
        id: m.id,
        name: m.name,
        file_roots,
        quotas: m.quotas.unwrap_or(Value::Object(Default::default())),
        created_at: m.created_at,
    })
}

fn tenant_conflict(err: DbErr, name: &str) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(format!("a tenant named `{name}` already exists")),
        _ => StoreError::Db(err),
    }
}
