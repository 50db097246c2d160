//! Deliveries: one row per destination of a copy that delivers a dataset, is incremental
//! or has async destinations. A sync destination's row is written delivered with the
//! task's success; an async one's is written pending in the same transaction and carried
//! out afterwards by any worker, so it survives every restart.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `deliveries`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    TenantId,
    PipelineId,
    RunId,
    TaskId,
    TaskKey,
    Dataset,
    Destination,
    Mode,
    State,
    Body,
    Queue,
    Files,
    Bytes,
    Result,
    Attempts,
    LastError,
    BlockedBy,
    Incremental,
    LogicalTime,
    DeliverBy,
    NextAttemptAt,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .if_not_exists()
                    .col(uuid(Deliveries::Id).primary_key())
                    .col(uuid(Deliveries::TenantId))
                    .col(uuid(Deliveries::PipelineId))
                    .col(uuid(Deliveries::RunId))
                    .col(uuid(Deliveries::TaskId))
                    .col(text(Deliveries::TaskKey))
                    .col(text_null(Deliveries::Dataset))
                    .col(text(Deliveries::Destination))
                    .col(text(Deliveries::Mode))
                    .col(text(Deliveries::State))
                    .col(json_null(Deliveries::Body))
                    .col(text(Deliveries::Queue))
                    .col(big_integer(Deliveries::Files))
                    .col(big_integer(Deliveries::Bytes))
                    .col(json_null(Deliveries::Result))
                    .col(integer(Deliveries::Attempts))
                    .col(text_null(Deliveries::LastError))
                    .col(uuid_null(Deliveries::BlockedBy))
                    .col(boolean(Deliveries::Incremental))
                    .col(timestamp_with_time_zone(Deliveries::LogicalTime))
                    .col(timestamp_with_time_zone_null(Deliveries::DeliverBy))
                    .col(timestamp_with_time_zone_null(Deliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(Deliveries::StartedAt))
                    .col(timestamp_with_time_zone_null(Deliveries::FinishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("deliveries_tenant_id", vec![Deliveries::TenantId, Deliveries::Id]),
            ("deliveries_task", vec![Deliveries::TaskId]),
            ("deliveries_run", vec![Deliveries::RunId]),
            ("deliveries_due", vec![Deliveries::State, Deliveries::NextAttemptAt]),
            ("deliveries_order", vec![Deliveries::PipelineId, Deliveries::TaskKey, Deliveries::Destination, Deliveries::Id]),
        ] {
            let mut index = Index::create().name(name).table(Deliveries::Table).if_not_exists().to_owned();
            for c in cols {
                index.col(c);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Deliveries::Table).if_exists().to_owned()).await
    }
}
