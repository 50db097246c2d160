//! Pipeline definitions: CRUD with a unique name per tenant.

use super::page::Window;
use super::{Store, now};
use crate::entities::pipelines::{self, Column};
use crate::{Page, PageRequest, PipelineRow, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::Value;
use uuid::Uuid;

impl Store {
    /// Stores a new pipeline; `Conflict` when the tenant has one of that name.
    pub async fn create_pipeline(&self, tenant: Uuid, name: &str, spec: &Value) -> Result<PipelineRow, StoreError> {
        let at = now();
        let model = pipelines::Model {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: name.to_owned(),
            spec: spec.clone(),
            created_at: at,
            updated_at: at,
            paused_at: None,
            webhook_secret: None,
        };
        pipelines::Entity::insert(model.clone().into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| name_conflict(e, name))?;
        Ok(model.into())
    }

    /// One pipeline of a tenant.
    pub async fn get_pipeline(&self, tenant: Uuid, id: Uuid) -> Result<Option<PipelineRow>, StoreError> {
        let found = pipelines::Entity::find_by_id(id)
            .filter(Column::TenantId.eq(tenant))
            .one(&self.db)
            .await?;
        Ok(found.map(PipelineRow::from))
    }

    /// Pipelines of a tenant ordered by id.
    pub async fn list_pipelines(&self, tenant: Uuid, page: &PageRequest) -> Result<Page<PipelineRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = pipelines::Entity::find().filter(Column::TenantId.eq(tenant));
        if let Some(after) = window.after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(Column::Id)
            .limit(window.fetch())
            .all(&self.db)
            .await?;
        let rows = rows.into_iter().map(PipelineRow::from).collect();
        Ok(window.finish(rows, |p: &PipelineRow| p.id))
    }

    /// Replaces name and spec; `None` when absent, `Conflict` on a name clash.
    pub async fn update_pipeline(&self, tenant: Uuid, id: Uuid, name: &str, spec: &Value) -> Result<Option<PipelineRow>, StoreError> {
        let updated = pipelines::Entity::update_many()
            .col_expr(Column::Name, Expr::value(name.to_owned()))
            .col_expr(Column::Spec, Expr::value(spec.clone()))
            .col_expr(Column::UpdatedAt, Expr::value(now()))
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await
            .map_err(|e| name_conflict(e, name))?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        self.get_pipeline(tenant, id).await
    }

    /// Deletes a pipeline (its runs stay, for history); false when absent.
    pub async fn delete_pipeline(&self, tenant: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let deleted = pipelines::Entity::delete_many()
            .filter(Column::Id.eq(id))
            .filter(Column::TenantId.eq(tenant))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }
}

/// Turns the unique (tenant, name) violation into a `Conflict` the API can show as such.
fn name_conflict(err: DbErr, name: &str) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            StoreError::Conflict(format!("a pipeline named `{name}` already exists"))
        }
        _ => StoreError::Db(err),
    }
}
