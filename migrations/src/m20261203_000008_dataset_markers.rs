//! Freshness markers: per tenant, dataset and destination, when the last delivery there
//! completed and whose data it was. Written in the transaction of the copy's success, so
//! a marker never runs ahead of the data nor lags a stored success.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `dataset_markers`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DatasetMarkers {
    Table,
    TenantId,
    Dataset,
    Destination,
    DeliveredAt,
    PipelineId,
    RunId,
    TaskId,
    LogicalTime,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DatasetMarkers::Table)
                    .if_not_exists()
                    .col(uuid(DatasetMarkers::TenantId))
                    .col(text(DatasetMarkers::Dataset))
                    .col(text(DatasetMarkers::Destination))
                    .col(timestamp_with_time_zone(DatasetMarkers::DeliveredAt))
                    .col(uuid(DatasetMarkers::PipelineId))
                    .col(uuid(DatasetMarkers::RunId))
                    .col(uuid(DatasetMarkers::TaskId))
                    .col(timestamp_with_time_zone(DatasetMarkers::LogicalTime))
                    .col(json_null(DatasetMarkers::Position))
                    .primary_key(Index::create().col(DatasetMarkers::TenantId).col(DatasetMarkers::Dataset).col(DatasetMarkers::Destination))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(DatasetMarkers::Table).if_exists().to_owned()).await
    }
}
