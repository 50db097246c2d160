//! The ledger of schedule firings: one row per (pipeline, schedule, slot), whatever
//! happened to the slot. The unique key is what makes a slot fire at most once, however
//! many orchestrators look at it.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `firings`.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Firings {
    Table,
    Id,
    TenantId,
    PipelineId,
    ScheduleIndex,
    Slot,
    Outcome,
    RunId,
    Detail,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Firings::Table)
                    .if_not_exists()
                    .col(pk_uuid(Firings::Id))
                    .col(uuid(Firings::TenantId))
                    .col(uuid(Firings::PipelineId))
                    .col(integer(Firings::ScheduleIndex))
                    .col(timestamp_with_time_zone(Firings::Slot))
                    .col(text(Firings::Outcome))
                    .col(uuid_null(Firings::RunId))
                    .col(text_null(Firings::Detail))
                    .col(timestamp_with_time_zone(Firings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_firings_slot")
                    .table(Firings::Table)
                    .col(Firings::PipelineId)
                    .col(Firings::ScheduleIndex)
                    .col(Firings::Slot)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Firings::Table).if_exists().to_owned()).await
    }
}
