//! Reading tasks; they are written only through `apply`.

use super::Store;
use super::page::Window;
use crate::entities::tasks::{self, Column};
use crate::{Page, PageRequest, StoreError, TaskRow};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

impl Store {
    /// Tasks of one run in creation order (which is planning order).
    pub async fn list_tasks(&self, tenant: Uuid, run_id: Uuid, page: &PageRequest) -> Result<Page<TaskRow>, StoreError> {
        let window = Window::parse(page)?;
        let mut query = tasks::Entity::find()
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::RunId.eq(run_id));
        if let Some(after) = window.after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query
            .order_by_asc(Column::Id)
            .limit(window.fetch())
            .all(&self.db)
            .await?
            .into_iter()
            .map(TaskRow::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(window.finish(rows, |t: &TaskRow| t.id))
    }

    /// Every task of one run, in planning order (for retries and manifests: runs have
    /// tens of tasks, not millions; files live inside tasks).
    pub async fn all_run_tasks(&self, tenant: Uuid, run_id: Uuid) -> Result<Vec<TaskRow>, StoreError> {
        tasks::Entity::find()
            .filter(Column::TenantId.eq(tenant))
            .filter(Column::RunId.eq(run_id))
            .order_by_asc(Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(TaskRow::try_from)
            .collect()
    }

    /// One task of a tenant.
    pub async fn get_task(&self, tenant: Uuid, id: Uuid) -> Result<Option<TaskRow>, StoreError> {
        tasks::Entity::find_by_id(id)
            .filter(Column::TenantId.eq(tenant))
            .one(&self.db)
            .await?
            .map(TaskRow::try_from)
            .transpose()
    }
}
