//! Datasets' freshness markers: moved in the orchestrator's batch when a copy naming a
//! dataset succeeds (one row per tenant, dataset and destination), read by the API and
//! by the `fresh` condition.

use super::Store;
use crate::entities::dataset_markers::{self, Column};
use crate::{DatasetMarkerRow, StoreError};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

/// Writes `markers` in `txn`, each replacing the one for its dataset and destination
/// unless that one records newer data (a later logical time).
pub(crate) async fn upsert_markers(txn: &impl ConnectionTrait, markers: &[DatasetMarkerRow]) -> Result<(), StoreError> {
    for chunk in markers.chunks(super::rows_per_statement(10)) {
        let models = chunk.iter().map(|m| model(m).into_active_model());
        dataset_markers::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([Column::TenantId, Column::Dataset, Column::Destination])
                    .update_columns([Column::DeliveredAt, Column::PipelineId, Column::RunId, Column::TaskId, Column::LogicalTime, Column::Position])
                    // Never back to older data: a retried older run, or deliveries that
                    // finish out of order, leave the newest data's marker in place.
                    .action_and_where(
                        Expr::col((dataset_markers::Entity, Column::LogicalTime)).lte(Expr::col((Alias::new("excluded"), Column::LogicalTime))),
                    )
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// A tenant's markers, of one dataset or of all, by dataset then destination.
    pub async fn dataset_markers(&self, tenant: Uuid, dataset: Option<&str>) -> Result<Vec<DatasetMarkerRow>, StoreError> {
        let mut query = dataset_markers::Entity::find().filter(Column::TenantId.eq(tenant));
        if let Some(name) = dataset {
            query = query.filter(Column::Dataset.eq(name));
        }
        let rows = query.order_by_asc(Column::Dataset).order_by_asc(Column::Destination).all(&self.db).await?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// One marker, if that dataset was ever delivered to that destination.
    pub async fn dataset_marker(&self, tenant: Uuid, dataset: &str, destination: &str) -> Result<Option<DatasetMarkerRow>, StoreError> {
        let found = dataset_markers::Entity::find_by_id((tenant, dataset.to_owned(), destination.to_owned())).one(&self.db).await?;
        Ok(found.map(row))
    }
}

fn model(m: &DatasetMarkerRow) -> dataset_markers::Model {
    dataset_markers::Model {
        tenant_id: m.tenant_id,
        dataset: m.dataset.clone(),
        destination: m.destination.clone(),
        delivered_at: m.delivered_at,
        pipeline_id: m.pipeline_id,
        run_id: m.run_id,
        task_id: m.task_id,
        logical_time: m.logical_time,
        position: m.position.clone(),
    }
}

fn row(m: dataset_markers::Model) -> DatasetMarkerRow {
    DatasetMarkerRow {
        tenant_id: m.tenant_id,
        dataset: m.dataset,
        destination: m.destination,
        delivered_at: m.delivered_at,
        pipeline_id: m.pipeline_id,
        run_id: m.run_id,
        task_id: m.task_id,
        logical_time: m.logical_time,
        position: m.position,
    }
}
